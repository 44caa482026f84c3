"""Tensor values through libtorch: content digests, memory-mapped loading and bit-exact
verification of checkpoints against live models or other checkpoints.

Importing this module loads torch and the ``_checker`` extension; nothing else in ckptguard
imports it at start-up. Checkpoints are read without executing pickle code: the structure comes
from ckptguard's own reader and tensor bytes are memory-mapped from the file.

Verification reports are plain dicts::

    {"equal": bool,
     "keys": [{"name", "status", "checkpoint_digest", "model_digest", "detail"}, ...],
     "missing": [...],      # keys the model (or second checkpoint) has and the checkpoint lacks
     "unexpected": [...]}   # keys the checkpoint has and the model (or second checkpoint) lacks

``status`` is one of ``equal``, ``dtype_differs``, ``shape_differs``, ``bytes_differ``,
``missing``, ``unexpected``; ``bytes_differ`` entries also carry ``first_difference`` (the
index of the first differing element) and ``differing_elements``. Digests are
:func:`tensor_digest` values, ``None`` on the side that lacks the key.
"""

from __future__ import annotations

import os
from typing import Any, Mapping, Union

import torch

from ckptguard import _load_checker

_checker = _load_checker()  # one-line ExtensionError when missing, broken or built for another torch

PathLike = Union[str, os.PathLike]


def tensor_digest(tensor: torch.Tensor) -> str:
    """xxh3-64 of the tensor's dtype, shape and bytes, as 16 hex digits."""
    return _checker.tensor_digest(tensor)


def bit_equal(a: torch.Tensor, b: torch.Tensor) -> bool:
    """True when dtype, shape and every byte (NaN payloads included) are identical."""
    return _checker.bit_equal(a, b)


def verify(path: PathLike, model_or_state_dict: torch.nn.Module | Mapping[str, Any]) -> dict[str, Any]:
    """Compare the checkpoint's model state_dict bit for bit with a live model.

    ``model_or_state_dict`` is an ``nn.Module`` (its ``state_dict()`` is used) or a state_dict
    mapping; entries that are not tensors (such as ``_extra_state`` objects) are skipped. The
    checkpoint may be a plain state_dict or a training checkpoint holding one; tensors may live
    on any device. Raises ValueError when the checkpoint cannot be read.
    """
    state = (model_or_state_dict.state_dict() if isinstance(model_or_state_dict, torch.nn.Module)
             else model_or_state_dict)
    tensors = {str(k): v for k, v in state.items() if isinstance(v, torch.Tensor)}
    return _checker.verify_state_dict(os.fspath(path), tensors)


def compare_values(path_a: PathLike, path_b: PathLike) -> dict[str, Any]:
    """Compare two checkpoints' state_dicts bit for bit; ``path_b`` plays the model's role in
    the report (``model_digest``, ``missing``). Raises ValueError when either cannot be read."""
    return _checker.verify_checkpoints(os.fspath(path_a), os.fspath(path_b))


def load_tensor(path: PathLike, name: str) -> torch.Tensor:
    """One tensor of the checkpoint, with its saved dtype, shape, strides and storage offset.

    ``name`` is a state_dict key (``"fc.weight"``) or any tensor's key path as ``ckptguard
    inspect`` shows it (``"optimizer/state/0/exp_avg"``). The tensor is a zero-copy view of the
    memory-mapped file (a copy only when the file stores it misaligned for its dtype); in-place
    changes stay in this process and never reach the file. Raises ValueError when the file
    cannot be read or the tensor cannot be mapped, KeyError when there is no such tensor.
    """
    return _checker.load_tensor(os.fspath(path), name)


def digests(path: PathLike) -> dict[str, str]:
    """:func:`tensor_digest` of every state_dict tensor of the checkpoint, keyed like the
    state_dict; equal digests mean equal dtype, shape and bytes."""
    return _checker.checkpoint_digests(os.fspath(path))
