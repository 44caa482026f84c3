"""`ckptguard inspect` against what real torch 1.13 writes and what torch.load gives back.

Every file is written by torch.save in tmp_path; the reported tensor table (key paths, shapes,
dtypes, in order) must equal the one read off torch.load's result.
"""

import argparse

import pytest

from inspect_support import expected_table, reported_table, torch_tensors

torch = pytest.importorskip("torch")
nn = torch.nn


def small_model():
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(3, 4, 3),
        nn.BatchNorm2d(4),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(4 * 6 * 6, 5),
    )


def train_one_step(model, optimizer):
    model(torch.randn(2, 3, 8, 8)).sum().backward()
    optimizer.step()


@pytest.fixture(params=["torch-zip", "torch-legacy"])
def save_format(request):
    """Both torch.save formats: the zip default and _use_new_zipfile_serialization=False."""
    return request.param


def save_and_inspect(tmp_path, inspect_json, obj, name="ckpt.pt", save_format="torch-zip", **save_kwargs):
    path = tmp_path / name
    torch.save(obj, path, _use_new_zipfile_serialization=save_format == "torch-zip", **save_kwargs)
    result = inspect_json(path)
    assert result.returncode in (0, 1), result.stderr
    assert result.report["format"] == save_format
    loaded = torch.load(path, map_location="cpu")
    assert reported_table(result.report) == expected_table(loaded)
    return result.report, loaded


def tensors_by_path(report):
    return {tuple(t["path"]): t for t in report["tensors"]}


def test_plain_state_dict(tmp_path, inspect_json, save_format):
    report, loaded = save_and_inspect(tmp_path, inspect_json, save_format=save_format, obj=small_model().state_dict())
    assert report["state_dict_path"] == []
    assert report["metadata"] == {}
    assert report["optimizer_paths"] == []
    assert report["warnings"] == []
    # Module versions from state_dict()._metadata (BatchNorm is version 2).
    assert report["state_dict_metadata"]["1"] == {"version": 2}
    for path, tensor in torch_tensors(loaded):
        entry = tensors_by_path(report)[tuple(path)]
        assert entry["nbytes"] == tensor.numel() * tensor.element_size()
        assert entry["strides"] == list(tensor.stride())
        assert entry["storage_offset"] == tensor.storage_offset()


def test_storage_locations_point_at_the_tensor_bytes(tmp_path, inspect_json, save_format):
    state = {"a": torch.arange(10, dtype=torch.float32), "b": torch.arange(7, dtype=torch.int64) * 3}
    report, _ = save_and_inspect(tmp_path, inspect_json, save_format=save_format, obj=state)
    raw = (tmp_path / "ckpt.pt").read_bytes()
    for entry in report["tensors"]:
        storage = report["storages"][entry["storage"]]
        data = raw[storage["data_offset"] : storage["data_offset"] + storage["nbytes"]]
        expected = state[entry["path"][0]]
        assert data == expected.numpy().tobytes()


def test_data_parallel_wrapped(tmp_path, inspect_json, save_format):
    report, _ = save_and_inspect(tmp_path, inspect_json, save_format=save_format, obj=nn.DataParallel(small_model()).state_dict())
    assert report["tensors"][0]["path"] == ["module.0.weight"]
    assert report["state_dict_path"] == []


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float64])
def test_converted_models(tmp_path, inspect_json, dtype):
    report, _ = save_and_inspect(tmp_path, inspect_json, small_model().to(dtype).state_dict())
    assert report["tensors"][0]["dtype"] == str(dtype).replace("torch.", "")


def test_many_dtypes(tmp_path, inspect_json, save_format):
    state = {
        "int8": torch.tensor([-1, 2], dtype=torch.int8),
        "uint8": torch.tensor([1, 2, 3], dtype=torch.uint8),
        "int16": torch.tensor([1], dtype=torch.int16),
        "int32": torch.tensor([[1, 2]], dtype=torch.int32),
        "int64": torch.tensor(5),
        "bool": torch.tensor([True, False]),
        "complex64": torch.randn(3, dtype=torch.complex64),
        "complex128": torch.randn(2, dtype=torch.complex128),
        "bfloat16": torch.randn(2, 2).bfloat16(),
        "float16": torch.randn(1, 2, 3).half(),
        "empty": torch.empty(0, 4),
        "scalar": torch.tensor(3.5),
    }
    report, _ = save_and_inspect(tmp_path, inspect_json, save_format=save_format, obj=state)
    assert [t["dtype"] for t in report["tensors"]][:7] == [
        "int8", "uint8", "int16", "int32", "int64", "bool", "complex64"]


def test_tied_weights_share_one_storage(tmp_path, inspect_json, save_format):
    class Tied(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(10, 4)
            self.head = nn.Linear(4, 10, bias=False)
            self.head.weight = self.embed.weight

    report, _ = save_and_inspect(tmp_path, inspect_json, save_format=save_format, obj=Tied().state_dict())
    by_path = tensors_by_path(report)
    first, second = by_path[("embed.weight",)], by_path[("head.weight",)]
    assert first["storage"] == second["storage"]
    assert sorted(report["storages"][first["storage"]]["tensors"]) == [0, 1]


def test_slices_and_non_contiguous_views(tmp_path, inspect_json, save_format):
    base = torch.arange(24, dtype=torch.float32).reshape(4, 6)
    state = {
        "base": base,
        "rows": base[1:3],
        "transposed": base.t(),
        "strided": base[:, ::2],
        "column": base[:, 4],
        "expanded": torch.ones(3, 1).expand(3, 5),
        "empty_slice": base[4:],
    }
    report, loaded = save_and_inspect(tmp_path, inspect_json, save_format=save_format, obj=state)
    by_path = tensors_by_path(report)
    for name, tensor in loaded.items():
        entry = by_path[(name,)]
        assert entry["strides"] == list(tensor.stride()), name
        assert entry["storage_offset"] == tensor.storage_offset(), name
        assert entry["nbytes"] == tensor.numel() * tensor.element_size(), name
    shared = {by_path[(n,)]["storage"] for n in ("base", "rows", "transposed", "strided", "column")}
    assert len(shared) == 1


@pytest.mark.parametrize("make_optimizer", [
    lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9),
    lambda p: torch.optim.Adam(p, lr=1e-3),
    lambda p: torch.optim.AdamW(p, lr=1e-3, weight_decay=0.01),
], ids=["sgd", "adam", "adamw"])
def test_training_checkpoint(tmp_path, inspect_json, make_optimizer, save_format):
    model = small_model()
    optimizer = make_optimizer(model.parameters())
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=3)
    train_one_step(model, optimizer)
    checkpoint = {
        "epoch": 7,
        "step": 1234,
        "model_state_dict": model.state_dict(),
        "optimizer_state_dict": optimizer.state_dict(),
        "scheduler": scheduler.state_dict(),
        "config": {"lr": 0.1, "name": "run-1", "layers": [3, 4], "use_bn": True, "note": None},
        "best_acc": 0.875,
    }
    report, _ = save_and_inspect(tmp_path, inspect_json, save_format=save_format, obj=checkpoint)
    assert report["state_dict_path"] == ["model_state_dict"]
    assert report["optimizer_paths"] == [["optimizer_state_dict"]]
    metadata = report["metadata"]
    assert metadata["epoch"] == 7 and metadata["step"] == 1234 and metadata["best_acc"] == 0.875
    assert metadata["config"] == checkpoint["config"]
    assert metadata["optimizer_state_dict"]["param_groups"][0]["lr"] == pytest.approx(
        optimizer.state_dict()["param_groups"][0]["lr"])
    assert "model_state_dict" not in metadata


@pytest.mark.parametrize("key", ["state_dict", "model", "module", "model_state_dict", "ema"])
def test_structure_discovery_keys(tmp_path, inspect_json, key):
    checkpoint = {"epoch": 1, key: small_model().state_dict(), "arch": "tiny"}
    report, _ = save_and_inspect(tmp_path, inspect_json, checkpoint)
    assert report["state_dict_path"] == [key]
    assert report["metadata"] == {"epoch": 1, "arch": "tiny"}


def test_live_model_wins_over_ema(tmp_path, inspect_json):
    checkpoint = {"state_dict_ema": small_model().state_dict(), "state_dict": small_model().state_dict()}
    report, _ = save_and_inspect(tmp_path, inspect_json, checkpoint)
    assert report["state_dict_path"] == ["state_dict"]


def test_lightning_style_checkpoint(tmp_path, inspect_json):
    model = small_model()
    optimizer = torch.optim.Adam(model.parameters())
    train_one_step(model, optimizer)
    checkpoint = {
        "epoch": 2,
        "global_step": 40,
        "pytorch-lightning_version": "1.9.0",
        "state_dict": {f"model.{k}": v for k, v in model.state_dict().items()},
        "optimizer_states": [optimizer.state_dict()],
        "lr_schedulers": [],
        "hyper_parameters": {"hidden": 32},
    }
    report, _ = save_and_inspect(tmp_path, inspect_json, checkpoint)
    assert report["state_dict_path"] == ["state_dict"]
    assert report["optimizer_paths"] == [["optimizer_states", "0"]]


def test_parameters_and_python_values(tmp_path, inspect_json, save_format):
    checkpoint = {
        "weight": nn.Parameter(torch.randn(2, 2)),
        "frozen": nn.Parameter(torch.randn(3), requires_grad=False),
        "size": torch.Size([2, 3]),
        "dtype": torch.bfloat16,
        "device": torch.device("cuda", 1),
        "blob": b"\x00\x01\x02",
        "tags": {"a", "b"},
        "pair": (1, "x"),
        "big": 2**70,
        "nan": float("nan"),
    }
    report, _ = save_and_inspect(tmp_path, inspect_json, save_format=save_format, obj=checkpoint)
    by_path = tensors_by_path(report)
    assert by_path[("weight",)]["is_parameter"] and by_path[("weight",)]["requires_grad"]
    assert by_path[("frozen",)]["is_parameter"] and not by_path[("frozen",)]["requires_grad"]
    metadata = report["metadata"]
    assert metadata["size"] == [2, 3]
    assert metadata["dtype"] == "torch.bfloat16"
    assert metadata["device"] == "cuda:1"
    assert metadata["blob"] == "<3 bytes>"
    assert sorted(metadata["tags"]) == ["a", "b"]
    assert metadata["pair"] == [1, "x"]
    assert metadata["big"] == str(2**70)
    assert metadata["nan"] == "nan"


def test_pickle_protocol_4(tmp_path, inspect_json):
    checkpoint = {"model": small_model().state_dict(), "epoch": 3}
    report, _ = save_and_inspect(tmp_path, inspect_json, checkpoint, pickle_protocol=4)
    assert report["details"]["pickle_protocol"] == 4
    assert report["state_dict_path"] == ["model"]


def test_cuda_location_tags_read_without_a_gpu(tmp_path, inspect_json, monkeypatch, save_format):
    # No GPU here: tag CPU storages the way CUDA ones are tagged. torch.load needs map_location,
    # inspect never looks at the location beyond reporting it.
    monkeypatch.setattr(torch.serialization, "location_tag", lambda storage: "cuda:0")
    report, _ = save_and_inspect(tmp_path, inspect_json, save_format=save_format, obj=small_model().state_dict())
    assert {s["device"] for s in report["storages"]} == {"cuda:0"}


def test_shared_references_are_listed_per_path(tmp_path, inspect_json):
    state = small_model().state_dict()
    report, _ = save_and_inspect(tmp_path, inspect_json, {"model": state, "ema": state})
    assert report["state_dict_path"] == ["model"]
    assert len(report["tensors"]) == 2 * len(state)


def test_whole_tensor_list_and_bare_tensor(tmp_path, inspect_json):
    save_and_inspect(tmp_path, inspect_json, [torch.ones(2), (torch.zeros(1, 2), {"k": torch.eye(2)})])
    report, _ = save_and_inspect(tmp_path, inspect_json, torch.arange(5), name="bare.pt")
    assert report["tensors"][0]["path"] == []


def test_opaque_globals_are_reported_not_run(tmp_path, inspect_json):
    checkpoint = {"model": small_model().state_dict(), "args": argparse.Namespace(lr=0.5, depth=3)}
    report, _ = save_and_inspect(tmp_path, inspect_json, checkpoint)
    assert report["metadata"]["args"] == {"__class__": "argparse.Namespace", "lr": 0.5, "depth": 3}
    assert any("argparse.Namespace" in w for w in report["warnings"])


def test_numpy_scalars_become_numbers(tmp_path, inspect_json):
    np = pytest.importorskip("numpy")
    checkpoint = {"model": small_model().state_dict(), "best": np.float64(0.25), "epoch": np.int64(9)}
    report, _ = save_and_inspect(tmp_path, inspect_json, checkpoint)
    assert report["metadata"]["best"] == 0.25
    assert report["metadata"]["epoch"] == 9


def test_text_output(tmp_path, cli):
    path = tmp_path / "ckpt.pt"
    torch.save({"model": small_model().state_dict(), "epoch": 3}, path)
    done = cli("inspect", path)
    assert done.returncode == 0, done.stderr
    assert "torch-zip" in done.stdout
    assert "state_dict: model" in done.stdout
    assert "1.running_var" in done.stdout
    assert "epoch: 3" in done.stdout


def test_legacy_zip_polyglot_is_flagged(tmp_path, inspect_json):
    legacy, other = tmp_path / "legacy.pt", tmp_path / "other.pt"
    torch.save(small_model().state_dict(), legacy, _use_new_zipfile_serialization=False)
    torch.save({"x": torch.ones(3)}, other)
    polyglot = tmp_path / "polyglot.pt"
    polyglot.write_bytes(legacy.read_bytes() + other.read_bytes())
    result = inspect_json(polyglot)
    assert result.returncode == 1, result.stderr
    # torch.load sniffs the first bytes, as inspect does: both see the legacy checkpoint.
    assert reported_table(result.report) == expected_table(torch.load(polyglot))
    assert any("polyglot" in w for w in result.report["warnings"])


def test_quantized_tensors_and_models(tmp_path, inspect_json):
    per_tensor = torch.quantize_per_tensor(torch.randn(4), 0.1, 2, torch.qint8)
    per_channel = torch.quantize_per_channel(
        torch.randn(2, 3), torch.tensor([0.1, 0.2]), torch.tensor([0, 1]), 0, torch.quint8)
    save_and_inspect(tmp_path, inspect_json, {"q": per_tensor, "qc": per_channel})
    model = torch.ao.quantization.quantize_dynamic(nn.Sequential(nn.Linear(4, 4)), {nn.Linear}, dtype=torch.qint8)
    report, _ = save_and_inspect(tmp_path, inspect_json, model.state_dict(), name="dynamic.pt")
    assert "qint8" in {t["dtype"] for t in report["tensors"]}


def test_meta_tensors_and_tensor_attributes(tmp_path, inspect_json):
    tagged = torch.ones(3)
    tagged.note = "python attribute"  # pickled through torch._tensor._rebuild_from_type_v2
    report, _ = save_and_inspect(tmp_path, inspect_json, {
        "meta": torch.empty(2, 3, device="meta"), "tagged": tagged, "grad": torch.ones(2, requires_grad=True)})
    by_path = tensors_by_path(report)
    assert by_path[("meta",)]["storage"] is None
    assert by_path[("grad",)]["requires_grad"]


def test_sparse_tensors_are_named_not_listed(tmp_path, inspect_json):
    path = tmp_path / "sparse.pt"
    torch.save({"sparse": torch.eye(3).to_sparse(), "dense": torch.ones(2)}, path)
    result = inspect_json(path)
    assert result.returncode == 1
    assert [t["path"] for t in result.report["tensors"]] == [["dense"]]
    assert any("sparse tensor at [sparse]" in w for w in result.report["warnings"])


def test_python_objects_in_metadata(tmp_path, inspect_json):
    import collections
    import pathlib

    np = pytest.importorskip("numpy")
    path = tmp_path / "objects.pt"
    torch.save({"counts": collections.defaultdict(list, {"a": [1]}), "root": pathlib.Path("/data/run1"),
                "array": np.zeros((2, 3), dtype=np.float32)}, path)
    result = inspect_json(path)
    assert result.returncode == 1  # torch.load(weights_only=True) would refuse these
    metadata = result.report["metadata"]
    assert metadata["counts"] == {"a": [1]}
    assert metadata["root"] == "/data/run1"
    assert metadata["array"] == {"__class__": "numpy.ndarray", "shape": [2, 3], "dtype": "f4"}


def weights_only_cases():
    model = small_model()
    adam = torch.optim.Adam(model.parameters())
    train_one_step(model, adam)
    return {
        "state_dict": model.state_dict(),
        "bf16_state_dict": small_model().bfloat16().state_dict(),
        "adam": {"model": model.state_dict(), "optimizer": adam.state_dict()},
        "int_metadata": {"model": model.state_dict(), "epoch": 3, "name": "run"},
        "dtype_object": {"w": torch.ones(1), "dtype": torch.bfloat16},
        "float32_dtype": {"w": torch.ones(1), "dtype": torch.float32},
        "bytes": {"w": torch.ones(1), "blob": b"xy"},
        "set": {"w": torch.ones(1), "tags": {1, 2}},
        "size": {"w": torch.ones(1), "shape": torch.Size([1, 2])},
        "parameter": {"p": nn.Parameter(torch.ones(2))},
    }


@pytest.mark.parametrize("case", sorted(weights_only_cases()))
def test_weights_only_prediction_matches_torch(tmp_path, inspect_json, save_format, case):
    # Differential oracle: our prediction against torch 1.13's own weights_only loader.
    obj = weights_only_cases()[case]
    report, _ = save_and_inspect(tmp_path, inspect_json, save_format=save_format, obj=obj)
    try:
        torch.load(tmp_path / "ckpt.pt", weights_only=True)
        loads = True
    except Exception:  # noqa: BLE001 - any refusal counts
        loads = False
    assert report["details"]["weights_only_torch_1_13"]["loads"] == loads, report["details"]
    # README: exit 1 for a file torch.load(weights_only=True) would refuse (it was 0)
    assert inspect_json(tmp_path / "ckpt.pt").returncode == (0 if loads else 1)


def test_weights_only_refuses_floats_on_this_torch(tmp_path, inspect_json):
    """CKG401's help says so: on torch 1.13 an optimizer's lr makes weights_only=True refuse a
    training checkpoint, while the weights alone load."""
    path = tmp_path / "train.pt"
    torch.save({"model": {"w": torch.ones(1)}, "lr": 0.1}, path)
    with pytest.raises(Exception):
        torch.load(path, weights_only=True)
    torch.load(path, map_location="cpu")["model"]  # the full unpickler loads it
    result = inspect_json(path)
    assert result.returncode == 1 and result.report["details"]["weights_only_torch_1_13"]["loads"] is False
    torch.save({"w": torch.ones(1)}, path)
    torch.load(path, weights_only=True)
    assert inspect_json(path).returncode == 0


def module_tensors(module, prefix=()):
    """(key path, shape, dtype) of every tensor a pickled nn.Module holds, as the pickle nests
    them: _parameters, _buffers (non-persistent ones too), then _modules, recursively."""
    out = []
    for field in ("_parameters", "_buffers"):
        for name, t in getattr(module, field).items():
            if t is not None:
                out.append(([*prefix, field, name], list(t.shape), str(t.dtype).removeprefix("torch.")))
    for name, child in module._modules.items():
        out += module_tensors(child, (*prefix, "_modules", name))
    return out


def test_whole_module_pickle_is_listed_without_building_anything(tmp_path, cli, save_format):
    """torch.save(model) could not be inspected at all (exit 2). With --objects its classes are
    names, never imported or built, and every tensor torch.load would give back is listed."""
    path = tmp_path / "whole.pt"
    model = small_model()
    model.register_buffer("scale", torch.ones(1), persistent=False)
    torch.save(model, path, _use_new_zipfile_serialization=save_format == "torch-zip")
    refused = cli("inspect", path)
    assert refused.returncode == 2 and "refusing global torch.nn.modules.container.Sequential" in refused.stderr
    assert "`ckptguard inspect --objects` lists it without building anything" in refused.stderr
    listed = cli("inspect", path, "--objects", "--format", "json")
    assert listed.returncode == 1, listed.stderr  # torch.load(weights_only=True) refuses it
    report = __import__("json").loads(listed.stdout)
    loaded = torch.load(path)
    got = [(t["path"], t["shape"], t["dtype"]) for t in report["tensors"]]
    assert sorted(got) == sorted(module_tensors(loaded))
    assert "torch.nn.modules.conv.Conv2d is listed by name, never built (torch.load would import and run it)" in report["warnings"]
    # ... and the state_dict the module would give, named as torch names it (the non-persistent
    # buffer is listed, but not as a state_dict key)
    assert report["state_dict_path"] == []
    keys = [(t["state_dict_key"], t["shape"], t["dtype"]) for t in report["tensors"] if t["state_dict_key"] is not None]
    assert sorted(keys) == sorted((k, list(v.shape), str(v.dtype).removeprefix("torch.")) for k, v in loaded.state_dict().items())


class TiedHead(nn.Module):
    """A module reused under two names (tied weights) and a non-persistent buffer."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(10, 4)
        self.register_buffer("positions", torch.arange(4), persistent=False)
        self.blocks = nn.ModuleList([nn.Linear(4, 4), nn.LayerNorm(4)])
        self.out = self.embed


@pytest.mark.parametrize("name", ["resnet18", "mobilenet_v3_small", "densenet121", "vit_b_16", "tied"])
def test_whole_module_state_dict_keys_match_torch(tmp_path, cli, name):
    """For torch.save(model) and {'model': model, ...}, `inspect --objects` names the state_dict
    exactly as model.state_dict() does: keys, order, shapes and dtypes."""
    torchvision = pytest.importorskip("torchvision")
    model = TiedHead() if name == "tied" else getattr(torchvision.models, name)()
    expected = [(k, list(v.shape), str(v.dtype).removeprefix("torch.")) for k, v in model.state_dict().items()]
    for layout, obj, root in [("whole", model, []), ("nested", {"epoch": 3, "model": model}, ["model"])]:
        path = tmp_path / f"{layout}.pt"
        torch.save(obj, path)
        listed = cli("inspect", path, "--objects", "--format", "json")
        assert listed.returncode == 1, listed.stderr
        report = __import__("json").loads(listed.stdout)
        assert report["state_dict_path"] == root
        by_key = {t["state_dict_key"]: t for t in report["tensors"] if t["state_dict_key"] is not None}
        order = [t["state_dict_key"] for t in report["tensors"] if t["state_dict_key"] is not None]
        got = [(k, by_key[k]["shape"], by_key[k]["dtype"]) for k in order]
        assert got == expected, layout


def test_objects_mode_never_calls_a_partial(tmp_path, cli):
    """functools.partial is listed by name in --objects mode (ViT keeps one as norm_layer), but
    a partial is an object, and objects are never called: the REDUCE calling it is refused."""
    import functools
    import os

    class CallsPartial:
        def __init__(self, func):
            self.func = func

        def __reduce__(self):
            return (functools.partial(self.func, "touch pwned"), ())

    path = tmp_path / "partial.pt"
    torch.save({"w": torch.ones(1), "x": CallsPartial(os.system)}, path)
    done = cli("inspect", path, "--objects")
    assert done.returncode == 2 and "refusing global posix.system" in done.stderr
    torch.save({"w": torch.ones(1), "x": CallsPartial(nn.Identity)}, path)  # a partial of a class
    done = cli("inspect", path, "--objects")
    assert done.returncode == 2 and "cannot call a object (only allow-listed globals are callable)" in done.stderr, done.stderr
    # the partial alone, as an attribute: listed, never called
    torch.save({"w": torch.ones(1), "norm": functools.partial(nn.LayerNorm, eps=1e-6)}, path)
    listed = cli("inspect", path, "--objects")
    assert listed.returncode == 1 and "functools.partial is listed by name, never built" in listed.stdout, listed.stderr
    assert not (tmp_path / "pwned").exists()


def test_objects_mode_still_refuses_globals_that_run_code(tmp_path, cli):
    class Payload:
        def __reduce__(self):
            import os
            return (os.system, ("touch pwned",))

    path = tmp_path / "payload.pt"
    torch.save({"w": torch.ones(1), "x": Payload()}, path)
    done = cli("inspect", path, "--objects")
    assert done.returncode == 2 and "refusing global posix.system" in done.stderr
    assert not (tmp_path / "pwned").exists()
