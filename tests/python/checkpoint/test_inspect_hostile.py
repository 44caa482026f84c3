"""Hostile checkpoints through the real CLI: code-running pickles are refused by name and nothing
runs; damaged files end in exit 2 with exactly one line on stderr, never a crash.

Each payload is first shown to be live (plain pickle.loads in a child process creates the marker
file), so "inspect created no file" means something.
"""

import os
import random
import subprocess
import sys
import zipfile

import pytest

torch = pytest.importorskip("torch")


class RunsCode:
    """Unpickling calls `func(*args)`."""

    def __init__(self, func, args):
        self.func, self.args = func, args

    def __reduce__(self):
        return self.func, self.args


def payloads(marker):
    return {
        "posix.system": RunsCode(os.system, (f"touch {marker}",)),
        "builtins.eval": RunsCode(eval, (f"open({str(marker)!r}, 'w')",)),
        "builtins.exec": RunsCode(exec, (f"open({str(marker)!r}, 'w')",)),
        "io.open": RunsCode(open, (str(marker), "w")),
    }


def assert_one_line_error(done, path, *needles):
    assert done.returncode == 2, (done.returncode, done.stdout, done.stderr)
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"{path}: "), lines[0]
    for needle in needles:
        assert needle in lines[0], lines[0]
    assert "Traceback" not in done.stderr
    assert done.stdout == ""


@pytest.mark.parametrize("legacy", [False, True], ids=["zip", "legacy"])
@pytest.mark.parametrize("name", ["posix.system", "builtins.eval", "builtins.exec", "io.open"])
def test_code_running_pickles_are_refused_and_nothing_runs(tmp_path, cli, name, legacy):
    marker = tmp_path / "pwned"
    path = tmp_path / "ckpt.pt"
    checkpoint = {"model": {"w": torch.ones(2)}, "hook": payloads(marker)[name]}
    torch.save(checkpoint, path, _use_new_zipfile_serialization=not legacy)

    done = cli("inspect", path)
    assert_one_line_error(done, path, f"refusing global {name}")
    if not legacy:
        assert "at data.pkl offset" in done.stderr
    assert not marker.exists()

    # Control: the payload is live under an unrestricted load.
    subprocess.run([sys.executable, "-c", f"import torch; torch.load({str(path)!r})"],
                   cwd=tmp_path, capture_output=True, timeout=120)
    assert marker.exists(), "the payload should have run under torch.load"


def test_literal_os_system_global(tmp_path, cli):
    # os.system pickles as posix.system on Linux; craft the bytes to name os.system itself.
    marker = tmp_path / "pwned"
    body = b"\x80\x02cos\nsystem\nX" + len(f"touch {marker}").to_bytes(4, "little") + f"touch {marker}".encode() + b"\x85R."
    path = tmp_path / "ckpt.pt"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr("ckpt/data.pkl", body)
        archive.writestr("ckpt/version", "3\n")
    done = cli("inspect", path, "--format", "json")
    assert_one_line_error(done, path, "refusing global os.system at data.pkl offset 2")
    assert not marker.exists()


def test_getattr_gadget_is_refused(tmp_path, cli):
    path = tmp_path / "ckpt.pt"
    torch.save({"gadget": RunsCode(getattr, (torch.nn.Linear, "__init__"))}, path)
    assert_one_line_error(cli("inspect", path), path, "refusing global builtins.getattr")


def test_pickled_module_class_is_refused(tmp_path, cli):
    path = tmp_path / "model.pt"
    torch.save(torch.nn.Linear(2, 2), path)  # whole-module pickles name their classes
    assert_one_line_error(cli("inspect", path), path, "refusing global torch.nn.modules.linear.Linear")


def test_torchscript_lists_tensors_without_reading_code(tmp_path, inspect_json):
    path = tmp_path / "scripted.pt"
    module = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1))
    torch.jit.save(torch.jit.script(module), path)
    result = inspect_json(path)
    assert result.returncode == 1, result.stderr
    report = result.report
    assert report["format"] == "torchscript"
    # Attribute paths spell the state_dict keys of the scripted module.
    listed = {".".join(t["path"]): (t["shape"], t["dtype"]) for t in report["tensors"]}
    expected = {k: (list(v.shape), str(v.dtype).replace("torch.", "")) for k, v in module.state_dict().items()}
    assert listed == expected
    assert any("TorchScript is code" in w for w in report["warnings"])


def test_missing_and_unreadable_inputs(tmp_path, cli):
    assert_one_line_error(cli("inspect", tmp_path / "nope.pt"), tmp_path / "nope.pt", "cannot open")
    assert_one_line_error(cli("inspect", tmp_path), tmp_path, "is a directory")
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    assert_one_line_error(cli("inspect", text), text, "not a checkpoint")
    done = cli("inspect")
    assert done.returncode == 2 and "missing CKPT" in done.stderr
    done = cli("inspect", text, "--format", "yaml")
    assert done.returncode == 2 and "--format" in done.stderr


@pytest.mark.parametrize("legacy", [False, True], ids=["zip", "legacy"])
def test_every_truncation_is_a_clean_error(tmp_path, cli, legacy):
    source = tmp_path / "full.pt"
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4))
    torch.save({"model": model.state_dict(), "epoch": 1}, source, _use_new_zipfile_serialization=not legacy)
    data = source.read_bytes()
    cut = tmp_path / "cut.pt"
    for length in range(0, len(data), max(1, len(data) // 97)):
        cut.write_bytes(data[:length])
        assert_one_line_error(cli("inspect", cut), cut)


@pytest.mark.parametrize("legacy", [False, True], ids=["zip", "legacy"])
def test_random_byte_flips_never_crash(tmp_path, cli, legacy):
    source = tmp_path / "full.pt"
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4))
    torch.save({"model": model.state_dict(), "epoch": 1}, source, _use_new_zipfile_serialization=not legacy)
    data = source.read_bytes()
    rng = random.Random(1234)
    mutant = tmp_path / "mutant.pt"
    for _ in range(150):
        buf = bytearray(data)
        for _ in range(rng.randint(1, 4)):
            buf[rng.randrange(len(buf))] = rng.randrange(256)
        mutant.write_bytes(bytes(buf))
        done = cli("inspect", mutant, "--format", "json")
        assert done.returncode in (0, 1, 2), (done.returncode, done.stderr)
        if done.returncode == 2:
            assert len(done.stderr.splitlines()) == 1, done.stderr
        else:
            assert done.stdout.startswith("{")
