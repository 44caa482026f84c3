#!/usr/bin/python3
"""`ckptguard inspect` against `torch.load` on the same checkpoints.

Writes transformer-like state_dicts of about 10 MB and 100 MB (and 1 GB with --large or
CKPTGUARD_BENCH_LARGE=1) into a temporary directory, then reports the median wall time of
`ckptguard inspect --format json FILE` (a whole process: start, read, print) and of an in-process
`torch.load(FILE)` (torch already imported, which favours torch), and their ratio. Files are read
once before timing so both run from the page cache.

The checkpoints keep the same tensor count at every size (only the hidden width grows), so the
inspect column shows what listing costs as the data grows: it should stay flat.

Run with the interpreter that has torch:  /usr/bin/python3 benchmarks/bench_inspect.py [--large]
"""

import argparse
import os
import pathlib
import statistics
import subprocess
import tempfile
import time

import torch

REPO_ROOT = pathlib.Path(__file__).resolve().parents[1]
BINARY = pathlib.Path(os.environ.get("CKPTGUARD_BIN", REPO_ROOT / "build" / "bin" / "ckptguard"))
LAYERS = 24  # 6 tensors per layer + embeddings: 146 tensors at every size


def state_dict_of_size(megabytes):
    """A transformer-ish float32 state_dict of about `megabytes` MB."""
    # Per layer: two d x d projections, two d biases, a LayerNorm; plus a 1000 x d embedding.
    # Bytes ~ 4 * (LAYERS * 2 * d^2 + 1000 * d): solve for d.
    target = megabytes * 1024 * 1024 / 4
    d = int((-1000 + (1000 ** 2 + 8 * LAYERS * target) ** 0.5) / (4 * LAYERS))
    state = {"embed.weight": torch.zeros(1000, d)}
    for i in range(LAYERS):
        state[f"layers.{i}.attn.weight"] = torch.zeros(d, d)
        state[f"layers.{i}.attn.bias"] = torch.zeros(d)
        state[f"layers.{i}.mlp.weight"] = torch.zeros(d, d)
        state[f"layers.{i}.mlp.bias"] = torch.zeros(d)
        state[f"layers.{i}.norm.weight"] = torch.ones(d)
        state[f"layers.{i}.norm.bias"] = torch.zeros(d)
    state["head.weight"] = torch.zeros(1000, d)
    return state


def median_seconds(run, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def inspect_once(path):
    done = subprocess.run([str(BINARY), "inspect", "--format", "json", str(path)],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if done.returncode not in (0, 1):
        raise SystemExit(f"inspect failed on {path}: {done.stderr.decode().strip()}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--large", action="store_true", default=os.environ.get("CKPTGUARD_BENCH_LARGE") == "1",
                        help="add the ~1 GB checkpoint (needs ~2.5 GB of disk and RAM)")
    parser.add_argument("--repeat", type=int, default=7, help="timed runs per measurement (median)")
    parser.add_argument("--legacy", action="store_true", help="also the legacy (non-zip) torch.save format")
    args = parser.parse_args()
    if not BINARY.exists():
        raise SystemExit(f"{BINARY} is not built (cmake --build build)")

    sizes = [10, 100] + ([1024] if args.large else [])
    formats = [("zip", True)] + ([("legacy", False)] if args.legacy else [])
    print(f"{'file':>14} {'MB':>7} {'tensors':>7} {'inspect ms':>11} {'torch.load ms':>14} {'ratio':>8}")
    with tempfile.TemporaryDirectory(prefix="ckg-bench-") as tmp:
        for megabytes in sizes:
            state = state_dict_of_size(megabytes)
            for name, zipped in formats:
                path = pathlib.Path(tmp) / f"{name}-{megabytes}mb.pt"
                torch.save(state, path, _use_new_zipfile_serialization=zipped)
                path.read_bytes()  # into the page cache for both readers
                inspect_once(path)  # warm-up
                inspect_s = median_seconds(lambda: inspect_once(path), args.repeat)
                load_repeat = max(3, args.repeat // 2) if megabytes < 1024 else 3
                load_s = median_seconds(lambda: torch.load(path), load_repeat)
                size_mb = path.stat().st_size / 1e6
                print(f"{path.name:>14} {size_mb:7.1f} {len(state):7d} {inspect_s * 1e3:11.2f} "
                      f"{load_s * 1e3:14.1f} {load_s / inspect_s:7.1f}x", flush=True)
                path.unlink()
            del state


if __name__ == "__main__":
    main()
