# ckptguard catalogue: torch.nn.utils (torch 1.13) as seen by ``state_dict()``: the
# reparametrizations that rename, add or move parameters and buffers.
#
# Evaluated by ckptguard's interpreter after torch_nn.py, in the same namespace (torch.nn); the
# interpreter then publishes these functions as torch.nn.utils, torch.nn.utils.parametrize and
# torch.nn.utils.parametrizations. The code follows torch/nn/utils/weight_norm.py,
# spectral_norm.py, parametrize.py and parametrizations.py: what each registers, under which name,
# in which order, with which shape and dtype. Tensors are abstract, so no value is computed; a
# reparametrized tensor read back from the module (``module.weight`` after weight_norm) is a plain
# tensor attribute of the original's shape, as torch's recomputed one is.


# --------------------------------------------------------------------------
# weight_norm.py
# --------------------------------------------------------------------------

def _norm_except_dim(v, dim):
    # torch.norm_except_dim(v, 2, dim): a scalar for dim=-1, else v's size at dim and 1 elsewhere
    if dim == -1:
        return v.new_empty(())
    rank = v.dim()
    if dim < 0:
        dim = dim + rank
    shape = [1 for i in range(rank)]
    shape[dim] = v.shape[dim]
    return v.new_empty(tuple(shape))


def weight_norm(module, name="weight", dim=0):
    if dim is None:
        dim = -1
    if name + "_g" in module._parameters and name + "_v" in module._parameters:
        raise RuntimeError("Cannot register two weight_norm hooks on the same parameter {}".format(name))
    weight = getattr(module, name)
    if isinstance(weight, UninitializedParameter):
        raise ValueError("The module passed to `WeightNorm` can't have uninitialized parameters. "
                         "Make sure to run the dummy forward before applying weight normalization")
    del module._parameters[name]
    module.register_parameter(name + "_g", Parameter(_norm_except_dim(weight, dim)))
    module.register_parameter(name + "_v", Parameter(weight))
    setattr(module, name, weight.clone())
    return module


def remove_weight_norm(module, name="weight"):
    if not (name + "_g" in module._parameters and name + "_v" in module._parameters):
        raise ValueError("weight_norm of '{}' not found in {}".format(name, type(module).__name__))
    weight = module._parameters[name + "_v"]
    delattr(module, name)
    del module._parameters[name + "_g"]
    del module._parameters[name + "_v"]
    setattr(module, name, Parameter(weight))
    return module


# --------------------------------------------------------------------------
# spectral_norm.py
# --------------------------------------------------------------------------

def _spectral_matrix_size(weight, dim):
    # SpectralNorm.reshape_weight_to_matrix: `dim` first, the rest flattened
    h = weight.shape[dim]
    return h, weight.numel() // h


def _transposed_conv(module):
    return isinstance(module, ConvTranspose1d) or isinstance(module, ConvTranspose2d) or isinstance(module, ConvTranspose3d)


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    if dim is None:
        if _transposed_conv(module):
            dim = 1
        else:
            dim = 0
    if name + "_orig" in module._parameters and name + "_u" in module._buffers:
        raise RuntimeError("Cannot register two spectral_norm hooks on the same parameter {}".format(name))
    if n_power_iterations <= 0:
        raise ValueError("Expected n_power_iterations to be positive, but got n_power_iterations={}".format(n_power_iterations))
    weight = module._parameters[name]
    if isinstance(weight, UninitializedParameter):
        raise ValueError("The module passed to `SpectralNorm` can't have uninitialized parameters. "
                         "Make sure to run the dummy forward before applying spectral normalization")
    sizes = _spectral_matrix_size(weight, dim)
    delattr(module, name)
    module.register_parameter(name + "_orig", weight)
    setattr(module, name, weight.clone())
    module.register_buffer(name + "_u", weight.new_empty((sizes[0],)))
    module.register_buffer(name + "_v", weight.new_empty((sizes[1],)))
    return module


def remove_spectral_norm(module, name="weight"):
    if not (name + "_orig" in module._parameters and name + "_u" in module._buffers):
        raise ValueError("spectral_norm of '{}' not found in {}".format(name, type(module).__name__))
    weight = module._parameters[name + "_orig"]
    delattr(module, name)
    delattr(module, name + "_u")
    delattr(module, name + "_v")
    delattr(module, name + "_orig")
    module.register_parameter(name, Parameter(weight))
    return module


# --------------------------------------------------------------------------
# parametrize.py
# --------------------------------------------------------------------------

def _register_parameter_or_buffer(module, name, value):
    if isinstance(value, Parameter):
        module.register_parameter(name, value)
    else:
        module.register_buffer(name, value)


class ParametrizationList(ModuleList):
    def __init__(self, modules, original, unsafe=False):
        if len(modules) == 0:
            raise ValueError("ParametrizationList requires one or more modules.")
        super().__init__(modules)
        self.unsafe = unsafe
        new = original
        for i in range(len(modules) - 1, -1, -1):
            if hasattr(modules[i], "right_inverse"):
                new = modules[i].right_inverse(new)
        self.is_tensor = isinstance(new, torch.Tensor)
        if self.is_tensor:
            if original.dtype != new.dtype:
                raise ValueError("When `right_inverse` outputs one tensor, it may not change the dtype.")
            stored = new.clone()
            if isinstance(original, Parameter):
                stored = Parameter(stored)
            _register_parameter_or_buffer(self, "original", stored)
            self.ntensors = 1
        else:
            self.ntensors = len(new)
            i = 0
            for originali in new:
                if isinstance(original, Parameter):
                    originali = Parameter(originali)
                _register_parameter_or_buffer(self, "original" + str(i), originali)
                i = i + 1


def is_parametrized(module, tensor_name=None):
    parametrizations = getattr(module, "parametrizations", None)
    if parametrizations is None or not isinstance(parametrizations, ModuleDict):
        return False
    if tensor_name is None:
        return len(parametrizations) > 0
    return tensor_name in parametrizations


def register_parametrization(module, tensor_name, parametrization, unsafe=False):
    parametrization.train(module.training)
    if is_parametrized(module, tensor_name):
        module.parametrizations[tensor_name].append(parametrization)
        module.parametrizations[tensor_name].unsafe = module.parametrizations[tensor_name].unsafe or unsafe
    elif tensor_name in module._buffers or tensor_name in module._parameters:
        original = getattr(module, tensor_name)
        parametrizations = ParametrizationList([parametrization], original, unsafe=unsafe)
        delattr(module, tensor_name)
        if not is_parametrized(module):
            module.parametrizations = ModuleDict()
        setattr(module, tensor_name, original.clone())
        module.parametrizations[tensor_name] = parametrizations
    else:
        raise ValueError("Module '{}' does not have a parameter, a buffer, or a parametrized element with name '{}'"
                         .format(type(module).__name__, tensor_name))
    return module


def remove_parametrizations(module, tensor_name, leave_parametrized=True):
    if not is_parametrized(module, tensor_name):
        raise ValueError("Module {} does not have a parametrization on {}".format(type(module).__name__, tensor_name))
    parametrizations = module.parametrizations[tensor_name]
    if parametrizations.is_tensor:
        original = parametrizations.original
        if leave_parametrized:
            value = getattr(module, tensor_name)
            if isinstance(original, Parameter):
                original = Parameter(value)
            else:
                original = value.clone()
    else:
        if not leave_parametrized:
            raise ValueError("Cannot leave unparametrized (`leave_parametrized=False`) a tensor "
                             "that is parametrized in terms of a sequence of tensors.")
        original = Parameter(getattr(module, tensor_name))
    delattr(module, tensor_name)
    del module.parametrizations[tensor_name]
    _register_parameter_or_buffer(module, tensor_name, original)
    if not is_parametrized(module):
        delattr(module, "parametrizations")
    return module


def type_before_parametrizations(module):
    return type(module)


# --------------------------------------------------------------------------
# parametrizations.py
# --------------------------------------------------------------------------

class _SpectralNorm(Module):
    def __init__(self, weight, n_power_iterations=1, dim=0, eps=1e-12):
        super().__init__()
        ndim = weight.ndim
        if dim >= ndim or dim < -ndim:
            raise IndexError("Dimension out of range (expected to be in range of [-{}, {}] but got {})"
                             .format(ndim, ndim - 1, dim))
        if n_power_iterations <= 0:
            raise ValueError("Expected n_power_iterations to be positive, but got n_power_iterations={}"
                             .format(n_power_iterations))
        if dim < 0:
            dim = dim + ndim
        self.dim = dim
        self.eps = eps
        if ndim > 1:
            self.n_power_iterations = n_power_iterations
            sizes = _spectral_matrix_size(weight, dim)
            self.register_buffer("_u", weight.new_empty((sizes[0],)))
            self.register_buffer("_v", weight.new_empty((sizes[1],)))

    def right_inverse(self, value):
        return value


def _parametrizations_spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    weight = getattr(module, name, None)
    if not isinstance(weight, torch.Tensor):
        raise ValueError("Module '{}' has no parameter or buffer with name '{}'".format(type(module).__name__, name))
    if dim is None:
        if _transposed_conv(module):
            dim = 1
        else:
            dim = 0
    register_parametrization(module, name, _SpectralNorm(weight, n_power_iterations, dim, eps))
    return module


class _Orthogonal(Module):
    def __init__(self, weight, orthogonal_map, use_trivialization=True):
        super().__init__()
        self.shape = weight.shape
        self.orthogonal_map = orthogonal_map
        if use_trivialization:
            self.register_buffer("base", None)

    def right_inverse(self, Q):
        if Q.shape != self.shape:
            raise ValueError("Expected a matrix or batch of matrices of shape {}. Got a tensor of shape {}."
                             .format(self.shape, Q.shape))
        if hasattr(self, "base"):
            n = Q.size(-2)
            k = Q.size(-1)
            if n < k:
                n = k
            self.base = Q.new_empty(tuple(Q.shape[:-2]) + (n, n))
            return Q.clone()
        return Q.clone()


def orthogonal(module, name="weight", orthogonal_map=None, use_trivialization=True):
    weight = getattr(module, name, None)
    if not isinstance(weight, torch.Tensor):
        raise ValueError("Module '{}' has no parameter or buffer with name '{}'".format(type(module).__name__, name))
    if weight.ndim < 2:
        raise ValueError("Expected a matrix or batch of matrices. Got a tensor of {} dimensions.".format(weight.ndim))
    if orthogonal_map is None:
        if weight.size(-2) == weight.size(-1):
            orthogonal_map = "matrix_exp"
        else:
            orthogonal_map = "householder"
    if orthogonal_map not in ["matrix_exp", "cayley", "householder"]:
        raise ValueError('orthogonal_map has to be one of "matrix_exp", "cayley", "householder". Got: {}'.format(orthogonal_map))
    orth = _Orthogonal(weight, orthogonal_map, use_trivialization=use_trivialization)
    register_parametrization(module, name, orth, unsafe=True)
    return module
