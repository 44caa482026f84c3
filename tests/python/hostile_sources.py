"""The hostile model sources of issue 16 (interpreter half): arithmetic that crashed or wrapped,
self-referential values, deep nesting, allocations without bound, diff of unreadable versions.

Each builder writes its file(s) under a directory and returns the command line arguments that
exercise it (after the binary). They are shared by tests/python/test_hostile_sources.py and
benchmarks/hostile_cases.py, which measures exit code, time and peak RSS before and after.
"""

import subprocess

HEADER = "import torch\nimport torch.nn as nn\n\n\nclass Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n"


def model(directory, body, name="model.py"):
    """`keys` of a Net whose __init__ runs `body` (lines at statement level of __init__)."""
    path = directory / name
    lines = "".join(f"        {line}\n" for line in body.splitlines())
    path.write_text(HEADER + lines + "        self.fc = nn.Linear(2, 2)\n")
    return ["keys", f"{path.name}::Net"]


def branch_on(condition):
    """A Net that gets `good` when `condition` holds as in CPython, else `bad`."""
    return lambda d: model(d, f"if {condition}:\n    self.good = nn.Linear(1, 1)\nelse:\n    self.bad = nn.Linear(1, 1)")


def nested_parens(directory, command="keys", depth=20_000):
    source = HEADER + f"        x = {'(' * depth}1{')' * depth}\n        self.fc = nn.Linear(2, 2)\n"
    (directory / "model.py").write_text(source)
    if command == "diff":
        return diff_versions(directory, source, source.replace("x = ", "y = "))
    return [command, "model.py::Net"]


def diff_versions(directory, old, new):
    """`diff OLD NEW` of two versions of a model file (NEW may hold any bytes)."""
    (directory / "old").mkdir(exist_ok=True)
    (directory / "new").mkdir(exist_ok=True)
    (directory / "old" / "model.py").write_text(old)
    (directory / "new" / "model.py").write_bytes(new.encode() if isinstance(new, str) else new)
    return ["diff", "old/model.py", "new/model.py"]


GOOD = HEADER + "        self.fc = nn.Linear(2, 2)\n"

CASES = {
    "crash: (-2**63) // -1": lambda d: model(d, "x = (-2**63) // -1"),
    "crash: (-2**63) % -1": lambda d: model(d, "x = (-2**63) % -1"),
    "crash: str() of a self-referential list": lambda d: model(d, "l = []\nl.append(l)\ns = str(l)"),
    "crash: f-string of a self-referential list": lambda d: model(d, "l = []\nl.append(l)\ns = f'{l}'"),
    "crash: self-referential list as a layer argument": lambda d: model(d, "l = []\nl.append(l)\nself.l = nn.Linear(2, 2, bias=l)"),
    "crash: torch.tensor of a self-referential list": lambda d: model(d, "l = []\nl.append(l)\nt = torch.tensor(l)"),
    "crash: 20,000 nested parentheses, keys": nested_parens,
    "crash: 20,000 nested parentheses, branches": lambda d: nested_parens(d, "branches"),
    "crash: 20,000 nested parentheses, diff": lambda d: nested_parens(d, "diff"),
    "crash: 20,000 nested unary minus, keys": lambda d: model(d, "x = " + "-" * 20_000 + "1"),
    "crash: sum of 20,000 terms, branches": lambda d: model(d, "x = " + "+".join(["1"] * 20_000))[:0] + ["branches", "model.py::Net"],
    "crash: 20,000 chained attributes, diff": lambda d: diff_versions(d, GOOD, GOOD.replace("super().__init__()", "super().__init__()\n        x = self" + ".a" * 20_000)),
    "crash: str() of a list nested 100,000 deep": lambda d: model(d, "l = []\nfor _ in range(100_000):\n    l = [l]\ns = str(l)"),
    "crash: == of two lists nested 100,000 deep": lambda d: model(d, "a = []\nb = []\nfor _ in range(100_000):\n    a = [a]\n    b = [b]\nx = a == b"),
    "crash: deepcopy of a list nested 100,000 deep": lambda d: model(d, "import copy\nl = []\nfor _ in range(100_000):\n    l = [l]\nx = copy.deepcopy(l)"),
    "crash: modules nested 100,000 deep": lambda d: model(d, "m = nn.Identity()\nfor _ in range(100_000):\n    m = nn.Sequential(m)\nself.m = m"),
    "memory: 'x' * 10**10": lambda d: model(d, "s = 'x' * 10**10"),
    "memory: [0]*4 * 2**62": lambda d: model(d, "l = [0] * 4 * 2**62"),
    "memory: l = l + l in a loop": lambda d: model(d, "l = [0]\nfor _ in range(64):\n    l = l + l"),
    "memory: iterating torch.zeros(10**12)": lambda d: model(d, "for row in torch.zeros(10**12):\n    pass"),
    "memory: 2,000 kept range(10**6)": lambda d: model(d, "kept = []\nfor _ in range(2000):\n    kept.append(list(range(10**6)))"),
    "value: 1 << 100": branch_on("(1 << 100) == 1267650600228229401496703205376"),
    "value: 2**62 * 4": branch_on("2**62 * 4 == 18446744073709551616"),
    "value: int(1e300)": branch_on("int(1e300) > 0 and int(1e300) % 1000 == 160"),
    "diff: new version with NUL bytes": lambda d: diff_versions(d, GOOD, GOOD.encode() + b"x = 1\x00\n"),
    "diff: new version whose constructor raises": lambda d: diff_versions(d, GOOD, GOOD.replace("super().__init__()", "super().__init__()\n        raise ValueError('no')")),
    "format: '{0[99999999999999999999]}'": lambda d: model(d, "s = '{0[99999999999999999999]}'.format([1])"),
    "format: width 99999999999": lambda d: model(d, "s = '{:99999999999}'.format(1)"),
    "memory: ''.join of 10**6 strings of 10**6 bytes": lambda d: model(d, "s = 'x' * 10**6\nt = ''.join([s] * 10**6)"),
    "time: 2 ** (10**9)": lambda d: model(d, "x = 2 ** (10**9)"),
    "time: int() of a 10**7-digit string": lambda d: model(d, "x = int('9' * 10**7)"),
}


def cpython(snippet):
    """What /usr/bin/python3 prints for `snippet` (the ground truth of the value cases)."""
    return subprocess.run(["/usr/bin/python3", "-c", snippet], capture_output=True, text=True, check=True).stdout
