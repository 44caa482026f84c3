#!/usr/bin/python3
"""Full value verification throughput (ckptguard.checker) beside plain read throughput.

Writes transformer-like float32 state_dicts of about 100 MB (and 1 GB with --large or
CKPTGUARD_BENCH_LARGE=1) filled with random values into a temporary directory, plus a byte copy
of each under another name, then reports medians of --repeat runs, as GB/s of checkpoint bytes:

  read      reading the file into a preallocated buffer (readinto, 16 MiB chunks): the
            machine's plain read throughput for that file, from the page cache
  digests   checker.digests: map the file, xxh3-64 of every state_dict tensor
  vs live   checker.verify against the live tensors the file was saved from: map, hash both
            sides, compare every byte (reads file bytes + as many bytes of RAM)
  vs ckpt   checker.compare_values against the copy (reads both files)
  torch     reference: torch.load(file) + torch.equal on every key, as most test suites do it
            (not bit-exact: -0.0 == 0.0 and NaN != NaN); `x` is vs-live speed over it

Every file is read once before timing, so all columns run with a warm page cache (nothing is
dropped: that needs root and hurts other users of the machine). Single-threaded throughout.

Run with the interpreter that has torch:  .venv/bin/python benchmarks/bench_verify.py [--large]
"""

import argparse
import os
import pathlib
import shutil
import statistics
import tempfile
import time

import torch

from ckptguard import checker

LAYERS = 24  # 6 tensors per layer + embeddings and head: 146 tensors at every size
READ_CHUNK = 16 << 20


def state_dict_of_size(megabytes):
    """A transformer-ish float32 state_dict of about `megabytes` MB of random values (zeros
    would let the live side read the kernel's shared zero page instead of memory)."""
    # Per layer: two d x d projections, two d biases, a LayerNorm; plus two 1000 x d matrices.
    # Bytes ~ 4 * (LAYERS * 2 * d^2 + 2000 * d): solve for d.
    target = megabytes * 1024 * 1024 / 4
    d = int((-2000 + (2000 ** 2 + 8 * LAYERS * target) ** 0.5) / (4 * LAYERS))
    generator = torch.Generator().manual_seed(0)
    rand = lambda *shape: torch.rand(*shape, generator=generator)  # noqa: E731
    state = {"embed.weight": rand(1000, d)}
    for i in range(LAYERS):
        state[f"layers.{i}.attn.weight"] = rand(d, d)
        state[f"layers.{i}.attn.bias"] = rand(d)
        state[f"layers.{i}.mlp.weight"] = rand(d, d)
        state[f"layers.{i}.mlp.bias"] = rand(d)
        state[f"layers.{i}.norm.weight"] = rand(d)
        state[f"layers.{i}.norm.bias"] = rand(d)
    state["head.weight"] = rand(1000, d)
    return state


def median_seconds(run, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def read_file(path, buffer):
    view = memoryview(buffer)
    with open(path, "rb", buffering=0) as f:
        while f.readinto(view[:READ_CHUNK]):
            pass


def expect_equal(report):
    if not report["equal"]:
        raise SystemExit(f"verification unexpectedly failed: {report}")


def torch_reference(path, state):
    loaded = torch.load(path)
    if not all(torch.equal(loaded[k], v) for k, v in state.items()):
        raise SystemExit("torch.load reference unexpectedly differs")


def measure(directory, megabytes, repeat):
    """One table row for a checkpoint of about `megabytes` MB."""
    state = state_dict_of_size(megabytes)
    path = directory / f"{megabytes}mb.pt"
    copy = directory / f"{megabytes}mb-copy.pt"
    torch.save(state, path)
    shutil.copyfile(path, copy)
    size = path.stat().st_size
    gigabytes = sum(t.numel() * t.element_size() for t in state.values()) / 1e9
    buffer = bytearray(READ_CHUNK)
    for f in (path, copy):
        read_file(f, buffer)  # warm the page cache
    expect_equal(checker.verify(path, state))  # warm-up, and the run must succeed

    read_s = median_seconds(lambda: read_file(path, buffer), repeat)
    digests_s = median_seconds(lambda: checker.digests(path), repeat)
    live_s = median_seconds(lambda: expect_equal(checker.verify(path, state)), repeat)
    ckpt_s = median_seconds(lambda: expect_equal(checker.compare_values(path, copy)), repeat)
    torch_s = median_seconds(lambda: torch_reference(path, state), max(3, repeat // 2))
    print(f"{path.name:>12} {size / 1e6:7.1f} {size / 1e9 / read_s:7.2f} "
          f"{gigabytes / digests_s:8.2f} {gigabytes / live_s:8.2f} {gigabytes / ckpt_s:8.2f} "
          f"{gigabytes / torch_s:7.2f} {torch_s / live_s:5.1f}x", flush=True)
    path.unlink()
    copy.unlink()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--large", action="store_true", default=os.environ.get("CKPTGUARD_BENCH_LARGE") == "1",
                        help="add the ~1 GB checkpoint (needs ~3 GB of disk and ~5 GB of RAM)")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per measurement (median)")
    args = parser.parse_args()

    sizes = [100] + ([1024] if args.large else [])
    print("GB/s of checkpoint bytes, medians; page cache warm (every file read once before timing)")
    print(f"{'file':>12} {'MB':>7} {'read':>7} {'digests':>8} {'vs live':>8} {'vs ckpt':>8} "
          f"{'torch':>7} {'x':>6}")
    with tempfile.TemporaryDirectory(prefix="ckg-bench-") as tmp:
        for megabytes in sizes:
            measure(pathlib.Path(tmp), megabytes, args.repeat if megabytes < 1024 else max(3, args.repeat // 2))


if __name__ == "__main__":
    main()
