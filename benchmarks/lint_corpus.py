"""Run `ckptguard lint` over large real codebases (by default the Python sources of torch,
torchvision and torchaudio that Debian installs), report findings per rule and the time taken,
and write a sample of findings with their source for manual review of false positives.

    .venv/bin/python benchmarks/lint_corpus.py [--sample-per-rule N] [--out FILE] [DIR...]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CORPORA = [Path("/usr/lib/python3/dist-packages") / name for name in ("torch", "torchvision", "torchaudio")]


def ckptguard() -> str:
    return os.environ.get("CKPTGUARD_EXE", str(REPO / ".venv" / "bin" / "ckptguard"))


def run(corpus: Path) -> tuple[dict, float]:
    start = time.perf_counter()
    r = subprocess.run([ckptguard(), "lint", str(corpus), "--format", "json", "--exit-zero"],
                       capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if r.returncode != 0:
        sys.exit(f"lint failed on {corpus} (exit {r.returncode}): {r.stderr.strip()}")
    return json.loads(r.stdout), elapsed


def context(path: str, line: int, around: int = 3) -> str:
    try:
        lines = Path(path).read_text(errors="replace").splitlines()
    except OSError:
        return "(source unavailable)"
    lo, hi = max(1, line - around), min(len(lines), line + around)
    return "\n".join(f"{'>' if n == line else ' '}{n:5} | {lines[n - 1]}" for n in range(lo, hi + 1))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpora", nargs="*", type=Path, default=DEFAULT_CORPORA)
    ap.add_argument("--sample-per-rule", type=int, default=15, help="findings per rule written for review")
    ap.add_argument("--seed", type=int, default=8, help="sampling seed (the sample is reproducible)")
    ap.add_argument("--out", type=Path, default=REPO / "build" / "lint_corpus_sample.md")
    args = ap.parse_args()

    rules = json.loads(subprocess.run([ckptguard(), "rules", "--format", "json"], capture_output=True,
                                      text=True, check=True).stdout)
    codes = [r["code"] for r in rules]
    names = {r["code"]: r["name"] for r in rules}
    per_corpus: dict[str, Counter] = {}
    everything = []
    total_files = total_time = 0.0
    for corpus in args.corpora:
        if not corpus.is_dir():
            print(f"skipping {corpus}: not a directory", file=sys.stderr)
            continue
        doc, elapsed = run(corpus)
        total_files += doc["files_checked"]
        total_time += elapsed
        per_corpus[corpus.name] = Counter(d["code"] for d in doc["diagnostics"])
        for d in doc["diagnostics"]:
            d["corpus"] = corpus.name
            everything.append(d)
        print(f"{corpus}: {doc['files_checked']} files, {len(doc['diagnostics'])} findings, {elapsed:.2f} s")

    header = f"{'rule':<8} {'name':<40}" + "".join(f"{c:>12}" for c in per_corpus) + f"{'total':>8}"
    print("\n" + header)
    for code in codes:
        counts = [per_corpus[c][code] for c in per_corpus]
        print(f"{code:<8} {names[code]:<40}" + "".join(f"{n:>12}" for n in counts) + f"{sum(counts):>8}")
    print(f"\n{int(total_files)} files in {total_time:.2f} s "
          f"({total_files / total_time if total_time else 0:.0f} files/s, including process start)")

    rng = random.Random(args.seed)
    out = [f"# ckptguard lint: sample of findings for review\n",
           f"Corpora: {', '.join(str(c) for c in args.corpora)}; up to {args.sample_per_rule} per rule "
           f"(seed {args.seed}). Mark each TP (the rule's claim holds) or FP.\n"]
    for code in codes:
        found = [d for d in everything if d["code"] == code]
        if not found:
            continue
        sample = sorted(rng.sample(found, min(args.sample_per_rule, len(found))), key=lambda d: (d["file"], d["line"]))
        out.append(f"\n## {code} {names[code]} ({len(found)} findings, {len(sample)} shown)\n")
        for d in sample:
            out.append(f"\n### {d['file']}:{d['line']}:{d['column']}\n\n{d['message']}\n\n```\n"
                       f"{context(d['file'], d['line'])}\n```\n")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("".join(out))
    print(f"sample written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
