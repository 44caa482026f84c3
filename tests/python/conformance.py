"""The conformance suite: small Python snippets run by CPython and by ckptguard's interpreter.

Each tests/corpus/conformance/FEATURE.txt holds cases `=== title` followed by source; a case
passes when the interpreter prints exactly what CPython (/usr/bin/python3) prints. A title ending
in `[gap]` is a known gap, listed by name. `python tests/python/conformance.py` prints pass/total
per feature; tests/python/test_conformance.py checks every case.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / "tests" / "corpus" / "conformance"
CPYTHON = "/usr/bin/python3"
GAP = "[gap]"


def load_cases() -> list[dict]:
    cases = []
    for path in sorted(CORPUS.glob("*.txt")):
        current = None
        for line in path.read_text().splitlines():
            if line.startswith("=== "):
                title = line[4:].strip()
                current = {"feature": path.stem, "title": title.removesuffix(GAP).strip(),
                           "gap": title.endswith(GAP), "source": ""}
                cases.append(current)
            elif current is not None:
                current["source"] += line + "\n"
    return cases


def cpython_output(source: str, workdir: Path) -> str:
    script = workdir / "cpython_snippet.py"
    script.write_text(source)
    done = subprocess.run([CPYTHON, str(script)], capture_output=True, text=True, timeout=120, cwd=workdir)
    return done.stdout if done.returncode == 0 else done.stdout + f"<exit {done.returncode}: {done.stderr.strip().splitlines()[-1:]}>\n"


def interpreter_output(source: str, workdir: Path) -> str:
    from ckptguard import _core

    script = workdir / "snippet.py"
    script.write_text(source)
    output, error = _core.run_script(str(script))
    return output if not error else output + f"<error: {error}>\n"


def run_case(case: dict) -> tuple[str, str]:
    with tempfile.TemporaryDirectory() as tmp:
        return cpython_output(case["source"], Path(tmp)), interpreter_output(case["source"], Path(tmp))


def main() -> int:
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    gaps = []
    for case in load_cases():
        expected, got = run_case(case)
        totals[case["feature"]][1] += 1
        if expected == got:
            totals[case["feature"]][0] += 1
        else:
            gaps.append(f"{case['feature']}: {case['title']}")
    for feature, (ok, total) in sorted(totals.items()):
        print(f"{feature:24} {ok:4}/{total}")
    passed = sum(v[0] for v in totals.values())
    print(f"{'all':24} {passed:4}/{sum(v[1] for v in totals.values())}")
    for g in gaps:
        print(f"  failing: {g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
