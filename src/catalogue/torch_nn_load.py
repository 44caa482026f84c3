# ckptguard catalogue: how torch 1.13's Module.load_state_dict(strict=True) meets a checkpoint.
#
# Evaluated by ckptguard's interpreter after torch_nn.py, in the same namespace (torch.nn), so
# that a model's own load hooks and _load_from_state_dict overrides (key migrations, _version
# upgrades) run over the abstract keys of an old checkpoint. The code follows
# torch/nn/modules/module.py (Module._load_from_state_dict, load_state_dict and its inner load())
# and batchnorm.py (_NormBase's num_batches_tracked upgrade) line by line; tensors are abstract,
# so shapes are compared and nothing is copied. Hook registrations are kept in per-module lists.


class _RemovableHandle:
    def __init__(self, hooks, entry):
        self.hooks = hooks
        self.entry = entry

    def remove(self):
        if self.entry in self.hooks:
            self.hooks.remove(self.entry)


def _hook_list(module, name):
    hooks = getattr(module, name, None)
    if hooks is None:
        hooks = []
        setattr(module, name, hooks)
    return hooks


def _module_register_load_state_dict_pre_hook(self, hook, with_module=False):
    entry = (hook, with_module)
    hooks = _hook_list(self, "_ckptguard_load_pre_hooks")
    hooks.append(entry)
    return _RemovableHandle(hooks, entry)


def _module_register_load_state_dict_post_hook(self, hook):
    hooks = _hook_list(self, "_ckptguard_load_post_hooks")
    hooks.append(hook)
    return _RemovableHandle(hooks, hook)


def _torch_size(shape):
    return "torch.Size([" + ", ".join([str(d) for d in shape]) + "])"


def _module_load_from_state_dict(self, state_dict, prefix, local_metadata, strict,
                                 missing_keys, unexpected_keys, error_msgs):
    for entry in getattr(self, "_ckptguard_load_pre_hooks", []):
        if entry[1]:
            entry[0](self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs)
        else:
            entry[0](state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs)
    local_state = {}
    for name, param in self._parameters.items():
        if param is not None:
            local_state[name] = param
    for name, buf in self._buffers.items():
        if buf is not None:
            if name not in self._non_persistent_buffers_set:
                local_state[name] = buf
    for name, param in local_state.items():
        key = prefix + name
        if key in state_dict:
            input_param = state_dict[key]
            # Backward compatibility: loading 1-dim tensor from 0.3.* to version 0.4+
            if len(param.shape) == 0:
                if len(input_param.shape) == 1:
                    input_param = input_param[0]
            if input_param.shape != param.shape:
                error_msgs.append("size mismatch for {}: copying a param with shape {} from checkpoint, "
                                  "the shape in current model is {}."
                                  .format(key, _torch_size(input_param.shape), _torch_size(param.shape)))
                continue
        elif strict:
            missing_keys.append(key)
    extra_state_key = prefix + "_extra_state"
    if strict:
        if extra_state_key in state_dict:
            unexpected_keys.append(extra_state_key)
        for key in state_dict.keys():
            if key.startswith(prefix):
                if key != extra_state_key:
                    input_name = key[len(prefix):].split(".", 1)[0]
                    if input_name not in self._modules:
                        if input_name not in local_state:
                            unexpected_keys.append(key)


def _norm_load_from_state_dict(self, state_dict, prefix, local_metadata, strict,
                               missing_keys, unexpected_keys, error_msgs):
    # _NormBase: at version 2 the num_batches_tracked buffer was added, with a default value of 0
    version = local_metadata.get("version", None)
    if self.track_running_stats:
        if version is None or version < 2:
            num_batches_tracked_key = prefix + "num_batches_tracked"
            if num_batches_tracked_key not in state_dict:
                state_dict[num_batches_tracked_key] = torch.tensor(0, dtype=torch.long)
    _module_load_from_state_dict(self, state_dict, prefix, local_metadata, strict,
                                 missing_keys, unexpected_keys, error_msgs)


Module._register_load_state_dict_pre_hook = _module_register_load_state_dict_pre_hook
Module.register_load_state_dict_post_hook = _module_register_load_state_dict_post_hook
Module._load_from_state_dict = _module_load_from_state_dict
_NormBase._load_from_state_dict = _norm_load_from_state_dict


def _ckptguard_load(module, local_state_dict, prefix, metadata, missing_keys, unexpected_keys, error_msgs):
    local_metadata = {}
    if metadata is not None:
        local_metadata = metadata.get(prefix[:-1], {})
    module._load_from_state_dict(local_state_dict, prefix, local_metadata, True,
                                 missing_keys, unexpected_keys, error_msgs)
    for name, child in module._modules.items():
        if child is not None:
            child_prefix = prefix + name + "."
            child_state_dict = {}
            for k, v in local_state_dict.items():
                if k.startswith(child_prefix):
                    child_state_dict[k] = v
            _ckptguard_load(child, child_state_dict, child_prefix, metadata, missing_keys, unexpected_keys, error_msgs)
    for hook in getattr(module, "_ckptguard_load_post_hooks", []):
        hook(module, _IncompatibleKeys(missing_keys, unexpected_keys))


class _IncompatibleKeys:
    def __init__(self, missing_keys, unexpected_keys):
        self.missing_keys = missing_keys
        self.unexpected_keys = unexpected_keys


def _ckptguard_load_state_dict(model, state_dict, metadata):
    # Module.load_state_dict(state_dict, strict=True): the lists it fills and the error it raises.
    missing_keys = []
    unexpected_keys = []
    error_msgs = []
    _ckptguard_load(model, dict(state_dict), "", metadata, missing_keys, unexpected_keys, error_msgs)
    if len(unexpected_keys) > 0:
        error_msgs.insert(0, "Unexpected key(s) in state_dict: {}. ".format(
            ", ".join(['"{}"'.format(k) for k in unexpected_keys])))
    if len(missing_keys) > 0:
        error_msgs.insert(0, "Missing key(s) in state_dict: {}. ".format(
            ", ".join(['"{}"'.format(k) for k in missing_keys])))
    error = None
    if len(error_msgs) > 0:
        error = "Error(s) in loading state_dict for {}:\n\t{}".format(model.__class__.__name__, "\n\t".join(error_msgs))
    return (missing_keys, unexpected_keys, error_msgs, error)
