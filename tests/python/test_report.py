"""`ckptguard report`: one run gives a reviewer lint findings, checkpoint-breaking model edits
with their remaps, and each changed model's branches and compatibility matrix — as Markdown for
a pull request, a self-contained HTML page (checked in headless Chromium), SARIF, and more."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from ckg_testing import REPO, VENV_BIN
from test_lint import sarif_tools  # noqa: F401  (fixture: the official SARIF schema, fetched once)

TRAIN = """import torch
from pkg.model import ConditionalModel

def resume(path):
    model = ConditionalModel()
    model.load_state_dict(torch.load(path), strict=False)
    return model
"""
ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t", "PATH": "/usr/bin:/bin"}


@pytest.fixture
def change(tmp_path: Path) -> Path:
    """A repository whose last change renames a layer and touches a training script."""
    repo = tmp_path / "repo"
    (repo / "pkg").mkdir(parents=True)
    (repo / "pkg" / "__init__.py").write_text("")
    shutil.copyfile(REPO / "examples" / "seed_conditional.py", repo / "pkg" / "model.py")
    (repo / "pkg" / "train.py").write_text(TRAIN)
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "base"]):
        subprocess.run(["git", "-C", str(repo), *args], check=True, env=ENV)
    model = repo / "pkg" / "model.py"
    model.write_text(model.read_text().replace("self.linear1", "self.encoder"))
    (repo / "pkg" / "train.py").write_text(TRAIN + "# touched\n")
    return repo


def report(repo: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(VENV_BIN / "ckptguard"), "report", "--base", "HEAD", *args], cwd=repo, capture_output=True, text=True)


def test_markdown_report_has_findings_branches_matrix_and_remap(change: Path):
    result = report(change, "--format", "markdown")
    assert result.returncode == 1, result.stderr  # a breaking edit is an error
    md = result.stdout
    for expected in ("`CKG101`", "`CKG401`", "`CKG301`", "### `pkg/model.py::ConditionalModel`", "| `use_extra_layer=True` |",
                     "❌ fails", 'Missing key(s) in state_dict: "linear3.weight", "linear3.bias".', "| `linear1.weight` | `encoder.weight` |"):
        assert expected in md, expected


def chromium(*args: str) -> subprocess.CompletedProcess:
    exe = shutil.which("chromium")
    if exe is None:
        pytest.skip("chromium is installed by scripts/bootstrap.sh")
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--enable-logging=stderr", "--v=0"]
    return subprocess.run([exe, *flags, *args], capture_output=True, text=True, timeout=120)


def test_html_report_renders_in_chromium_without_console_errors(change: Path, tmp_path: Path):
    page = tmp_path / "review.html"
    result = report(change, "--format", "html", "-o", str(page))
    assert result.returncode == 1 and page.exists()
    html = page.read_text()
    assert "http://" not in html and "https://" not in html and "<script" not in html  # self-contained
    assert html.count('class="fail"') == 2 and 'title="Error(s) in loading state_dict for ConditionalModel:' in html
    shot = tmp_path / "review.png"
    run = chromium(f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}", "--window-size=1200,2400", page.as_uri())
    assert shot.exists() and shot.stat().st_size > 10_000, run.stderr
    console = [line for line in run.stderr.splitlines() if "CONSOLE" in line]
    assert console == []
    dom = chromium(f"--user-data-dir={tmp_path / 'profile2'}", "--dump-dom", page.as_uri()).stdout
    assert "Which checkpoint loads into which model" in dom and "encoder.weight" in dom


def test_markdown_renders_to_html(change: Path, tmp_path: Path):
    markdown = pytest.importorskip("markdown")
    md = report(change, "--format", "markdown").stdout
    html = markdown.markdown(md, extensions=["tables", "fenced_code"])
    assert "<table>" in html and "<details>" in html and "CKG101" in html


def test_sarif_report_passes_the_official_schema(change: Path, tmp_path: Path, sarif_tools):
    import jsonschema

    out = tmp_path / "review.sarif"
    assert report(change, "--format", "sarif", "-o", str(out)).returncode == 1
    doc = json.loads(out.read_text())
    schema = json.loads((sarif_tools / "sarif-2.1.0.json").read_text())
    jsonschema.validators.validator_for(schema)(schema).validate(doc)
    rule_ids = {r["id"] for r in doc["runs"][0]["tool"]["driver"]["rules"]}
    assert {"CKG101", "CKG301", "CKG401"} <= rule_ids
    results = doc["runs"][0]["results"]
    assert all(r["partialFingerprints"]["primaryLocationLineHash"] for r in results)


def test_github_and_text_formats(change: Path):
    github = report(change, "--format", "github").stdout
    assert "::error file=pkg/model.py,line=11" in github
    text = report(change).stdout
    assert "error[CKG101]" in text and "warning[CKG401]" in text


def test_report_bad_input(tmp_path: Path):
    r = subprocess.run([str(VENV_BIN / "ckptguard"), "report", "--format", "pdf"], cwd=tmp_path, capture_output=True, text=True)
    assert r.returncode == 2 and r.stderr.count("\n") == 1
    r = subprocess.run([str(VENV_BIN / "ckptguard"), "report", "--base", "HEAD"], cwd=tmp_path, capture_output=True, text=True)
    assert r.returncode == 2 and "not inside a git repository" in r.stderr


TORCHAUDIO_MODELS = Path("/usr/lib/python3/dist-packages/torchaudio/models")


@pytest.mark.skipif(not (TORCHAUDIO_MODELS / "conv_tasnet.py").is_file(), reason="needs Debian's python3-torchaudio")
def test_review_of_a_one_line_edit_to_convtasnet_fits_a_github_comment(tmp_path: Path):
    shutil.copy(TORCHAUDIO_MODELS / "conv_tasnet.py", tmp_path / "conv_tasnet.py")
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t",
           "HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    for args in (["init", "-q"], ["add", "."], ["commit", "-qm", "v1"]):
        subprocess.run(["git", *args], cwd=tmp_path, check=True, env=env)
    model = tmp_path / "conv_tasnet.py"
    text = model.read_text()
    old = "self.input_norm = torch.nn.GroupNorm(num_groups=1, num_channels=input_dim, eps=1e-8)"
    assert text.count(old) == 1
    model.write_text(text.replace(old, old[:-1] + ", affine=False)"))  # drops input_norm's weight and bias
    run = lambda fmt: subprocess.run([str(VENV_BIN / "ckptguard"), "report", "--base", "HEAD", "--format", fmt],
                                     cwd=tmp_path, capture_output=True, text=True, timeout=300)
    markdown = run("markdown")
    assert markdown.returncode == 1, markdown.stderr
    assert len(markdown.stdout) < 65_536, len(markdown.stdout)
    doc = json.loads(run("json").stdout)
    [finding] = [d["data"] for d in doc["diagnostics"] if d["code"] == "CKG104"]
    # One finding for the edit; every branch it breaks listed under its model, never as a model of its own.
    assert all("[" not in model for model in finding["models"]), finding["models"]
    assert "default" in finding["models"]["conv_tasnet.py::ConvTasNet"]
