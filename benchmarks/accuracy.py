"""Key-prediction accuracy against real torch, for every torchvision builder and the torch.nn
catalogue, plus a set of non-default configurations.

Ground truth comes from instantiating each model with real torch (weights=None and, for the
detection models, weights_backbone=None: this machine has no network to download backbone
weights) and reading state_dict(). It is computed in a subprocess and cached under build/bench/.

Run: .venv/bin/python benchmarks/accuracy.py [--refresh-truth] [--failures N]
"""

from __future__ import annotations

import argparse
import inspect
import json
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CACHE = REPO / "build" / "bench"

# (builder, {kwarg: python literal}) beyond the defaults; values are passed to torch with eval().
NON_DEFAULT = [
    ("resnet50", {"num_classes": "10"}),
    ("resnet18", {"norm_layer": "nn.InstanceNorm2d"}),
    ("resnext50_32x4d", {"num_classes": "7", "zero_init_residual": "True"}),
    ("inception_v3", {"aux_logits": "False", "init_weights": "False"}),
    ("googlenet", {"aux_logits": "False", "init_weights": "False"}),
    ("mobilenet_v2", {"width_mult": "0.5"}),
    ("mobilenet_v3_small", {"num_classes": "5", "dropout": "0.1"}),
    ("efficientnet_b0", {"num_classes": "3"}),
    ("densenet121", {"num_classes": "2", "memory_efficient": "True"}),
    ("vgg11_bn", {"num_classes": "4"}),
    ("squeezenet1_1", {"num_classes": "6"}),
    ("vit_b_32", {"num_classes": "8", "image_size": "96"}),
    ("swin_t", {"num_classes": "9"}),
    ("convnext_tiny", {"num_classes": "11"}),
    ("shufflenet_v2_x0_5", {"num_classes": "12"}),
    ("regnet_y_400mf", {"num_classes": "13"}),
    ("mnasnet0_5", {"num_classes": "14", "dropout": "0.3"}),
    ("alexnet", {"num_classes": "15"}),
]


def builder_kwargs(name: str) -> dict[str, str]:
    import torchvision.models as models

    params = inspect.signature(models.get_model_builder(name)).parameters
    kwargs = {"weights": "None"}
    if "weights_backbone" in params:
        kwargs["weights_backbone"] = "None"
    return kwargs


def builder_target(name: str) -> str:
    import torchvision.models as models

    fn = inspect.unwrap(models.get_model_builder(name))
    return f"{inspect.getsourcefile(fn)}::{fn.__name__}"


def entries(model) -> list[list]:
    params = {f"{prefix}.{n}" if prefix else n
              for prefix, sub in model.named_modules(remove_duplicate=False)
              for n, p in sub._parameters.items() if p is not None}
    return [[k, "parameter" if k in params else "buffer", list(v.shape), str(v.dtype).removeprefix("torch.")]
            for k, v in model.state_dict().items()]


def compute_truth() -> dict:
    """Runs in a subprocess: instantiate every case with real torch."""
    import torch
    import torch.nn as nn  # noqa: F401  (for eval of config values)
    import torchvision.models as models

    cases = [(n, {}) for n in models.list_models()] + NON_DEFAULT
    out = {"cases": [], "seconds": 0.0}
    start = time.perf_counter()
    for name, extra in cases:
        kwargs = {**builder_kwargs(name), **extra}
        record = {"builder": name, "config": kwargs, "target": builder_target(name)}
        try:
            torch.manual_seed(0)
            model = models.get_model_builder(name)(**{k: eval(v, {"torch": torch, "nn": torch.nn}) for k, v in kwargs.items()})
            record["keys"] = entries(model)
            del model
        except Exception as e:  # recorded, not hidden: a builder torch itself cannot build here
            record["error"] = f"{type(e).__name__}: {e}"
        out["cases"].append(record)
    out["seconds"] = time.perf_counter() - start
    return out


def load_truth(refresh: bool) -> dict:
    import torch
    import torchvision

    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"torchvision-{torchvision.__version__}-torch-{torch.__version__}-truth.json"
    if refresh or not path.exists():
        print(f"computing ground truth with real torch into {path.relative_to(REPO)} ...", file=sys.stderr)
        subprocess.run([sys.executable, __file__, "--truth-only", str(path)], check=True)
    return json.loads(path.read_text())


def compare(predicted: list, truth: list) -> dict:
    p_names = [k["name"] for k in predicted]
    t_names = [k[0] for k in truth]
    by_name = {k["name"]: k for k in predicted}
    kinds = sum(1 for t in truth if t[0] in by_name and by_name[t[0]]["kind"] == t[1])
    shapes = sum(1 for t in truth if t[0] in by_name and by_name[t[0]]["shape"] == t[2])
    dtypes = sum(1 for t in truth if t[0] in by_name and by_name[t[0]]["dtype"] == t[3])
    return {
        "set": set(p_names) == set(t_names),
        "order": p_names == t_names,
        "kinds": kinds, "shapes": shapes, "dtypes": dtypes, "n": len(truth),
        "exact": p_names == t_names and kinds == shapes == dtypes == len(truth),
    }


def run_corpus(title: str, cases: list[dict], failures: int) -> None:
    import ckptguard

    for case in cases:
        if "error" in case:
            print(f"  skipped {case['builder']}: real torch cannot build it here ({case['error']})")
    cases = [c for c in cases if "error" not in c]
    start = time.perf_counter()
    docs = ckptguard.predict_keys_many([(c["target"], c["config"]) for c in cases])
    elapsed = time.perf_counter() - start
    rows, bad = [], []
    for case, doc in zip(cases, docs):
        if "error" in doc:
            result = {"set": False, "order": False, "kinds": 0, "shapes": 0, "dtypes": 0, "n": len(case["keys"]),
                      "exact": False, "error": doc["error"]}
        else:
            result = compare(doc["keys"], case["keys"])
            result["unresolved"] = doc["unresolved"]
        result["case"] = case
        rows.append(result)
        if not result["exact"]:
            bad.append(result)
    n = len(rows)
    keys = sum(r["n"] for r in rows)
    print(f"{title}: {n} models | exact names+order+kinds {sum(r['set'] and r['order'] and r['kinds'] == r['n'] for r in rows)}/{n} "
          f"({100 * sum(r['set'] and r['order'] and r['kinds'] == r['n'] for r in rows) / max(n, 1):.1f}%) | "
          f"key set {sum(r['set'] for r in rows)}/{n} | order {sum(r['order'] for r in rows)}/{n} | "
          f"kinds {100 * sum(r['kinds'] for r in rows) / max(keys, 1):.2f}% | shapes {100 * sum(r['shapes'] for r in rows) / max(keys, 1):.2f}% | "
          f"dtypes {100 * sum(r['dtypes'] for r in rows) / max(keys, 1):.2f}% of {keys} keys | "
          f"fully exact {n - len(bad)}/{n} | static time, all in one process: {elapsed * 1000:.0f} ms")
    for r in bad[:failures]:
        c = r["case"]
        why = r.get("error") or (f"set={r['set']} order={r['order']} kinds {r['kinds']}/{r['n']} shapes {r['shapes']}/{r['n']}"
                                 + (f"; unresolved: {r['unresolved'][0]['reason']}" if r.get("unresolved") else ""))
        print(f"    FAIL {c['builder']} {c['config']}: {why}")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--refresh-truth", action="store_true")
    parser.add_argument("--failures", type=int, default=20, help="how many failing cases to list per corpus")
    parser.add_argument("--truth-only", metavar="PATH", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.truth_only:
        Path(args.truth_only).write_text(json.dumps(compute_truth()))
        return 0
    truth = load_truth(args.refresh_truth)
    defaults = [c for c in truth["cases"] if list(c["config"]) in (["weights"], ["weights", "weights_backbone"])]
    non_default = [c for c in truth["cases"] if c not in defaults]
    run_corpus("torchvision builders (defaults)", defaults, args.failures)
    run_corpus("torchvision non-default configs", non_default, args.failures)
    print(f"dynamic ground truth (import + instantiate + state_dict, all cases): {truth['seconds']:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
