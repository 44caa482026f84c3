"""ckptguard installs like any Python tool. `pip wheel` of a clean checkout (a `git clone` of this
repository's HEAD) builds everything, out of the source tree, into one wheel tagged for this
interpreter. Installed into a new venv (not the development one), the command is the stripped
native binary, `ldd` finds only the C/C++ runtime in it and in `_core`, `import ckptguard` loads
no torch, and the pytest plugin and the checker work. A broken install says so in one line.

One Release build (several minutes): scripts/test.sh runs this after the main suites, with -s so
that the measured figures are printed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import time
import tomllib
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "tests" / "sample_project"
RUNTIME = {"linux-vdso.so.1", "libc.so.6", "libm.so.6", "libstdc++.so.6", "libgcc_s.so.1", "ld-linux-x86-64.so.2"}
CORE_MISSING = "the native extension ckptguard._core is missing or broken (not installed); reinstall ckptguard"
VERSION = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]


def env() -> dict[str, str]:
    """The caller's environment without anything pointing into the development set-up."""
    clean = {k: v for k, v in os.environ.items()
             if k not in {"PYTHONPATH", "VIRTUAL_ENV", "PYTEST_ADDOPTS", "PYTEST_PLUGINS"}}
    clean["PATH"] = os.pathsep.join(p for p in clean.get("PATH", "").split(os.pathsep) if ".venv" not in p)
    return clean


def run(*args, cwd=None, check=True) -> subprocess.CompletedProcess:
    done = subprocess.run([str(a) for a in args], cwd=cwd, env=env(), capture_output=True, text=True)
    if check and done.returncode != 0:
        pytest.fail(f"{' '.join(map(str, args))} exited {done.returncode}:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}")
    return done


def make_venv(path: Path) -> Path:
    run("/usr/bin/python3", "-m", "venv", "--system-site-packages", path)
    return path / "bin"


def ldd(path: Path) -> set[str]:
    return {line.split()[0].rsplit("/", 1)[-1] for line in run("ldd", path).stdout.splitlines() if line.strip()}


def expected_tag() -> str:
    python = f"cp{sys.version_info.major}{sys.version_info.minor}"
    return f"{python}-{python}-{re.sub(r'[-.]', '_', sysconfig.get_platform())}"


class Built:
    """The wheel, where it was built from, and the figures measured along the way."""

    def __init__(self, root: Path):
        self.root = root
        self.checkout = root / "checkout"
        run("git", "clone", "--quiet", REPO, self.checkout)
        self.builder = make_venv(root / "builder")
        start = time.perf_counter()
        dist = root / "dist"
        run(self.builder / "pip", "wheel", "--no-build-isolation", "--no-index", "--no-deps", "--wheel-dir", dist,
            self.checkout)
        self.build_seconds = time.perf_counter() - start
        (self.wheel,) = dist.glob("*.whl")

    def install(self, name: str) -> tuple[Path, float]:
        """A new venv with the wheel installed; returns its bin/ and the install time."""
        bin_dir = make_venv(self.root / name)
        start = time.perf_counter()
        run(bin_dir / "pip", "install", "--no-index", "--no-deps", "--quiet", self.wheel)
        return bin_dir, time.perf_counter() - start

    def package(self, bin_dir: Path) -> Path:
        out = run(bin_dir / "python", "-c", "import ckptguard, os; print(os.path.dirname(ckptguard.__file__))").stdout
        return Path(out.strip())


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Built:
    if not (REPO / ".git").exists():
        pytest.skip("not a git checkout: nothing to clone")
    return Built(tmp_path_factory.mktemp("packaging"))


@pytest.fixture(scope="module")
def installed(built) -> Path:
    bin_dir, seconds = built.install("venv")
    size = built.wheel.stat().st_size / 1e6
    print(f"\npackaging: {built.wheel.name}: {size:.1f} MB, pip wheel {built.build_seconds:.0f} s "
          f"({os.environ.get('CKPTGUARD_BUILD_JOBS') or os.cpu_count()} jobs), pip install {seconds:.1f} s")
    return bin_dir


def sample_project(root: Path) -> Path:
    """The sample project plus one ordinary test, so that a run without ckptguard still passes."""
    project = root / "sample_project"
    shutil.rmtree(project, ignore_errors=True)
    shutil.copytree(SAMPLE, project)
    (project / "test_ordinary.py").write_text("def test_ordinary():\n    assert True\n")
    return project


def test_the_build_writes_nothing_into_the_checkout_but_its_ignored_build_directory(built):
    assert run("git", "status", "--porcelain", cwd=built.checkout).stdout == ""
    ignored = run("git", "status", "--porcelain", "--ignored", cwd=built.checkout).stdout.splitlines()
    assert "!! build/" in ignored  # and bytecode caches Python writes beside the backend
    assert all(line == "!! build/" or line.endswith("/__pycache__/") for line in ignored), ignored


def test_the_wheel_is_tagged_for_this_interpreter_and_holds_only_the_package_and_the_command(built):
    assert built.wheel.name == f"ckptguard-{VERSION}-{expected_tag()}.whl"
    with zipfile.ZipFile(built.wheel) as wheel:
        names = wheel.namelist()
        assert "Root-Is-Purelib: false" in wheel.read(f"ckptguard-{VERSION}.dist-info/WHEEL").decode()
        assert "[pytest11]\nckptguard = ckptguard.pytest_plugin" in \
            wheel.read(f"ckptguard-{VERSION}.dist-info/entry_points.txt").decode()
        script = wheel.getinfo(f"ckptguard-{VERSION}.data/scripts/ckptguard")
        assert wheel.read(script.filename)[:4] == b"\x7fELF" and (script.external_attr >> 16) & 0o111
    sources = {f"ckptguard/{p.name}" for p in (REPO / "pytest_plugin" / "ckptguard").iterdir()
               if p.suffix == ".py" and p.name != "_build_info.py"} | {"ckptguard/py.typed"}
    native = {n for n in names if n.startswith("ckptguard/") and n not in sources}
    assert sources <= set(names)
    assert sorted(re.sub(r"\.cpython-.*\.so$", ".so", n) for n in native) == \
        ["ckptguard/_build_info.py", "ckptguard/_checker.so", "ckptguard/_core.so"]
    assert all(n.startswith(("ckptguard/", f"ckptguard-{VERSION}.d")) for n in names)


def test_the_command_is_the_stripped_native_binary_and_reports_its_versions(built, installed):
    command = installed / "ckptguard"
    assert command.read_bytes()[:4] == b"\x7fELF"
    assert ".debug_info" not in run("readelf", "-S", "-W", command).stdout
    lines = run(command, "--version").stdout.splitlines()
    assert lines[:3] == [f"ckptguard {VERSION}", "grammar: tree-sitter-python 0.23.6", "torch.nn catalogue: torch 1.13.1"]
    assert lines[3].startswith("checker: available (built against libtorch 1.13")
    assert str(built.package(installed)) in lines[3]
    keys = run(command, "keys", "examples/flat.py::FlatNet", "--format", "json", cwd=built.checkout).stdout
    assert [k["name"] for k in json.loads(keys)["keys"]][:2] == ["embed.weight", "conv1d.weight"]
    development = REPO / "build" / "bin" / "ckptguard"
    if development.exists():  # the same source, built the other way
        assert keys == run(development, "keys", "examples/flat.py::FlatNet", "--format", "json", cwd=built.checkout).stdout


def test_ldd_lists_only_the_c_and_cpp_runtime_and_only_the_checker_links_libtorch(built, installed):
    package = built.package(installed)
    (core,) = package.glob("_core*.so")
    (checker,) = package.glob("_checker*.so")
    for path in (installed / "ckptguard", core):
        assert ldd(path) <= RUNTIME, path
    # The checker's own dependencies (ldd adds libtorch's dozens): libtorch, and libxxhash for
    # its AVX2 dispatch; nothing else of ckptguard's.
    needed = set(re.findall(r"\(NEEDED\).*\[(.+)\]", run("readelf", "-d", checker).stdout))
    assert {n.split(".so")[0] for n in needed - RUNTIME} == {"libtorch_python", "libtorch_cpu", "libc10", "libxxhash"}


def test_import_ckptguard_loads_no_torch_and_predicts_from_the_installed_package(built, installed):
    out = run(installed / "python", "-c", (
        "import sys, ckptguard\n"
        "assert 'site-packages' in ckptguard.__file__, ckptguard.__file__\n"
        "doc = ckptguard.predict_keys('examples/flat.py::FlatNet')\n"
        "assert 'torch' not in sys.modules\n"
        "assert 'libtorch' not in open('/proc/self/maps').read()\n"
        "print(len(doc['keys']))\n"), cwd=built.checkout).stdout
    assert int(out) > 0


def test_python_m_ckptguard_version_imports_the_checker(installed):
    out = run(installed / "python", "-m", "ckptguard", "--version").stdout
    assert "checker import: ok (torch 1.13" in out


def test_the_pytest_plugin_runs_the_sample_project(built, installed):
    project = sample_project(built.root)
    done = run(installed / "python", "-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=project, check=False)
    assert done.returncode == 0, done.stdout[-3000:]
    assert re.search(r"21 passed, 1 skipped", done.stdout), done.stdout[-2000:]
    assert "warning" not in done.stdout.splitlines()[-1]


def test_checker_verify_compares_a_checkpoint_bit_for_bit(built, installed):
    out = run(installed / "python", "-c", (
        "import torch, ckptguard.checker as checker\n"
        "model = torch.nn.Linear(3, 2)\n"
        "torch.save(model.state_dict(), 'linear.pt')\n"
        "print(checker.verify('linear.pt', model)['equal'])\n"), cwd=built.root).stdout
    assert out.strip() == "True"


def test_a_broken_install_says_what_is_wrong_in_one_line_and_never_aborts_a_pytest_session(built):
    bin_dir, _ = built.install("broken")
    package = built.package(bin_dir)
    project = sample_project(built.root)

    # A checker built for another torch: the plugin skips value verification with one warning.
    info = package / "_build_info.py"
    info.write_text(re.sub(r'checker_torch = "[^"]*"', 'checker_torch = "9.9.0"', info.read_text()))
    done = run(bin_dir / "python", "-c", "import ckptguard.checker", check=False)
    assert done.returncode == 1
    assert done.stderr.splitlines()[-1].startswith(
        "ckptguard.ExtensionError: the native extension ckptguard._checker was built against libtorch 9.9.0, "
        "but this is torch 1.13")
    done = run(bin_dir / "python", "-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=project, check=False)
    assert done.returncode == 0, done.stdout[-3000:]
    assert done.stdout.splitlines()[-1].startswith("21 passed, 1 skipped, 1 warning")
    assert done.stdout.count("values not verified bit for bit: the native extension ckptguard._checker was built "
                             "against libtorch 9.9.0") == 1

    # No _checker at all: the native command says so.
    for path in package.glob("_checker*.so"):
        path.unlink()
    version = run(bin_dir / "ckptguard", "--version").stdout.splitlines()
    assert version[3] == f"checker: missing from {package} (built against libtorch 1.13.0); reinstall ckptguard"

    # No _core: the native command does not need it; the Python one is one line and exit 2, and
    # pytest in a configured project completes with one warning.
    for path in package.glob("_core*.so"):
        path.unlink()
    assert run(bin_dir / "ckptguard", "keys", "examples/flat.py::FlatNet", cwd=built.checkout).returncode == 0
    done = run(bin_dir / "python", "-m", "ckptguard", "keys", "examples/flat.py::FlatNet", cwd=built.checkout, check=False)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and done.stderr.startswith(f"ckptguard: {CORE_MISSING}")
    done = run(bin_dir / "python", "-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=project, check=False)
    assert done.returncode == 0, done.stdout[-3000:]
    assert done.stdout.splitlines()[-1].startswith("1 passed, 1 warning")
    assert done.stdout.count(f"ckptguard plugin disabled: {CORE_MISSING}") == 1
