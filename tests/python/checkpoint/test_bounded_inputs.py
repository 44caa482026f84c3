"""Issue 16's hostile inputs through the real CLI (builders in hostile_files.py): each ends within
seconds, in bounded memory, with one line naming the file and the limit, or reads correctly; no
output carries a raw escape sequence or a forged line; inputs that are not regular files are
refused instead of blocking.

benchmarks/hostile_cases.py measures the same cases (time, peak RSS) for the closing note.
"""

import re

import pytest

import hostile_files
from bounded_run import assert_one_line, run_bounded
from inspect_support import BINARY

# case -> (exit code, text the single stderr line holds (None: no error), seconds allowed)
EXPECTED = {
    # exit 1: read within the limits, and torch 1.13's weights_only loader would refuse the file
    "memo: tuple key of 1,600 refs to a 1 MiB string": (1, None, 10),
    "memo: 16 KiB metadata string referenced 320,000 times": (2, "(limit max_output_bytes)", 10),
    "memo: 4,000 tensors at depth 4,000": (2, "(limit max_output_bytes)", 10),
    "memo: 9M EMPTY_DICT": (2, "(limit max_object_bytes)", 20),
    "cpu: BUILD of 10,000 items x 16,000": (2, "(opcodes and the elements they copy; limit max_pickle_ops)", 10),
    "cpu: 100,000 optimizer-shaped dicts": (1, None, 10),
    "cpu: check of 80,000 keys": (1, None, 30),
    "cpu: safetensors header of 200,000 tensors": (0, None, 30),
    "exception: safetensors 1e400": (2, "invalid JSON: number overflow parsing '1e400' at offset", 5),
    "exception: index 1e400": (2, "invalid JSON: number overflow parsing '1e400' at offset", 5),
    "alloc: deflated data.pkl declaring 60 MiB": (2, "compressed bytes can inflate to", 5),
    "injection: check text": (1, None, 10),
    "injection: check github": (1, None, 10),
    "injection: check markdown": (1, None, 10),
    "integrity: bad tensor CRC, inspect": (0, None, 10),
    "integrity: bad tensor CRC, inspect --verify": (2, "fails its CRC check", 10),
    "blocking: FIFO checkpoint": (2, "is a named pipe (FIFO), not a regular file", 5),
    "blocking: FIFO model file": (2, "not a regular file", 5),
    "blocking: FIFO shard": (2, "is a named pipe (FIFO), not a regular file", 5),
}

def test_every_case_has_an_expectation():
    assert set(EXPECTED) == set(hostile_files.CASES)


@pytest.mark.parametrize("name", list(hostile_files.CASES))
def test_hostile_case_is_bounded(tmp_path, cli, name):
    pytest.importorskip("torch")
    args = hostile_files.CASES[name](tmp_path)
    exit_code, message, seconds = EXPECTED[name]
    done, cpu = run_bounded([BINARY, *args], seconds, tmp_path)
    stderr = done.stderr.decode()
    assert done.returncode == exit_code, (done.returncode, stderr)
    assert cpu < seconds, f"{name} took {cpu:.1f} s of CPU"
    if message is None:
        assert stderr == ""
    else:
        assert_one_line(stderr, message)
    assert b"\x1b" not in done.stdout
    assert not re.search(rb"(^|\n)OK: checkpoint loads", done.stdout)


@pytest.mark.parametrize("output_format", ["text", "github", "markdown", "html", "sarif", "json"])
def test_check_escapes_keys_in_every_format(tmp_path, cli, output_format):
    pytest.importorskip("torch")
    done = cli(*hostile_files.injected_keys(tmp_path, output_format))
    assert done.returncode == 1, done.stderr
    assert "\x1b" not in done.stdout
    assert not re.search(r"(^|\n)\s*OK: checkpoint loads", done.stdout)
    if output_format != "json":
        assert "x1b" in done.stdout  # shown, not interpreted
    if output_format == "github":
        # Every line is one workflow command.
        assert all(line.startswith("::error ") for line in done.stdout.splitlines())
    if output_format == "markdown":
        # Every finding stays one table row.
        rows = [line for line in done.stdout.splitlines() if line.startswith("| error |")]
        assert len(rows) == 2, done.stdout


def test_remap_python_keeps_keys_inside_their_literals(tmp_path, cli, monkeypatch):
    torch = pytest.importorskip("torch")
    monkeypatch.chdir(tmp_path)
    bad, good = tmp_path / "quoted.pt", tmp_path / "model.pt"
    payload = 'x": "y", __import__("os").system("touch pwned"), "z'
    torch.save({f"{payload}.fc.weight": torch.zeros(1), f"{payload}.fc.bias": torch.zeros(2)}, bad)
    torch.save({"fc.weight": torch.zeros(1), "fc.bias": torch.zeros(2)}, good)
    done = cli("check", bad, good, "--format", "json")
    import json
    remap = json.loads(done.stdout)["remap_python"]
    assert payload.split('"')[0] in remap  # the payload is in the fix, as a literal's content
    namespace = {"state_dict": {k: None for k in torch.load(bad)}}
    exec(remap, namespace)  # the remap as a user would paste it: it must only rename keys
    assert sorted(namespace["state_dict"]) == ["fc.bias", "fc.weight"]
    assert not (tmp_path / "pwned").exists()


def test_limits_are_configurable(tmp_path, cli):
    args = hostile_files.repeated_build(tmp_path, builds=100)
    done = cli(*args)
    assert done.returncode in (0, 1), done.stderr  # 1: weights_only would refuse its opcodes
    done = cli(*args, "--limit", "max_pickle_ops=1000")
    assert done.returncode == 2 and "more than 1000 pickle steps" in done.stderr
    done = cli(*args, "--limit", "max_nothing=3")
    assert done.returncode == 2 and "unknown limit 'max_nothing'" in done.stderr
    done = cli(*args, "--limit", "max_depth=99999999999")
    assert done.returncode == 2 and "at most 4294967295" in done.stderr


def test_value_verification_checks_record_crcs(tmp_path):
    """Catalogue item 8 for tensor data: values read through the checker fail on a bad CRC."""
    torch = pytest.importorskip("torch")
    checker = pytest.importorskip("ckptguard.checker")
    args = hostile_files.bad_tensor_crc(tmp_path)
    path = args[1]
    with pytest.raises(Exception, match="fails its CRC check"):
        checker.verify(path, {"w": torch.arange(16, dtype=torch.float32)})
    with pytest.raises(Exception, match="fails its CRC check"):
        checker.digests(path)
