"""Static discovery for the pytest plugin: model files from `models` entries, nn.Module classes in
them, their required constructor arguments, and the source line that creates an attribute.

Everything here reads source with `ast`; nothing is imported or executed, so listing the models
of a project never loads torch.
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

# Names under torch.nn that are not modules.
_NOT_MODULES = ("torch.nn.Parameter", "torch.nn.parameter.", "torch.nn.utils.", "torch.nn.init.",
                "torch.nn.functional.", "torch.nn.UninitializedParameter", "torch.nn.UninitializedBuffer")


@dataclass(frozen=True)
class ModelFile:
    """A Python file that may define models: its path, dotted module name, the sys.path entry
    it is imported from, and its pytest node id."""

    path: Path
    module: str
    import_root: Path
    nodeid: str


@dataclass(frozen=True)
class ModelClass:
    """A top-level nn.Module subclass found statically."""

    name: str
    line: int                          # 1-based line of `class`
    required: tuple[str, ...] | None   # constructor arguments without defaults; None: unknown


def find_module_file(dotted: str, roots: list[Path]) -> tuple[Path, Path] | None:
    """(file, root) of module `dotted` under the first root that has it, without importing."""
    parts = dotted.split(".")
    for root in roots:
        base = root.joinpath(*parts)
        for candidate in (base.with_suffix(".py"), base / "__init__.py"):
            if candidate.is_file():
                return candidate, root
        if base.is_dir() and len(parts) >= 1 and any(base.glob("*.py")):
            return base, root  # namespace package
    return None


def search_roots(rootdir: Path) -> list[Path]:
    roots = [rootdir, rootdir / "src"]
    for entry in sys.path:
        p = Path(entry or ".").resolve()
        if p.is_dir() and p not in roots:
            roots.append(p)
    return roots


def module_name_of(path: Path) -> tuple[str, Path]:
    """Dotted module name of a file and the directory it is imported from: the file's package
    chain (directories with __init__.py) decides both, as for pytest's `prepend` import mode."""
    parts = [path.stem] if path.name != "__init__.py" else []
    directory = path.parent
    while (directory / "__init__.py").is_file():
        parts.insert(0, directory.name)
        directory = directory.parent
    return ".".join(parts), directory


def _nodeid(path: Path, rootdir: Path, import_root: Path) -> str:
    try:
        return path.relative_to(rootdir).as_posix()
    except ValueError:
        return path.relative_to(import_root).as_posix()


def resolve_models(entries: list[str], rootdir: Path) -> tuple[list[ModelFile], list[str]]:
    """Model files for `models` entries (paths relative to rootdir, or dotted module/package
    names, found without importing). Returns (files sorted by node id, problems)."""
    files: dict[Path, ModelFile] = {}
    problems: list[str] = []
    roots = search_roots(rootdir)
    for entry in entries:
        as_path = "/" in entry or entry.endswith(".py")
        found = None if as_path else find_module_file(entry, roots)
        if found is None and (as_path or (rootdir / entry).exists()):
            target = (rootdir / entry).resolve()
            if not target.exists():
                problems.append(f"models entry {entry!r}: {target} does not exist")
                continue
            paths = sorted(target.rglob("*.py")) if target.is_dir() else [target]
            for p in paths:
                module, root = module_name_of(p)
                files.setdefault(p, ModelFile(p, module, root, _nodeid(p, rootdir, root)))
            continue
        if found is None:
            problems.append(f"models entry {entry!r}: no module or package of that name under {rootdir} or sys.path")
            continue
        path, root = found
        paths = sorted(path.parent.rglob("*.py")) if path.name == "__init__.py" else (
            sorted(path.rglob("*.py")) if path.is_dir() else [path])
        for p in paths:
            rel = p.relative_to(root).with_suffix("")
            parts = list(rel.parts[:-1]) if p.name == "__init__.py" else list(rel.parts)
            if not all(part.isidentifier() for part in parts):
                continue
            files.setdefault(p.resolve(), ModelFile(p.resolve(), ".".join(parts), root, _nodeid(p.resolve(), rootdir, root)))
    return sorted(files.values(), key=lambda f: f.nodeid), problems


@lru_cache(maxsize=4096)
def _parse(path: Path, mtime_ns: int) -> ast.Module | None:
    try:
        return ast.parse(path.read_bytes(), filename=str(path))
    except (SyntaxError, ValueError, OSError):
        return None


def parse(path: Path) -> ast.Module | None:
    try:
        return _parse(path, path.stat().st_mtime_ns)
    except OSError:
        return None


class _Scope:
    """Top-level classes and imported names of one module."""

    def __init__(self, index: "SourceIndex", path: Path, module: str):
        self.path, self.module = path, module
        tree = parse(path)
        self.ok = tree is not None
        self.classes: dict[str, ast.ClassDef] = {}
        self.imports: dict[str, str] = {}  # local name -> dotted target
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        for node in (tree.body if tree else []):
            if isinstance(node, ast.ClassDef):
                self.classes[node.name] = node
            elif isinstance(node, ast.Import):
                for a in node.names:
                    if a.asname:
                        self.imports[a.asname] = a.name
                    else:
                        top = a.name.split(".")[0]
                        self.imports[top] = top
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    pkg_parts = package.split(".") if package else []
                    pkg_parts = pkg_parts[:len(pkg_parts) - (node.level - 1)] if node.level > 1 else pkg_parts
                    base = ".".join(pkg_parts + ([base] if base else []))
                for a in node.names:
                    if a.name != "*":
                        self.imports[a.asname or a.name] = f"{base}.{a.name}" if base else a.name


class SourceIndex:
    """Parses modules on demand to decide which classes are nn.Modules (following bases through
    imports inside the searched roots) and what their constructors require."""

    def __init__(self, roots: list[Path]):
        self.roots = roots
        self._scopes: dict[Path, _Scope] = {}
        self._is_module: dict[tuple[Path, str], bool] = {}

    def scope(self, path: Path, module: str) -> _Scope:
        if path not in self._scopes:
            self._scopes[path] = _Scope(self, path, module)
        return self._scopes[path]

    def _lookup(self, dotted: str, depth: int = 0) -> tuple[_Scope, str] | None:
        """The (module scope, class name) a dotted name refers to, through re-exports."""
        if depth > 8 or "." not in dotted:
            return None
        module, _, name = dotted.rpartition(".")
        found = find_module_file(module, self.roots)
        if found is None or found[0].is_dir():
            return None
        scope = self.scope(found[0].resolve(), module)
        if name in scope.classes:
            return scope, name
        if name in scope.imports:
            return self._lookup(scope.imports[name], depth + 1)
        return None

    def _resolve(self, scope: _Scope, expr: ast.expr) -> tuple[str | None, tuple[_Scope, str] | None]:
        """A base-class expression as (dotted name, project class it denotes)."""
        if isinstance(expr, ast.Subscript):  # Generic[...]-style bases
            expr = expr.value
        chain: list[str] = []
        while isinstance(expr, ast.Attribute):
            chain.insert(0, expr.attr)
            expr = expr.value
        if not isinstance(expr, ast.Name):
            return None, None
        head = expr.id
        if not chain and head in scope.classes:
            return f"{scope.module}.{head}", (scope, head)
        dotted = ".".join([scope.imports.get(head, head), *chain])
        return dotted, self._lookup(dotted)

    def is_module(self, scope: _Scope, name: str, depth: int = 0) -> bool:
        key = (scope.path, name)
        if key in self._is_module:
            return self._is_module[key]
        self._is_module[key] = False  # cycles
        result = False
        if depth < 16:
            for base in scope.classes[name].bases:
                dotted, local = self._resolve(scope, base)
                if dotted and _is_torch_module(dotted):
                    result = True
                elif local and self.is_module(local[0], local[1], depth + 1):
                    result = True
                if result:
                    break
        self._is_module[key] = result
        return result

    def required_arguments(self, scope: _Scope, name: str, depth: int = 0) -> tuple[str, ...] | None:
        """Constructor parameters without defaults, from the nearest `__init__` in the class or
        its project bases; () for torch.nn.Module itself; None when it cannot be told."""
        cls = scope.classes[name]
        init = next((s for s in cls.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)) and s.name == "__init__"), None)
        if init is not None:
            own = _required(init.args)
            if not (init.args.vararg or init.args.kwarg):
                return own
            # *args/**kwargs are usually forwarded to the base constructor
            inherited = self._base_required(scope, cls, depth)
            if inherited is None:
                return None
            named = {a.arg for a in [*init.args.posonlyargs, *init.args.args, *init.args.kwonlyargs]}
            return own + tuple(a for a in inherited if a not in named)
        return self._base_required(scope, cls, depth)

    def _base_required(self, scope: _Scope, cls: ast.ClassDef, depth: int) -> tuple[str, ...] | None:
        if depth > 16:
            return None
        for base in cls.bases:
            dotted, local = self._resolve(scope, base)
            if local:
                return self.required_arguments(local[0], local[1], depth + 1)
            if dotted in ("torch.nn.Module", "torch.nn.modules.module.Module"):
                return ()
            return None
        return ()

    def model_classes(self, file: ModelFile) -> list[ModelClass] | None:
        """Top-level nn.Module subclasses of a file in source order; None when it does not parse."""
        scope = self.scope(file.path, file.module)
        if not scope.ok:
            return None
        return [ModelClass(name, node.lineno, self.required_arguments(scope, name))
                for name, node in scope.classes.items() if self.is_module(scope, name)]


def _is_torch_module(dotted: str) -> bool:
    if dotted.startswith(_NOT_MODULES):
        return False
    last = dotted.rsplit(".", 1)[-1]
    if dotted.startswith("torch.nn.") and last[:1].isupper():
        return True
    return last.endswith("Module")  # nn.Module, ScriptModule, fx.GraphModule, LightningModule ...


def _required(args: ast.arguments) -> tuple[str, ...]:
    positional = [*args.posonlyargs, *args.args][1:]  # drop self
    first_default = len(positional) - len(args.defaults)
    required = [a.arg for i, a in enumerate(positional) if i < first_default]
    required += [a.arg for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is None]
    return tuple(required)


_CREATORS = ("register_buffer", "register_parameter", "add_module", "register_module")


def attribute_line(path: Path, class_name: str, attribute: str) -> int | None:
    """1-based line in the class's methods that creates `attribute` (`self.attr = ...`,
    `register_buffer("attr", ...)`, `add_module`, `setattr(self, "attr", ...)`), first in
    `__init__`; None when not found in this class."""
    tree = parse(path)
    if tree is None:
        return None
    cls = next((n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == class_name), None)
    if cls is None:
        return None
    methods = [n for n in cls.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    methods.sort(key=lambda m: m.name != "__init__")
    for method in methods:
        for node in ast.walk(method):
            targets: list[ast.expr] = []
            if isinstance(node, ast.Assign):
                targets = node.targets
            elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
                targets = [node.target]
            for t in targets:
                for sub in ast.walk(t):
                    if (isinstance(sub, ast.Attribute) and sub.attr == attribute
                            and isinstance(sub.value, ast.Name) and sub.value.id == "self"):
                        return node.lineno
            if isinstance(node, ast.Call):
                func = node.func
                fname = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
                args = node.args[1:] if fname == "setattr" else node.args
                if (fname in _CREATORS or fname == "setattr") and args and isinstance(args[0], ast.Constant) \
                        and args[0].value == attribute:
                    return node.lineno
    return None
