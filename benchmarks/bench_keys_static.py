"""Static path benchmark: wall time of `ckptguard keys` on the bundled example, and proof that
no torch library is mapped while it runs.

Run: .venv/bin/python benchmarks/bench_keys_static.py [--runs N]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TARGET = f"{REPO / 'examples' / 'flat.py'}::FlatNet"


def median_ms(cmd: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def mapped_torch_libraries() -> list[str]:
    """Runs the static path inside this process and lists mapped torch/c10 libraries."""
    import ckptguard

    code, _, err = ckptguard.run_cli(["keys", TARGET])
    assert code == 0, err
    maps = Path("/proc/self/maps").read_text().splitlines()
    return sorted({line.split()[-1] for line in maps if "libtorch" in line or "libc10" in line})


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    native = [str(REPO / "build" / "bin" / "ckptguard"), "keys", TARGET]
    console = [str(REPO / ".venv" / "bin" / "ckptguard"), "keys", TARGET]  # the installed command
    module = [sys.executable, "-m", "ckptguard", "keys", TARGET]
    torch_import = [sys.executable, "-c", "import torch"]
    n = median_ms(native, args.runs)
    c = median_ms(console, args.runs)
    m = median_ms(module, args.runs)
    t = median_ms(torch_import, max(3, args.runs // 4))
    libs = mapped_torch_libraries()
    for binary in (REPO / "build" / "bin" / "ckptguard", *sorted((REPO / "pytest_plugin" / "ckptguard").glob("_core*.so"))):
        linked = subprocess.run(["ldd", str(binary)], capture_output=True, text=True).stdout
        names = [l.split()[0] for l in linked.splitlines() if l.strip()]
        torch_deps = [n for n in names if "libtorch" in n or "libc10" in n]
        print(f"ldd {binary.relative_to(REPO)}: torch dependencies: {torch_deps if torch_deps else 'none'}")
        libs += torch_deps
    print(f"ckptguard keys (native binary)   median {n:7.1f} ms over {args.runs} runs")
    print(f"ckptguard keys (.venv/bin)       median {c:7.1f} ms over {args.runs} runs")
    print(f"python -m ckptguard keys         median {m:7.1f} ms over {args.runs} runs")
    print(f"python -c 'import torch'         median {t:7.1f} ms (for scale)")
    print(f"torch libraries mapped by the static path: {libs if libs else 'none'}")
    print(f"sys.modules has torch: {'torch' in sys.modules}")
    return 0 if not libs and "torch" not in sys.modules else 1


if __name__ == "__main__":
    sys.exit(main())
