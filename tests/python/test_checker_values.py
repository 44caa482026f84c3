"""The libtorch checker extension: digests and bit-exact equality on real tensors."""

from __future__ import annotations

import torch

from ckptguard.checker import bit_equal, tensor_digest


def test_digest_is_stable_and_content_sensitive():
    t = torch.arange(12, dtype=torch.float32).reshape(3, 4)
    assert tensor_digest(t) == tensor_digest(t.clone())
    assert tensor_digest(t) != tensor_digest(t + 1)
    assert tensor_digest(t) != tensor_digest(t.reshape(4, 3))        # shape is part of the digest
    assert tensor_digest(t) != tensor_digest(t.to(torch.float64))    # so is dtype
    assert tensor_digest(t.t()) == tensor_digest(t.t().contiguous())  # views hash by value


def test_bit_equal_distinguishes_bytes_not_just_values():
    a = torch.tensor([0.0, float("nan")])
    assert bit_equal(a, a.clone())
    assert not bit_equal(torch.tensor([0.0]), torch.tensor([-0.0]))  # equal as numbers, different bits
    assert not bit_equal(a, a.to(torch.float16))
    assert bit_equal(torch.ones(2, 3)[:, 1], torch.ones(2))
