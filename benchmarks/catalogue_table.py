"""The 43-item attack catalogue of security-notes §3 as a table: every case of
tests/cpp/checkpoint/hostile_test.cpp (which maps each item to its cases) run through
`ckptguard inspect --verify`, with its exit code, whether it ended as expected, whether anything
ran, and its wall time and peak RSS; for code-running payloads, the control: what real
torch.load does with the same file. Items 42 and 43 (model source) are the interpreter's; they
are run through `ckptguard keys` and reported as they are.

Run (the GoogleTest binary writes the cases):
    /usr/bin/python3 benchmarks/catalogue_table.py [--build build] [--cases]
Prints a per-item summary table, and with --cases one row per case as well.
"""

import argparse
import json
import os
import pathlib
import resource
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parents[1]
PAYLOAD_ITEMS = {15, 16}  # globals that run code when resolved: the torch.load control applies
TITLES = {
    1: "truncated zip", 2: "directory fields past EOF / overflowing", 3: "stored record claims 2^40",
    4: "deflate bomb", 5: "overlapping entries", 6: "duplicate data.pkl", 7: "local != central, encryption, method 99",
    8: "bad CRC", 9: "hostile record names", 10: "1e7 entries in 1 KB", 11: "polyglots", 12: "bad version/byteorder/magic",
    13: "stack underflow, unset memo, truncation", 14: "invalid UTF-8, long GLOBAL lines", 15: "os.system, eval, ... + REDUCE",
    16: "numpy __builtins__, dunder, STACK_GLOBAL tricks", 17: "allowed callable, wrong arguments",
    18: "SETITEM on a list, APPEND on a dict", 19: "BUILD on a storage or int", 20: "1e6 nested MARK/lists",
    21: "self-reference, billion laughs, amplification", 22: "LONG4 of 2 GB", 23: "bytes after STOP",
    24: "INST/OBJ/EXT1/PERSID/NEXT_BUFFER, PROTO 255", 25: "bad persistent id, missing record", 26: "numel x size wraps",
    27: "record size != storage size", 28: "conflicting storage use", 29: "view out of bounds, rank 1000",
    30: "shape [2^62, 2^62]", 31: "stride 0, overlapping views (legal)", 32: "quantized, sparse", 33: "legacy stream",
    34: "legacy .tar", 35: "TorchScript", 36: "safetensors header", 37: "duplicate tensor key", 38: "safetensors offsets",
    39: "span, dtype, metadata", 40: "index escaping its directory", 41: "keys with ANSI, CR, bidi, 1 MB",
    42: "100k nested parens, 10k indents (source)", 43: "50 MB / binary source, range(10**12), recursion (source)",
}


def measure(command, cwd, timeout=60):
    """Exit code (or signal), seconds, peak RSS and output of one process. RUSAGE_CHILDREN only
    grows, so each command runs under its own Python parent and reports its own peak."""
    probe = ("import json, resource, subprocess, sys, time\n"
             "start = time.monotonic()\n"
             "try:\n"
             "    done = subprocess.run(sys.argv[2:], capture_output=True, timeout=float(sys.argv[1]))\n"
             "    code = done.returncode if done.returncode >= 0 else 'signal %d' % -done.returncode\n"
             "    out, err = done.stdout, done.stderr\n"
             "except subprocess.TimeoutExpired as e:\n"
             "    code, out, err = 'timeout', e.stdout or b'', e.stderr or b''\n"
             "print(json.dumps({'code': code, 'seconds': time.monotonic() - start,\n"
             "    'rss_mb': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,\n"
             "    'out': out.decode('utf-8', 'replace'), 'err': err.decode('utf-8', 'replace')}))\n")
    done = subprocess.run([sys.executable, "-c", probe, str(timeout), *map(str, command)], cwd=cwd,
                          capture_output=True, text=True)
    return json.loads(done.stdout)


def torch_load_control(path, work):
    """What torch.load (torch 1.13, weights_only=False, the default) does with the file."""
    marker = pathlib.Path(work) / "pwned"
    marker.unlink(missing_ok=True)
    done = subprocess.run([sys.executable, "-c", f"import torch; torch.load({str(path)!r})"], cwd=work,
                          capture_output=True, text=True, timeout=120)
    if marker.exists():
        return "runs the payload (marker file created)"
    error = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "loads"
    return f"no marker: {error[:60]}"


def source_cases(directory):
    """Items 42 and 43: hostile model source for `ckptguard keys`."""
    cases = {
        42: {"parens_100k": "x = " + "(" * 100_000 + "1" + ")" * 100_000 + "\n",
             "indent_10k": "".join(" " * i + "if True:\n" for i in range(10_000)) + " " * 10_000 + "pass\n"},
        43: {"source_50mb": "# " + "x" * (50 << 20) + "\n",
             "binary": "\0\xff\xfe" * 1000,
             "range_1e12": "import torch.nn as nn\nclass Net(nn.Module):\n    def __init__(self):\n"
                           "        super().__init__()\n        for i in range(10**12):\n            pass\n",
             "recursive_helper": "import torch.nn as nn\ndef f(n):\n    return f(n + 1)\n"
                                 "class Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
                                 "        f(0)\n"},
    }
    for item, sources in cases.items():
        for name, text in sources.items():
            path = directory / f"{name}.py"
            path.write_bytes(text.encode("latin-1") if name == "binary" else text.encode())
            yield item, name, path


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", type=pathlib.Path, default=REPO / "build")
    parser.add_argument("--cases", action="store_true", help="also print one row per case")
    options = parser.parse_args()
    binary = options.build / "bin" / "ckptguard"
    rows, items = [], {}
    with tempfile.TemporaryDirectory() as work_dir:
        work = pathlib.Path(work_dir)
        cases_dir = work / "cases"
        cases_dir.mkdir()
        subprocess.run([str(options.build / "bin" / "ckptguard_checkpoint_tests"),
                        "--gtest_filter=HostileCatalogue.WritesTheCasesForTheTable"],
                       env={**os.environ, "CKG_CATALOGUE_DIR": str(cases_dir)}, check=True, capture_output=True)
        manifest = json.loads((cases_dir / "manifest.json").read_text())
        for case in manifest:
            run_dir = work / "run"
            run_dir.mkdir(exist_ok=True)
            path = cases_dir / case["name"]
            limits = [arg for limit in case["limits"] for arg in ("--limit", limit)]
            result = measure([binary, "inspect", path, "--verify", "--format", "json", *limits], run_dir)
            err_lines = result["err"].splitlines()
            if case["ok"]:
                passed = result["code"] in (0, 1) and not err_lines
                if passed and case["expect"]:
                    passed = case["expect"] in "\n".join(json.loads(result["out"])["warnings"])
                if passed:  # the text rendering may not carry raw escapes either
                    text = measure([binary, "inspect", path, *limits], run_dir)
                    passed = "\x1b" not in text["out"] and "\r" not in text["out"]
            else:
                passed = (result["code"] == 2 and len(err_lines) == 1 and case["expect"] in err_lines[0]
                          and err_lines[0].startswith(f"{path}: "))
            ran = (run_dir / "pwned").exists()
            control_dir = work / "control"
            control_dir.mkdir(exist_ok=True)
            control = torch_load_control(path, control_dir) if case["item"] in PAYLOAD_ITEMS else ""
            message = err_lines[0].replace(str(path), case["name"]) if err_lines else "reads" + (
                " (warnings)" if result["code"] == 1 else "")
            rows.append((case["item"], case["name"], result["code"], passed and not ran, ran, result["seconds"],
                         result["rss_mb"], message, control))
        for item, name, path in source_cases(work):
            result = measure([binary, "keys", f"{path}::Net"], work, timeout=120)
            err = result["err"].strip().splitlines()
            rows.append((item, name, result["code"], None, False, result["seconds"], result["rss_mb"],
                         (err[-1] if err else "")[:100], ""))
    for row in rows:
        items.setdefault(row[0], []).append(row)

    print("| # | attack | cases | refused or read as expected | nothing ran | max time (s) | max RSS (MB) | torch.load control |")
    print("|---:|---|---:|---|---|---:|---:|---|")
    for item in sorted(items):
        group = items[item]
        verdicts = [row[3] for row in group]
        verdict = ("interpreter half, not in this branch: "
                   + ", ".join(f"{row[1]} exit {row[2]}" for row in group)) if None in verdicts else (
            "yes" if all(verdicts) else "NO: " + ", ".join(row[1] for row in group if not row[3]))
        ran_under_torch = [row[1] for row in group if row[8].startswith("runs")]
        controls = [f"runs the payload of {', '.join(ran_under_torch)}"] if ran_under_torch else []
        print(f"| {item} | {TITLES[item]} | {len(group)} | {verdict} | {'no' if not any(r[4] for r in group) else 'YES'} | "
              f"{max(r[5] for r in group):.2f} | {max(r[6] for r in group):.0f} | {'; '.join(controls)} |")
    if options.cases:
        print("\n| # | case | exit | as expected | time (s) | RSS (MB) | message | torch.load |")
        print("|---:|---|---|---|---:|---:|---|---|")
        for item, name, code, passed, _, seconds, rss, message, control in rows:
            shown = message.replace("|", "\\|")[:140]
            print(f"| {item} | {name} | {code} | {passed} | {seconds:.2f} | {rss:.0f} | {shown} | {control} |")


if __name__ == "__main__":
    main()
