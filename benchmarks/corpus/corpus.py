#!/usr/bin/python3
"""Real-world corpus for ckptguard: check out pinned repositories, record torch's ground truth, score predictions.

Standard library only; run with the system interpreter (/usr/bin/python3), which has torch.

  corpus.py checkout [--root DIR] [--mirror-root /work/.mirror]
  corpus.py truth    [--repo NAME] [--split dev|holdout|all] [--prune]
  corpus.py eval     [--split dev|holdout|all] [--repo NAME] [--ckptguard PATH] [--failures N] [--json OUT] [--jobs N]

The manifest is repos.json beside this file; ground truth lives in truth/. Nothing here touches the
network: sources come from git mirrors fetched beforehand (see README.md).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
MANIFEST = HERE / "repos.json"
TRUTH = HERE / "truth"
SYSTEM_PYTHON = "/usr/bin/python3"
TARGET_TIMEOUT = 60  # seconds per target for ckptguard
TRUTH_TIMEOUT = 120  # seconds per target for torch: a 300M-parameter init on one busy core can take a minute
SHARD_BYTES = 900_000  # truth files stay under 1 MB: larger repos are sharded


# ----------------------------------------------------------------------------------------------
# manifest and paths


def load_manifest() -> list[dict]:
    return json.loads(MANIFEST.read_text())["repos"]


def corpus_root(arg: str | None) -> Path:
    return Path(arg or os.environ.get("CKPTGUARD_CORPUS") or Path.home() / ".cache/ckptguard/corpus").expanduser()


def select(repos: list[dict], split: str = "all", name: str | None = None) -> list[dict]:
    """Repositories with targets, filtered by split and name (libraries without targets are never scored)."""
    out = [r for r in repos if r.get("targets")]
    if split != "all":
        out = [r for r in out if r["split"] == split]
    if name:
        out = [r for r in out if r["name"] == name]
        if not out:
            sys.exit(f"corpus: no repository named {name!r} with targets in split {split!r}")
    return out


def venv_python(root: Path) -> Path:
    return root / ".venv" / "bin" / "python"


def search_path(root: Path, repo: dict) -> list[str]:
    """Directories first on sys.path for a repo: its own roots, then the roots of the libraries it
    needs (so that a repo pinning an older library, as mae pins timm 0.4, gets that one)."""
    by_name = {r["name"]: r for r in load_manifest()}
    return [str(root / r["name"] / p) for r in [repo] + [by_name[n] for n in repo.get("needs", [])] for p in r["roots"]]


def target_id(t: dict) -> str:
    """A stable id of a target: FILE::NAME plus its config, as shown in tables and result files."""
    cfg = ",".join(f"{k}={v}" for k, v in t.get("config", {}).items())
    return f"{t['file']}::{t['name']}" + (f"[{cfg}]" if cfg else "")


# ----------------------------------------------------------------------------------------------
# checkout


def find_mirror(mirror_root: Path, github: str) -> Path | None:
    """The git directory fetched for owner/name: <mirror-root>/<owner>+<name>/repo (or the dir itself)."""
    base = mirror_root / github.replace("/", "+")
    for cand in (base / "repo", base):
        if (cand / "objects").is_dir() and (cand / "HEAD").exists():
            return cand
    return None


def export_commit(git_dir: Path, commit: str, dest: Path) -> int:
    """Writes the tree of `commit` into `dest`, skipping blobs the mirror lacks (snapshots drop files
    of 4 MiB and more: weights, images). Returns the number of files skipped."""
    ls = subprocess.run(["git", "--git-dir", str(git_dir), "ls-tree", "-r", "-z", "--full-tree", commit],
                        check=True, capture_output=True).stdout.split(b"\0")
    entries = []
    for line in filter(None, ls):
        meta, path = line.split(b"\t", 1)
        mode, kind, sha = meta.split()
        if kind == b"blob":
            entries.append((mode.decode(), sha.decode(), path.decode()))
    tmp = dest.with_name(dest.name + ".part")
    subprocess.run(["rm", "-rf", str(tmp)], check=True)
    skipped = 0
    # one `git cat-file --batch` process for all blobs; a missing object answers "<sha> missing"
    proc = subprocess.Popen(["git", "--git-dir", str(git_dir), "cat-file", "--batch"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    for mode, sha, path in entries:
        proc.stdin.write(sha.encode() + b"\n")
        proc.stdin.flush()
        header = proc.stdout.readline().split()
        if header[-1] == b"missing":
            skipped += 1
            continue
        data = proc.stdout.read(int(header[2]))
        proc.stdout.read(1)  # trailing newline
        out = tmp / path
        out.parent.mkdir(parents=True, exist_ok=True)
        if mode == "120000":
            os.symlink(data.decode(), out)
        else:
            out.write_bytes(data)
            if mode == "100755":
                out.chmod(0o755)
    proc.stdin.close()
    proc.wait()
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / ".corpus-commit").write_text(commit + "\n")
    subprocess.run(["rm", "-rf", str(dest)], check=True)
    tmp.rename(dest)
    return skipped


def make_hub_stubs(root: Path, names: list[str]) -> None:
    """Some repos hard-wire pretrained=True for a torchvision backbone (detr: pretrained=is_main_process()).
    Without network that download fails, so the torch hub cache under $ROOT/.torch-home gets a file of
    the expected name holding a randomly initialised state_dict: same keys, no download."""
    code = """
import sys, os, torch, torchvision.models as m
for name in sys.argv[2:]:
    url = m.get_model_weights(name)["IMAGENET1K_V1"].url
    path = os.path.join(sys.argv[1], "hub", "checkpoints", os.path.basename(url))
    if not os.path.exists(path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        torch.save(m.get_model_builder(name)(weights=None).state_dict(), path)
        print("torch hub stub", path)
"""
    if names:
        subprocess.run([str(venv_python(root)), "-c", code, str(root / ".torch-home"), *names], check=True)


def cmd_checkout(args) -> int:
    root = corpus_root(args.root)
    root.mkdir(parents=True, exist_ok=True)
    repos = load_manifest()
    missing = 0
    for r in repos:
        dest = root / r["name"]
        stamp = dest / ".corpus-commit"
        if stamp.exists() and stamp.read_text().strip() == r["commit"]:
            continue  # idempotent: already at the pinned commit
        git_dir = find_mirror(Path(args.mirror_root), r["github"])
        if git_dir is None:
            print(f"missing mirror for {r['name']}: fetch github:{r['github']} with the search tool's fetch")
            missing += 1
            continue
        skipped = export_commit(git_dir, r["commit"], dest)
        print(f"{r['name']}: {r['commit'][:12]} -> {dest}" + (f" ({skipped} large files absent from the mirror)" if skipped else ""))
    # the corpus venv: system torch plus the corpus libraries that other repos import
    venv = root / ".venv"
    if not venv_python(root).exists():
        subprocess.run([SYSTEM_PYTHON, "-m", "venv", "--system-site-packages", "--without-pip", str(venv)], check=True)
    # a library marked "venv": false (an older version pinned by one repo) is on that repo's path only
    needed = list(dict.fromkeys(n for r in repos for n in r.get("needs", [])))
    by_name = {r["name"]: r for r in repos}
    needed = [n for n in needed if by_name[n].get("venv", True)]
    lines = [str(root / n / p) for n in needed for p in by_name[n]["roots"]]
    site = subprocess.run([str(venv_python(root)), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    Path(site).mkdir(parents=True, exist_ok=True)
    (Path(site) / "ckptguard_corpus.pth").write_text("".join(line + "\n" for line in lines))
    print(f"venv {venv}: {', '.join(needed) or 'no libraries'} on its path")
    make_hub_stubs(root, sorted({n for r in repos for n in r.get("hub_stubs", [])}))
    apt = sorted({p for r in repos for p in r.get("apt", [])})
    absent = [p for p in apt if subprocess.run(["dpkg", "-s", p], capture_output=True).returncode != 0]
    if absent:
        print(f"missing Debian packages some repos import: apt-get install -y {' '.join(absent)}")
        missing += 1
    return 1 if missing else 0


# ----------------------------------------------------------------------------------------------
# ground truth


def entries(model) -> list[str]:
    """state_dict as compact strings "name kind shape dtype" (shape 2x3x4, '-' for a scalar).
    A key is a parameter if it is in its owning module's _parameters (as benchmarks/accuracy.py)."""
    params = {f"{prefix}.{n}" if prefix else n
              for prefix, sub in model.named_modules(remove_duplicate=False)
              for n, p in sub._parameters.items() if p is not None}
    out = []
    for k, v in model.state_dict().items():
        shape = "x".join(str(d) for d in v.shape) or "-"
        out.append(f"{k} {'parameter' if k in params else 'buffer'} {shape} {str(v.dtype).removeprefix('torch.')}")
    return out


def parse_entry(s: str) -> tuple[str, str, list[int], str]:
    name, kind, shape, dtype = s.rsplit(" ", 3)
    return name, kind, [] if shape == "-" else [int(d) for d in shape.split("x")], dtype


def worker() -> None:
    """Subprocess body: instantiate each target of one repository with real torch, one JSON line each.
    Reads {"dir", "roots", "path", "targets", "timeout"} on stdin; runs in the repo's checkout with
    `path` (its roots, then its libraries' roots) first on sys.path. Constructors run under
    torch.no_grad() to save time: that changes no state_dict key, kind, shape or dtype."""
    import importlib
    import signal
    import socket

    def no_network(*args, **kwargs):
        raise OSError("corpus: network access is disabled while recording ground truth")

    socket.socket.connect = socket.create_connection = socket.getaddrinfo = no_network
    job = json.loads(sys.stdin.read())
    os.chdir(job["dir"])
    sys.path[:0] = job["path"]
    import torch

    torch.set_num_threads(1)  # the machine is shared: keep to one core
    print(json.dumps({"torch": torch.__version__}), flush=True)

    def on_alarm(signum, frame):
        raise TimeoutError(f"instantiation took more than {job['timeout']} s")

    signal.signal(signal.SIGALRM, on_alarm)
    for t in job["targets"]:
        rec = {"file": t["file"], "name": t["name"], "config": t.get("config", {})}
        start = time.perf_counter()
        try:
            signal.alarm(job["timeout"])
            rel = Path(t["file"]).with_suffix("")
            root = next((p for p in job["roots"] if p != "." and rel.is_relative_to(p)), ".")
            dotted = ".".join(rel.relative_to(root).parts)
            module = importlib.import_module(dotted)
            kwargs = {k: eval(v, module.__dict__) for k, v in rec["config"].items()}
            builder = module
            for part in t["name"].split("."):  # NAME may be dotted: EfficientNet.from_name
                builder = getattr(builder, part)
            torch.manual_seed(0)
            with torch.no_grad():
                model = builder(**kwargs)
            if not isinstance(model, torch.nn.Module):
                raise TypeError(f"{t['name']} returned {type(model).__name__}, not an nn.Module")
            rec["params"] = sum(p.numel() for p in model.parameters())
            rec["keys"] = entries(model)
            del model
        except BaseException as e:  # recorded, not hidden: the target is dropped from the manifest
            rec["error"] = f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"[:300]
        finally:
            signal.alarm(0)
        rec["seconds"] = round(time.perf_counter() - start, 2)
        print(json.dumps(rec), flush=True)


def run_truth(root: Path, repo: dict, targets: list[dict], timeout: int = TRUTH_TIMEOUT) -> tuple[str, list[dict]]:
    """Instantiates `targets` of `repo` in one subprocess (the corpus venv's python): (torch version, records)."""
    job = {"dir": str(root / repo["name"]), "roots": repo["roots"], "path": search_path(root, repo),
           "targets": targets, "timeout": timeout}
    python = venv_python(root)
    if not python.exists():
        sys.exit("corpus: no venv; run `corpus.py checkout` first")
    proc = subprocess.run([str(python), str(Path(__file__).resolve()), "_worker"], input=json.dumps(job),
                          capture_output=True, text=True, timeout=timeout * len(targets) + 120,
                          env={**os.environ, "CUDA_VISIBLE_DEVICES": "", "OMP_NUM_THREADS": "1",
                               "TORCH_HOME": str(root / ".torch-home"),
                               "HF_HUB_OFFLINE": "1", "PYTHONDONTWRITEBYTECODE": "1"})
    lines = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    version = lines[0]["torch"] if lines and "torch" in lines[0] else "?"
    out = [rec for rec in lines if "torch" not in rec]
    if len(out) < len(targets):  # the worker died (segfault, OOM): report the rest as errors
        err = (proc.stderr.strip().splitlines() or ["worker died"])[-1]
        out += [{"file": t["file"], "name": t["name"], "config": t.get("config", {}), "error": f"worker: {err}"}
                for t in targets[len(out):]]
    return version, out


def truth_files(name: str) -> list[Path]:
    return sorted(TRUTH.glob(f"{name}.json")) + sorted(TRUTH.glob(f"{name}.*.json"))


def write_truth(repo: dict, torch_version: str, records: list[dict]) -> list[Path]:
    """truth/<name>.json (one target a line), or shards truth/<name>.<n>.json past SHARD_BYTES."""
    TRUTH.mkdir(exist_ok=True)
    for old in truth_files(repo["name"]):
        old.unlink()
    head = {"repo": repo["name"], "github": repo["github"], "commit": repo["commit"], "torch": torch_version}
    lines = [json.dumps({k: r[k] for k in ("file", "name", "config", "keys")}) for r in records]
    shards, cur, size = [], [], 0
    for line in lines:
        if cur and size + len(line) > SHARD_BYTES:
            shards.append(cur)
            cur, size = [], 0
        cur.append(line)
        size += len(line) + 2
    shards.append(cur)
    written = []
    for i, shard in enumerate(shards):
        path = TRUTH / (f"{repo['name']}.json" if len(shards) == 1 else f"{repo['name']}.{i}.json")
        body = json.dumps(head)[:-1] + ', "targets": [\n' + ",\n".join(shard) + "\n]}\n"
        path.write_text(body)
        written.append(path)
    return written


def load_truth(name: str) -> dict[str, list]:
    """target id -> list of (name, kind, shape, dtype)."""
    out = {}
    for f in truth_files(name):
        for t in json.loads(f.read_text())["targets"]:
            out[target_id(t)] = [parse_entry(s) for s in t["keys"]]
    return out


def save_manifest(repos: list[dict]) -> None:
    """repos.json with one target a line, so that diffs of the target lists stay readable."""
    def dump(v, indent):
        if isinstance(v, dict) and any(isinstance(x, (list, dict)) for x in v.values()):
            pad = " " * (indent + 2)
            return "{\n" + ",\n".join(f"{pad}{json.dumps(k)}: {dump(x, indent + 2)}" for k, x in v.items()) + "\n" + " " * indent + "}"
        if isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
            pad = " " * (indent + 2)
            return "[\n" + ",\n".join(pad + dump(x, indent + 2) for x in v) + "\n" + " " * indent + "]"
        return json.dumps(v)
    data = json.loads(MANIFEST.read_text())
    data["repos"] = repos
    MANIFEST.write_text(dump(data, 0) + "\n")


def cmd_truth(args) -> int:
    root = corpus_root(args.root)
    repos = load_manifest()
    failed = 0
    for repo in select(repos, args.split, args.repo):
        start = time.perf_counter()
        version, records = run_truth(root, repo, repo["targets"], args.timeout)
        bad = [r for r in records if "error" in r]
        good = [r for r in records if "error" not in r]
        for r in bad:
            print(f"  {repo['name']}: {target_id(r)} does not instantiate: {r['error']}")
        if bad and args.prune:  # dropped from the manifest, with the reason kept beside it
            ids = {target_id(r): r["error"] for r in bad}
            repo["dropped"] = repo.get("dropped", []) + [
                {**t, "reason": ids[target_id(t)]} for t in repo["targets"] if target_id(t) in ids]
            repo["targets"] = [t for t in repo["targets"] if target_id(t) not in ids]
            save_manifest(repos)
        elif bad:
            failed += len(bad)
        paths = write_truth(repo, version, good)
        print(f"{repo['name']}: {len(good)}/{len(records)} targets, {sum(len(r['keys']) for r in good)} keys, "
              f"{time.perf_counter() - start:.0f} s -> {', '.join(p.name for p in paths)}")
    if failed:
        print(f"{failed} targets do not instantiate: rerun with --prune to drop them from repos.json")
    return 1 if failed else 0


# ----------------------------------------------------------------------------------------------
# evaluation


def compare(pred: list[dict], truth: list[tuple]) -> list[str]:
    """Differences between predicted keys (ckptguard JSON) and truth; empty means exact."""
    diffs = []
    p_names = [k["name"] for k in pred]
    t_names = [t[0] for t in truth]
    by_name = {k["name"]: k for k in pred}
    t_set, p_set = set(t_names), set(p_names)
    diffs += [f"missing {n}" for n in t_names if n not in p_set]
    diffs += [f"unexpected {n}" for n in p_names if n not in t_set]
    common_p = [n for n in p_names if n in t_set]
    common_t = [n for n in t_names if n in p_set]
    if common_p != common_t:
        i = next(i for i, (a, b) in enumerate(zip(common_p, common_t)) if a != b)
        diffs.append(f"order at {common_t[i]} (predicted {common_p[i]} there)")
    for name, kind, shape, dtype in truth:
        k = by_name.get(name)
        if k is None:
            continue
        if k.get("kind") != kind:
            diffs.append(f"kind {name}: {k.get('kind')} != {kind}")
        if k.get("shape") != shape:
            diffs.append(f"shape {name}: {k.get('shape')} != {shape}")
        if k.get("dtype") != dtype:
            diffs.append(f"dtype {name}: {k.get('dtype')} != {dtype}")
    return diffs


def run_ckptguard(exe: str, cwd: Path, target: dict, extra: list[str], truth: list | None, env: dict) -> dict:
    """One target through `ckptguard keys`; a result record with status exact | wrong | error."""
    cmd = [exe, "keys", f"{target['file']}::{target['name']}"]
    for k, v in target.get("config", {}).items():
        cmd += ["--config", f"{k}={v}"]
    cmd += ["--format", "json"] + extra
    rec = {"target": target_id(target), "status": "error"}
    start = time.perf_counter()
    try:
        proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=TARGET_TIMEOUT, env=env)
        rec["exit"] = proc.returncode
        rec["stderr"] = (proc.stderr.strip().splitlines() or [""])[0][:300]
        if proc.returncode == 0:
            doc = json.loads(proc.stdout)
            rec["n_pred"] = len(doc.get("keys", []))
            rec["unresolved_count"] = len(doc.get("unresolved", []))
            rec["unresolved"] = [f"{u.get('file')}:{u.get('line')}: {u.get('reason')}" for u in doc.get("unresolved", [])[:3]]
            if "complete" in doc:
                rec["complete"] = bool(doc["complete"])
            if truth is None:
                rec["stderr"] = "no ground truth for this target (run `corpus.py truth`)"
            else:
                diffs = compare(doc.get("keys", []), truth)
                rec["status"] = "wrong" if diffs else "exact"
                rec["n_diffs"] = len(diffs)
                rec["diffs"] = diffs[:5]
    except subprocess.TimeoutExpired:
        rec["exit"] = "timeout"
        rec["stderr"] = f"timeout after {TARGET_TIMEOUT} s"
    except (json.JSONDecodeError, OSError) as e:
        rec["stderr"] = f"{type(e).__name__}: {e}"[:300]
    # paths relative to the checkout, so that results compare across machines
    for k in ("stderr", "unresolved"):
        if k in rec:
            rec[k] = json.loads(json.dumps(rec[k]).replace(str(cwd.parent) + "/", ""))
    rec["seconds"] = round(time.perf_counter() - start, 2)
    if truth is not None:
        rec["n_truth"] = len(truth)
    return rec


def table(rows: list[tuple], has_complete: bool) -> None:
    """Prints rows of (label, [result records]) as an aligned table."""
    head = ["", "targets", "exact", "error", "wrong"]
    if has_complete:
        head += ["complete", "compl+exact", "compl+WRONG", "compl&exact%"]
    lines = [head]
    for label, recs in rows:
        n = len(recs)
        cells = [label, n, sum(r["status"] == "exact" for r in recs), sum(r["status"] == "error" for r in recs),
                 sum(r["status"] == "wrong" for r in recs)]
        if has_complete:
            comp = [r for r in recs if r.get("complete")]
            ce = sum(r["status"] == "exact" for r in comp)
            cells += [len(comp), ce, sum(r["status"] != "exact" for r in comp), f"{100 * ce / max(n, 1):.1f}"]
        lines.append([str(c) for c in cells])
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    for line in lines:
        print("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(line, widths))))


def cmd_eval(args) -> int:
    root = corpus_root(args.root)
    exe = str(Path(args.ckptguard).resolve()) if os.sep in args.ckptguard else args.ckptguard
    helptext = "".join(subprocess.run([exe, *a, "--help"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True).stdout
                       for a in ([], ["keys"]))  # the option may be listed at top level or under `keys`
    repos = select(load_manifest(), args.split, args.repo)
    results = []  # (repo, result) in manifest order
    for repo in repos:
        cwd = root / repo["name"]
        if not cwd.is_dir():
            sys.exit(f"corpus: {cwd} missing; run `corpus.py checkout`")
        # the --python option does not exist yet in every build: pass it only where --help names it
        extra = ["--python", str(venv_python(root))] if "--python" in helptext else []
        truth = load_truth(repo["name"])
        # the same sys.path as the ground truth had, for a --python that imports to resolve names
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(search_path(root, repo))}
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            recs = list(pool.map(lambda t: run_ckptguard(exe, cwd, t, extra, truth.get(target_id(t)), env), repo["targets"]))
        for rec in recs:
            rec["repo"], rec["split"] = repo["name"], repo["split"]
        results += recs
        print(f"  {repo['name']}: {sum(r['status'] == 'exact' for r in recs)}/{len(recs)} exact", file=sys.stderr)
    has_complete = any("complete" in r for r in results)
    for split in ("dev", "holdout"):
        part = [r for r in results if r["split"] == split]
        if not part:
            continue
        print(f"\n{split}")
        names = list(dict.fromkeys(r["repo"] for r in part))
        table([(n, [r for r in part if r["repo"] == n]) for n in names] + [(f"TOTAL {split}", part)], has_complete)
    print("\noverall")
    table([(s, [r for r in results if r["split"] == s]) for s in ("dev", "holdout")] + [("TOTAL", results)], has_complete)
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text("{" + f'"ckptguard": {json.dumps(exe)}, "label": {json.dumps(args.label)}, '
                                   f'"split": {json.dumps(args.split)}, "results": [\n'
                                   + ",\n".join(json.dumps(r) for r in results) + "\n]}\n")
    # failures round-robin over repositories, so that N of them show more than the first repo
    per_repo = {}
    for r in results:
        if r["status"] != "exact":
            per_repo.setdefault(r["repo"], []).append(r)
    failing = [r for rank in range(max(map(len, per_repo.values()), default=0))
               for rs in per_repo.values() if rank < len(rs) for r in [rs[rank]]]
    if args.failures and failing:
        print(f"\nfailures (first {min(args.failures, len(failing))} of {len(failing)})")
        for r in failing[:args.failures]:
            print(f"- [{r['split']}] {r['repo']}: {r['target']}  ({r['status']}, exit {r.get('exit')})")
            if r["status"] == "error":
                print(f"    {r.get('stderr')}")
            for i, d in enumerate(r.get("diffs", [])[:3]):
                print(f"    {d}" + (f"  (+{r['n_diffs'] - 3} more)" if i == 2 and r["n_diffs"] > 3 else ""))
            for u in r.get("unresolved", [])[:3]:
                print(f"    unresolved: {u}")
    return 0


# ----------------------------------------------------------------------------------------------
# target selection for registry libraries (used to write timm's target list; kept for re-pinning)


def registered(path: Path, decorator: str) -> list[str]:
    """Module-level functions of `path` decorated with `decorator` (e.g. register_model), in file order."""
    import ast

    names = []
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.FunctionDef):
            for d in node.decorator_list:
                d = d.func if isinstance(d, ast.Call) else d
                if (d.attr if isinstance(d, ast.Attribute) else getattr(d, "id", None)) == decorator:
                    names.append(node.name)
    return names


def cmd_pick(args) -> int:
    """Prints a target list: per file, the first N registered builders that instantiate within the
    time and size limits; the others tried on the way are listed with why they were passed over."""
    root = corpus_root(args.root)
    repo = next(r for r in load_manifest() if r["name"] == args.repo)
    base = root / repo["name"]
    picked, passed_over = [], []
    for path in sorted(base.glob(args.glob)):
        rel = str(path.relative_to(base))
        names = registered(path, args.decorator)
        got = 0
        for i in range(0, len(names), 4):  # a few at a time: stop at the first N that fit
            _, recs = run_truth(root, repo, [{"file": rel, "name": n, "config": {}} for n in names[i:i + 4]],
                                int(args.max_seconds))
            for rec in recs:
                why = rec.get("error") or (f"{rec['params'] / 1e6:.0f}M parameters" if rec["params"] > args.max_params
                                           else f"{rec['seconds']} s" if rec["seconds"] > args.max_seconds else None)
                if got >= args.per_file:
                    break
                if why:
                    passed_over.append({"file": rel, "name": rec["name"], "reason": why})
                else:
                    picked.append({"file": rel, "name": rec["name"], "config": {}})
                    got += 1
            if got >= args.per_file:
                break
        if names:
            print(f"{rel}: {got} picked of {len(names)} registered", file=sys.stderr)
    print(json.dumps({"targets": picked, "passed_over": passed_over}, indent=1))
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("checkout", help="export pinned commits from the mirrors and make the corpus venv")
    p.add_argument("--root", help="checkout root (default $CKPTGUARD_CORPUS or ~/.cache/ckptguard/corpus)")
    p.add_argument("--mirror-root", default="/work/.mirror")
    p = sub.add_parser("truth", help="instantiate every target with real torch and write truth/")
    p.add_argument("--root", help="checkout root (default $CKPTGUARD_CORPUS or ~/.cache/ckptguard/corpus)")
    p.add_argument("--repo")
    p.add_argument("--split", default="all", choices=["dev", "holdout", "all"])
    p.add_argument("--timeout", type=int, default=TRUTH_TIMEOUT)
    p.add_argument("--prune", action="store_true", help="drop targets that fail to instantiate from repos.json")
    p = sub.add_parser("eval", help="run ckptguard keys on every target and compare with truth/")
    p.add_argument("--root", help="checkout root (default $CKPTGUARD_CORPUS or ~/.cache/ckptguard/corpus)")
    p.add_argument("--repo")
    p.add_argument("--split", default="all", choices=["dev", "holdout", "all"])
    p.add_argument("--ckptguard", default="ckptguard")
    p.add_argument("--failures", type=int, default=0)
    p.add_argument("--json")
    p.add_argument("--jobs", type=int, default=1)
    p.add_argument("--label", default="", help="free text stored in the --json file (e.g. the ckptguard commit)")
    p = sub.add_parser("pick", help="list registered builders that instantiate within limits (writes JSON to stdout)")
    p.add_argument("--root", help="checkout root (default $CKPTGUARD_CORPUS or ~/.cache/ckptguard/corpus)")
    p.add_argument("repo")
    p.add_argument("--glob", default="timm/models/*.py")
    p.add_argument("--decorator", default="register_model")
    p.add_argument("--per-file", type=int, default=1)
    p.add_argument("--max-seconds", type=float, default=20)
    p.add_argument("--max-params", type=float, default=400e6)
    sub.add_parser("_worker")
    args = ap.parse_args()
    if args.cmd == "_worker":
        worker()
        return 0
    return {"checkout": cmd_checkout, "truth": cmd_truth, "eval": cmd_eval, "pick": cmd_pick}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
