"""Seed corpora for the libFuzzer harnesses, made by real torch and real model source.

Nothing here is committed but this script: it writes OUT/<harness>/ (scripts/fuzz.sh uses
build/fuzz-corpus). Checkpoints keep the structure of real ones (keys, shapes, dtypes, optimizer
state, _metadata, TorchScript, quantized and sparse tensors) but their tensors are stride-0
views of one-element storages, so every seed stays a few kilobytes.

Run with the interpreter that has torch:  /usr/bin/python3 fuzz/make_seeds.py OUT
"""

import argparse
import collections
import io
import json
import pathlib
import shutil
import struct
import zipfile

import torch
import torchvision

TORCHVISION_MODELS = pathlib.Path(torchvision.__file__).parent / "models"
REPO = pathlib.Path(__file__).resolve().parents[1]


def tiny(tensor):
    """A tensor of the same shape and dtype whose data is one element (stride 0 everywhere)."""
    if tensor.is_sparse or tensor.is_quantized:
        return tensor
    return torch.zeros(1, dtype=tensor.dtype).expand(tensor.shape) if tensor.dim() else tensor.clone()


def tiny_state(state_dict):
    out = collections.OrderedDict((k, tiny(v)) for k, v in state_dict.items())
    if hasattr(state_dict, "_metadata"):
        out._metadata = state_dict._metadata
    return out


def model_states():
    """Real module trees: torchvision classifiers with their state_dict layout and _metadata."""
    for name in ["resnet18", "mobilenet_v3_small", "squeezenet1_1", "shufflenet_v2_x0_5", "vit_b_32",
                 "efficientnet_b0", "densenet121", "convnext_tiny"]:
        yield name, tiny_state(getattr(torchvision.models, name)(weights=None).state_dict())
    model = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4), torch.nn.ReLU(),
                                torch.nn.Flatten(), torch.nn.Linear(4, 2))
    yield "small", model.state_dict()


def whole_modules():
    """torch.save(model) as `inspect --objects` lists it: module objects, partials, tied weights."""
    for name in ["resnet18", "vit_b_32", "mobilenet_v3_small"]:
        model = getattr(torchvision.models, name)(weights=None)
        with torch.no_grad():
            for module in model.modules():
                for key, param in module._parameters.items():
                    if param is not None:
                        module._parameters[key] = torch.nn.Parameter(tiny(param), param.requires_grad)
                for key, buffer in module._buffers.items():
                    if buffer is not None:
                        module._buffers[key] = tiny(buffer)
        yield f"whole_{name}", model
    model = torch.nn.Sequential(torch.nn.Embedding(5, 2), torch.nn.Linear(2, 5))
    model[1].weight = model[0].weight
    model.register_buffer("positions", torch.arange(3), persistent=False)
    yield "whole_tied", {"model": model, "epoch": 2}


def training_checkpoints():
    """Objects as training scripts save them: model, optimizer, scheduler, scaler, metadata."""
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.LayerNorm(4), torch.nn.Linear(4, 2))
    for optimizer_class in [torch.optim.Adam, torch.optim.SGD, torch.optim.AdamW, torch.optim.RMSprop]:
        kwargs = {"momentum": 0.9} if optimizer_class in (torch.optim.SGD, torch.optim.RMSprop) else {}
        optimizer = optimizer_class(model.parameters(), lr=0.1, **kwargs)
        model(torch.ones(2, 3)).sum().backward()
        optimizer.step()
        scheduler = torch.optim.lr_scheduler.StepLR(optimizer, 3)
        yield f"train_{optimizer_class.__name__}", {
            "epoch": 3, "step": 1200, "best_acc": 0.91, "model": model.state_dict(),
            "optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(),
            "args": {"lr": 0.1, "name": "run-1", "layers": [3, 4, 2], "flags": (True, None)}}
    yield "ema", {"state_dict": model.state_dict(), "ema": model.state_dict(), "step": 7}
    shared = torch.arange(12.0)
    yield "views", {"a": shared, "b": shared[2:8].view(2, 3), "t": shared.view(3, 4).t(),
                    "s": shared[::3], "scalar": torch.tensor(2.5), "empty": torch.zeros(0, 3)}
    yield "dtypes", {str(d): torch.zeros(2, dtype=d) for d in
                     [torch.float16, torch.bfloat16, torch.float64, torch.int8, torch.uint8, torch.int16,
                      torch.int32, torch.int64, torch.bool, torch.complex64]}
    yield "parameters", {"p": torch.nn.Parameter(torch.ones(2)), "frozen": torch.nn.Parameter(torch.ones(2), False)}
    yield "quantized", {"q": torch.quantize_per_tensor(torch.ones(4), 0.1, 0, torch.qint8)}
    yield "sparse", {"s": torch.eye(3).to_sparse()}
    yield "containers", {"list": [torch.ones(1), 2, "x"], "set": {1, 2}, "nested": {"a": {"b": {"c": [1.5]}}},
                         "bytes": b"\x00\x01", "complex": 1 + 2j, "big": 2 ** 70, "neg": -(2 ** 40)}


def save_zip(obj, path):
    torch.save(obj, path)


def save_legacy(obj, path):
    torch.save(obj, path, _use_new_zipfile_serialization=False)


def data_pkl(path):
    with zipfile.ZipFile(path) as archive:
        name = next(n for n in archive.namelist() if n.endswith("/data.pkl"))
        return archive.read(name)


SAFETENSORS_DTYPES = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.float64: "F64",
                      torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8",
                      torch.uint8: "U8", torch.bool: "BOOL"}


def safetensors_bytes(tensors, metadata=None):
    """The safetensors format by its README: u64 header length, JSON header padded, data."""
    header, blobs, offset = {}, [], 0
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, tensor in tensors.items():
        tensor = tensor.contiguous()
        if tensor.dtype not in SAFETENSORS_DTYPES:
            continue
        raw = (tensor.view(torch.int16) if tensor.dtype == torch.bfloat16 else tensor).numpy().tobytes()
        header[name] = {"dtype": SAFETENSORS_DTYPES[tensor.dtype], "shape": list(tensor.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(blobs)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=pathlib.Path)
    out = parser.parse_args().out
    dirs = {name: out / name for name in ["zip", "unpickler", "legacy", "safetensors", "interp"]}
    for directory in dirs.values():
        directory.mkdir(parents=True, exist_ok=True)

    objects = list(model_states()) + list(training_checkpoints()) + list(whole_modules())
    for name, obj in objects:
        zip_path = dirs["zip"] / f"{name}.pt"
        save_zip(obj, zip_path)
        (dirs["unpickler"] / f"{name}.pkl").write_bytes(data_pkl(zip_path))
        try:
            save_legacy(obj, dirs["legacy"] / f"{name}.pt")
        except Exception:  # noqa: BLE001 - some objects (sparse) have no legacy form in torch 1.13
            pass
    scripted = torch.jit.script(torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU()))
    buffer = io.BytesIO()
    torch.jit.save(scripted, buffer)
    (dirs["zip"] / "torchscript.pt").write_bytes(buffer.getvalue())

    for name, state in model_states():
        plain = {k: v.contiguous()[:2].clone() if v.dim() else v for k, v in state.items()}
        (dirs["safetensors"] / f"{name}.safetensors").write_bytes(
            safetensors_bytes(plain, {"format": "pt", "source": name}))
        keys = list(plain)
        half = len(keys) // 2
        weight_map = {k: "model-00001-of-00002.safetensors" if i < half else "model-00002-of-00002.safetensors"
                      for i, k in enumerate(keys)}
        (dirs["safetensors"] / f"{name}.index.json").write_text(
            json.dumps({"metadata": {"total_size": 1234}, "weight_map": weight_map}, indent=2))
    (dirs["safetensors"] / "shards.index.json").write_text(
        json.dumps({"metadata": {"total_size": 16}, "weight_map": {"w": "a.safetensors", "b": "b.safetensors"}}))

    sources = sorted(TORCHVISION_MODELS.rglob("*.py")) + sorted((REPO / "examples").rglob("*.py"))
    for index, source in enumerate(sources):
        shutil.copyfile(source, dirs["interp"] / f"{index:03d}_{source.name}")
    for name, directory in dirs.items():
        print(f"{name}: {sum(1 for _ in directory.iterdir())} seeds")


if __name__ == "__main__":
    main()
