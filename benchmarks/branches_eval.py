"""Branch enumeration: completeness against dynamic enumeration with real torch, and timing.

For each model, every combination of a small value domain per structural parameter is built with
real torch; each distinct state_dict (names, kinds, shapes, dtypes) must be among the branches
`ckptguard branches` reports. Coverage is reported per model and overall, with the median time
of the static enumeration.

Run: .venv/bin/python benchmarks/branches_eval.py [--runs N]
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "python"))

import torch  # noqa: E402

import ckptguard  # noqa: E402
from branch_truth import build  # noqa: E402
from ckg_testing import torch_keys  # noqa: E402

TV = Path(torch.__file__).parent.parent / "torchvision" / "models"
TA = Path(torch.__file__).parent.parent / "torchaudio" / "models"
B = [True, False]

# target, fixed --config values, domain per structural parameter. Size parameters (widths,
# counts) are not branches: every value gives other shapes through the same code path.
CASES = [
    (f"{REPO}/examples/seed_conditional.py::ConditionalModel", {}, {"use_extra_layer": B}),
    (f"{REPO}/examples/six_flags.py::SixFlags", {}, {k: B for k in ("use_proj", "use_conv", "use_norm", "use_bn", "use_embed", "use_rnn")}),
    (f"{REPO}/examples/configurable.py::ConfigurableNet", {},
     {"norm": ["batch", "layer", "rms", "none"], "use_extra_layer": B, "bidirectional": B, "use_bias": B,
      "dropout": [0.0, 0.3], "head.tie_embeddings": B, "head.num_classes": [0, 10]}),
    (f"{TV}/googlenet.py::GoogLeNet", {"init_weights": "False", "num_classes": "10"}, {"aux_logits": B, "transform_input": B}),
    (f"{TV}/inception.py::Inception3", {"init_weights": "False", "num_classes": "10"}, {"aux_logits": B, "transform_input": B}),
    (f"{TV}/squeezenet.py::SqueezeNet", {"num_classes": "10"}, {"version": ["1_0", "1_1"]}),
    (f"{TA}/wav2letter.py::Wav2Letter", {}, {"input_type": ["waveform", "power_spectrum", "mfcc"]}),
    (f"{TA}/conv_tasnet.py::ConvTasNet", {"enc_num_feats": "32", "msk_num_feats": "16", "msk_num_hidden_feats": "32"},
     {"msk_activate": ["sigmoid", "relu"]}),
]


def signature(keys) -> str:
    return json.dumps([list(k) for k in keys])


def dynamic_keysets(target: str, fixed: dict, domain: dict) -> set[str]:
    found = set()
    names = list(domain)
    for combo in itertools.product(*(domain[n] for n in names)):
        witness = dict(fixed, **{n: repr(v) for n, v in zip(names, combo)})
        try:
            model = build(target, witness)
        except Exception:  # an invalid combination: no state_dict
            continue
        found.add(signature(torch_keys(model)))
    return found


def static_branches(target: str, fixed: dict) -> tuple[dict, float]:
    args = ["branches", target, "--format", "json"]
    for k, v in fixed.items():
        args += ["--config", f"{k}={v}"]
    start = time.perf_counter()
    code, out, err = ckptguard.run_cli(args)
    elapsed = time.perf_counter() - start
    assert code == 0, err
    return json.loads(out), elapsed


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7, help="timing repetitions per model")
    args = parser.parse_args()
    covered_total = found_total = 0
    for target, fixed, domain in CASES:
        doc, _ = static_branches(target, fixed)
        times = [static_branches(target, fixed)[1] for _ in range(args.runs)]
        predicted = {signature((k["name"], k["kind"], k["shape"], k["dtype"]) for k in b["keys"]) for b in doc["branches"]}
        dynamic = dynamic_keysets(target, fixed, domain)
        covered = len(dynamic & predicted)
        covered_total += covered
        found_total += len(dynamic)
        flags = len(domain)
        print(f"{target.split('/')[-1]:<40} params {flags}  dynamic key-sets {len(dynamic):3}  covered {covered:3} "
              f"({100 * covered / max(len(dynamic), 1):5.1f}%)  static branches {len(doc['branches']):3}"
              f"{' (truncated)' if doc['truncated'] else ''}  median {1000 * statistics.median(times):7.1f} ms")
    print(f"overall coverage: {covered_total}/{found_total} = {100 * covered_total / max(found_total, 1):.1f}% of the key-sets "
          f"found by dynamic enumeration are reported as branches")
    return 0 if covered_total == found_total else 1


if __name__ == "__main__":
    sys.exit(main())
