"""The hostile inputs of issue 16 (checkpoint reader half), built byte by byte: amplification
through the pickle memo, CPU amplification, uncaught parser exceptions, allocation before
validation, output injection, integrity, and inputs that are not regular files.

Each builder writes its file(s) under a directory and returns the command line arguments that
exercise it (after the binary). They are shared by tests/python/checkpoint/test_bounded_inputs.py
and benchmarks/hostile_cases.py, which measures exit code, time and peak RSS before and after.
"""

import io
import json
import os
import struct
import zipfile

# Pickle opcodes (pickle.py names).
PROTO, STOP, MARK, POP, NONE, DICT, LIST, TUPLE_OP = b"\x80", b".", b"(", b"0", b"N", b"}", b"]", b"t"
SETITEM, SETITEMS, APPEND, APPENDS, BUILD, REDUCE = b"s", b"u", b"a", b"e", b"b", b"R"
EMPTY_TUPLE, TUPLE1, TUPLE2, NEWFALSE, BINPERSID = b")", b"\x85", b"\x86", b"\x89", b"Q"


def binunicode(text):
    data = text.encode() if isinstance(text, str) else text
    return b"X" + struct.pack("<I", len(data)) + data


def binint(value):
    return b"J" + struct.pack("<i", value)


def binint2(value):
    return b"M" + struct.pack("<H", value)


def put(index):
    return b"r" + struct.pack("<I", index)


def get(index):
    return b"j" + struct.pack("<I", index)


def global_op(module, name):
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def tensor(key="0", numel=1):
    """torch._utils._rebuild_tensor_v2(storage `key` of `numel` floats, 0, (numel,), (1,), False,
    OrderedDict())."""
    return (global_op("torch._utils", "_rebuild_tensor_v2") + MARK + MARK + binunicode("storage")
            + global_op("torch", "FloatStorage") + binunicode(key) + binunicode("cpu") + binint(numel)
            + TUPLE_OP + BINPERSID + binint(0) + binint(numel) + TUPLE1 + binint(1) + TUPLE1 + NEWFALSE
            + global_op("collections", "OrderedDict") + EMPTY_TUPLE + REDUCE + TUPLE_OP + REDUCE)


def torch_zip(path, pickle, storages=(), deflate=True):
    """A torch.save-style archive around `pickle`; data.pkl deflated so the file stays small."""
    with zipfile.ZipFile(path, "w") as archive:
        method = zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED
        archive.writestr(zipfile.ZipInfo("archive/data.pkl"), pickle, compress_type=method)
        for key, data in storages:
            archive.writestr(zipfile.ZipInfo(f"archive/data/{key}"), data)
        archive.writestr(zipfile.ZipInfo("archive/version"), "3\n")
    return path


def batched(items, ops_per_batch, closer):
    """MARK item... closer, in batches, as pickle.py writes long lists and dicts."""
    out = io.BytesIO()
    for start in range(0, len(items), ops_per_batch):
        out.write(MARK)
        out.write(b"".join(items[start:start + ops_per_batch]))
        out.write(closer)
    return out.getvalue()


# --- memo amplification ------------------------------------------------------------------------

def memo_tuple_key(directory):
    """A dict whose key is a tuple of 1,600 references to one 1 MiB string."""
    pickle = (PROTO + b"\x02" + DICT + binunicode("a" * (1 << 20)) + put(0) + POP
              + MARK + get(0) * 1600 + TUPLE_OP + NONE + SETITEM + STOP)
    return ["inspect", torch_zip(directory / "memo_tuple_key.pt", pickle), "--format", "json"]


def memo_metadata_strings(directory):
    """Metadata: one 16 KiB string referenced 320,000 times in a list."""
    refs = batched([get(1)] * 320_000, 1000, APPENDS)
    pickle = (PROTO + b"\x02" + DICT + binunicode("meta") + LIST + binunicode("m" * 16384) + put(1)
              + APPEND + refs + SETITEM + STOP)
    return ["inspect", torch_zip(directory / "memo_metadata.pt", pickle), "--format", "json"]


def deep_tensor_paths(directory, depth=4000, tensors=4000):
    """`tensors` references to one tensor in a dict nested `depth` levels deep: every tensor path
    has `depth` elements."""
    chain = (binunicode("k") + DICT + put(1) + SETITEM + POP + get(1)) * depth
    items = [binunicode(f"t{i}") + get(2) for i in range(1, tensors)]
    pickle = (PROTO + b"\x02" + DICT + put(0) + chain + MARK + binunicode("t0") + tensor() + put(2)
              + SETITEMS + batched(items, 1000, SETITEMS) + POP + get(0) + STOP)
    return ["inspect", torch_zip(directory / "deep_paths.pt", pickle, [("0", b"\0" * 4)]), "--format", "json"]


def empty_dicts(directory, count=9_000_000):
    """A list of 9M empty dicts: 9 MB of opcodes, deflated to a few KB."""
    pickle = PROTO + b"\x02" + LIST + batched([DICT] * count, 100_000, APPENDS) + STOP
    return ["inspect", torch_zip(directory / "empty_dicts.pt", pickle), "--format", "json"]


# --- CPU amplification -------------------------------------------------------------------------

def repeated_build(directory, items=10_000, builds=16_000):
    """BUILD of a 10,000-item state on an OrderedDict, repeated 16,000 times."""
    state = DICT + batched([binint2(i) + NONE for i in range(items)], 1000, SETITEMS) + put(1) + POP
    pickle = (PROTO + b"\x02" + global_op("collections", "OrderedDict") + EMPTY_TUPLE + REDUCE + state
              + (get(1) + BUILD) * builds + STOP)
    return ["inspect", torch_zip(directory / "repeated_build.pt", pickle), "--format", "json"]


def optimizer_dicts(directory, count=100_000):
    """A list of 100,000 optimizer-shaped dicts {"state": {}, "param_groups": []}."""
    one = DICT + get(1) + DICT + SETITEM + get(2) + LIST + SETITEM
    pickle = (PROTO + b"\x02" + binunicode("state") + put(1) + POP + binunicode("param_groups") + put(2) + POP
              + LIST + batched([one] * count, 1000, APPENDS) + STOP)
    return ["inspect", torch_zip(directory / "optimizers.pt", pickle), "--format", "json"]


def check_many_keys(directory, count=80_000):
    """`check A B` of two 80,000-key state_dicts whose keys differ by a `module.` prefix."""
    import torch

    def save(path, prefix):
        storage = torch.zeros(1)
        state = {f"{prefix}blocks.{i // 4}.layer{i % 4}.weight": storage.view(1) for i in range(count)}
        torch.save(state, path)
        return path

    return ["check", save(directory / "many_a.pt", "module."), save(directory / "many_b.pt", ""),
            "--format", "json"]


def safetensors_many_tensors(directory, count=200_000):
    """A safetensors header of 200,000 tensors (ordered JSON insertion was quadratic)."""
    header = {}
    for i in range(count):
        header[f"layer{i}.weight"] = {"dtype": "F32", "shape": [2], "data_offsets": [8 * i, 8 * i + 8]}
    path = directory / "many.safetensors"
    path.write_bytes(safetensors_bytes(json.dumps(header)) + b"\2" * (8 * count))
    return ["inspect", path, "--format", "json"]


# --- uncaught exceptions -----------------------------------------------------------------------

def safetensors_bytes(header):
    text = header.encode()
    return struct.pack("<Q", len(text)) + text


def safetensors_huge_number(directory):
    path = directory / "huge_number.safetensors"
    path.write_bytes(safetensors_bytes('{"a":1e400}'))
    return ["inspect", path]


def index_huge_number(directory):
    path = directory / "model.safetensors.index.json"
    path.write_text('{"metadata": {"total_size": 1e400}, "weight_map": {}}')
    return ["inspect", path]


# --- allocation before validation --------------------------------------------------------------

def deflated_declaring(directory, declared=60 << 20):
    """data.pkl deflated to a few bytes but declaring 60 MiB in both headers."""
    path = torch_zip(directory / "declares_60mib.pt", PROTO + b"\x02" + NONE + STOP)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("archive/data.pkl")
    central = data.find(b"PK\x01\x02")
    struct.pack_into("<I", data, info.header_offset + 22, declared)
    struct.pack_into("<I", data, central + 24, declared)
    path.write_bytes(bytes(data))
    return ["inspect", path]


# --- output injection --------------------------------------------------------------------------

OSC8_KEY = "fc\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\.weight"
FORGED_KEY = "x\nOK: checkpoint loads with strict=True\n.weight"


def injected_keys(directory, output_format="text"):
    """`check` of a checkpoint whose keys carry an OSC 8 link and a forged output line."""
    import torch

    bad = directory / "injected.pt"
    good = directory / "clean.pt"
    torch.save({OSC8_KEY: torch.zeros(1), FORGED_KEY: torch.zeros(1)}, bad)
    torch.save({"fc.weight": torch.zeros(1)}, good)
    return ["check", bad, good, "--format", output_format]


# --- integrity ---------------------------------------------------------------------------------

def bad_tensor_crc(directory, verify=True):
    """A real torch.save file with one byte of tensor data changed: its record CRC is wrong."""
    import torch

    path = directory / "bad_crc.pt"
    torch.save({"w": torch.arange(16, dtype=torch.float32)}, path)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = next(i for i in archive.infolist() if i.filename.endswith("/data/0"))
    name_length, extra_length = struct.unpack_from("<HH", data, info.header_offset + 26)
    data[info.header_offset + 30 + name_length + extra_length + 5] ^= 0x40
    path.write_bytes(bytes(data))
    return ["inspect", path, "--verify"] if verify else ["inspect", path]


# --- inputs that are not regular files ---------------------------------------------------------

def fifo(directory, name="pipe"):
    path = directory / name
    if not path.exists():
        os.mkfifo(path)
    return path


def fifo_checkpoint(directory):
    return ["inspect", fifo(directory)]


def fifo_model(directory):
    return ["keys", f"{fifo(directory, 'model.py')}::Net"]


def fifo_shard(directory):
    fifo(directory, "shard.safetensors")
    path = directory / "model.safetensors.index.json"
    path.write_text(json.dumps({"weight_map": {"w": "shard.safetensors"}}))
    return ["inspect", path]


CASES = {
    "memo: tuple key of 1,600 refs to a 1 MiB string": memo_tuple_key,
    "memo: 16 KiB metadata string referenced 320,000 times": memo_metadata_strings,
    "memo: 4,000 tensors at depth 4,000": deep_tensor_paths,
    "memo: 9M EMPTY_DICT": empty_dicts,
    "cpu: BUILD of 10,000 items x 16,000": repeated_build,
    "cpu: 100,000 optimizer-shaped dicts": optimizer_dicts,
    "cpu: check of 80,000 keys": check_many_keys,
    "cpu: safetensors header of 200,000 tensors": safetensors_many_tensors,
    "exception: safetensors 1e400": safetensors_huge_number,
    "exception: index 1e400": index_huge_number,
    "alloc: deflated data.pkl declaring 60 MiB": deflated_declaring,
    "injection: check text": lambda d: injected_keys(d, "text"),
    "injection: check github": lambda d: injected_keys(d, "github"),
    "injection: check markdown": lambda d: injected_keys(d, "markdown"),
    "integrity: bad tensor CRC, inspect": lambda d: bad_tensor_crc(d, verify=False),
    "integrity: bad tensor CRC, inspect --verify": bad_tensor_crc,
    "blocking: FIFO checkpoint": fifo_checkpoint,
    "blocking: FIFO model file": fifo_model,
    "blocking: FIFO shard": fifo_shard,
}
