"""Interpreter speed on constructor loops (issue 11): median wall time of `ckptguard keys` on a
model whose constructor runs N simple loop iterations (a nested itertools.product, as real
constructors do), against the same model with no loop. Reports both medians and the cost per
million iterations.

Run: /usr/bin/python3 benchmarks/interp_loop.py [--runs 5] [--iterations 1000000]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

MODEL = """
import itertools
import torch.nn as nn

class Net(nn.Module):
    def __init__(self, side={side}):
        super().__init__()
        total = 0
        for i, j in itertools.product(range(side), range(side)):
            total += (i * j) % 7
        self.fc = nn.Linear(total % 5 + 1, 2)
"""


def median_seconds(binary: Path, target: str, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([str(binary), "keys", target], check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--iterations", type=int, default=1_000_000)
    parser.add_argument("--ckptguard", type=Path, default=REPO / "build" / "bin" / "ckptguard")
    args = parser.parse_args()
    side = round(args.iterations ** 0.5)
    with tempfile.TemporaryDirectory() as tmp:
        loop, empty = Path(tmp) / "loop.py", Path(tmp) / "empty.py"
        loop.write_text(MODEL.format(side=side))
        empty.write_text(MODEL.format(side=0))
        with_loop = median_seconds(args.ckptguard, f"{loop}::Net", args.runs)
        without = median_seconds(args.ckptguard, f"{empty}::Net", args.runs)
    iterations = side * side
    print(f"keys, {iterations:,}-iteration constructor loop: median {with_loop * 1000:.0f} ms over {args.runs} runs")
    print(f"keys, same model without the loop:              median {without * 1000:.0f} ms")
    print(f"loop cost: {(with_loop - without) * 1e6 / iterations * 1000:.0f} ms per million iterations")


if __name__ == "__main__":
    main()
