"""What a ckptguard run reports beyond pass/fail: the terminal summary section (counts, skip
reasons, the compatibility matrices with -v) and the --ckptguard-report JSON document.

Results come from test reports (user_properties), so the same code works in a plain run and on
the pytest-xdist controller.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from ckptguard.plan import ANALYZER_ERROR, NEEDS_ARGUMENTS, OK, Plan

MAX_GRID = 8  # larger matrices are summarised; the JSON report has them all


class Reporter:
    def __init__(self) -> None:
        self.items: dict[str, dict[str, Any]] = {}
        self.matrices: list[dict[str, Any]] = []
        self.manifests_written: list[str] = []
        self.manifests_removed: list[str] = []
        self.unused_manifests: list[str] = []

    def record(self, report) -> None:
        props = report.user_properties
        info = next((json.loads(v) for k, v in props if k == "ckptguard"), None)  # JSON: junitxml shows it too
        if info is None:
            return
        entry = self.items.setdefault(report.nodeid, {"nodeid": report.nodeid, **info, "outcome": "passed",
                                                      "duration": 0.0})
        entry["duration"] += report.duration
        if report.when == "call" or not report.passed:
            if report.failed and entry["outcome"] != "failed":
                entry["outcome"] = "failed" if report.when == "call" else "error"
            elif report.skipped:
                entry["outcome"] = "skipped"
                if isinstance(report.longrepr, tuple):
                    entry["reason"] = str(report.longrepr[2]).removeprefix("Skipped: ")
        if report.when != "call":
            return
        for key, value in props:
            if key == "ckptguard_matrix":
                self.matrices.append(json.loads(value))
            elif key == "ckptguard_disagreement":
                entry["disagreement"] = value
            elif key == "ckptguard_build_seconds":
                entry["build_seconds"] = round(value, 6)
            elif key == "ckptguard_golden" and value == "written":
                self.manifests_written.append(report.nodeid)

    # -- terminal --------------------------------------------------------------------------
    def terminal_lines(self, plan: Plan | None, verbosity: int, strict: bool) -> list[str]:
        items = list(self.items.values())
        if not items and plan is None:
            return []
        lines: list[str] = []
        if plan is not None:
            classes = [c for f in plan.files for c in f.classes]
            status = Counter(c.status for c in classes)
            branches = sum(len(c.branches["branches"]) for c in classes if c.status == OK)
            lines.append(f"{len(classes)} model classes in {sum(1 for f in plan.files if f.classes)} files "
                         f"(static analysis {plan.seconds:.2f} s): {status[OK]} tested with {branches} branches, "
                         f"{status[NEEDS_ARGUMENTS] + status[ANALYZER_ERROR]} skipped"
                         + (f", {len(plan.excluded)} excluded by skip patterns" if plan.excluded else ""))
            truncated = [c.name for c in classes if c.status == OK and c.branches.get("truncated")]
            if truncated:
                lines.append("branch exploration stopped at its limit (fix parameters in [tool.ckptguard.configs] "
                             "to cover the rest): " + ", ".join(truncated))
        by_kind: dict[str, Counter] = {}
        for it in items:
            by_kind.setdefault(it["kind"], Counter())[it["outcome"]] += 1
        names = {"branch": "round trips", "cross": "cross-branch", "golden": "golden", "checkpoint":
                 "reference checkpoints", "class": "classes skipped"}
        parts = []
        for kind in ("branch", "cross", "golden", "checkpoint"):
            if kind in by_kind:
                c = by_kind[kind]
                parts.append(f"{names[kind]} " + ", ".join(f"{n} {o}" for o, n in sorted(c.items())))
        if parts:
            lines.append("; ".join(parts))
        skipped = [it for it in items if it["kind"] == "class" and it["outcome"] == "skipped"]
        if skipped:
            needs = sum(1 for it in skipped if " needs " in it.get("reason", ""))
            lines.append(f"skipped classes: {needs} need constructor arguments (see -rs for the config line), "
                         f"{len(skipped) - needs} cannot be analysed")
        disagreements = [it for it in items if it.get("disagreement")]
        if disagreements:
            lines.append(f"prediction disagreed with torch in {len(disagreements)} tests "
                         + ("(failures under --ckptguard-strict)" if strict else
                            "(reported as warnings; --ckptguard-strict makes them failures)"))
        if self.manifests_written:
            lines.append(f"golden manifests written: {len(self.manifests_written)}")
        if self.manifests_removed:
            lines.append("golden manifests removed (no class produces them): " + ", ".join(self.manifests_removed))
        if self.unused_manifests:
            lines.append("unused golden manifests (no class produces them; --ckptguard-update removes them): "
                         + ", ".join(self.unused_manifests))
        if self.matrices:
            pairs = sum(len(m["pairs"]) for m in self.matrices)
            incompatible = sum(1 for m in self.matrices for p in m["pairs"] if not p["compatible"])
            lines.append(f"compatibility matrices: {len(self.matrices)} classes, {pairs} branch pairs, "
                         f"{incompatible} do not load with strict=True")
            if verbosity > 0:
                for m in sorted(self.matrices, key=lambda m: (m["nodeid"], m["name"])):
                    lines += matrix_lines(m)
        return lines

    # -- JSON ------------------------------------------------------------------------------
    def document(self, plan: Plan | None, duration: float) -> dict[str, Any]:
        classes = []
        if plan is not None:
            for f in plan.files:
                for c in f.classes:
                    classes.append({"class": c.key, "path": f.nodeid, "line": c.line, "status": c.status,
                                    "reason": c.reason, "missing": c.missing, "config": c.config,
                                    "branches": [b["id"] for b in c.branches["branches"]] if c.branches else [],
                                    "truncated": bool(c.branches and c.branches.get("truncated")),
                                    "analysis_seconds": round(c.seconds, 4)})
        return {"duration": round(duration, 3),
                "analysis_seconds": round(plan.seconds, 3) if plan else None,
                "excluded": plan.excluded if plan else [],
                "classes": classes,
                "tests": sorted(self.items.values(), key=lambda it: it["nodeid"]),
                "matrices": self.matrices,
                "manifests_written": self.manifests_written,
                "manifests_removed": self.manifests_removed,
                "unused_manifests": self.unused_manifests}

    def write(self, path: Path, plan: Plan | None, duration: float) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.document(plan, duration), indent=1) + "\n", encoding="utf-8")


def cell(pair: dict[str, Any]) -> str:
    if pair["compatible"]:
        return "ok"
    parts = []
    for key, label in (("missing", "missing"), ("unexpected", "unexpected"), ("shape_mismatch", "size")):
        if pair[key]:
            parts.append(f"{pair[key]} {label}")
    return ", ".join(parts) or "error"


def matrix_lines(m: dict[str, Any]) -> list[str]:
    """A grid: rows are the branch a checkpoint was saved from, columns the branch it is loaded into."""
    ids = m["branches"]
    title = f"{m['nodeid']}::{m['name']} (row: saved as, column: loaded into)"
    if len(ids) > MAX_GRID:
        bad = sum(1 for p in m["pairs"] if not p["compatible"])
        return [title, f"  {len(ids)} branches, {len(m['pairs'])} pairs, {bad} incompatible (full matrix: "
                       "--ckptguard-report)"]
    cells = {(p["from"], p["to"]): cell(p) for p in m["pairs"]}
    width = [max([len(c)] + [len(cells.get((r, c), "ok")) for r in ids]) for c in ids]
    head = max(len(i) for i in ids)
    lines = [title, ("  " + " " * head + "  " + "  ".join(c.ljust(w) for c, w in zip(ids, width))).rstrip()]
    for r in ids:
        row = [("-" if r == c else cells.get((r, c), "?")).ljust(w) for c, w in zip(ids, width)]
        lines.append("  " + r.ljust(head) + "  " + "  ".join(row).rstrip())
    return lines
