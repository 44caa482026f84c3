"""Pure-Python shim that evaluates ``src/catalogue/torch_nn.py`` with fake primitives.

The catalogue stub is data for ckptguard's C++ abstract interpreter.  This
shim provides the same primitives (``Module``, ``Parameter``, ``torch.empty``,
...) in plain Python so the stub can be checked against real torch without
the interpreter.  It never imports torch.

Arguments passed to :func:`predict_with_shim` are *neutral*: plain Python
values plus three marker types that every predictor translates into its own
world (the tests translate them into real torch objects):

* ``DType("float16")``               -> a dtype
* ``TensorArg((3, 4), "float32")``   -> a tensor of that shape / dtype
* ``ModuleArg("Linear", (2, 3), {})`` -> an instance of that catalogue class

Set ``CKPTGUARD_CATALOGUE=/path/to/torch_nn.py`` to evaluate another copy of
the stub (used for mutation checks).
"""

import copy
import os
import types
from collections import OrderedDict

_HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_CATALOGUE = os.path.normpath(os.path.join(_HERE, "..", "..", "src", "catalogue", "torch_nn.py"))

# Exceptions a stub raises to mean "this configuration is invalid".
INVALID_CONFIG_ERRORS = (ValueError, TypeError, AssertionError, RuntimeError, NotImplementedError)


# ---------------------------------------------------------------------------
# neutral argument markers
# ---------------------------------------------------------------------------

class DType:
    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return "DType(%r)" % self.name


class TensorArg:
    __slots__ = ("shape", "dtype")

    def __init__(self, shape, dtype="float32"):
        self.shape = tuple(shape)
        self.dtype = dtype

    def __repr__(self):
        return "TensorArg(%r, %r)" % (self.shape, self.dtype)


class ModuleArg:
    __slots__ = ("name", "args", "kwargs")

    def __init__(self, name, args=(), kwargs=None):
        self.name = name
        self.args = tuple(args)
        self.kwargs = dict(kwargs or {})

    def __repr__(self):
        return "ModuleArg(%r, %r, %r)" % (self.name, self.args, self.kwargs)


# ---------------------------------------------------------------------------
# fake torch primitives
# ---------------------------------------------------------------------------

class FakeDType:
    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return "torch." + self.name

    def __deepcopy__(self, memo):
        return self  # dtypes are singletons


_DTYPES = {name: FakeDType(name) for name in
           ("float32", "float64", "float16", "bfloat16", "int64", "int32", "uint8", "bool")}


class FakeTensor:
    def __init__(self, shape, dtype):
        self.shape = None if shape is None else tuple(shape)
        self.dtype = dtype  # FakeDType

    def __repr__(self):
        return "%s(shape=%r, dtype=%r)" % (type(self).__name__, self.shape, self.dtype)


class Parameter(FakeTensor):
    def __init__(self, data, requires_grad=True):
        if not isinstance(data, FakeTensor):
            raise TypeError("Parameter() expects a tensor, got %r" % (data,))
        super().__init__(data.shape, data.dtype)
        self.requires_grad = requires_grad


class UninitializedParameter(Parameter):
    def __init__(self):  # deliberately strict: the interpreter offers no arguments
        FakeTensor.__init__(self, None, _DTYPES["float32"])
        self.requires_grad = True


class UninitializedBuffer(FakeTensor):
    def __init__(self):
        super().__init__(None, _DTYPES["float32"])


def _size_from(size):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for s in size:
        if not isinstance(s, int) or isinstance(s, bool):
            raise TypeError("size must be ints, got %r" % (size,))
        if s < 0:
            raise ValueError("negative dimension %r" % (size,))
    return tuple(size)


def _dtype_from(dtype):
    if dtype is None:
        return _DTYPES["float32"]
    if not isinstance(dtype, FakeDType):
        raise TypeError("dtype must be a torch dtype, got %r" % (dtype,))
    return dtype


def _factory(*size, dtype=None):
    return FakeTensor(_size_from(size), _dtype_from(dtype))


def _tensor(data, dtype=None):
    if not isinstance(data, (int, float, bool)):
        raise TypeError("fake torch.tensor only supports scalars")
    if dtype is None:
        dtype = _DTYPES["int64"] if isinstance(data, int) and not isinstance(data, bool) else _DTYPES["float32"]
    return FakeTensor((), _dtype_from(dtype))


def make_fake_torch():
    ns = types.SimpleNamespace(empty=_factory, zeros=_factory, ones=_factory, tensor=_tensor)
    for name, dt in _DTYPES.items():
        setattr(ns, name, dt)
    ns.long = _DTYPES["int64"]
    return ns


# ---------------------------------------------------------------------------
# fake Module (mirrors torch.nn.Module registration semantics)
# ---------------------------------------------------------------------------

class Module:
    def __init__(self):
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent_buffers_set", set())
        object.__setattr__(self, "_modules", OrderedDict())

    def _slots(self):
        d = self.__dict__
        return d.get("_parameters"), d.get("_buffers"), d.get("_modules")

    def register_parameter(self, name, param):
        params = self.__dict__.get("_parameters")
        if params is None:
            raise AttributeError("cannot assign parameter before Module.__init__() call")
        if not isinstance(name, str) or name == "" or "." in name:
            raise KeyError("bad parameter name %r" % (name,))
        if name in self.__dict__ and name not in params:
            raise KeyError("attribute '%s' already exists" % name)
        if param is not None and not isinstance(param, Parameter):
            raise TypeError("cannot assign %r as parameter '%s'" % (param, name))
        params[name] = param

    def register_buffer(self, name, tensor, persistent=True):
        buffers = self.__dict__.get("_buffers")
        if buffers is None:
            raise AttributeError("cannot assign buffer before Module.__init__() call")
        if not isinstance(name, str) or name == "" or "." in name:
            raise KeyError("bad buffer name %r" % (name,))
        if name in self.__dict__ and name not in buffers:
            raise KeyError("attribute '%s' already exists" % name)
        if tensor is not None and not isinstance(tensor, FakeTensor):
            raise TypeError("cannot assign %r as buffer '%s'" % (tensor, name))
        buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def add_module(self, name, module):
        modules = self.__dict__.get("_modules")
        if modules is None:
            raise AttributeError("cannot assign module before Module.__init__() call")
        if module is not None and not isinstance(module, Module):
            raise TypeError("%r is not a Module subclass" % (module,))
        if not isinstance(name, str) or name == "" or "." in name:
            raise KeyError("bad module name %r" % (name,))
        if name in self.__dict__ and name not in modules:
            raise KeyError("attribute '%s' already exists" % name)
        modules[name] = module

    def __setattr__(self, name, value):
        params, buffers, modules = self._slots()
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            self.__dict__.pop(name, None)
            buffers.pop(name, None)
            modules.pop(name, None)
            self._non_persistent_buffers_set.discard(name)
            self.register_parameter(name, value)
        elif params is not None and name in params:
            if value is not None:
                raise TypeError("cannot assign %r as parameter '%s'" % (value, name))
            self.register_parameter(name, value)
        elif isinstance(value, Module):
            if modules is None:
                raise AttributeError("cannot assign module before Module.__init__() call")
            self.__dict__.pop(name, None)
            params.pop(name, None)
            buffers.pop(name, None)
            self._non_persistent_buffers_set.discard(name)
            modules[name] = value
        elif modules is not None and name in modules:
            if value is not None:
                raise TypeError("cannot assign %r as child module '%s'" % (value, name))
            modules[name] = value
        elif buffers is not None and name in buffers:
            if value is not None and not isinstance(value, FakeTensor):
                raise TypeError("cannot assign %r as buffer '%s'" % (value, name))
            buffers[name] = value
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name):
        d = self.__dict__
        for slot in ("_parameters", "_buffers", "_modules"):
            table = d.get(slot)
            if table is not None and name in table:
                return table[name]
        raise AttributeError("'%s' object has no attribute '%s'" % (type(self).__name__, name))

    def state_dict_entries(self, prefix=""):
        """[(key, kind, shape_or_None, dtype_name)] in torch's state_dict order."""
        out = []
        for name, p in self._parameters.items():
            if p is not None:
                out.append((prefix + name, "parameter", p.shape, p.dtype.name))
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent_buffers_set:
                out.append((prefix + name, "buffer", b.shape, b.dtype.name))
        for name, m in self._modules.items():
            if m is not None:
                out.extend(m.state_dict_entries(prefix + name + "."))
        return out


class ModuleList(Module):
    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            for m in modules:
                self.append(m)

    def append(self, module):
        self.add_module(str(len(self._modules)), module)
        return self

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())


class Sequential(Module):
    def __init__(self, *args):
        super().__init__()
        for i, m in enumerate(args):
            self.add_module(str(i), m)


def copy_module(module):
    return copy.deepcopy(module)


# ---------------------------------------------------------------------------
# loading the catalogue
# ---------------------------------------------------------------------------

_CACHE = {}


def catalogue_path():
    return os.environ.get("CKPTGUARD_CATALOGUE", DEFAULT_CATALOGUE)


def load_catalogue(path=None):
    """Execute the stub; return its namespace (dict)."""
    path = path or catalogue_path()
    if path not in _CACHE:
        with open(path, encoding="utf-8") as f:
            source = f.read()
        ns = {
            "__name__": "ckptguard_catalogue_torch_nn",
            "Module": Module,
            "Parameter": Parameter,
            "UninitializedParameter": UninitializedParameter,
            "UninitializedBuffer": UninitializedBuffer,
            "ModuleList": ModuleList,
            "Sequential": Sequential,
            "copy_module": copy_module,
            "torch": make_fake_torch(),
        }
        exec(compile(source, path, "exec"), ns)
        _CACHE[path] = ns
    return _CACHE[path]


def to_shim(value, ns=None):
    """Translate neutral argument markers into shim objects."""
    ns = ns if ns is not None else load_catalogue()
    if isinstance(value, DType):
        return _DTYPES[value.name]
    if isinstance(value, TensorArg):
        return FakeTensor(value.shape, _DTYPES[value.dtype])
    if isinstance(value, ModuleArg):
        return build(value.name, value.args, value.kwargs, ns)
    if isinstance(value, tuple):
        return tuple(to_shim(v, ns) for v in value)
    if isinstance(value, list):
        return [to_shim(v, ns) for v in value]
    if isinstance(value, dict):
        return {k: to_shim(v, ns) for k, v in value.items()}
    return value


def build(class_name, args=(), kwargs=None, ns=None):
    ns = ns if ns is not None else load_catalogue()
    cls = ns.get(class_name)
    if cls is None:
        raise KeyError("catalogue has no class %r" % class_name)
    return cls(*to_shim(tuple(args), ns), **to_shim(dict(kwargs or {}), ns))


def predict_with_shim(class_name, args=(), kwargs=None):
    """State-dict prediction: [(key, "parameter"|"buffer", shape or None, dtype name)]."""
    return build(class_name, args, kwargs).state_dict_entries()
