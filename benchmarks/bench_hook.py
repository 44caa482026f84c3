"""Latency of the pre-commit hook (`ckptguard diff --base HEAD --staged`) now that one edit can
affect many models: cold (an empty analysis cache) and warm (the same run again), median wall
and CPU time over several runs, and how many models each edit reaches.

Scenarios:
  small        a one-model-file edit in a small package (tests/python/cross_file_project.py)
  torchvision  torchvision/models and torchvision/ops copied into a repository; Conv2dNormActivation
               in ops/misc.py edited (its norm layer moved after the activation)
  monorepo     benchmarks/monorepo.py's 10,000 model files: one model file edited, then the shared
               helper they all use

Run: .venv/bin/python benchmarks/bench_hook.py [--runs 5] [--scenarios small,torchvision,monorepo]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CKPTGUARD = REPO / ".venv" / "bin" / "ckptguard"
TORCHVISION = Path("/usr/lib/python3/dist-packages/torchvision")
GIT_ENV = {"GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "b@b", "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "b@b"}

sys.path.insert(0, str(REPO / "tests" / "python"))
sys.path.insert(0, str(REPO / "benchmarks"))


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, env={**os.environ, **GIT_ENV})


def commit_all(repo: Path) -> None:
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "base")


def hook(repo: Path, cache: Path) -> tuple[float, float, dict]:
    """One run of the hook's command: wall seconds, CPU seconds (this and its git children), JSON."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run([str(CKPTGUARD), "diff", "--base", "HEAD", "--staged", "--format", "json"], cwd=repo,
                            capture_output=True, text=True, env={**os.environ, "CKPTGUARD_CACHE_DIR": str(cache)})
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if result.returncode not in (0, 1):
        raise SystemExit(f"{repo}: exit {result.returncode}: {result.stderr}")
    return wall, cpu, json.loads(result.stdout)


def measure(name: str, repo: Path, runs: int, out: list) -> None:
    cold_wall, cold_cpu, warm_wall, warm_cpu = [], [], [], []
    doc = {}
    for _ in range(runs):
        cache = Path(tempfile.mkdtemp(prefix="ckg-cache-"))
        wall, cpu, doc = hook(repo, cache)
        cold_wall.append(wall)
        cold_cpu.append(cpu)
        wall, cpu, _ = hook(repo, cache)
        warm_wall.append(wall)
        warm_cpu.append(cpu)
        shutil.rmtree(cache)
    models = {m for f in doc["findings"] for m in f["models"]}
    row = {"scenario": name, "changed_files": len(doc["changed_files"]), "affected_files": doc["affected_files"],
           "models_compared": len(doc["models_compared"]), "models_broken": len(models), "findings": len(doc["findings"]),
           "cold_wall_s": statistics.median(cold_wall), "cold_cpu_s": statistics.median(cold_cpu),
           "warm_wall_s": statistics.median(warm_wall), "warm_cpu_s": statistics.median(warm_cpu)}
    out.append(row)
    print(f"{name:28} files changed {row['changed_files']:>2}, reach {row['affected_files']:>5}, compared {row['models_compared']:>5}, "
          f"broken {row['models_broken']:>5} | cold {row['cold_wall_s'] * 1000:8.0f} ms (cpu {row['cold_cpu_s'] * 1000:8.0f}) | "
          f"warm {row['warm_wall_s'] * 1000:6.0f} ms (cpu {row['warm_cpu_s'] * 1000:6.0f})", flush=True)


def small(work: Path, runs: int, out: list) -> None:
    import cross_file_project

    repo = work / "small"
    repo.mkdir()
    cross_file_project.write_project(repo)
    cross_file_project.apply_edit(repo, "pkg/model.py", "self.hidden = nn.Linear(", "self.fc_hidden = nn.Linear(")
    git(repo, "add", "-A")
    measure("small: one model file", repo, runs, out)


def torchvision(work: Path, runs: int, out: list) -> None:
    repo = work / "tv"
    for sub in ("models", "ops"):
        shutil.copytree(TORCHVISION / sub, repo / "torchvision" / sub, ignore=shutil.ignore_patterns("__pycache__", "*.so"))
    commit_all(repo)
    misc = repo / "torchvision" / "ops" / "misc.py"
    text = misc.read_text()
    old = ("        if norm_layer is not None:\n            layers.append(norm_layer(out_channels))\n\n"
           "        if activation_layer is not None:\n            params = {} if inplace is None else {\"inplace\": inplace}\n"
           "            layers.append(activation_layer(**params))\n")
    assert old in text, "torchvision's ConvNormActivation changed"
    new = ("        if activation_layer is not None:\n            params = {} if inplace is None else {\"inplace\": inplace}\n"
           "            layers.append(activation_layer(**params))\n\n"
           "        if norm_layer is not None:\n            layers.append(norm_layer(out_channels))\n")
    misc.write_text(text.replace(old, new))
    git(repo, "add", "-A")
    measure("torchvision: ops/misc.py", repo, runs, out)


def monorepo(work: Path, runs: int, out: list) -> None:
    import monorepo as generator

    repo = work / "mono"
    repo.mkdir()
    generator.generate(repo, 10_000)
    model = repo / "zoo" / "models" / "m05000.py"
    model.write_text(model.read_text().replace("self.head = nn.Linear(", "self.fc = nn.Linear("))
    git(repo, "add", "-A")
    measure("monorepo: one model file", repo, runs, out)
    git(repo, "reset", "-q", "--hard", "HEAD")
    shared = repo / "zoo" / "shared.py"
    shared.write_text(shared.read_text().replace("nn.BatchNorm2d(cout), nn.ReLU()", "nn.ReLU(), nn.BatchNorm2d(cout)"))
    git(repo, "add", "-A")
    measure("monorepo: the shared helper", repo, max(1, runs // 2), out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--scenarios", default="small,torchvision,monorepo")
    parser.add_argument("--json", type=Path, help="write the table as JSON")
    args = parser.parse_args()
    rows: list = []
    with tempfile.TemporaryDirectory(prefix="ckg-bench-hook-") as tmp:
        for name in args.scenarios.split(","):
            {"small": small, "torchvision": torchvision, "monorepo": monorepo}[name](Path(tmp), args.runs, rows)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
