#!/usr/bin/python3
"""How `inspect` and `check` scale with the number of keys: 10k, 100k and 1M.

Each checkpoint is a real torch.save of a state_dict whose tensors are one-element views of a
single storage (so the file holds N pickled tensors but little data), with a `_metadata` entry
per module the way Module.state_dict() writes it. Reported: the median CPU time, user + system (the
machine these ran on was shared, so wall time measured the neighbours), and the peak RSS of the
median run, of
  - `inspect --format json FILE`,
  - `check A B --format json` where B has the same keys (loads),
  - `check A B --format json` where A's keys carry a `module.` prefix (does not load, so the
    suggestion and remap path runs too).

The default limits admit about 100,000 such keys (1M memo entries: torch's pickler memoizes ~9
objects per key; 64 MiB of data.pkl: ~150 bytes per key); every run here passes LIMITS, which
admit 1M keys, so the rows compare.

Run with the interpreter that has torch:
    /usr/bin/python3 benchmarks/bench_scaling.py [--sizes 10000,100000,1000000] [--repeat 3]
"""

import argparse
import collections
import os
import pathlib
import re
import statistics
import subprocess
import tempfile

import torch

REPO_ROOT = pathlib.Path(__file__).resolve().parents[1]
BINARY = pathlib.Path(os.environ.get("CKPTGUARD_BIN", REPO_ROOT / "build" / "bin" / "ckptguard"))


LIMITS = ["--limit", "max_pickle_ops=100000000", "--limit", "max_memo_entries=20000000",
          "--limit", "max_object_bytes=8589934592", "--limit", "max_visited_nodes=20000000",
          "--limit", "max_record_bytes=1073741824"]


def save_state(path, keys, prefix=""):
    """`keys` tensors in blocks of four layers, as nn.Module.state_dict() would name them."""
    storage = torch.zeros(1)
    state = collections.OrderedDict()
    metadata = collections.OrderedDict({"": {"version": 1}})
    for module in filter(None, [prefix.rstrip("."), f"{prefix}blocks"]):
        metadata[module] = {"version": 1}
    for i in range(keys):
        block, layer = divmod(i, 4)
        if layer == 0:
            metadata[f"{prefix}blocks.{block}"] = {"version": 1}
        metadata[f"{prefix}blocks.{block}.layer{layer}"] = {"version": 1}
        state[f"{prefix}blocks.{block}.layer{layer}.weight"] = storage.view(1)
    state._metadata = metadata
    torch.save(state, path)
    return path


def run_once(args):
    """(exit code, CPU seconds (user + system), peak RSS MB) of one run."""
    done = subprocess.run(["/usr/bin/time", "-f", "%U %S %M", str(BINARY), *map(str, args), *LIMITS],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    user, system, rss_kb = re.findall(r"([\d.]+) ([\d.]+) (\d+)\s*$", done.stderr)[-1]
    return done.returncode, float(user) + float(system), int(rss_kb) / 1024


def median_run(args, repeat):
    runs = sorted((run_once(args) for _ in range(repeat)), key=lambda run: run[1])
    return runs[len(runs) // 2]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()
    print(f"binary: {BINARY}\n")
    print("| keys | file (MB) | inspect CPU s | inspect RSS MB | check (loads) CPU s | RSS MB | exit "
          "| check (prefix) CPU s | RSS MB | exit |")
    print("|---:|---:|---:|---:|---:|---:|---|---:|---:|---|")
    with tempfile.TemporaryDirectory() as work:
        for keys in (int(size) for size in options.sizes.split(",")):
            plain = save_state(pathlib.Path(work) / f"plain_{keys}.pt", keys)
            copy = save_state(pathlib.Path(work) / f"copy_{keys}.pt", keys)
            wrapped = save_state(pathlib.Path(work) / f"wrapped_{keys}.pt", keys, "module.")
            inspect = median_run(["inspect", plain, "--format", "json"], options.repeat)
            loads = median_run(["check", plain, copy, "--format", "json"], options.repeat)
            prefixed = median_run(["check", wrapped, plain, "--format", "json"], options.repeat)
            size = plain.stat().st_size / 2**20
            print(f"| {keys:,} | {size:.1f} | {inspect[1]:.2f} | {inspect[2]:.0f} | {loads[1]:.2f} | "
                  f"{loads[2]:.0f} | {loads[0]} | {prefixed[1]:.2f} | {prefixed[2]:.0f} | {prefixed[0]} |",
                  flush=True)
            for path in (plain, copy, wrapped):
                path.unlink()


if __name__ == "__main__":
    main()
