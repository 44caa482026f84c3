"""PEP 517 build backend for ckptguard: CMake builds the native parts, this module packs the wheel.

It needs nothing beyond the standard library, so pip builds ckptguard offline, with or without
build isolation. A wheel holds the Python package (pytest_plugin/ckptguard), the ``_core`` and
``_checker`` extensions and ``_build_info.py`` from ``cmake --install``, and the native
``ckptguard`` executable as the wheel's script: the installed command is the binary itself.
The wheel is tagged for the running interpreter (``cp311-cp311-linux_x86_64``): the extensions
are built for it, and ``_checker`` against the libtorch of its torch (cmake/Torch.cmake).

Settings, as ``pip ... --config-settings NAME=VALUE`` or in the environment:

    build-dir   CKPTGUARD_BUILD_DIR    CMake build directory (default: build/wheel-<tag> in the
                                       source tree, git-ignored; reused by the next build)
    jobs        CKPTGUARD_BUILD_JOBS   parallel compile jobs (default: CMAKE_BUILD_PARALLEL_LEVEL,
                                       else the CPU count)
    cmake-args  CKPTGUARD_CMAKE_ARGS   extra configure options, e.g. -DCKPTGUARD_WITH_TORCH=OFF

An editable install (``pip install -e .``, used by scripts/bootstrap.sh) builds nothing: it puts
pytest_plugin/ on sys.path, where the development build (build/) writes the extensions.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import re
import shlex
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "pytest_plugin" / "ckptguard"
GENERATED = {"_build_info.py"}  # written by CMake into the package directory; taken from the build
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


# -- metadata ---------------------------------------------------------------------------------

def _project() -> dict:
    with open(ROOT / "pyproject.toml", "rb") as f:
        project = tomllib.load(f)["project"]
    cmake_version = re.search(r"project\(ckptguard VERSION ([0-9.]+)", (ROOT / "CMakeLists.txt").read_text())
    if not cmake_version or cmake_version.group(1) != project["version"]:
        raise RuntimeError(f"pyproject.toml version {project['version']} differs from CMakeLists.txt's "
                           f"{cmake_version.group(1) if cmake_version else '(none)'}")
    return project


def _dist_name(project: dict) -> str:
    return f"{project['name'].replace('-', '_')}-{project['version']}"


def _metadata(project: dict) -> str:
    lines = ["Metadata-Version: 2.1", f"Name: {project['name']}", f"Version: {project['version']}",
             f"Summary: {project['description']}", f"Requires-Python: {project['requires-python']}"]
    lines += [f"Classifier: {c}" for c in project.get("classifiers", [])]
    return "\n".join(lines) + "\n"


def _entry_points(project: dict, console_script: bool) -> str:
    groups = {name: dict(entries) for name, entries in project.get("entry-points", {}).items()}
    if console_script:
        groups["console_scripts"] = {"ckptguard": "ckptguard.__main__:main"}
    return "".join(f"[{group}]\n" + "".join(f"{k} = {v}\n" for k, v in entries.items()) + "\n"
                   for group, entries in groups.items())


def _tag() -> str:
    """The running interpreter's tag: its extensions are built for it and for nothing else."""
    if sys.implementation.name != "cpython":
        raise RuntimeError("ckptguard's extensions are built for CPython only")
    python = f"cp{sys.version_info.major}{sys.version_info.minor}"
    soabi = sysconfig.get_config_var("SOABI") or ""  # cpython-311-x86_64-linux-gnu
    abi = "cp" + soabi.split("-")[1] if soabi.startswith("cpython-") else python
    platform = re.sub(r"[-.]", "_", sysconfig.get_platform())
    return f"{python}-{abi}-{platform}"


def _wheel_file(tag: str) -> str:
    return f"Wheel-Version: 1.0\nGenerator: ckptguard_backend\nRoot-Is-Purelib: false\nTag: {tag}\n"


def _dist_info(project: dict, tag: str, console_script: bool) -> tuple[str, dict[str, bytes]]:
    """The .dist-info directory's name and files (RECORD is written with the wheel)."""
    files = {"METADATA": _metadata(project), "WHEEL": _wheel_file(tag),
             "entry_points.txt": _entry_points(project, console_script)}
    return f"{_dist_name(project)}.dist-info", {k: v.encode() for k, v in files.items()}


def _write_dist_info(directory: Path, project: dict, tag: str, console_script: bool) -> str:
    name, files = _dist_info(project, tag, console_script)
    (directory / name).mkdir(parents=True, exist_ok=True)
    for filename, data in files.items():
        (directory / name / filename).write_bytes(data)
    return name


# -- settings and the CMake build -------------------------------------------------------------

def _setting(config_settings: dict | None, name: str, env: str) -> str | None:
    value = (config_settings or {}).get(name)
    if isinstance(value, list):
        value = value[-1]
    return value if value is not None else os.environ.get(env)


def _run(command: list[str]) -> None:
    print("+ " + shlex.join(command), file=sys.stderr, flush=True)
    subprocess.run(command, check=True, cwd=ROOT)


def _build_dir(config_settings: dict | None, tag: str) -> Path:
    build_dir = Path(_setting(config_settings, "build-dir", "CKPTGUARD_BUILD_DIR") or ROOT / "build" / f"wheel-{tag}")
    return build_dir if build_dir.is_absolute() else ROOT / build_dir


def _cmake_build(config_settings: dict | None, build_dir: Path, stage: Path) -> None:
    """Configure, build and install the native parts into `stage`."""
    jobs = _setting(config_settings, "jobs", "CKPTGUARD_BUILD_JOBS") or os.environ.get("CMAKE_BUILD_PARALLEL_LEVEL") \
        or str(os.cpu_count() or 1)
    extra = shlex.split(_setting(config_settings, "cmake-args", "CKPTGUARD_CMAKE_ARGS") or "")
    configure = ["cmake", "-S", str(ROOT), "-B", str(build_dir),
                 "-DCMAKE_BUILD_TYPE=Release", "-DCKPTGUARD_BUILD_TESTS=OFF",
                 f"-DPYTHON_EXECUTABLE={sys.executable}",
                 # the extensions are built into the build tree, never into the source tree
                 f"-DCKPTGUARD_PACKAGE_DIR={build_dir / 'package' / 'ckptguard'}", *extra]
    if not (build_dir / "CMakeCache.txt").exists() and shutil.which("ninja"):
        configure[1:1] = ["-G", "Ninja"]
    _run(configure)
    _run(["cmake", "--build", str(build_dir), "--parallel", jobs])
    shutil.rmtree(stage, ignore_errors=True)
    _run(["cmake", "--install", str(build_dir), "--prefix", str(stage), "--strip"])


# -- wheels -----------------------------------------------------------------------------------

def _record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


class _Wheel:
    """A wheel being written: deterministic entries, modes kept, RECORD last."""

    def __init__(self, path: Path):
        self.zip = zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED)
        self.records: list[str] = []

    def add(self, name: str, data: bytes, executable: bool = False) -> None:
        info = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
        info.external_attr = (0o100755 if executable else 0o100644) << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        self.zip.writestr(info, data)
        self.records.append(f"{name},{_record_hash(data)},{len(data)}")

    def add_file(self, name: str, path: Path) -> None:
        self.add(name, path.read_bytes(), executable=os.access(path, os.X_OK))

    def add_dist_info(self, name: str, files: dict[str, bytes]) -> None:
        for filename, data in files.items():
            self.add(f"{name}/{filename}", data)

    def close(self, dist_info: str) -> None:
        record = f"{dist_info}/RECORD"
        info = zipfile.ZipInfo(record, date_time=ZIP_EPOCH)
        info.external_attr = 0o100644 << 16
        self.zip.writestr(info, "\n".join([*self.records, f"{record},,"]) + "\n", zipfile.ZIP_DEFLATED)
        self.zip.close()


def _python_sources() -> list[Path]:
    """The package's own files: Python sources and markers, without anything a build left there."""
    return sorted(p for p in PACKAGE.rglob("*")
                  if p.is_file() and "__pycache__" not in p.parts and p.suffix not in {".so", ".pyc"}
                  and p.name not in GENERATED)


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_editable(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    return _write_dist_info(Path(metadata_directory), _project(), _tag(), console_script=False)


def prepare_metadata_for_build_editable(metadata_directory, config_settings=None):
    return _write_dist_info(Path(metadata_directory), _project(), _tag(), console_script=True)


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    project, tag = _project(), _tag()
    build_dir = _build_dir(config_settings, tag)
    stage = build_dir / "stage"
    _cmake_build(config_settings, build_dir, stage)

    dist = _dist_name(project)
    filename = f"{dist}-{tag}.whl"
    wheel = _Wheel(Path(wheel_directory) / filename)
    for path in _python_sources():
        wheel.add_file(f"ckptguard/{path.relative_to(PACKAGE).as_posix()}", path)
    for path in sorted((stage / "ckptguard").iterdir()):
        wheel.add_file(f"ckptguard/{path.name}", path)
    # The command is the native executable, which pip installs into the environment's bin/.
    wheel.add(f"{dist}.data/scripts/ckptguard", (stage / "bin" / "ckptguard").read_bytes(), executable=True)
    dist_info, files = _dist_info(project, tag, console_script=False)
    wheel.add_dist_info(dist_info, files)
    wheel.close(dist_info)
    return filename


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    """pytest_plugin/ on sys.path; the development build writes the extensions into it. The
    command is a Python entry point, which scripts/bootstrap.sh replaces by the native binary."""
    project, tag = _project(), _tag()
    dist = _dist_name(project)
    filename = f"{dist}-{tag}.whl"
    wheel = _Wheel(Path(wheel_directory) / filename)
    wheel.add(f"__editable__.{dist}.pth", f"{PACKAGE.parent}\n".encode())
    dist_info, files = _dist_info(project, tag, console_script=True)
    wheel.add_dist_info(dist_info, files)
    wheel.close(dist_info)
    if not any(PACKAGE.glob("_core*.so")):
        print("ckptguard: no _core extension in pytest_plugin/ckptguard yet: run scripts/bootstrap.sh "
              "(or build with CMake into build/)", file=sys.stderr)
    return filename


# -- source distributions ---------------------------------------------------------------------

def _source_files() -> list[str]:
    """Tracked files in a git checkout; otherwise (an unpacked sdist) every file but build output."""
    if (ROOT / ".git").exists() and shutil.which("git"):
        out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, check=True, capture_output=True).stdout
        return sorted(f for f in out.decode().split("\0") if f and (ROOT / f).is_file())
    skip = {"build", ".venv", ".git", "__pycache__", "dist"}
    return sorted(p.relative_to(ROOT).as_posix() for p in ROOT.rglob("*")
                  if p.is_file() and not skip.intersection(p.relative_to(ROOT).parts)
                  and p.suffix not in {".so", ".pyc"} and p.name not in GENERATED)


def build_sdist(sdist_directory, config_settings=None):
    project = _project()
    dist = _dist_name(project)
    filename = f"{dist}.tar.gz"
    with tarfile.open(Path(sdist_directory) / filename, "w:gz", format=tarfile.PAX_FORMAT) as tar:
        def normalise(info: tarfile.TarInfo) -> tarfile.TarInfo:
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            info.mtime = 0
            return info

        for name in _source_files():
            tar.add(ROOT / name, arcname=f"{dist}/{name}", filter=normalise)
        pkg_info = _metadata(project).encode()
        info = normalise(tarfile.TarInfo(f"{dist}/PKG-INFO"))
        info.size = len(pkg_info)
        tar.addfile(info, io.BytesIO(pkg_info))
    return filename
