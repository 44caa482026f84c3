"""The ``ckptguard`` console command and ``python -m ckptguard``."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    from ckptguard import run_cli

    code, out, err = run_cli(sys.argv[1:] if argv is None else argv)
    sys.stdout.write(out)
    sys.stderr.write(err)
    return code


if __name__ == "__main__":
    sys.exit(main())
