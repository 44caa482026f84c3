"""Model-edit diff on real torchvision sources: scripted edits must be caught with the right code,
and the latency of `ckptguard diff --base HEAD` (median wall clock) for a commit touching one
model file, all of torchvision's model files, and a small user model file.

Run: .venv/bin/python benchmarks/diff_eval.py [--runs N]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torchvision

REPO = Path(__file__).resolve().parents[1]
CKPTGUARD = str(REPO / "build" / "bin" / "ckptguard")
TV = Path(torchvision.__file__).parent
ENV = {"GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@b", "GIT_COMMITTER_NAME": "b", "GIT_COMMITTER_EMAIL": "b@b", "PATH": "/usr/bin:/bin"}

# (description, file, [(old, new)], expected code)
EDITS = [
    ("rename ResNet.fc to classifier", "models/resnet.py",
     [("self.fc = nn.Linear(512 * block.expansion, num_classes)", "self.classifier = nn.Linear(512 * block.expansion, num_classes)"),
      ("x = self.fc(x)", "x = self.classifier(x)")], "CKG101"),
    ("insert Dropout at the front of VGG's classifier Sequential", "models/vgg.py",
     [("self.classifier = nn.Sequential(\n            nn.Linear(512 * 7 * 7, 4096),",
       "self.classifier = nn.Sequential(\n            nn.Dropout(p=dropout),\n            nn.Linear(512 * 7 * 7, 4096),")], "CKG103"),
    ("widen AlexNet's first conv (64 -> 96 channels)", "models/alexnet.py",
     [("nn.Conv2d(3, 64, kernel_size=11, stride=4, padding=2),", "nn.Conv2d(3, 96, kernel_size=11, stride=4, padding=2),"),
      ("nn.Conv2d(64, 192, kernel_size=5, padding=2),", "nn.Conv2d(96, 192, kernel_size=5, padding=2),")], "CKG201"),
    ("move SqueezeNet's classifier conv under a new parent", "models/squeezenet.py",
     [("self.classifier = nn.Sequential(\n            nn.Dropout(p=dropout), final_conv, nn.ReLU(inplace=True), nn.AdaptiveAvgPool2d((1, 1))\n        )",
       "self.classifier = nn.Sequential(\n            nn.Dropout(p=dropout), nn.Sequential(final_conv), nn.ReLU(inplace=True), nn.AdaptiveAvgPool2d((1, 1))\n        )")],
     "CKG102"),
    ("add a LayerNorm before GoogLeNet's fc", "models/googlenet.py",
     [("self.fc = nn.Linear(1024, num_classes)", "self.pre_norm = nn.LayerNorm(1024)\n        self.fc = nn.Linear(1024, num_classes)")], "CKG105"),
    ("flip GoogLeNet's aux_logits default", "models/googlenet.py", [("aux_logits: bool = True,", "aux_logits: bool = False,")], "CKG107"),
]


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True, env=ENV).stdout


def copy_torchvision(into: Path) -> Path:
    for src in TV.rglob("*.py"):
        dst = into / "torchvision" / src.relative_to(TV)
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dst)
    git(into, "init", "-q")
    git(into, "add", "-A")
    git(into, "commit", "-qm", "base")
    return into


def diff(repo: Path, *extra: str) -> tuple[subprocess.CompletedProcess, float]:
    start = time.perf_counter()
    r = subprocess.run([CKPTGUARD, "diff", "--base", "HEAD", "--format", "json", *extra], cwd=repo, capture_output=True, text=True)
    return r, time.perf_counter() - start


def median_ms(repo: Path, runs: int, *extra: str) -> float:
    return 1000 * statistics.median(diff(repo, *extra)[1] for _ in range(runs))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        repo = copy_torchvision(Path(tmp) / "tv")
        print(f"{'edit':<58} {'expected':<8} {'reported':<24} caught  remap")
        for description, rel, replacements, code in EDITS:
            path = repo / "torchvision" / rel
            original = path.read_text()
            text = original
            for old, new in replacements:
                assert old in text, (rel, old)
                text = text.replace(old, new)
            path.write_text(text)
            result, _ = diff(repo, f"torchvision/{rel}")
            doc = json.loads(result.stdout)
            codes = sorted({f["code"] for f in doc["findings"]})
            caught = code in codes
            ok &= caught
            print(f"{description:<58} {code:<8} {','.join(codes):<24} {'yes' if caught else 'NO':<7} {len(doc['remap'])} keys")
            if description.startswith("rename"):
                one_file = median_ms(repo, args.runs, "torchvision/models/resnet.py")
                one_file_fast = median_ms(repo, args.runs, "--no-branches", "torchvision/models/resnet.py")
            path.write_text(original)

        for model_file in (repo / "torchvision" / "models").rglob("*.py"):
            model_file.write_text(model_file.read_text() + "\n# touched\n")
        result, _ = diff(repo)
        all_findings = len(json.loads(result.stdout)["findings"])
        all_files = median_ms(repo, max(1, args.runs // 2))
        all_files_fast = median_ms(repo, max(1, args.runs // 2), "--no-branches")
        count = sum(1 for _ in (repo / "torchvision" / "models").rglob("*.py"))

        small = Path(tmp) / "small"
        (small / "pkg").mkdir(parents=True)
        shutil.copyfile(REPO / "examples" / "seed_conditional.py", small / "pkg" / "model.py")
        git(small, "init", "-q")
        git(small, "add", "-A")
        git(small, "commit", "-qm", "base")
        (small / "pkg" / "model.py").write_text((small / "pkg" / "model.py").read_text().replace("self.linear1", "self.fc1"))
        user_file = median_ms(small, args.runs * 2)

    print(f"\nlatency of `ckptguard diff --base HEAD` (median of {args.runs} runs):")
    print(f"  one small user model file (examples/seed_conditional.py): {user_file:7.1f} ms")
    print(f"  torchvision/models/resnet.py (10 builders, 3 classes):    {one_file:7.1f} ms  ({one_file_fast:.1f} ms with --no-branches)")
    print(f"  all {count} torchvision model files touched:                {all_files:7.1f} ms  ({all_files_fast:.1f} ms with --no-branches); "
          f"{all_findings} findings (comment-only edits: must be 0)")
    ok &= all_findings == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
