"""The pytest plugin's cost: overhead per generated test (median), collection time, and proof that
the static collection phase imports neither torch nor the models.

A synthetic project of N model classes (two branches each: four generated tests per class) is
run three ways in fresh interpreters:
- `pytest --collect-only` with a probe plugin that records sys.modules and /proc/self/maps;
- the generated tests (after `--ckptguard-update` has written the golden manifests);
- hand-written tests doing the plain round trip per branch (build, torch.save, build a fresh
  instance, torch.load + load_state_dict(strict=True), torch.equal on every tensor).
Per-test times are pytest's own (setup + call + teardown). "Overhead" is a generated test's time minus the time spent in
the model's own constructors (recorded by the plugin), so it is what ckptguard adds.

Run: .venv/bin/python benchmarks/bench_plugin.py [--classes N]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

MODEL = """
class Net{i}(nn.Module):
    def __init__(self, use_norm=False, width={width}):
        super().__init__()
        self.fc1 = nn.Linear(32, width)
        if use_norm:
            self.norm = nn.LayerNorm(width)
        self.blocks = nn.Sequential(*[nn.Linear(width, width) for _ in range(3)])
        self.fc2 = nn.Linear(width, 8)
"""

HANDWRITTEN = """
import pytest
import torch
from nets import models

CASES = [(f"Net{{i}}", flag) for i in range({n}) for flag in (False, True)]


@pytest.mark.parametrize("name,use_norm", CASES)
def test_round_trip(name, use_norm, tmp_path):
    cls = getattr(models, name)
    torch.manual_seed(0)
    model = cls(use_norm=use_norm)
    torch.save(model.state_dict(), tmp_path / "m.pt")
    torch.manual_seed(1)
    fresh = cls(use_norm=use_norm)
    fresh.load_state_dict(torch.load(tmp_path / "m.pt"), strict=True)
    saved = model.state_dict()
    assert all(torch.equal(saved[k], v) for k, v in fresh.state_dict().items())
"""

PROBE = """
import json, sys
DURATIONS = {}
def pytest_collection_finish(session):
    maps = open("/proc/self/maps").read()
    json.dump({"torch": "torch" in sys.modules, "libtorch": "libtorch" in maps,
               "models": sorted(m for m in sys.modules if m == "nets" or m.startswith("nets.")),
               "items": len(session.items)}, open("probe.json", "w"))
def pytest_runtest_logreport(report):
    DURATIONS[report.nodeid] = DURATIONS.get(report.nodeid, 0.0) + report.duration
def pytest_sessionfinish(session):
    if DURATIONS:
        json.dump(DURATIONS, open("durations.json", "w"))
"""


def make_project(root: Path, n: int) -> None:
    (root / "nets").mkdir(parents=True)
    (root / "nets" / "__init__.py").write_text("")
    body = "import torch.nn as nn\n" + "".join(MODEL.format(i=i, width=16 + i) for i in range(n))
    (root / "nets" / "models.py").write_text(body)
    (root / "pyproject.toml").write_text(textwrap.dedent("""
        [tool.pytest.ini_options]
        addopts = "-p no:cacheprovider"
        [tool.ckptguard]
        models = ["nets"]
    """))
    (root / "handwritten").mkdir()
    (root / "handwritten" / "test_handwritten.py").write_text(HANDWRITTEN.format(n=n))
    (root / "ckg_probe.py").write_text(PROBE)


def pytest(root: Path, *args: str) -> tuple[float, subprocess.CompletedProcess]:
    env = dict(os.environ)
    env.pop("PYTEST_ADDOPTS", None)
    env["PYTHONPATH"] = str(root)
    start = time.perf_counter()
    run = subprocess.run([sys.executable, "-m", "pytest", *args], cwd=root, env=env, capture_output=True,
                         text=True, timeout=1800)
    return time.perf_counter() - start, run


def durations(root: Path) -> dict[str, float]:
    """Per test: setup + call + teardown seconds, as pytest measured them (probe plugin)."""
    return json.loads((root / "durations.json").read_text())


def ms(seconds: float) -> str:
    return f"{1000 * seconds:.1f} ms"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--classes", type=int, default=25)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="ckptguard-bench-plugin-"))
    make_project(root, args.classes)

    # 1. static collection: no torch, no model import
    wall_plain, _ = pytest(root, "--collect-only", "-q", "-p", "no:ckptguard", "-p", "ckg_probe", "--ignore=handwritten")
    wall_collect, run = pytest(root, "--collect-only", "-q", "-p", "ckg_probe", "--ignore=handwritten")
    probe = json.loads((root / "probe.json").read_text())
    items = probe["items"]
    static_ok = not probe["torch"] and not probe["libtorch"] and not probe["models"]
    print(f"collection: {items} generated tests from {args.classes} classes in {wall_collect:.2f} s wall "
          f"({wall_plain:.2f} s for pytest without the plugin): {ms((wall_collect - wall_plain) / items)} per test")
    print(f"collection imported torch: {probe['torch']}, mapped libtorch: {probe['libtorch']}, "
          f"imported model modules: {probe['models'] or 'none'}")

    # 2. generated tests
    pytest(root, "-q", "--ckptguard-update", "--ignore=handwritten")
    wall_gen, run = pytest(root, "-q", "-p", "ckg_probe", "--ckptguard-report=gen.json", "--ignore=handwritten")
    assert run.returncode == 0, run.stdout[-2000:]
    times = durations(root)
    report = json.loads((root / "gen.json").read_text())
    by_kind: dict[str, list[float]] = {}
    overhead: dict[str, list[float]] = {}
    for t in report["tests"]:
        duration = times[t["nodeid"]]
        by_kind.setdefault(t["kind"], []).append(duration)
        overhead.setdefault(t["kind"], []).append(duration - t.get("build_seconds", 0.0))
    all_overhead = [v for vs in overhead.values() for v in vs]

    # 3. the hand-written equivalent of the round-trip tests
    wall_hand, run = pytest(root, "-q", "-p", "no:ckptguard", "-p", "ckg_probe", "handwritten")
    assert run.returncode == 0, run.stdout[-2000:]
    hand = list(durations(root).values())

    print(f"generated tests: {len(report['tests'])} in {wall_gen:.2f} s wall")
    for kind, values in by_kind.items():
        print(f"  {kind:<7} {len(values):4} tests, median {ms(statistics.median(values))}, "
              f"ckptguard's own share (minus model constructors) median {ms(statistics.median(overhead[kind]))}")
    print(f"plugin overhead per generated test (median over all kinds): {ms(statistics.median(all_overhead))}")
    print(f"hand-written round trip (build, save, load strict, torch.equal): {len(hand)} tests, "
          f"median {ms(statistics.median(hand))}; generated round trip median "
          f"{ms(statistics.median(by_kind['branch']))} "
          f"(+{ms(statistics.median(by_kind['branch']) - statistics.median(hand))} for the prediction check, "
          "native bit-exact verification of every tensor twice, and the report)")
    return 0 if static_ok else 1


if __name__ == "__main__":
    sys.exit(main())
