"""Tensor values through libtorch: content digests and bit-exact comparison.

Importing this module loads torch and the ``_checker`` extension; nothing else in ckptguard
imports it at start-up.
"""

from __future__ import annotations

import torch  # noqa: F401  (the extension needs torch's Python bindings loaded first)

from ckptguard import _checker


def tensor_digest(tensor: "torch.Tensor") -> str:
    """xxh3-64 of the tensor's dtype, shape and bytes, as 16 hex digits."""
    return _checker.tensor_digest(tensor)


def bit_equal(a: "torch.Tensor", b: "torch.Tensor") -> bool:
    """True when dtype, shape and every byte (NaN payloads included) are identical."""
    return _checker.bit_equal(a, b)
