"""Key-prediction accuracy against real torch, for every torchvision builder, every builder and
class of torchaudio.models, plus a set of non-default configurations.

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

# torchaudio.models: every builder and class, (name, {kwarg: python literal}, default?): a case is
# "default" when it gives only the arguments the callable requires.
_SOURCES = '["bass", "drums", "vocals", "other"]'
_CONFORMER = {"input_dim": "80", "num_heads": "4", "ffn_dim": "128", "num_layers": "4", "depthwise_conv_kernel_size": "31"}
_EMFORMER = {"input_dim": "128", "num_heads": "4", "ffn_dim": "256", "num_layers": "3", "segment_length": "4"}
_W2V2 = {"extractor_mode": "'layer_norm'", "extractor_conv_layer_config": "None", "extractor_conv_bias": "True",
         "encoder_embed_dim": "256", "encoder_projection_dropout": "0.1", "encoder_pos_conv_kernel": "64",
         "encoder_pos_conv_groups": "8", "encoder_num_layers": "2", "encoder_num_heads": "4",
         "encoder_attention_dropout": "0.1", "encoder_ff_interm_features": "512", "encoder_ff_interm_dropout": "0.0",
         "encoder_dropout": "0.1", "encoder_layer_norm_first": "True", "encoder_layer_drop": "0.0", "aux_num_out": "None"}
_HUBERT_PRETRAIN = {**{k: v for k, v in _W2V2.items() if k != "aux_num_out"}, "mask_prob": "0.65", "mask_selection": "'static'",
                    "mask_other": "0.0", "mask_length": "10", "no_mask_overlap": "False", "mask_min_space": "1",
                    "mask_channel_prob": "0.0", "mask_channel_selection": "'static'", "mask_channel_other": "0.0",
                    "mask_channel_length": "10", "no_mask_channel_overlap": "False", "mask_channel_min_space": "1",
                    "skip_masked": "False", "skip_nomask": "False", "num_classes": "100", "final_dim": "128",
                    "feature_grad_mult": "None"}
TORCHAUDIO = [
    ("conv_tasnet_base", {}, True),
    *[(b, {}, True) for b in ("wav2vec2_base", "wav2vec2_large", "wav2vec2_large_lv60k", "hubert_base", "hubert_large",
                              "hubert_xlarge", "hubert_pretrain_base", "hubert_pretrain_large", "hubert_pretrain_xlarge")],
    ("wav2vec2_model", _W2V2, True),
    ("hubert_pretrain_model", _HUBERT_PRETRAIN, True),
    ("emformer_rnnt_base", {"num_symbols": "4097"}, True),
    ("hdemucs_low", {"sources": _SOURCES}, True),
    ("hdemucs_medium", {"sources": _SOURCES}, True),
    ("hdemucs_high", {"sources": _SOURCES}, True),
    ("Wav2Letter", {}, True),
    ("WaveRNN", {"upsample_scales": "[5, 5, 8]", "n_classes": "512", "hop_length": "200"}, True),
    ("ConvTasNet", {}, True),
    ("DeepSpeech", {"n_feature": "128"}, True),
    ("Tacotron2", {}, True),
    ("Conformer", _CONFORMER, True),
    ("Emformer", _EMFORMER, True),
    ("HDemucs", {"sources": _SOURCES}, True),
    # non-default configurations
    ("wav2vec2_base", {"aux_num_out": "32"}, False),
    ("wav2vec2_large", {"aux_num_out": "29", "encoder_layer_drop": "0.0"}, False),
    ("hubert_base", {"aux_num_out": "10"}, False),
    ("hubert_large", {"aux_num_out": "7"}, False),
    ("wav2vec2_model", {**_W2V2, "extractor_mode": "'group_norm'", "extractor_conv_bias": "False",
                        "encoder_layer_norm_first": "False", "aux_num_out": "12"}, False),
    ("conv_tasnet_base", {"num_sources": "3"}, False),
    ("Wav2Letter", {"input_type": "'mfcc'", "num_features": "13", "num_classes": "20"}, False),
    ("Wav2Letter", {"input_type": "'power_spectrum'", "num_features": "201"}, False),
    ("WaveRNN", {"upsample_scales": "[4, 4]", "n_classes": "256", "hop_length": "16", "n_res_block": "3",
                 "n_rnn": "64", "n_fc": "32", "n_freq": "40", "n_hidden": "32", "n_output": "16"}, False),
    ("ConvTasNet", {"num_sources": "3", "enc_kernel_size": "8", "enc_num_feats": "64", "msk_kernel_size": "3",
                    "msk_num_feats": "32", "msk_num_hidden_feats": "64", "msk_num_layers": "2", "msk_num_stacks": "2",
                    "msk_activate": "'relu'"}, False),
    ("DeepSpeech", {"n_feature": "40", "n_hidden": "64", "n_class": "10", "dropout": "0.1"}, False),
    ("Tacotron2", {"mask_padding": "True", "n_mels": "40", "n_symbol": "60", "encoder_n_convolution": "2",
                   "decoder_rnn_dim": "256", "attention_rnn_dim": "256", "postnet_n_convolution": "3"}, False),
    ("Tacotron2", {"n_frames_per_step": "2", "symbol_embedding_dim": "128", "encoder_embedding_dim": "128",
                   "prenet_dim": "64", "attention_hidden_dim": "32"}, False),
    ("Conformer", {**_CONFORMER, "use_group_norm": "True", "convolution_first": "True"}, False),
    ("Emformer", {**_EMFORMER, "left_context_length": "30", "right_context_length": "4", "max_memory_size": "2",
                  "weight_init_scale_strategy": "'constant'", "tanh_on_mem": "True"}, False),
    ("HDemucs", {"sources": _SOURCES, "audio_channels": "1", "channels": "16", "depth": "4", "nfft": "2048"}, False),
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


def compute_torchaudio_truth() -> dict:
    """Runs in a subprocess: instantiate every torchaudio case with real torch."""
    import torch
    import torchaudio.models as models

    out = {"cases": [], "seconds": 0.0}
    start = time.perf_counter()
    for name, kwargs, default in TORCHAUDIO:
        fn = getattr(models, name)
        src = inspect.unwrap(fn)
        record = {"builder": name, "config": kwargs, "default": default,
                  "target": f"{inspect.getsourcefile(src)}::{src.__name__}"}
        try:
            torch.manual_seed(0)
            model = fn(**{k: eval(v, {"torch": torch, "nn": torch.nn}) for k, v in kwargs.items()})
            record["keys"] = entries(model)
            del model
        except Exception as e:  # recorded, not hidden
            record["error"] = f"{type(e).__name__}: {e}"
        out["cases"].append(record)
    out["seconds"] = time.perf_counter() - start
    return out


def load_truth(refresh: bool, library: str = "torchvision") -> dict:
    import importlib

    import torch

    lib = importlib.import_module(library)
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"{library}-{lib.__version__}-torch-{torch.__version__}-truth.json"
    if refresh or not path.exists():
        print(f"computing ground truth with real torch into {path.relative_to(REPO)} ...", file=sys.stderr)
        flag = "--truth-only" if library == "torchvision" else "--torchaudio-truth-only"
        subprocess.run([sys.executable, __file__, flag, str(path)], check=True)
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
    parser.add_argument("--torchaudio-truth-only", metavar="PATH", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.truth_only:
        Path(args.truth_only).write_text(json.dumps(compute_truth()))
        return 0
    if args.torchaudio_truth_only:
        Path(args.torchaudio_truth_only).write_text(json.dumps(compute_torchaudio_truth()))
        return 0
    truth = load_truth(args.refresh_truth)
    defaults = [c for c in truth["cases"] if list(c["config"]) in (["weights"], ["weights", "weights_backbone"])]
    non_default = [c for c in truth["cases"] if c not in defaults]
    run_corpus("torchvision builders (defaults)", defaults, args.failures)
    run_corpus("torchvision non-default configs", non_default, args.failures)
    print(f"dynamic ground truth (import + instantiate + state_dict, all cases): {truth['seconds']:.1f} s")
    audio = load_truth(args.refresh_truth, "torchaudio")
    run_corpus("torchaudio builders and classes (defaults)", [c for c in audio["cases"] if c["default"]], args.failures)
    run_corpus("torchaudio non-default configs", [c for c in audio["cases"] if not c["default"]], args.failures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
