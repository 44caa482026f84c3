"""The libtorch checker: digests, memory-mapped tensors and bit-exact verification on real
torch.save files against live models."""

from __future__ import annotations

import json
import struct
import zipfile

import pytest
import torch
from torch import nn

from ckptguard.checker import bit_equal, compare_values, digests, load_tensor, tensor_digest, verify


def test_digest_is_stable_and_content_sensitive():
    t = torch.arange(12, dtype=torch.float32).reshape(3, 4)
    assert tensor_digest(t) == tensor_digest(t.clone())
    assert tensor_digest(t) != tensor_digest(t + 1)
    assert tensor_digest(t) != tensor_digest(t.reshape(4, 3))        # shape is part of the digest
    assert tensor_digest(t) != tensor_digest(t.to(torch.float64))    # so is dtype
    assert tensor_digest(t.t()) == tensor_digest(t.t().contiguous())  # views hash by value
    z = torch.tensor([1 + 2j])
    assert tensor_digest(z.conj()) == tensor_digest(z.conj().resolve_conj())  # lazy conj applied


def test_bit_equal_distinguishes_bytes_not_just_values():
    a = torch.tensor([0.0, float("nan")])
    assert bit_equal(a, a.clone())
    assert not bit_equal(torch.tensor([0.0]), torch.tensor([-0.0]))  # equal as numbers, different bits
    assert not bit_equal(a, a.to(torch.float16))
    assert bit_equal(torch.ones(2, 3)[:, 1], torch.ones(2))


class Net(nn.Module):
    """Parameters and buffers of several kinds, and a tied embedding/decoder weight."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(11, 6)
        self.conv = nn.Conv1d(6, 8, 3, padding=1)
        self.norm = nn.BatchNorm1d(8)
        self.proj = nn.Linear(8, 6)
        self.decoder = nn.Linear(6, 11, bias=False)
        self.decoder.weight = self.embed.weight


def make_model(dtype: torch.dtype = torch.float32) -> Net:
    torch.manual_seed(0)
    model = Net()
    model.norm.running_mean.uniform_()
    model.norm.num_batches_tracked += 3
    return model.to(dtype)


def statuses(report: dict) -> dict[str, str]:
    return {k["name"]: k["status"] for k in report["keys"]}


def assert_only_differs(report: dict, name: str, status: str) -> dict:
    assert not report["equal"]
    assert {k: s for k, s in statuses(report).items() if s != "equal"} == {name: status}
    return next(k for k in report["keys"] if k["name"] == name)


SAVES = {
    "zip": lambda m, p: torch.save(m.state_dict(), p),
    "legacy": lambda m, p: torch.save(m.state_dict(), p, _use_new_zipfile_serialization=False),
    "training": lambda m, p: torch.save(
        {"epoch": 3, "model": m.state_dict(),
         "optimizer": torch.optim.Adam(m.parameters()).state_dict()}, p),
}


@pytest.mark.parametrize("dtype", [torch.float32, torch.float16, torch.bfloat16, torch.float64])
@pytest.mark.parametrize("save", SAVES)
def test_saved_model_verifies_equal_against_itself(tmp_path, save, dtype):
    model = make_model(dtype)
    path = tmp_path / "model.pt"
    SAVES[save](model, path)
    report = verify(path, model)
    assert report["equal"], report
    assert report["missing"] == report["unexpected"] == []
    state = model.state_dict()
    assert list(statuses(report)) == list(state)
    for key in report["keys"]:
        assert key["checkpoint_digest"] == key["model_digest"] == tensor_digest(state[key["name"]])
        assert key["detail"] == ""


def test_verify_accepts_a_state_dict_mapping_and_skips_non_tensors(tmp_path):
    model = make_model()
    torch.save(model.state_dict(), tmp_path / "m.pt")
    state = dict(model.state_dict())
    assert verify(tmp_path / "m.pt", state)["equal"]
    state["extra._extra_state"] = {"not": "a tensor"}
    assert verify(str(tmp_path / "m.pt"), state)["equal"]


def flip_low_bit(t: torch.Tensor, index):
    bits = t.view(torch.int32)
    bits[index] ^= 1


def to_negative_zero(t: torch.Tensor, index):
    t[index] = -0.0


def change_nan_payload(t: torch.Tensor, index):
    t.view(torch.int32)[index] = 0x7FC00001


def prepare_zero(t: torch.Tensor, index):
    t[index] = 0.0


def prepare_nan(t: torch.Tensor, index):
    t.view(torch.int32)[index] = 0x7FC00000


PERTURBATIONS = {
    "single bit": (None, flip_low_bit, "1 of 48 elements differ; first at [2, 1]"),
    "negative zero": (prepare_zero, to_negative_zero, "checkpoint 0 (0x00000000), model -0 (0x80000000)"),
    "nan payload": (prepare_nan, change_nan_payload, "checkpoint nan (0x7fc00000), model nan (0x7fc00001)"),
}


@pytest.mark.parametrize("case", PERTURBATIONS)
@pytest.mark.parametrize("save", ["zip", "legacy"])
def test_one_perturbed_element_is_reported_on_that_key_only(tmp_path, save, case):
    prepare, perturb, expected_detail = PERTURBATIONS[case]
    model = make_model()
    weight = model.proj.weight.data  # 6x8
    index = (2, 1)
    if prepare:
        prepare(weight, index)
    SAVES[save](model, tmp_path / "m.pt")
    before = weight.clone()
    perturb(weight, index)
    if case == "negative zero":
        assert torch.equal(before, weight)  # invisible to value comparison
    entry = assert_only_differs(verify(tmp_path / "m.pt", model), "proj.weight", "bytes_differ")
    assert entry["first_difference"] == [2, 1]
    assert entry["differing_elements"] == 1
    assert expected_detail in entry["detail"]
    assert entry["checkpoint_digest"] == tensor_digest(before)
    assert entry["model_digest"] == tensor_digest(weight)


def test_every_differing_element_is_counted_and_the_first_is_named(tmp_path):
    model = make_model()
    torch.save(model.state_dict(), tmp_path / "m.pt")
    with torch.no_grad():
        model.conv.weight[3:, 1, 2] += 1  # conv.weight is 8x6x3
    entry = assert_only_differs(verify(tmp_path / "m.pt", model), "conv.weight", "bytes_differ")
    assert entry["first_difference"] == [3, 1, 2]
    assert entry["differing_elements"] == 5


def test_tied_weights_are_checked_under_both_keys(tmp_path):
    model = make_model()
    torch.save(model.state_dict(), tmp_path / "m.pt")
    assert verify(tmp_path / "m.pt", model)["equal"]
    with torch.no_grad():
        model.embed.weight[0, 0] += 1  # the decoder shares it
    report = verify(tmp_path / "m.pt", model)
    assert {k for k, s in statuses(report).items() if s != "equal"} == {"embed.weight", "decoder.weight"}


def test_shape_and_dtype_changes_are_reported_as_such(tmp_path):
    model = make_model()
    torch.save(model.state_dict(), tmp_path / "m.pt")
    state = dict(model.state_dict())
    state["proj.bias"] = torch.zeros(7)
    entry = assert_only_differs(verify(tmp_path / "m.pt", state), "proj.bias", "shape_differs")
    assert entry["detail"] == "checkpoint float32 [6], model float32 [7]"
    state = dict(model.state_dict())
    state["norm.num_batches_tracked"] = state["norm.num_batches_tracked"].to(torch.int32)
    entry = assert_only_differs(verify(tmp_path / "m.pt", state), "norm.num_batches_tracked", "dtype_differs")
    assert entry["detail"] == "checkpoint int64 [], model int32 []"
    assert entry["checkpoint_digest"] != entry["model_digest"]


def test_missing_and_unexpected_keys(tmp_path):
    model = make_model()
    torch.save(model.state_dict(), tmp_path / "m.pt")
    state = dict(model.state_dict())
    del state["conv.bias"]
    state["head.weight"] = torch.ones(2)
    report = verify(tmp_path / "m.pt", state)
    assert not report["equal"]
    assert report["missing"] == ["head.weight"]
    assert report["unexpected"] == ["conv.bias"]
    entries = {k["name"]: k for k in report["keys"]}
    assert entries["head.weight"]["checkpoint_digest"] is None
    assert entries["head.weight"]["model_digest"] == tensor_digest(torch.ones(2))
    assert entries["conv.bias"]["model_digest"] is None
    assert report["keys"][-1]["name"] == "head.weight"  # keys only the model has come last
    assert {s for k, s in statuses(report).items() if k not in ("head.weight", "conv.bias")} == {"equal"}


def test_live_tensors_in_any_layout_compare_by_value(tmp_path):
    model = make_model()
    torch.save(model.state_dict(), tmp_path / "m.pt")
    state = {k: v.t().contiguous().t() if v.dim() == 2 else v for k, v in model.state_dict().items()}
    assert not state["proj.weight"].is_contiguous()
    assert verify(tmp_path / "m.pt", state)["equal"]


def views_state() -> dict[str, torch.Tensor]:
    torch.manual_seed(1)
    base = torch.randn(6, 10)
    return {"full": base, "slice": base[1:4, 2:7], "transposed": base.t(), "strided": base[::2, ::3],
            "row": base[5], "scalar": base[2, 3], "empty": base[:, 4:4],
            "ints": torch.arange(20, dtype=torch.int64)[3:17:2], "flags": torch.rand(5) > 0.5,
            "bytes": torch.arange(9, dtype=torch.uint8), "i8": torch.arange(-4, 4, dtype=torch.int8),
            "i16": torch.arange(7, dtype=torch.int16), "i32": torch.arange(7, dtype=torch.int32),
            "c64": torch.randn(3, dtype=torch.complex64), "c128": torch.randn(2, 2, dtype=torch.complex128),
            "half": torch.randn(4).half(), "bf16": torch.randn(4).bfloat16()}


@pytest.mark.parametrize("save", ["zip", "legacy"])
def test_load_tensor_is_exactly_torch_load(tmp_path, save):
    state = views_state()
    path = tmp_path / "views.pt"
    torch.save(state, path, _use_new_zipfile_serialization=save == "zip")
    loaded = torch.load(path)
    for name, expected in loaded.items():
        got = load_tensor(path, name)
        assert got.dtype == expected.dtype, name
        assert got.shape == expected.shape, name
        assert got.stride() == expected.stride(), name
        assert got.storage_offset() == expected.storage_offset(), name
        assert bit_equal(got, expected), name
    assert verify(path, state)["equal"]


def test_load_tensor_views_the_mapping_and_keeps_it_alive(tmp_path):
    state = views_state()
    torch.save(state, tmp_path / "v.pt")
    first = load_tensor(tmp_path / "v.pt", "slice")
    second = load_tensor(tmp_path / "v.pt", "transposed")
    del second
    import gc
    gc.collect()
    assert bit_equal(first, state["slice"])  # still mapped after the checkpoint object is gone
    first.add_(1)  # private copy-on-write pages: no crash, the file is untouched
    assert digests(tmp_path / "v.pt")["slice"] == tensor_digest(state["slice"])
    assert bit_equal(load_tensor(tmp_path / "v.pt", "slice"), state["slice"])


def test_load_tensor_finds_optimizer_tensors_by_path(tmp_path):
    model = make_model()
    opt = torch.optim.Adam(model.parameters())
    for p in model.parameters():
        p.grad = torch.ones_like(p)
    opt.step()
    torch.save({"model": model.state_dict(), "optimizer": opt.state_dict()}, tmp_path / "t.pt")
    expected = opt.state_dict()["state"][0]["exp_avg"]
    assert bit_equal(load_tensor(tmp_path / "t.pt", "optimizer/state/0/exp_avg"), expected)
    assert bit_equal(load_tensor(tmp_path / "t.pt", "proj.bias"), model.proj.bias.detach())
    with pytest.raises(KeyError, match="no tensor named nope"):
        load_tensor(tmp_path / "t.pt", "nope")


def test_two_checkpoints_compared(tmp_path):
    model = make_model()
    torch.save(model.state_dict(), tmp_path / "a.pt")
    SAVES["legacy"](model, tmp_path / "b.pt")
    SAVES["training"](model, tmp_path / "c.pt")
    assert compare_values(tmp_path / "a.pt", tmp_path / "b.pt")["equal"]
    assert compare_values(tmp_path / "c.pt", tmp_path / "a.pt")["equal"]
    with torch.no_grad():
        model.norm.running_var[4] = float("inf")
    torch.save(model.state_dict(), tmp_path / "d.pt")
    entry = assert_only_differs(compare_values(tmp_path / "a.pt", tmp_path / "d.pt"),
                                "norm.running_var", "bytes_differ")
    assert entry["first_difference"] == [4]
    assert "other inf (0x7f800000)" in entry["detail"]


def test_digests_are_stable_across_formats_and_runs(tmp_path):
    model = make_model()
    torch.save(model.state_dict(), tmp_path / "a.pt")
    SAVES["legacy"](model, tmp_path / "b.pt")
    SAVES["training"](model, tmp_path / "c.pt")
    expected = {k: tensor_digest(v) for k, v in model.state_dict().items()}
    assert digests(tmp_path / "a.pt") == expected
    assert digests(tmp_path / "a.pt") == expected
    assert digests(tmp_path / "b.pt") == expected
    assert digests(tmp_path / "c.pt") == expected
    assert list(digests(tmp_path / "a.pt")) == list(model.state_dict())


def write_safetensors(path, tensors: dict[str, torch.Tensor], pad: int) -> None:
    """A minimal safetensors writer; `pad` spaces in the header shift where the data starts."""
    codes = {torch.float32: "F32", torch.int64: "I64"}
    header, data, offset = {}, b"", 0
    for name, t in tensors.items():
        raw = t.contiguous().numpy().tobytes()
        header[name] = {"dtype": codes[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        data += raw
        offset += len(raw)
    text = json.dumps(header).encode() + b" " * pad
    path.write_bytes(struct.pack("<Q", len(text)) + text + data)


@pytest.mark.parametrize("pad", range(4))
def test_safetensors_mapped_or_copied_when_misaligned(tmp_path, pad):
    tensors = {"w": torch.randn(3, 5), "step": torch.tensor([7, 8])}
    write_safetensors(tmp_path / "m.safetensors", tensors, pad)
    assert verify(tmp_path / "m.safetensors", tensors)["equal"]
    assert bit_equal(load_tensor(tmp_path / "m.safetensors", "w"), tensors["w"])


def test_sharded_checkpoint_maps_every_shard(tmp_path):
    model = make_model()
    state = model.state_dict()
    keys = list(state)
    shards = {"part-1.bin": keys[:4], "part-2.bin": keys[4:]}
    for shard, names in shards.items():
        torch.save({k: state[k] for k in names}, tmp_path / shard)
    index = {"weight_map": {k: shard for shard, names in shards.items() for k in names}}
    (tmp_path / "pytorch_model.bin.index.json").write_text(json.dumps(index))
    report = verify(tmp_path / "pytorch_model.bin.index.json", model)
    assert report["equal"], report
    assert bit_equal(load_tensor(tmp_path / "pytorch_model.bin.index.json", keys[-1]), state[keys[-1]])


def rewrite_zip(src, dst, compress_data=False, byteorder=None) -> None:
    """Copy a torch zip record by record, deflating the tensor records or adding the byteorder
    record torch >= 2.1 writes (1.13 writes none and is little-endian only)."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            deflate = compress_data and "/data/" in info.filename
            zout.writestr(info.filename, zin.read(info),
                          compress_type=zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED)
        if byteorder:
            prefix = zin.namelist()[0].split("/")[0]
            zout.writestr(f"{prefix}/byteorder", byteorder)


def test_unmappable_files_raise_value_error_with_the_reader_message(tmp_path):
    model = make_model()
    torch.save(model.state_dict(), tmp_path / "m.pt")
    rewrite_zip(tmp_path / "m.pt", tmp_path / "little.pt", byteorder="little")
    assert verify(tmp_path / "little.pt", model)["equal"]
    rewrite_zip(tmp_path / "m.pt", tmp_path / "big.pt", byteorder="big")
    with pytest.raises(ValueError, match=r"big.pt: tensor .*big-endian"):
        verify(tmp_path / "big.pt", model)
    rewrite_zip(tmp_path / "m.pt", tmp_path / "deflated.pt", compress_data=True)
    assert torch.equal(torch.load(tmp_path / "deflated.pt")["proj.weight"], model.proj.weight)
    with pytest.raises(ValueError, match=r"deflated.pt: tensor .* compressed record"):
        digests(tmp_path / "deflated.pt")
    (tmp_path / "junk.pt").write_bytes(b"definitely not a checkpoint")
    with pytest.raises(ValueError, match=r"junk.pt: not a checkpoint"):
        compare_values(tmp_path / "m.pt", tmp_path / "junk.pt")
    with pytest.raises(ValueError, match="cannot open"):
        load_tensor(tmp_path / "absent.pt", "x")
    torch.save([torch.ones(2)], tmp_path / "list.pt")
    with pytest.raises(ValueError, match="no model state_dict"):
        verify(tmp_path / "list.pt", {})


def test_truncated_storage_is_an_error_not_a_crash(tmp_path):
    tensors = {"w": torch.randn(64)}
    write_safetensors(tmp_path / "m.safetensors", tensors, 0)
    data = (tmp_path / "m.safetensors").read_bytes()
    (tmp_path / "cut.safetensors").write_bytes(data[:-16])
    with pytest.raises(ValueError, match="cut.safetensors"):
        verify(tmp_path / "cut.safetensors", tensors)


def test_zip_tensors_are_zero_copy_views_of_the_file(tmp_path):
    model = make_model()
    path = tmp_path / "m.pt"
    torch.save(model.state_dict(), path)
    weight = load_tensor(path, "proj.weight")
    address = weight.data_ptr()
    regions = [line.split()[0] for line in open("/proc/self/maps") if line.rstrip().endswith(str(path))]
    spans = [tuple(int(x, 16) for x in region.split("-")) for region in regions]
    assert any(lo <= address < hi for lo, hi in spans), (hex(address), regions)
