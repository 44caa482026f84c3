"""``python -m ckptguard``: the ``ckptguard`` command line through the ``_core`` extension.

A missing or broken extension is one line on stderr and exit 2. ``--version`` adds what only
Python can tell: whether the libtorch checker imports into this environment's torch.
"""

from __future__ import annotations

import sys


def _checker_import() -> str:
    from ckptguard import ExtensionError, _load_checker

    try:
        _load_checker()
    except ExtensionError as e:
        return f"failed: {e}"
    except ImportError as e:  # torch itself
        return f"failed: {str(e).splitlines()[0] if str(e) else type(e).__name__}"
    import torch

    return f"ok (torch {torch.__version__})"


def main(argv: list[str] | None = None) -> int:
    from ckptguard import ExtensionError, run_cli

    args = sys.argv[1:] if argv is None else argv
    try:
        code, out, err = run_cli(args)
    except ExtensionError as e:
        sys.stderr.write(f"ckptguard: {e}\n")
        return 2
    sys.stdout.write(out)
    sys.stderr.write(err)
    if code == 0 and args[:1] == ["--version"]:
        sys.stdout.write(f"checker import: {_checker_import()}\n")
    return code


if __name__ == "__main__":
    sys.exit(main())
