"""A missing or broken native extension in someone else's environment: `python -m ckptguard` says
what and how to fix it in one line (exit 2), the pytest plugin disables itself (or skips value
verification) with one warning and never aborts the session, and `--version` reports the build.
The extensions are hidden or broken in a subprocess by an import hook; tests/packaging does the
same to a real pip-installed copy."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest

from ckg_testing import REPO, VENV_BIN

SAMPLE = REPO / "tests" / "sample_project"
CORE_MISSING = "the native extension ckptguard._core is missing or broken (not installed); reinstall ckptguard"


def hook(blocked: dict[str, str]) -> str:
    """Python source that makes importing each module name fail: "missing" as if the file were
    not there, any other text as a broken extension's ImportError."""
    return textwrap.dedent(f"""
        import importlib.abc, sys
        class _Block(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path, target=None):
                how = {blocked!r}.get(name)
                if how == "missing":
                    raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
                if how:
                    raise ImportError(how)
                return None
        sys.meta_path.insert(0, _Block())
    """)


def python(blocked: dict[str, str], code: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", hook(blocked) + textwrap.dedent(code)], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


def cli(blocked: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return python(blocked, f"import runpy; sys.argv = ['ckptguard', *{list(args)!r}]; "
                           "runpy.run_module('ckptguard', run_name='__main__')")


def pytest_in(project: Path, blocked: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return python(blocked, f"import pytest; sys.exit(pytest.main(['-q', '-p', 'no:cacheprovider', *{list(args)!r}]))",
                  cwd=project)


@pytest.fixture
def project(tmp_path) -> Path:
    """The sample project (configured for the plugin) with one ordinary test of its own."""
    shutil.copytree(SAMPLE, tmp_path, dirs_exist_ok=True)
    (tmp_path / "test_ordinary.py").write_text("def test_ordinary():\n    assert True\n")
    return tmp_path


def test_python_m_ckptguard_without_core_is_one_line_and_exit_2():
    done = cli({"ckptguard._core": "missing"}, "keys", "examples/flat.py::FlatNet")
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and done.stderr.startswith(f"ckptguard: {CORE_MISSING} (pip install")


def test_a_broken_core_names_the_loader_error():
    done = cli({"ckptguard._core": "/x/_core.so: undefined symbol: _ZN3ckg4cli3runE\nmore"}, "--version")
    assert done.returncode == 2
    assert done.stderr.startswith("ckptguard: the native extension ckptguard._core is missing or broken "
                                  "(/x/_core.so: undefined symbol: _ZN3ckg4cli3runE); reinstall ckptguard")
    assert done.stderr.count("\n") == 1


def test_import_ckptguard_needs_no_extension():
    done = python({"ckptguard._core": "missing", "ckptguard._checker": "missing"},
                  "import ckptguard; print(ckptguard.__version__)")
    assert done.returncode == 0, done.stderr
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    cmake = re.search(r"project\(ckptguard VERSION ([0-9.]+)", (REPO / "CMakeLists.txt").read_text()).group(1)
    assert done.stdout.strip() == pyproject == cmake


def test_the_plugin_disables_itself_with_one_warning_and_the_session_completes(project):
    done = pytest_in(project, {"ckptguard._core": "missing"})
    assert done.returncode == 0, done.stdout[-3000:]
    assert done.stdout.splitlines()[-1].startswith("1 passed, 1 warning")
    assert done.stdout.count(f"ckptguard plugin disabled: {CORE_MISSING}") == 1


def test_warnings_as_errors_do_not_abort_the_session_either(project):
    done = pytest_in(project, {"ckptguard._core": "missing"}, "-W", "error")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert done.stdout.splitlines()[-1].startswith("1 passed")
    assert done.stderr.count(f"warning: ckptguard plugin disabled: {CORE_MISSING}") == 1


def test_without_the_checker_values_go_unverified_with_one_warning(project):
    done = pytest_in(project, {"ckptguard._checker": "missing"})
    assert done.returncode == 0, done.stdout[-3000:]
    assert re.match(r"21 passed, 1 skipped, 1 warning", done.stdout.splitlines()[-1]), done.stdout[-2000:]
    assert done.stdout.count("ckptguard: values not verified bit for bit: the native extension "
                             "ckptguard._checker is missing or broken (not installed)") == 1


def test_checker_import_errors_are_one_line():
    done = python({"ckptguard._checker": "missing"}, "import ckptguard.checker")
    assert done.returncode == 1
    assert done.stderr.splitlines()[-1].startswith(
        "ckptguard.ExtensionError: the native extension ckptguard._checker is missing or broken (not installed); "
        "reinstall ckptguard")


def test_version_reports_tool_grammar_catalogue_and_checker():
    native = subprocess.run([str(VENV_BIN / "ckptguard"), "--version"], capture_output=True, text=True).stdout
    lines = native.splitlines()
    assert lines[0].startswith("ckptguard ") and lines[1] == "grammar: tree-sitter-python 0.23.6"
    assert lines[2] == "torch.nn catalogue: torch 1.13.1"
    assert re.fullmatch(r"checker: available \(built against libtorch 1\.13\.\d+\): .*/ckptguard/_checker\..*\.so", lines[3])
    through_python = cli({}, "--version")
    assert through_python.returncode == 0
    assert through_python.stdout.splitlines()[:3] == lines[:3]
    assert through_python.stdout.splitlines()[-1].startswith("checker import: ok (torch 1.13")
