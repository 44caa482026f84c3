"""The tests ckptguard generates for one model class:

- ``Net[<branch>]``: build the branch's witness for real, compare the live state_dict with the
  static prediction, save it, verify every tensor of the file bit-exactly with the native
  checker, load it strict into a fresh instance, verify the loaded values;
- ``Net[cross-branch]``: every pair of branches, the predicted load_state_dict outcome against
  torch's real one (the compatibility matrix goes into the report);
- ``Net[golden]``: the live state_dict of every branch against the committed manifest;
- ``Net[checkpoint:<path>]``: a reference checkpoint still loads into the current code (native,
  no unpickling);
- ``Net``: a class that cannot be tested, skipped with the reason.

torch is imported only inside runtest, never while collecting.
"""

from __future__ import annotations

import ast
import json
import os
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import pytest
from _pytest._code.code import ReprFileLocation, TerminalRepr

from ckptguard import discover, golden
from ckptguard.config import TABLE
from ckptguard.errors import CheckFailure, PluginWarning, PredictionWarning
from ckptguard.plan import ANALYZER_ERROR, NEEDS_ARGUMENTS, ClassPlan

CROSS, GOLDEN = "cross-branch", "golden"
_checker_warned = False  # the checker cannot run here: said once per session


def _skip_at_class(reason: str):
    """Skip, reported at the item's location (the class line) rather than at this file."""
    raise pytest.skip.Exception(reason, _use_item_location=True)


class FailureRepr(TerminalRepr):
    """A finding as pytest shows it: `path:line: what` and indented details, no traceback;
    `reprcrash` gives the one-line message to the short summary and junitxml."""

    def __init__(self, failure: CheckFailure, fallback_location: str):
        self.failure = failure
        path, _, line = (failure.location or fallback_location).rpartition(":")
        if not line.isdigit():
            path, line = fallback_location.rpartition(":")[0], fallback_location.rpartition(":")[2]
        self.reprcrash = ReprFileLocation(path, int(line), failure.headline)

    def toterminal(self, tw) -> None:
        f = self.failure
        if f.location:
            tw.write(f.location, bold=True, red=True)
            tw.line(f": {f.headline}")
        else:
            tw.line(f.headline, bold=True, red=True)
        for line in f.details:
            body = line.lstrip()
            tw.line(f"  {line}", red=body.startswith("- "), green=body.startswith("+ "))


class CkptguardItem(pytest.Item):
    kind = ""

    def __init__(self, *, cls_plan: ClassPlan, context, branch: dict | None = None, ref: list | None = None, **kw):
        super().__init__(**kw)
        self.cls_plan = cls_plan
        self.context = context
        self.branch = branch
        self.ref = ref
        self.add_marker("ckptguard")
        self.build_seconds = 0.0  # time spent in the model's own constructor
        info = {"class": cls_plan.key, "kind": self.kind, "path": cls_plan.nodeid, "line": cls_plan.line}
        if branch is not None:
            info["branch"] = branch["id"]
        if ref is not None:
            info["checkpoint"] = ref[0]
        self.user_properties.append(("ckptguard", json.dumps(info)))

    # -- reporting ---------------------------------------------------------------------------
    def reportinfo(self):
        return Path(self.cls_plan.path), self.cls_plan.line - 1, self.name

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, CheckFailure):
            return FailureRepr(excinfo.value, self.class_location)
        return super().repr_failure(excinfo, style=style)

    def runtest(self):
        try:
            self.check()
        finally:
            self.user_properties.append(("ckptguard_build_seconds", round(self.build_seconds, 6)))

    def check(self) -> None:
        raise NotImplementedError

    @property
    def class_location(self) -> str:
        return f"{self.cls_plan.nodeid}:{self.cls_plan.line}"

    def locate(self, key: str) -> str | None:
        """path:line of the statement that creates the key's top-level attribute."""
        line = discover.attribute_line(Path(self.cls_plan.path), self.cls_plan.name, key.split(".")[0])
        return f"{self.cls_plan.nodeid}:{line}" if line else None

    def label(self, branch_id: str) -> str:
        return f"{self.cls_plan.name}[{branch_id}]"

    # -- shared steps ------------------------------------------------------------------------
    def model_class(self):
        from ckptguard import live

        return live.import_class(self.cls_plan.module, self.cls_plan.import_root, self.cls_plan.name)

    def shown(self, path: str) -> str:
        """A path as reports show it: relative to the rootdir, else to the model's import root."""
        for base in (self.context.settings.rootdir, Path(self.cls_plan.import_root)):
            try:
                return Path(path).relative_to(base).as_posix()
            except ValueError:
                continue
        return path

    def build(self, branch: dict, seed: int = 0):
        """The branch's model; a constructor that raises is a failure at the raising line."""
        from ckptguard import live

        cls = self.model_class()
        start = time.perf_counter()
        try:
            return live.build(cls, {**self.cls_plan.config, **branch["witness"]}, seed=seed,
                              project_root=self.cls_plan.import_root)
        except live.BuildError as e:
            location = f"{self.shown(e.site[0])}:{e.site[1]}" if e.site else self.class_location
            raise CheckFailure(location, e.message, site=e.site) from None
        finally:
            self.build_seconds += time.perf_counter() - start

    def build_branch(self, branch: dict, seed: int = 0, *, quiet: bool = False):
        """The branch's model; None when a non-default witness does not build (the analyzer took
        a dead path for a live one): a disagreement, reported once by the branch's own test."""
        try:
            return self.build(branch, seed)
        except CheckFailure as failure:
            if not branch["witness"] or self.context.settings.strict:
                raise
            if not quiet:
                self.disagreement(f"the witness of {self.label(branch['id'])} does not build", [failure.headline],
                                  failure.site)
            return None

    def disagreement(self, headline: str, details: list[str], site: tuple[str, int] | None = None) -> None:
        """A prediction that disagrees with torch: a warning attributed to the source line the
        analyzer could not follow (pytest shows that line), or a failure under strict."""
        file, line = site or (self.cls_plan.path, self.cls_plan.line)
        if self.context.settings.strict:
            raise CheckFailure(f"{self.shown(file)}:{line}", headline, details)
        self.user_properties.append(("ckptguard_disagreement", headline))
        warnings.warn_explicit(PredictionWarning("\n".join([headline, *(f"  {d}" for d in details)])),
                               PredictionWarning, file, line, module=self.cls_plan.module)


class ClassItem(CkptguardItem):
    """A class without tests: skipped with the reason (failed for analyzer errors under strict)."""

    kind = "class"

    def check(self):
        if self.cls_plan.status == ANALYZER_ERROR and self.context.settings.strict:
            raise CheckFailure(self.class_location, self.cls_plan.reason)
        _skip_at_class(self.cls_plan.reason)


def _prediction_problems(predicted: list[dict], live: list[list]) -> list[str]:
    pred = {k["name"]: k for k in predicted}
    got = {k[0]: k for k in live}
    lines = [f"not predicted: {k[0]}  {golden.fmt_key(k)}" for k in live if k[0] not in pred]
    lines += [f"predicted but absent: {k['name']}" for k in predicted if k["name"] not in got]
    for name, k in got.items():
        p = pred.get(name)
        if p is None:
            continue
        if p["kind"] != k[1]:
            lines.append(f"{name}: predicted {p['kind']}, is a {k[1]}")
        if p["shape"] is not None and p["shape"] != k[2]:
            lines.append(f"{name}: predicted shape {p['shape']}, is {k[2]}")
        if p["dtype"] is not None and p["dtype"] != k[3]:
            lines.append(f"{name}: predicted dtype {p['dtype']}, is {k[3]}")
    order_pred = [k["name"] for k in predicted if k["name"] in got]
    order_live = [k[0] for k in live if k[0] in pred]
    if order_pred != order_live:
        i = next(i for i, (a, b) in enumerate(zip(order_pred, order_live)) if a != b)
        lines.append(f"order: key {i} predicted {order_pred[i]!r}, is {order_live[i]!r}")
    if len(lines) > 20:
        lines = lines[:20] + [f"... and {len(lines) - 20} more"]
    return lines


def _verify_lines(report: dict[str, Any], limit: int = 8) -> list[str]:
    bad = [k for k in report["keys"] if k["status"] != "equal"]
    lines = [f"{k['name']}: {k['status'].replace('_', ' ')}" + (f" ({k['detail']})" if k.get("detail") else "")
             for k in bad[:limit]]
    if len(bad) > limit:
        lines.append(f"... and {len(bad) - limit} more")
    return lines


class BranchItem(CkptguardItem):
    """The round trip of one branch."""

    kind = "branch"

    def check(self):
        from ckptguard import live

        cp, branch = self.cls_plan, self.branch
        call = live.call_text(cp.name, {**cp.config, **branch["witness"]})
        model = self.build_branch(branch)
        if model is None:
            _skip_at_class(f"the analyzer's witness for {self.label(branch['id'])} does not build (see warnings)")
        got = live.keys(model)
        self.context.remember(cp.key, branch["id"], got)
        problems = _prediction_problems(branch["keys"], got)
        if problems:
            unresolved = [f"the analyzer could not follow {self._where(u)}: {u['reason']}" for u in branch["unresolved"]]
            self.disagreement(f"ckptguard's prediction for {self.label(branch['id'])} disagrees with the live model",
                              problems + unresolved, self._first_site(branch))
        elif not branch.get("complete", True):
            # Right this time, but not promised: the same model after an edit could be wrong silently.
            unresolved = [f"the analyzer could not follow {self._where(u)}: {u['reason']}" for u in branch["unresolved"]]
            self.disagreement(f"ckptguard's prediction for {self.label(branch['id'])} is incomplete",
                              unresolved or ["a key's shape or dtype is unknown"], self._first_site(branch))
        with tempfile.TemporaryDirectory(prefix="ckptguard-") as tmp:
            path = Path(tmp) / f"{cp.name}.pt"
            live.save(model, path)
            if got:  # an empty state_dict has no tensor to verify
                report = self._verify(path, model, call)
                if report is not None and not report["equal"]:
                    raise CheckFailure(self.class_location, f"the checkpoint torch.save wrote for {call} differs from "
                                       "the live model", _verify_lines(report))
            fresh = self.build(branch, seed=1)
            error = live.load_strict(fresh, path)
            if error is not None:
                raise CheckFailure(self.class_location, f"a fresh {call} does not load its own checkpoint "
                                   "(strict=True)", error.splitlines())
            if got:
                report = self._verify(path, fresh, call)
                if report is not None and not report["equal"]:
                    raise CheckFailure(self.class_location, f"after load_state_dict, a fresh {call} holds other "
                                       "values than the checkpoint", _verify_lines(report))

    def _verify(self, path: Path, model, call: str) -> dict[str, Any] | None:
        """The bit-exact verification report, or None (with one warning per session) when the
        libtorch checker cannot run here."""
        from ckptguard import ExtensionError, live

        try:
            return live.verify(path, model)
        except ExtensionError as e:
            global _checker_warned
            if not _checker_warned:
                _checker_warned = True
                warnings.warn(PluginWarning(f"ckptguard: values not verified bit for bit: {e}"), stacklevel=1)
            return None
        except ValueError as e:
            raise CheckFailure(self.class_location, f"the native checker cannot read the checkpoint torch.save "
                               f"wrote for {call}", [str(e)]) from None

    def _where(self, u: dict) -> str:
        file = self.shown(u.get("file", ""))
        return f"{file}:{u['line']}" if u.get("line") else file

    def _first_site(self, branch: dict) -> tuple[str, int] | None:
        """The first unresolved construct inside the project (the catalogue's are torch's)."""
        for u in branch["unresolved"]:
            if u.get("line") and Path(u.get("file", "")).is_file():
                return u["file"], u["line"]
        return None


class CrossBranchItem(CkptguardItem):
    """Every ordered pair of branches: does torch agree with the predicted matrix?"""

    kind = "cross"

    def check(self):
        from ckptguard import live

        doc = self.cls_plan.branches
        models = {b["id"]: self.build_branch(b, quiet=True) for b in doc["branches"]}
        unbuildable = [bid for bid, m in models.items() if m is None]
        states = {bid: m.state_dict() for bid, m in models.items() if m is not None}
        rows, wrong = [], []
        for entry in doc["matrix"]:
            if entry["from"] in unbuildable or entry["to"] in unbuildable:
                continue
            actual = live.load_state(models[entry["to"]], states[entry["from"]])
            expected = entry["pytorch_error"]
            if actual != expected:
                wrong.append((entry, actual))
            rows.append({"from": entry["from"], "to": entry["to"], "compatible": actual is None,
                         "missing": len(entry["missing"]), "unexpected": len(entry["unexpected"]),
                         "shape_mismatch": len(entry["shape_mismatch"])})
        matrix = {"class": self.cls_plan.key, "nodeid": self.cls_plan.nodeid, "name": self.cls_plan.name,
                  "branches": [b["id"] for b in doc["branches"] if b["id"] not in unbuildable],
                  "unbuildable": unbuildable, "pairs": rows, "disagreements": len(wrong)}
        self.user_properties.append(("ckptguard_matrix", json.dumps(matrix)))
        if wrong:
            details = []
            for entry, actual in wrong[:6]:
                details.append(f"{entry['from']} -> {entry['to']}:")
                details.append(f"  predicted: {_first_line(entry['pytorch_error'])}")
                details.append(f"  torch:     {_first_line(actual)}")
            if len(wrong) > 6:
                details.append(f"... and {len(wrong) - 6} more pairs")
            self.disagreement(f"ckptguard's compatibility matrix disagrees with torch for {len(wrong)} of "
                              f"{len(doc['matrix'])} pairs of {self.cls_plan.name} branches", details)


def _first_line(error: str | None) -> str:
    if error is None:
        return "loads"
    lines = [line.strip() for line in error.splitlines()[1:] if line.strip()]
    return "; ".join(lines) if lines else error


class GoldenItem(CkptguardItem):
    """The live state_dict of every branch against the committed golden manifest."""

    kind = "golden"

    def manifest(self) -> tuple[Path, str]:
        path = self.context.settings.manifests / self.cls_plan.manifest_name
        return path, Path(os.path.relpath(path, self.context.settings.rootdir)).as_posix()

    def check(self):
        from ckptguard import live

        cp = self.cls_plan
        current: golden.Branches = {}
        for b in cp.branches["branches"]:
            keys = self.context.recall(cp.key, b["id"])
            if keys is None:
                model = self.build_branch(b, quiet=True)
                if model is None:  # reported by the branch's own test
                    continue
                keys = live.keys(model)
            current[b["id"]] = {"witness": b["witness"], "keys": keys}
        path, shown = self.manifest()
        self.user_properties.append(("ckptguard_manifest", str(path)))
        if self.context.settings.update:
            written = golden.write(path, cp.key, current)
            self.user_properties.append(("ckptguard_golden", "written" if written else "unchanged"))
            return
        if not path.is_file():
            raise CheckFailure(self.class_location, f"no golden manifest for {cp.name}: {shown}",
                               ["record it with: pytest --ckptguard-update  (then review and commit the file)"])
        try:
            old = golden.read(path)
        except (OSError, ValueError, KeyError) as e:
            raise CheckFailure(shown, f"unreadable golden manifest: {e}") from None
        if {b: v["keys"] for b, v in old.items()} == {b: v["keys"] for b, v in current.items()}:
            return  # witnesses are informational: the analyzer may pick another value for a branch
        if set(old) == set(current) and all(old[b]["keys"] == current[b]["keys"] or self._migrated(old[b]["keys"], current[b])
                                            for b in current):
            # The model's own migration (a load hook, a _load_from_state_dict override) makes
            # checkpoints with the golden keys load: the change is compatible.
            self.user_properties.append(("ckptguard_golden", "migrated"))
            return
        self.fail_with_diff(old, current, shown)

    def _migrated(self, old_keys: list, branch: dict) -> bool:
        """Whether checkpoints with `old_keys` load into the branch, the model's load hooks and
        overrides interpreted by ckptguard (only a model with such code can migrate keys)."""
        import ckptguard

        config = {**self.cls_plan.config, **branch["witness"]}
        try:
            result = ckptguard.simulate_load([tuple(k) for k in old_keys], self.cls_plan.target, config)
        except ValueError:
            return False
        return result["compatible"] and bool(result["load_customizations"])

    def fail_with_diff(self, old: golden.Branches, current: golden.Branches, shown: str) -> None:
        details: list[str] = []
        location = None
        seen: dict[str, str] = {}
        changed = 0
        for bid, branch in current.items():
            if bid not in old:
                continue
            if old[bid]["keys"] == branch["keys"]:
                continue
            changed += 1
            d = golden.key_diff(old[bid]["keys"], branch["keys"])
            lines = golden.diff_lines(d, self.locate)
            signature = "\n".join(lines)
            if location is None:
                first = (d["added"] or [n for _, n in d["changed"]] or [None])[0]
                location = self.locate(first[0]) if first else None
            if signature in seen:
                details.append(f"{self.label(bid)}: the same change as {self.label(seen[signature])}")
                continue
            seen[signature] = bid
            details.append(f"{self.label(bid)}:")
            details += [f"  {line}" for line in lines]
            details += [f"  {line}" for line in self._load_consequence(old[bid]["keys"], branch)]
        gone = [bid for bid in old if bid not in current]
        new = [bid for bid in current if bid not in old]
        if gone:
            details.append("branches in the manifest that the code no longer builds: " + ", ".join(gone))
        if new:
            details.append("branches the code builds that the manifest lacks: " + ", ".join(new))
        details.append("if the change is intended, accept it: pytest --ckptguard-update (then review and commit "
                       f"{shown})")
        what = []
        if changed:
            what.append(f"{changed} branch{'es' if changed > 1 else ''} changed")
        if gone or new:
            what.append("the set of branches changed")
        raise CheckFailure(location or self.class_location,
                           f"state_dict of {self.cls_plan.name} differs from its golden manifest ({', '.join(what)})",
                           [f"manifest: {shown}", *details])

    def _load_consequence(self, old_keys: list, branch: dict) -> list[str]:
        """What happens to a checkpoint saved by the old code, and the remap that fixes it."""
        import ckptguard

        check = ckptguard.check_keys(old_keys, self.build(branch))
        if check["compatible"]:
            extra = " (torch casts the changed dtypes silently)" if check["dtype_mismatch"] else ""
            return [f"checkpoints saved before this change still load with strict=True{extra}"]
        lines = ["checkpoints saved before this change no longer load:"]
        lines += [f"  {line.strip()}" for line in (check["pytorch_error"] or "").splitlines()[1:] if line.strip()]
        if check.get("remap"):
            after = check.get("after_remap") or {}
            lines.append("suggested remap" + (" (makes them load):" if after.get("compatible") else
                                              " (not enough on its own):"))
            lines += [f"  {line}" for line in (check.get("remap_python") or "").rstrip().splitlines()]
        else:
            lines.append("no key remap makes them load (shapes or the set of tensors changed)")
        return lines


def _toml_value(source: str) -> str:
    try:
        value = ast.literal_eval(source)
    except (ValueError, SyntaxError):
        return f'{{ python = "{source}" }}'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, (int, float)):
        return repr(value)
    return f'{{ python = "{source}" }}'


def _config_toml(matching: str) -> str:
    """`--config a=1 --config b=True` as a TOML inline table."""
    parts = []
    for chunk in matching.split("--config")[1:]:
        key, _, value = chunk.strip().partition("=")
        parts.append(f"{key} = {_toml_value(value)}")
    return "{ " + ", ".join(parts) + " }" if parts else "{}"


class CheckpointItem(CkptguardItem):
    """A reference checkpoint must load into the current code (read natively, never unpickled)."""

    kind = "checkpoint"

    def check(self):
        import ckptguard

        cp = self.cls_plan
        rel, ref_config = self.ref
        path = (self.context.settings.rootdir / rel).resolve()
        config = {**cp.config, **ref_config}
        call = f"{cp.name}({', '.join(f'{k}={v}' for k, v in config.items())})"
        if not path.is_file():
            raise CheckFailure(self.class_location, f"reference checkpoint {rel} does not exist",
                               [f"listed in [{TABLE}.checkpoints] \"{cp.key}\""])
        try:
            check = ckptguard.check(str(path), cp.target, config)
        except ValueError as e:
            raise CheckFailure(rel, f"cannot check the reference checkpoint: {e}") from None
        if check["compatible"]:
            return
        details = [line.strip() for line in (check["pytorch_error"] or "").splitlines()[1:] if line.strip()]
        for s in check.get("suggestions", []):
            details.append(f"suggestion: {s['message']}")
        if check.get("remap_python"):
            after = check.get("after_remap") or {}
            details.append("remap" + (" (makes it load):" if after.get("compatible") else ":"))
            details += [f"  {line}" for line in check["remap_python"].rstrip().splitlines()]
        for m in check.get("matching_configs", []):
            details.append(f"it loads into {cp.name} built with {m.replace('--config ', '') or 'the default arguments'}: "
                           f"list it as {{ path = \"{rel}\", config = {_config_toml(m)} }}")
        location = None
        for name in check["missing"] + [s["name"] for s in check["shape_mismatch"]]:
            location = self.locate(name)
            if location:
                break
        raise CheckFailure(location or self.class_location, f"reference checkpoint {rel} no longer loads into {call}",
                           details)


def items_for(parent, cls_plan: ClassPlan, context) -> list[CkptguardItem]:
    """The items of one class, in a fixed order (xdist needs identical collection everywhere)."""
    name = cls_plan.name
    if cls_plan.status in (NEEDS_ARGUMENTS, ANALYZER_ERROR):
        return [ClassItem.from_parent(parent, name=name, cls_plan=cls_plan, context=context)]
    doc = cls_plan.branches
    out: list[CkptguardItem] = [BranchItem.from_parent(parent, name=f"{name}[{b['id']}]", cls_plan=cls_plan,
                                                        context=context, branch=b) for b in doc["branches"]]
    if len(doc["branches"]) > 1:
        out.append(CrossBranchItem.from_parent(parent, name=f"{name}[{CROSS}]", cls_plan=cls_plan, context=context))
    if context.settings.golden:
        out.append(GoldenItem.from_parent(parent, name=f"{name}[{GOLDEN}]", cls_plan=cls_plan, context=context))
    for ref in cls_plan.checkpoints:
        out.append(CheckpointItem.from_parent(parent, name=f"{name}[checkpoint:{ref[0]}]", cls_plan=cls_plan,
                                              context=context, ref=ref))
    return out
