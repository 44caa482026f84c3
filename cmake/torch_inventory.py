"""Lists the real API of the installed torch, for the interpreter's hasattr/getattr/dir.

Run at build time by cmake/TorchInventory.cmake with the configured Python. Output, one record a
line: `version <torch.__version__>`, then per covered module or class `@<dotted name>` followed by
one line of its names (dir()), space-separated. Without torch, only `version none` is written and
the interpreter answers as if it had no inventory.
"""

import sys

# Modules and classes whose attributes model code tests with hasattr/getattr.
COVERED = [
    "torch", "torch.nn", "torch.nn.functional", "torch.nn.init", "torch.nn.utils",
    "torch.nn.utils.parametrize", "torch.nn.utils.parametrizations", "torch.nn.utils.rnn",
    "torch.nn.parameter", "torch.nn.common_types", "torch.linalg", "torch.fft", "torch.special",
    "torch.jit", "torch.cuda", "torch.cuda.amp", "torch.backends", "torch.backends.cudnn",
    "torch.backends.cuda", "torch.backends.mps", "torch.autograd", "torch.utils", "torch.utils.checkpoint",
    "torch.distributed", "torch.fx", "torch.hub", "torch.onnx", "torch.overrides", "torch.amp",
    "torch.nn.modules", "torch.Tensor", "torch.nn.Module", "torch.nn.Parameter",
]


def resolve(dotted):
    import importlib

    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr)
        return obj
    raise ImportError(dotted)


def main() -> int:
    out = open(sys.argv[1], "w", encoding="utf-8") if len(sys.argv) > 1 else sys.stdout
    try:
        import torch
    except Exception:
        out.write("version none\n")
        return 0
    out.write(f"version {torch.__version__}\n")
    for dotted in COVERED:
        try:
            obj = resolve(dotted)
        except Exception:
            continue
        names = sorted(set(dir(obj)))
        out.write(f"@{dotted}\n{' '.join(names)}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
