"""The pytest plugin over torchvision's and torchaudio's model packages, configured only through
[tool.ckptguard] options in a temporary project (no code changes): how many classes and branches
were tested, how many passed, how many were skipped and why, and the total time.

The configs below give the required arguments of the main model classes and shrink big ones
(num_classes, widths, depths) so the run stays short; classes whose required arguments are not
configured are skipped with the reason and the config line to add, never silently.

Run: .venv/bin/python benchmarks/plugin_model_zoos.py [-n WORKERS] [--keep DIR] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

TV = "torchvision.models"
TA = "torchaudio.models"

# [tool.ckptguard.configs] tables, as TOML source: required arguments and size reductions
CONFIGS = {
    f"{TV}.alexnet:AlexNet": "num_classes = 10",
    f"{TV}.resnet:ResNet": 'block = { python = "BasicBlock" }\nlayers = [1, 1, 1, 1]\nnum_classes = 10',
    f"{TV}.resnet:BasicBlock": "inplanes = 8\nplanes = 8",
    f"{TV}.resnet:Bottleneck": "inplanes = 32\nplanes = 8",
    f"{TV}.quantization.resnet:QuantizableResNet":
        'block = { python = "QuantizableBasicBlock" }\nlayers = [1, 1, 1, 1]\nnum_classes = 10',
    f"{TV}.quantization.resnet:QuantizableBasicBlock": "inplanes = 8\nplanes = 8",
    f"{TV}.quantization.resnet:QuantizableBottleneck": "inplanes = 32\nplanes = 8",
    f"{TV}.densenet:DenseNet": "growth_rate = 4\nblock_config = [1, 1, 1, 1]\nnum_init_features = 8\nnum_classes = 10",
    f"{TV}.googlenet:GoogLeNet": "init_weights = false\nnum_classes = 10",
    f"{TV}.quantization.googlenet:QuantizableGoogLeNet": "init_weights = false\nnum_classes = 10",
    f"{TV}.inception:Inception3": "init_weights = false\nnum_classes = 10",
    f"{TV}.quantization.inception:QuantizableInception3": "init_weights = false\nnum_classes = 10",
    f"{TV}.mnasnet:MNASNet": "alpha = 0.25\nnum_classes = 10",
    f"{TV}.mobilenetv2:MobileNetV2": "width_mult = 0.25\nnum_classes = 10",
    f"{TV}.quantization.mobilenetv2:QuantizableMobileNetV2": "width_mult = 0.25\nnum_classes = 10",
    f"{TV}.shufflenetv2:ShuffleNetV2": "stages_repeats = [1, 1, 1]\nstages_out_channels = [8, 16, 32, 64, 128]\nnum_classes = 10",
    f"{TV}.quantization.shufflenetv2:QuantizableShuffleNetV2":
        "stages_repeats = [1, 1, 1]\nstages_out_channels = [8, 16, 32, 64, 128]\nnum_classes = 10",
    f"{TV}.shufflenetv2:InvertedResidual": "inp = 8\noup = 8\nstride = 1",
    f"{TV}.squeezenet:SqueezeNet": "num_classes = 10",
    f"{TV}.squeezenet:Fire": "inplanes = 8\nsqueeze_planes = 4\nexpand1x1_planes = 4\nexpand3x3_planes = 4",
    f"{TV}.swin_transformer:SwinTransformer":
        "patch_size = [4, 4]\nembed_dim = 8\ndepths = [1, 1]\nnum_heads = [1, 1]\nwindow_size = [2, 2]\nnum_classes = 10",
    f"{TV}.vision_transformer:VisionTransformer":
        "image_size = 32\npatch_size = 16\nnum_layers = 1\nnum_heads = 2\nhidden_dim = 8\nmlp_dim = 16\nnum_classes = 10",
    f"{TV}.maxvit:MaxVit": ("input_size = [32, 32]\nstem_channels = 8\npartition_size = 2\nblock_channels = [8]\n"
                           "block_layers = [1]\nhead_dim = 4\nstochastic_depth_prob = 0.0\nnum_classes = 10"),
    f"{TV}.video.s3d:S3D": "num_classes = 10",
    f"{TV}.segmentation.deeplabv3:DeepLabHead": "in_channels = 8\nnum_classes = 3",
    f"{TV}.segmentation.deeplabv3:ASPP": "in_channels = 8\natrous_rates = [1, 2, 3]\nout_channels = 8",
    f"{TV}.segmentation.fcn:FCNHead": "in_channels = 8\nchannels = 3",
    f"{TV}.segmentation.lraspp:LRASPPHead": "low_channels = 8\nhigh_channels = 8\nnum_classes = 3\ninter_channels = 8",
    f"{TV}.detection.rpn:RPNHead": "in_channels = 8\nnum_anchors = 3",
    f"{TV}.detection.faster_rcnn:TwoMLPHead": "in_channels = 16\nrepresentation_size = 8",
    f"{TV}.detection.faster_rcnn:FastRCNNPredictor": "in_channels = 8\nnum_classes = 3",
    f"{TV}.vision_transformer:MLPBlock": "in_dim = 8\nmlp_dim = 16\ndropout = 0.0",
    f"{TA}.conformer:Conformer": "input_dim = 16\nnum_heads = 2\nffn_dim = 16\nnum_layers = 1\ndepthwise_conv_kernel_size = 3",
    f"{TA}.conv_tasnet:ConvTasNet": "enc_num_feats = 32\nmsk_num_feats = 16\nmsk_num_hidden_feats = 32",
    f"{TA}.deepspeech:DeepSpeech": "n_feature = 16\nn_hidden = 32\nn_class = 10",
    f"{TA}.wav2letter:Wav2Letter": "num_classes = 10",
    f"{TA}.wavernn:WaveRNN": ("upsample_scales = [2, 2]\nn_classes = 16\nhop_length = 4\nn_res_block = 1\nn_rnn = 8\n"
                              "n_fc = 8\nkernel_size = 5\nn_freq = 8\nn_hidden = 8\nn_output = 8"),
    f"{TA}.emformer:Emformer": "input_dim = 8\nnum_heads = 2\nffn_dim = 16\nnum_layers = 1\nsegment_length = 4",
    # every structural argument fixed: left free, HDemucs has 158 branches (24,806 matrix pairs)
    f"{TA}._hdemucs:HDemucs": ('sources = ["a", "b"]\nchannels = 8\ngrowth = 2\nnfft = 64\ndepth = 2\nfreq_emb = 0.2\n'
                              "kernel_size = 8\ncontext = 1\ncontext_enc = 0\nnorm_starts = 4\ndconv_depth = 2\n"
                              "dconv_attn = 4\ndconv_lstm = 4"),
}


def pyproject() -> str:
    out = ['[tool.pytest.ini_options]', 'addopts = "-p no:cacheprovider"', "",
           "[tool.ckptguard]", f'models = ["{TV}", "{TA}"]', ""]
    for key, body in CONFIGS.items():
        out += [f'[tool.ckptguard.configs."{key}"]', body, ""]
    return "\n".join(out)


def reason_kind(reason: str) -> str:
    if " needs " in reason:
        return "required constructor arguments not configured"
    if "cannot analyse" in reason:
        return "the analyzer cannot follow the constructor"
    return reason


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", dest="workers", help="pytest-xdist workers (needs pytest-xdist)")
    parser.add_argument("--keep", type=Path, help="write the project here and keep it")
    parser.add_argument("--json", type=Path, help="also write the plugin's JSON report here")
    args = parser.parse_args()
    project = args.keep or Path(tempfile.mkdtemp(prefix="ckptguard-zoos-"))
    project.mkdir(parents=True, exist_ok=True)
    (project / "pyproject.toml").write_text(pyproject())
    report = project / "report.json"
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "--ckptguard-update",
               f"--ckptguard-report={report}", "-W", "ignore::DeprecationWarning"]
    if args.workers:
        command += ["-n", args.workers]
    env = dict(os.environ)
    env.pop("PYTEST_ADDOPTS", None)
    start = time.perf_counter()
    run = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True, timeout=3600)
    wall = time.perf_counter() - start
    (project / "pytest.log").write_text(run.stdout + run.stderr)
    doc = json.loads(report.read_text())
    if args.json:
        args.json.write_text(json.dumps(doc, indent=1))

    classes = doc["classes"]
    tested = [c for c in classes if c["status"] == "ok"]
    skipped = [c for c in classes if c["status"] != "ok"]
    tests = doc["tests"]
    outcomes = Counter(t["outcome"] for t in tests)
    by_kind: dict[str, Counter] = {}
    for t in tests:
        by_kind.setdefault(t["kind"], Counter())[t["outcome"]] += 1
    failed_classes = sorted({t["class"] for t in tests if t["outcome"] in ("failed", "error")})
    print(f"project: {project}  (pytest exit code {run.returncode}; log: {project / 'pytest.log'})")
    print(f"model classes found statically: {len(classes)} ({len(doc['excluded'])} excluded by skip patterns)")
    print(f"tested: {len(tested)} classes, {sum(len(c['branches']) for c in tested)} branches "
          f"(static analysis {doc['analysis_seconds']:.1f} s)")
    print(f"generated tests: {len(tests)}: " + ", ".join(f"{n} {o}" for o, n in sorted(outcomes.items())))
    for kind in ("branch", "cross", "golden", "checkpoint", "class"):
        if kind in by_kind:
            print(f"  {kind:<8} " + ", ".join(f"{n} {o}" for o, n in sorted(by_kind[kind].items())))
    print(f"classes passing every test: {len(tested) - len(failed_classes)} of {len(tested)}")
    for key in failed_classes:
        print(f"  failed: {key}")
    disagreements = [t["nodeid"] for t in tests if t.get("disagreement")]
    print(f"prediction disagreed with torch (warnings): {len(disagreements)}")
    for nodeid in disagreements:
        print(f"  {nodeid}")
    print(f"skipped classes: {len(skipped)}")
    for kind, n in Counter(reason_kind(c["reason"]) for c in skipped).most_common():
        print(f"  {n:3}  {kind}")
    for c in skipped:
        if "cannot analyse" in c["reason"]:
            print(f"       {c['class']}: {c['reason']}")
    needs = [c for c in skipped if c["missing"]]
    for c in needs[:6]:
        print(f"       {c['class']} needs {', '.join(c['missing'])}")
    if len(needs) > 6:
        print(f"       ... {len(needs) - 6} more (reasons with the config line to add: pytest -rs, or {report})")
    pairs = sum(len(m["pairs"]) for m in doc["matrices"])
    print(f"cross-branch: {len(doc['matrices'])} classes, {pairs} pairs checked against torch")
    slow = sorted(tests, key=lambda t: -t["duration"])[:5]
    print("slowest tests: " + ", ".join(f"{t['nodeid'].split('/')[-1]} {t['duration']:.2f} s" for t in slow))
    print(f"total time: {wall:.1f} s (pytest session {doc['duration']:.1f} s)")
    return 0 if run.returncode in (0, 1) else run.returncode


if __name__ == "__main__":
    sys.exit(main())
