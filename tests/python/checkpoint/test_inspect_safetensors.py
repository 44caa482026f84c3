"""safetensors files and sharded checkpoints (index JSON + shards) through `ckptguard inspect`.

The safetensors package is not in Debian 12, so files are written here by the spec (README
"Format"): u64 little-endian header length, JSON header padded with spaces, then the data.
"""

import json
import struct

import pytest

from inspect_support import expected_table, reported_table

torch = pytest.importorskip("torch")

CODES = {
    torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.float64: "F64",
    torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8",
    torch.uint8: "U8", torch.bool: "BOOL",
}


def raw_bytes(tensor):
    tensor = tensor.contiguous()
    if tensor.dtype == torch.bfloat16:  # numpy has no bfloat16: same bits as int16
        tensor = tensor.view(torch.int16)
    return tensor.numpy().tobytes()


def save_safetensors(tensors, path, metadata=None):
    header, blobs, offset = {}, [], 0
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, tensor in tensors.items():
        blob = raw_bytes(tensor)
        header[name] = {"dtype": CODES[tensor.dtype], "shape": list(tensor.shape),
                        "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    path.write_bytes(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def model_state():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.Linear(4, 2))
    return model.state_dict()


def test_safetensors_file(tmp_path, inspect_json):
    tensors = {
        "w32": torch.randn(2, 3), "w16": torch.randn(4).half(), "wbf": torch.randn(2, 2).bfloat16(),
        "w64": torch.randn(1).double(), "i64": torch.arange(3), "i8": torch.tensor([1, -1], dtype=torch.int8),
        "u8": torch.tensor([7], dtype=torch.uint8), "flag": torch.tensor([True, False]),
        "scalar": torch.tensor(2.0), "empty": torch.zeros(0, 5),
    }
    path = tmp_path / "model.safetensors"
    save_safetensors(tensors, path, metadata={"format": "pt", "epoch": "3"})
    result = inspect_json(path)
    assert result.returncode == 0, result.stderr
    report = result.report
    assert report["format"] == "safetensors"
    assert reported_table(report) == expected_table(tensors)
    assert report["state_dict_path"] == []
    assert report["metadata"] == {"format": "pt", "epoch": "3"}
    raw = path.read_bytes()
    for entry in report["tensors"]:
        storage = report["storages"][entry["storage"]]
        start = storage["data_offset"]
        assert raw[start:start + storage["nbytes"]] == raw_bytes(tensors[entry["path"][0]])


def test_sharded_safetensors(tmp_path, inspect_json):
    state = model_state()
    names = list(state)
    shards = {"model-00001-of-00002.safetensors": names[:4], "model-00002-of-00002.safetensors": names[4:]}
    weight_map = {}
    for shard, keys in shards.items():
        save_safetensors({k: state[k] for k in keys}, tmp_path / shard, metadata={"format": "pt"})
        weight_map.update({k: shard for k in keys})
    total = sum(t.numel() * t.element_size() for t in state.values())
    index = tmp_path / "model.safetensors.index.json"
    index.write_text(json.dumps({"metadata": {"total_size": total}, "weight_map": weight_map}))
    result = inspect_json(index)
    assert result.returncode == 0, result.stderr
    report = result.report
    assert report["format"] == "sharded-safetensors"
    assert reported_table(report) == expected_table(state)
    assert report["metadata"] == {"total_size": total}
    files = {report["storages"][t["storage"]]["file"] for t in report["tensors"]}
    assert files == set(shards)


def test_sharded_torch_bin(tmp_path, inspect_json):
    state = model_state()
    names = list(state)
    shards = {"pytorch_model-00001-of-00002.bin": names[:3], "pytorch_model-00002-of-00002.bin": names[3:]}
    weight_map = {}
    loaded = {}
    for shard, keys in shards.items():
        torch.save({k: state[k] for k in keys}, tmp_path / shard)
        loaded.update(torch.load(tmp_path / shard))
        weight_map.update({k: shard for k in keys})
    index = tmp_path / "pytorch_model.bin.index.json"
    index.write_text(json.dumps({"metadata": {"total_size": 0}, "weight_map": weight_map}))
    result = inspect_json(index)
    assert result.returncode == 0, result.stderr
    assert result.report["format"] == "sharded-torch"
    assert reported_table(result.report) == expected_table(loaded)


def test_index_escaping_its_directory_is_refused(tmp_path, cli):
    (tmp_path / "inner").mkdir()
    save_safetensors({"w": torch.ones(2)}, tmp_path / "outside.safetensors")
    index = tmp_path / "inner" / "model.safetensors.index.json"
    index.write_text(json.dumps({"weight_map": {"w": "../outside.safetensors"}}))
    done = cli("inspect", index)
    assert done.returncode == 2
    assert done.stderr.strip() == f"{index}: shard path escapes directory: ../outside.safetensors"


def test_text_output_names_shards(tmp_path, cli):
    save_safetensors({"w": torch.ones(2)}, tmp_path / "a.safetensors")
    index = tmp_path / "model.safetensors.index.json"
    index.write_text(json.dumps({"weight_map": {"w": "a.safetensors"}}))
    done = cli("inspect", index)
    assert done.returncode == 0, done.stderr
    assert "sharded-safetensors, 1 tensor in 1 storage" in done.stdout
