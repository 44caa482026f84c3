"""Does a file compile? ckptguard's verdict (CKG001, which `diff` and the pre-commit hook use to
refuse a changed file) against CPython's own `compile()`: the exception class and the line, on a
corpus of broken and valid files and on random mutations of real torchvision model files."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from ckg_testing import REPO, run_console

CORPUS = REPO / "tests" / "corpus" / "compile"
TORCHVISION = Path("/usr/lib/python3/dist-packages/torchvision/models")
# Valid Python that the tree-sitter grammar misreads; reported with data.grammar_only, which
# `diff` confirms with CPython before refusing the file.
GRAMMAR_GAPS = {"valid_star_expr.py"}


def cpython_verdict(path: Path) -> tuple[str, int | None] | None:
    try:
        compile(path.read_bytes(), str(path), "exec")
    except SyntaxError as e:  # IndentationError and TabError included
        return type(e).__name__, e.lineno
    except ValueError:  # null bytes, on Python 3.11
        return "ValueError", None
    return None


def ckptguard_verdicts(paths: list[Path]) -> dict[str, dict]:
    """CKG001/CKG002 findings by file, for many files in one run."""
    result = run_console("lint", "--select", "CKG001,CKG002", "--format", "json", *map(str, paths))
    assert result.returncode in (0, 1), result.stderr
    return {str(Path(d["file"]).resolve()): d for d in json.loads(result.stdout)["diagnostics"]}


def agrees(expected, finding: dict | None) -> bool:
    if expected is None or finding is None:
        return expected is None and finding is None
    kind, line = expected
    if kind == "ValueError":  # CPython 3.11 names no line; ckptguard refuses the file as unreadable
        return finding["code"] == "CKG002"
    # CPython gives line 0 for an unknown codec; ckptguard points at the coding declaration.
    return finding["message"].split(":", 1)[0] == kind and (finding["line"] == line or line == 0)


def corpus_files() -> list[Path]:
    return sorted(CORPUS.glob("*/*.py"))


def test_corpus_has_every_kind_of_broken_file():
    names = [p.name for p in (CORPUS / "broken").glob("*.py")]
    for kind in ("syntax_", "indent_", "tabs_", "encoding_", "truncated_", "model_"):
        assert sum(n.startswith(kind) for n in names) >= 2, kind
    assert len(names) >= 20


def test_every_corpus_file_gets_cpythons_verdict_and_line():
    files = corpus_files()
    found = ckptguard_verdicts(files)
    wrong = []
    for path in files:
        expected, finding = cpython_verdict(path), found.get(str(path.resolve()))
        if path.name in GRAMMAR_GAPS:
            assert expected is None and finding["data"].get("grammar_only"), path.name
            continue
        if not agrees(expected, finding):
            wrong.append(f"{path.parent.name}/{path.name}: CPython {expected}, ckptguard "
                         f"{finding and (finding['line'], finding['message'])}")
    assert not wrong, "\n".join(wrong)
    # The corpus is broken where it says so, and only there.
    for path in files:
        assert (cpython_verdict(path) is None) == (path.parent.name == "valid"), path


def mutate(source: str, rng: random.Random) -> str | None:
    """One typing accident in a real file: a lost colon, comma, bracket or quote, a wrong indent,
    a tab, a keyword where a name was, or a file cut short."""
    lines = source.split("\n")
    i = rng.randrange(len(lines))
    line = lines[i]
    if not line.strip():
        return None
    kind = rng.choice(["colon", "comma", "paren", "dedent", "indent", "tab", "quote", "keyword", "truncate"])
    if kind == "colon" and line.rstrip().endswith(":"):
        lines[i] = line.rstrip()[:-1]
    elif kind in ("comma", "paren", "quote") and {"comma": ",", "paren": ")", "quote": '"'}[kind] in line:
        char = {"comma": ",", "paren": ")", "quote": '"'}[kind]
        k = rng.choice([j for j, c in enumerate(line) if c == char])
        lines[i] = line[:k] + line[k + 1:]
    elif kind == "dedent" and line.startswith("    "):
        lines[i] = line[2:]
    elif kind == "indent":
        lines[i] = "  " + line
    elif kind == "tab" and line.startswith("    "):
        lines[i] = "\t" + line[4:]
    elif kind == "keyword" and "self." in line:
        lines[i] = line.replace("self.", "class.", 1)
    elif kind == "truncate":
        lines = lines[:i] + [line[: len(line) // 2]]
    else:
        return None
    return "\n".join(lines)


@pytest.mark.skipif(not TORCHVISION.is_dir(), reason="needs Debian's python3-torchvision sources")
def test_random_mutations_of_torchvision_models(tmp_path: Path):
    rng = random.Random(20261207)
    sources = sorted(TORCHVISION.rglob("*.py"))
    paths = []
    while len(paths) < 200:
        mutated = mutate(rng.choice(sources).read_text(), rng)
        if mutated is not None:
            path = tmp_path / f"m{len(paths):03d}.py"
            path.write_text(mutated)
            paths.append(path)
    found = ckptguard_verdicts(paths)
    exact = grammar_only_misses = 0
    for path in paths:
        expected, finding = cpython_verdict(path), found.get(str(path.resolve()))
        # The verdict (compiles or not) is always right.
        assert (expected is None) == (finding is None), (path.name, expected, finding)
        if agrees(expected, finding):
            exact += 1
        else:
            # A wrong line only where tree-sitter's error recovery placed the error (diff then
            # asks CPython for its line).
            assert finding["data"].get("grammar_only"), (path.read_text(), expected, finding)
            grammar_only_misses += 1
    assert exact >= 0.95 * len(paths), (exact, grammar_only_misses)
