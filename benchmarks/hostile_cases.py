"""Issue 16's hostile cases, measured: exit code, wall and CPU time, peak RSS (from
/usr/bin/time -v), output size, and what the output shows. Prints a markdown table.

The checkpoint reader's cases (tests/python/checkpoint/hostile_files.py) and the interpreter's
hostile model sources (tests/python/hostile_sources.py). Run (torch is needed for a few builders):
    /usr/bin/python3 benchmarks/hostile_cases.py [--binary build/bin/ckptguard] [--only TEXT]
        [--cases reader|interp|all] [--before OLD_BINARY]

--before runs each case with OLD_BINARY too (the binary of the commit before the fixes) and adds
its exit code as a column.
"""

import argparse
import pathlib
import re
import resource
import subprocess
import sys
import tempfile

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "python" / "checkpoint"))
sys.path.insert(0, str(REPO / "tests" / "python"))
import hostile_files  # noqa: E402
import hostile_sources  # noqa: E402


def limit_memory(cap_bytes):
    def apply():
        resource.setrlimit(resource.RLIMIT_AS, (cap_bytes, cap_bytes))
    return apply


def measure(binary, args, timeout, cap_bytes, cwd):
    command = ["/usr/bin/time", "-v", str(binary), *map(str, args)]
    try:
        done = subprocess.run(command, capture_output=True, timeout=timeout, cwd=cwd,
                              preexec_fn=limit_memory(cap_bytes))
    except subprocess.TimeoutExpired as expired:
        return {"exit": "timeout", "seconds": float(timeout), "cpu": None, "rss_mb": None,
                "stdout": len(expired.stdout or b""), "note": f"killed after {timeout} s"}
    stderr = done.stderr.decode(errors="replace")
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", stderr)
    elapsed = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)", stderr)
    cpu = sum(float(m) for m in re.findall(r"(?:User|System) time \(seconds\): ([\d.]+)", stderr))
    seconds = 0.0
    if elapsed:
        for part in elapsed.group(1).split(":"):
            seconds = seconds * 60 + float(part)
    own = [line for line in stderr.splitlines() if not line.startswith("\t") and "Command" not in line
           and line.strip()]
    out = done.stdout
    notes = []
    if b"\x1b" in out:
        notes.append("raw ESC in output")
    if re.search(rb"(^|\n)OK: checkpoint loads", out):
        notes.append("forged line in output")
    if own:
        notes.append(own[0][:150])
    return {"exit": done.returncode, "seconds": seconds, "cpu": cpu,
            "rss_mb": int(rss.group(1)) / 1024 if rss else None, "stdout": len(out),
            "note": "; ".join(notes)}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=REPO / "build" / "bin" / "ckptguard", type=pathlib.Path)
    parser.add_argument("--only", default="", help="run the cases whose name contains this text")
    parser.add_argument("--timeout", type=float, default=120)
    parser.add_argument("--memory-cap-gb", type=float, default=10)
    parser.add_argument("--cases", choices=["reader", "interp", "all"], default="all")
    parser.add_argument("--before", type=pathlib.Path, help="also run each case with this binary; its exit code is a column")
    options = parser.parse_args()
    cases = {}
    if options.cases in ("reader", "all"):
        cases.update(hostile_files.CASES)
    if options.cases in ("interp", "all"):
        cases.update(hostile_sources.CASES)
    cap = int(options.memory_cap_gb * 2**30)
    print(f"binary: {options.binary}" + (f", before: {options.before}" if options.before else "") + "\n")
    before_column = "exit before | " if options.before else ""
    print(f"| case | {before_column}exit | wall (s) | CPU (s) | peak RSS (MB) | stdout (bytes) | message / note |")
    print("|---|" + ("---|" if options.before else "") + "---|---:|---:|---:|---:|---|")
    for name, build in cases.items():
        if options.only not in name:
            continue
        before = ""
        if options.before:
            with tempfile.TemporaryDirectory() as work:
                old = measure(options.before.resolve(), build(pathlib.Path(work)), options.timeout, cap, pathlib.Path(work))
            before = f"{old['exit']} | "
        with tempfile.TemporaryDirectory() as work:
            directory = pathlib.Path(work)
            args = build(directory)
            result = measure(options.binary.resolve(), args, options.timeout, cap, directory)
        rss = "-" if result["rss_mb"] is None else f"{result['rss_mb']:.0f}"
        cpu = "-" if result["cpu"] is None else f"{result['cpu']:.2f}"
        note = result["note"].replace("|", "\\|").replace(work, "$TMP")
        print(f"| {name} | {before}{result['exit']} | {result['seconds']:.2f} | {cpu} | {rss} | {result['stdout']} | {note} |",
              flush=True)


if __name__ == "__main__":
    main()
