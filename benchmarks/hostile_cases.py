"""Issue 16's hostile checkpoint cases, measured: exit code, wall and CPU time, peak RSS (from
/usr/bin/time -v), output size, and what the output shows. Prints a markdown table.

Run (torch is needed for a few builders):
    /usr/bin/python3 benchmarks/hostile_cases.py [--binary build/bin/ckptguard] [--only TEXT]

The "before" column of the closing note was made with the binary of the commit before the fixes.
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
import hostile_files  # noqa: E402


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
    options = parser.parse_args()
    print(f"binary: {options.binary}\n")
    print("| case | exit | wall (s) | CPU (s) | peak RSS (MB) | stdout (bytes) | message / note |")
    print("|---|---|---:|---:|---:|---:|---|")
    for name, build in hostile_files.CASES.items():
        if options.only not in name:
            continue
        with tempfile.TemporaryDirectory() as work:
            directory = pathlib.Path(work)
            args = build(directory)
            result = measure(options.binary.resolve(), args, options.timeout, int(options.memory_cap_gb * 2**30), directory)
        rss = "-" if result["rss_mb"] is None else f"{result['rss_mb']:.0f}"
        cpu = "-" if result["cpu"] is None else f"{result['cpu']:.2f}"
        note = result["note"].replace("|", "\\|").replace(work, "$TMP")
        print(f"| {name} | {result['exit']} | {result['seconds']:.2f} | {cpu} | {rss} | {result['stdout']} | {note} |",
              flush=True)


if __name__ == "__main__":
    main()
