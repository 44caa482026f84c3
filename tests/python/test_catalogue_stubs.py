"""Property tests: the torch.nn catalogue stub (src/catalogue/torch_nn.py) vs real torch 1.13.

Ground truth is always a real ``torch.nn`` module's ``state_dict()``.  A
*predictor* is any callable ``(class_name, args, kwargs) -> [(key, kind,
shape_or_None, dtype_name)]``; arguments are neutral (plain values plus the
``DType`` / ``TensorArg`` / ``ModuleArg`` markers from catalogue_shim) and each
predictor translates them into its own world.  Append more predictors (e.g. the
interpreter-backed one from ``ckptguard._core``) to ``PREDICTORS``.

Run with the system interpreter: ``/usr/bin/python3 -m pytest -q tests/python/test_catalogue_stubs.py``.
"""

import ast
import inspect
import os
import sys
import warnings

import pytest

torch = pytest.importorskip("torch")
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from catalogue_shim import (  # noqa: E402
    INVALID_CONFIG_ERRORS,
    DType,
    ModuleArg,
    TensorArg,
    catalogue_path,
    load_catalogue,
    predict_with_shim,
)

from interpreter_predictor import predict_with_interpreter  # noqa: E402

PREDICTORS = [("shim", predict_with_shim), ("interpreter", predict_with_interpreter)]

NATIVE_CONTAINERS = {"Module", "Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict"}


def torch_nn_module_names():
    return sorted(
        name for name, obj in vars(torch.nn).items()
        if inspect.isclass(obj) and issubclass(obj, torch.nn.Module) and name not in NATIVE_CONTAINERS
    )


# ---------------------------------------------------------------------------
# ground truth
# ---------------------------------------------------------------------------

def to_torch(value):
    if isinstance(value, DType):
        return getattr(torch, value.name)
    if isinstance(value, TensorArg):
        return torch.zeros(value.shape, dtype=getattr(torch, value.dtype))
    if isinstance(value, ModuleArg):
        return getattr(torch.nn, value.name)(*to_torch(value.args), **to_torch(value.kwargs))
    if isinstance(value, tuple):
        return tuple(to_torch(v) for v in value)
    if isinstance(value, list):
        return [to_torch(v) for v in value]
    if isinstance(value, dict):
        return {k: to_torch(v) for k, v in value.items()}
    return value


def torch_entries(name, args, kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = getattr(torch.nn, name)(*to_torch(tuple(args)), **to_torch(dict(kwargs)))
        sd = m.state_dict()
    # torch 1.13's named_parameters() has no remove_duplicate: walk _parameters directly
    param_keys = set()
    for prefix, mod in m.named_modules(remove_duplicate=False):
        for pname, p in mod._parameters.items():
            if p is not None:
                param_keys.add(prefix + "." + pname if prefix else pname)
    out = []
    for k, v in sd.items():
        kind = "parameter" if k in param_keys else "buffer"
        if isinstance(v, torch.nn.parameter.UninitializedTensorMixin):
            shape = None
        else:
            shape = tuple(v.shape)
        out.append((k, kind, shape, str(v.dtype).removeprefix("torch.")))
    return out


def normalize(entries):
    """Uninitialized (lazy) entries: compare key and kind only."""
    out = []
    for key, kind, shape, dtype in entries:
        if shape is None:
            out.append((key, kind, None, None))
        else:
            out.append((key, kind, tuple(shape), dtype))
    return out


def check(predictor, name, args, kwargs):
    try:
        expected, torch_error = torch_entries(name, args, kwargs), None
    except Exception as e:  # any torch failure means "invalid configuration"
        expected, torch_error = None, e
    try:
        got, pred_error = predictor(name, args, kwargs), None
    except INVALID_CONFIG_ERRORS as e:
        got, pred_error = None, e
    call = "%s(*%r, **%r)" % (name, tuple(args), dict(kwargs))
    if torch_error is not None:
        assert pred_error is not None, "torch rejects %s (%r) but predictor accepted it: %r" % (call, torch_error, got)
        return None
    assert pred_error is None, "predictor rejects %s (%r) but torch accepts it" % (call, pred_error)
    assert normalize(got) == normalize(expected), "state_dict mismatch for %s" % call
    return expected


predictor_params = pytest.mark.parametrize(
    "predictor", [p for _, p in PREDICTORS], ids=[n for n, _ in PREDICTORS])


# ---------------------------------------------------------------------------
# strategies (neutral arguments)
# ---------------------------------------------------------------------------

DTYPES = st.sampled_from([None, DType("float16"), DType("float64")])
FLOAT_DTYPE_NAMES = st.sampled_from(["float32", "float16", "float64"])
RARELY = st.sampled_from([False] * 7 + [True])   # ~1 in 8; shrinks towards False


def opt(draw, kwargs, name, strategy):
    """Pass keyword ``name`` or leave torch's default, at random."""
    if draw(st.booleans()):
        kwargs[name] = draw(strategy)


def int_or_seq(n, lo, hi):
    i = st.integers(lo, hi)
    return st.one_of(i, st.tuples(*[i] * n), st.lists(i, min_size=n, max_size=n))


@st.composite
def st_linear(draw):
    kw = {}
    opt(draw, kw, "bias", st.booleans())
    opt(draw, kw, "dtype", DTYPES)
    return (draw(st.integers(1, 16)), draw(st.integers(1, 16))), kw


@st.composite
def st_bilinear(draw):
    kw = {}
    opt(draw, kw, "bias", st.booleans())
    opt(draw, kw, "dtype", DTYPES)
    return tuple(draw(st.integers(1, 8)) for _ in range(3)), kw


@st.composite
def st_lazy_linear(draw):
    kw = {}
    opt(draw, kw, "bias", st.booleans())
    return (draw(st.integers(1, 16)),), kw


def st_conv(n, transposed=False, lazy=False):
    @st.composite
    def strat(draw):
        groups = draw(st.integers(1, 4))
        if draw(RARELY):   # sometimes groups need not divide channels
            cin, cout = draw(st.integers(1, 16)), draw(st.integers(1, 16))
        else:
            cin, cout = groups * draw(st.integers(1, 4)), groups * draw(st.integers(1, 4))
        kernel = draw(int_or_seq(n, 1, 3))
        args = (cout, kernel) if lazy else (cin, cout, kernel)
        kw = {}
        opt(draw, kw, "stride", int_or_seq(n, 1, 2))
        if transposed:
            opt(draw, kw, "padding", int_or_seq(n, 0, 2))
            opt(draw, kw, "output_padding", int_or_seq(n, 0, 1))
            opt(draw, kw, "padding_mode", st.sampled_from(["zeros", "zeros", "zeros", "reflect"]))
        else:
            opt(draw, kw, "padding", st.one_of(int_or_seq(n, 0, 2), st.sampled_from(["same", "valid", "full"])))
            opt(draw, kw, "padding_mode", st.sampled_from(["zeros", "reflect", "replicate", "circular", "bogus"]))
        opt(draw, kw, "dilation", int_or_seq(n, 1, 2))
        if groups != 1 or draw(st.booleans()):
            kw["groups"] = groups
        opt(draw, kw, "bias", st.booleans())
        if not lazy:
            opt(draw, kw, "dtype", DTYPES)
        return args, kw
    return strat()


@st.composite
def st_norm(draw):
    kw = {}
    for name in ("affine", "track_running_stats"):
        opt(draw, kw, name, st.booleans())
    opt(draw, kw, "eps", st.sampled_from([1e-5, 1e-3]))
    opt(draw, kw, "momentum", st.sampled_from([0.1, None]))
    opt(draw, kw, "dtype", DTYPES)
    return (draw(st.integers(1, 16)),), kw


@st.composite
def st_lazy_norm(draw):
    kw = {}
    for name in ("affine", "track_running_stats"):
        opt(draw, kw, name, st.booleans())
    opt(draw, kw, "eps", st.sampled_from([1e-5, 1e-3]))
    return (), kw


@st.composite
def st_layer_norm(draw):
    shape = draw(st.one_of(st.integers(1, 8),
                           st.tuples(st.integers(1, 4)),
                           st.tuples(st.integers(1, 4), st.integers(1, 4)),
                           st.lists(st.integers(1, 4), min_size=1, max_size=3)))
    kw = {}
    opt(draw, kw, "elementwise_affine", st.booleans())
    opt(draw, kw, "eps", st.sampled_from([1e-5, 1e-6]))
    opt(draw, kw, "dtype", DTYPES)
    return (shape,), kw


@st.composite
def st_group_norm(draw):
    groups = draw(st.integers(1, 4))
    channels = draw(st.one_of(st.integers(1, 4).map(lambda k: k * groups), st.integers(1, 16)))
    kw = {}
    opt(draw, kw, "affine", st.booleans())
    opt(draw, kw, "dtype", DTYPES)
    return (groups, channels), kw


@st.composite
def st_lrn(draw):
    kw = {}
    opt(draw, kw, "alpha", st.sampled_from([1e-4, 1e-3]))
    opt(draw, kw, "k", st.sampled_from([1, 2.0]))
    return (draw(st.integers(1, 5)),), kw


def st_embedding(bag):
    @st.composite
    def strat(draw):
        n, d = draw(st.integers(1, 16)), draw(st.integers(1, 16))
        kw = {}
        opt(draw, kw, "padding_idx", st.one_of(st.none(), st.integers(-n, n - 1), st.sampled_from([-n - 1, n])))
        opt(draw, kw, "max_norm", st.sampled_from([None, 1.0]))
        opt(draw, kw, "sparse", st.booleans())
        if bag:
            opt(draw, kw, "mode", st.sampled_from(["sum", "mean", "max"]))
            opt(draw, kw, "include_last_offset", st.booleans())
        if draw(st.booleans()):
            kw["_weight"] = TensorArg((n, d), draw(FLOAT_DTYPE_NAMES))
        else:
            opt(draw, kw, "dtype", DTYPES)
        return (n, d), kw
    return strat()


def st_rnn(kind):
    @st.composite
    def strat(draw):
        hidden = draw(st.integers(1, 16))
        num_layers = draw(st.integers(1, 3))
        values = [
            draw(st.integers(1, 8)),                                     # input_size
            hidden,                                                      # hidden_size
            num_layers,                                                  # num_layers
            draw(st.booleans()),                                         # bias
            draw(st.booleans()),                                         # batch_first
            draw(st.sampled_from([0.0, 0.25]) if num_layers > 1 else st.just(0.0)),  # dropout
            draw(st.booleans()),                                         # bidirectional
        ]
        names = ["input_size", "hidden_size", "num_layers", "bias", "batch_first", "dropout", "bidirectional"]
        if kind == "LSTM":
            values.append(draw(st.one_of(st.integers(0, hidden - 1), st.sampled_from([hidden, hidden + 1]))))
            names.append("proj_size")
        # positional / keyword mix, as RNNBase(*args, **kwargs) accepts
        n_pos = draw(st.integers(0, len(values)))
        args = tuple(values[:n_pos])
        kw = {}
        for name, value in zip(names[n_pos:], values[n_pos:]):
            if draw(st.booleans()):
                kw[name] = value
        if n_pos < 2:   # input_size / hidden_size are required
            kw.update({k: v for k, v in zip(names[n_pos:2], values[n_pos:2])})
        if kind == "RNN":
            opt(draw, kw, "nonlinearity", st.sampled_from(["tanh", "relu", "relu", "sigmoid"]))
        if kind != "LSTM" and draw(RARELY):
            kw["proj_size"] = 0   # torch rejects proj_size for RNN/GRU even when 0
        opt(draw, kw, "dtype", DTYPES)
        return args, kw
    return strat()


def st_cell(with_nonlinearity):
    @st.composite
    def strat(draw):
        kw = {}
        opt(draw, kw, "bias", st.booleans())
        if with_nonlinearity:
            opt(draw, kw, "nonlinearity", st.sampled_from(["tanh", "relu"]))
        opt(draw, kw, "dtype", DTYPES)
        return (draw(st.integers(1, 16)), draw(st.integers(1, 16))), kw
    return strat()


@st.composite
def st_mha(draw):
    heads = draw(st.integers(1, 4))
    embed = draw(st.one_of(st.integers(1, 4).map(lambda h: h * heads), st.integers(1, 16)))
    kw = {}
    opt(draw, kw, "bias", st.booleans())
    opt(draw, kw, "add_bias_kv", st.booleans())
    opt(draw, kw, "add_zero_attn", st.booleans())
    opt(draw, kw, "kdim", st.one_of(st.none(), st.integers(1, 16), st.just(embed)))
    opt(draw, kw, "vdim", st.one_of(st.none(), st.integers(1, 16), st.just(embed)))
    opt(draw, kw, "batch_first", st.booleans())
    opt(draw, kw, "dropout", st.sampled_from([0.0, 0.1]))
    opt(draw, kw, "dtype", DTYPES)
    return (embed, heads), kw


ACTIVATIONS = st.sampled_from(["relu", "gelu", ModuleArg("GELU"), ModuleArg("PReLU", (), {"num_parameters": 3})])


@st.composite
def transformer_layer_args(draw, dtype=True):
    heads = draw(st.integers(1, 3))
    d_model = heads * draw(st.integers(1, 4))
    kw = {}
    opt(draw, kw, "dim_feedforward", st.integers(1, 16))
    opt(draw, kw, "activation", ACTIVATIONS)
    opt(draw, kw, "norm_first", st.booleans())
    opt(draw, kw, "batch_first", st.booleans())
    opt(draw, kw, "layer_norm_eps", st.sampled_from([1e-5, 1e-6]))
    if dtype:
        opt(draw, kw, "dtype", DTYPES)
    return (d_model, heads), kw


def st_transformer_stack(layer_name):
    @st.composite
    def strat(draw):
        (d_model, heads), lkw = draw(transformer_layer_args(dtype=False))
        layer = ModuleArg(layer_name, (d_model, heads), lkw)
        kw = {}
        opt(draw, kw, "norm", st.one_of(st.none(), st.just(ModuleArg("LayerNorm", (d_model,)))))
        return (layer, draw(st.integers(1, 3))), kw
    return strat()


@st.composite
def st_transformer(draw):
    heads = draw(st.integers(1, 2))
    d_model = heads * draw(st.integers(1, 4))
    kw = {"d_model": d_model, "nhead": heads,
          "num_encoder_layers": draw(st.integers(0, 2)),
          "num_decoder_layers": draw(st.integers(0, 2)),
          "dim_feedforward": draw(st.integers(1, 8))}
    opt(draw, kw, "activation", ACTIVATIONS)
    opt(draw, kw, "custom_encoder", st.one_of(st.none(), st.just(ModuleArg("Linear", (2, 3)))))
    opt(draw, kw, "custom_decoder", st.one_of(st.none(), st.just(ModuleArg("Identity"))))
    opt(draw, kw, "norm_first", st.booleans())
    opt(draw, kw, "dtype", DTYPES)
    return (), kw


@st.composite
def st_prelu(draw):
    kw = {}
    opt(draw, kw, "num_parameters", st.integers(1, 16))
    opt(draw, kw, "init", st.sampled_from([0.25, 0.1]))
    opt(draw, kw, "dtype", DTYPES)
    return (), kw


@st.composite
def st_adaptive_log_softmax(draw):
    n_classes = draw(st.integers(2, 20))
    if draw(RARELY):   # arbitrary list: often unsorted / out of range / duplicated
        cutoffs = draw(st.lists(st.integers(0, n_classes + 1), min_size=0, max_size=3))
    else:
        cutoffs = sorted(draw(st.lists(st.integers(1, n_classes - 1), min_size=1, max_size=3, unique=True)))
    kw = {}
    opt(draw, kw, "div_value", st.sampled_from([1.0, 2.0, 4.0]))
    opt(draw, kw, "head_bias", st.booleans())
    opt(draw, kw, "dtype", DTYPES)
    return (draw(st.integers(1, 16)), n_classes, cutoffs), kw


def st_weighted_loss(extra=()):
    @st.composite
    def strat(draw):
        c = draw(st.integers(1, 8))
        kw = {}
        for name in ("weight",) + tuple(extra):
            opt(draw, kw, name, st.one_of(st.none(), FLOAT_DTYPE_NAMES.map(lambda d: TensorArg((c,), d))))
        opt(draw, kw, "reduction", st.sampled_from(["mean", "sum", "none"]))
        opt(draw, kw, "size_average", st.sampled_from([None, True, False]))
        return (), kw
    return strat()


def st_fractional(n):
    @st.composite
    def strat(draw):
        kw = {}
        choice = draw(st.sampled_from([0, 1, 0, 1, 2, 3]))   # 2 and 3 are invalid (both / neither)
        if choice in (0, 2):
            kw["output_size"] = draw(int_or_seq(n, 1, 4))
        if choice in (1, 2):
            kw["output_ratio"] = draw(st.sampled_from([0.5, 0.7, (0.5, 0.25), 1.5]))
        if draw(st.booleans()):
            kw["_random_samples"] = TensorArg((1, 2, n), "float32")
        opt(draw, kw, "return_indices", st.booleans())
        return (draw(int_or_seq(n, 1, 3)),), kw
    return strat()


@st.composite
def st_unflatten(draw):
    if draw(st.booleans()):
        return (draw(st.integers(-2, 2)), draw(st.one_of(
            st.tuples(st.integers(1, 4), st.integers(1, 4)),
            st.lists(st.integers(1, 4), min_size=1, max_size=3)))), {}
    return ("features", (("C", 2), ("H", 3))), {}


@st.composite
def st_data_parallel(draw):
    inner = draw(st.sampled_from([ModuleArg("Linear", (2, 3)), ModuleArg("BatchNorm1d", (4,)),
                                  ModuleArg("ReLU")]))
    return (inner,), {}


@st.composite
def st_triplet_distance(draw):
    kw = {}
    opt(draw, kw, "distance_function", st.sampled_from([None, ModuleArg("PairwiseDistance"),
                                                        ModuleArg("Bilinear", (2, 2, 1))]))
    opt(draw, kw, "margin", st.sampled_from([1.0, 0.5]))
    return (), kw


@st.composite
def st_identity(draw):
    return tuple(draw(st.lists(st.integers(0, 3), max_size=2))), draw(
        st.dictionaries(st.sampled_from(["a", "b"]), st.integers(0, 3)))


@st.composite
def st_dropout(draw):
    kw = {}
    opt(draw, kw, "p", st.sampled_from([0.0, 0.5, 1.0, 1.5, -0.1]))
    opt(draw, kw, "inplace", st.booleans())
    return (), kw


STRATEGIES = {
    "Identity": st_identity(),
    "Linear": st_linear(),
    "Bilinear": st_bilinear(),
    "LazyLinear": st_lazy_linear(),
    "Conv1d": st_conv(1), "Conv2d": st_conv(2), "Conv3d": st_conv(3),
    "ConvTranspose1d": st_conv(1, transposed=True),
    "ConvTranspose2d": st_conv(2, transposed=True),
    "ConvTranspose3d": st_conv(3, transposed=True),
    "LazyConv1d": st_conv(1, lazy=True), "LazyConv2d": st_conv(2, lazy=True),
    "LazyConv3d": st_conv(3, lazy=True),
    "LazyConvTranspose1d": st_conv(1, transposed=True, lazy=True),
    "LazyConvTranspose2d": st_conv(2, transposed=True, lazy=True),
    "LazyConvTranspose3d": st_conv(3, transposed=True, lazy=True),
    "BatchNorm1d": st_norm(), "BatchNorm2d": st_norm(), "BatchNorm3d": st_norm(),
    "SyncBatchNorm": st_norm(),
    "InstanceNorm1d": st_norm(), "InstanceNorm2d": st_norm(), "InstanceNorm3d": st_norm(),
    "LazyBatchNorm1d": st_lazy_norm(), "LazyBatchNorm2d": st_lazy_norm(), "LazyBatchNorm3d": st_lazy_norm(),
    "LazyInstanceNorm1d": st_lazy_norm(), "LazyInstanceNorm2d": st_lazy_norm(),
    "LazyInstanceNorm3d": st_lazy_norm(),
    "LayerNorm": st_layer_norm(),
    "GroupNorm": st_group_norm(),
    "LocalResponseNorm": st_lrn(),
    "CrossMapLRN2d": st_lrn(),
    "Embedding": st_embedding(bag=False),
    "EmbeddingBag": st_embedding(bag=True),
    "RNN": st_rnn("RNN"), "LSTM": st_rnn("LSTM"), "GRU": st_rnn("GRU"),
    "RNNCell": st_cell(True), "LSTMCell": st_cell(False), "GRUCell": st_cell(False),
    "MultiheadAttention": st_mha(),
    "TransformerEncoderLayer": transformer_layer_args(),
    "TransformerDecoderLayer": transformer_layer_args(),
    "TransformerEncoder": st_transformer_stack("TransformerEncoderLayer"),
    "TransformerDecoder": st_transformer_stack("TransformerDecoderLayer"),
    "Transformer": st_transformer(),
    "PReLU": st_prelu(),
    "AdaptiveLogSoftmaxWithLoss": st_adaptive_log_softmax(),
    "CrossEntropyLoss": st_weighted_loss(),
    "NLLLoss": st_weighted_loss(),
    "NLLLoss2d": st_weighted_loss(),
    "BCELoss": st_weighted_loss(),
    "MultiLabelSoftMarginLoss": st_weighted_loss(),
    "MultiMarginLoss": st_weighted_loss(),
    "BCEWithLogitsLoss": st_weighted_loss(extra=("pos_weight",)),
    "FractionalMaxPool2d": st_fractional(2),
    "FractionalMaxPool3d": st_fractional(3),
    "Unflatten": st_unflatten(),
    "DataParallel": st_data_parallel(),
    "TripletMarginWithDistanceLoss": st_triplet_distance(),
    "Dropout": st_dropout(),
    "Dropout2d": st_dropout(),
    "Softmax2d": st.just(((), {})),
    "Fold": st.tuples(st.tuples(int_or_seq(2, 2, 6), int_or_seq(2, 1, 2)), st.just({})),
    "Unfold": st.tuples(st.tuples(int_or_seq(2, 1, 3)), st.just({})),
    "PixelShuffle": st.tuples(st.tuples(st.integers(1, 4)), st.just({})),
    "Upsample": st.tuples(st.just(()), st.fixed_dictionaries(
        {}, optional={"scale_factor": st.sampled_from([2, 2.0, (2.0, 3.0)]),
                      "mode": st.sampled_from(["nearest", "bilinear"])})),
    "MaxPool2d": st.tuples(st.tuples(int_or_seq(2, 1, 3)), st.fixed_dictionaries(
        {}, optional={"stride": int_or_seq(2, 1, 2), "padding": int_or_seq(2, 0, 1)})),
    "AvgPool1d": st.tuples(st.tuples(int_or_seq(1, 1, 3)), st.fixed_dictionaries(
        {}, optional={"stride": st.one_of(st.none(), int_or_seq(1, 1, 2))})),
    "ReflectionPad2d": st.tuples(st.tuples(int_or_seq(4, 0, 2)), st.just({})),
    "ConstantPad3d": st.tuples(st.tuples(int_or_seq(6, 0, 2), st.floats(-1, 1)), st.just({})),
}

# Parameter-carrying layers get more examples than the stateless ones.
STATELESS_STRATEGIES = {"Identity", "Softmax2d", "Fold", "Unfold", "PixelShuffle", "Upsample", "MaxPool2d",
                        "AvgPool1d", "ReflectionPad2d", "ConstantPad3d", "Dropout", "Dropout2d",
                        "LocalResponseNorm", "CrossMapLRN2d", "Unflatten"}


@predictor_params
@pytest.mark.parametrize("layer", sorted(set(STRATEGIES) - STATELESS_STRATEGIES))
@settings(max_examples=30, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_layer_state_dict_matches_torch(predictor, layer, data):
    args, kwargs = data.draw(STRATEGIES[layer], label="constructor args")
    event("accepted by torch" if check(predictor, layer, args, kwargs) is not None else "rejected by torch")


@predictor_params
@pytest.mark.parametrize("layer", sorted(STATELESS_STRATEGIES))
@settings(max_examples=10, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_stateless_layer_matches_torch(predictor, layer, data):
    args, kwargs = data.draw(STRATEGIES[layer], label="constructor args")
    event("accepted by torch" if check(predictor, layer, args, kwargs) is not None else "rejected by torch")


def test_strategies_name_real_torch_classes():
    assert set(STRATEGIES) <= set(torch_nn_module_names())


# ---------------------------------------------------------------------------
# coverage: every torch.nn module class, with a default argument set
# ---------------------------------------------------------------------------

_TEL = ModuleArg("TransformerEncoderLayer", (8, 2, 16))
_TDL = ModuleArg("TransformerDecoderLayer", (8, 2, 16))

DEFAULTS = {
    "Identity": ((3,), {"unused": 1}),
    "Linear": ((3, 4), {}),
    "Bilinear": ((2, 3, 4), {}),
    "LazyLinear": ((4,), {}),
    "Conv1d": ((2, 4, 3), {}), "Conv2d": ((2, 4, 3), {}), "Conv3d": ((2, 4, 3), {}),
    "ConvTranspose1d": ((2, 4, 3), {}), "ConvTranspose2d": ((2, 4, 3), {}), "ConvTranspose3d": ((2, 4, 3), {}),
    "LazyConv1d": ((4, 3), {}), "LazyConv2d": ((4, 3), {}), "LazyConv3d": ((4, 3), {}),
    "LazyConvTranspose1d": ((4, 3), {}), "LazyConvTranspose2d": ((4, 3), {}), "LazyConvTranspose3d": ((4, 3), {}),
    "Threshold": ((0.1, 20.0), {}),
    "ReLU": ((), {}), "Hardtanh": ((), {}), "ReLU6": ((), {"inplace": True}), "Sigmoid": ((), {}),
    "Tanh": ((), {}), "Softmax": ((), {"dim": 1}), "Softmax2d": ((), {}), "LogSoftmax": ((1,), {}),
    "ELU": ((), {}), "SELU": ((), {}), "CELU": ((), {}), "GLU": ((), {}), "GELU": ((), {"approximate": "tanh"}),
    "Hardshrink": ((), {}), "LeakyReLU": ((0.2, True), {}), "LogSigmoid": ((), {}), "Softplus": ((), {}),
    "Softshrink": ((), {}), "Softsign": ((), {}), "Softmin": ((), {}), "Tanhshrink": ((), {}),
    "RReLU": ((), {}), "Hardsigmoid": ((), {}), "Hardswish": ((), {}), "SiLU": ((), {}), "Mish": ((), {}),
    "MultiheadAttention": ((8, 2), {}),
    "PReLU": ((), {}),
    "L1Loss": ((), {}), "NLLLoss": ((), {}), "KLDivLoss": ((), {}), "MSELoss": ((), {}),
    "BCELoss": ((), {}), "BCEWithLogitsLoss": ((), {}), "NLLLoss2d": ((), {}), "PoissonNLLLoss": ((), {}),
    "CosineEmbeddingLoss": ((), {}), "CTCLoss": ((), {}), "HingeEmbeddingLoss": ((), {}),
    "MarginRankingLoss": ((), {}), "MultiLabelMarginLoss": ((), {}), "MultiLabelSoftMarginLoss": ((), {}),
    "MultiMarginLoss": ((), {}), "SmoothL1Loss": ((), {}), "GaussianNLLLoss": ((), {}), "HuberLoss": ((), {}),
    "SoftMarginLoss": ((), {}), "CrossEntropyLoss": ((), {"weight": TensorArg((5,))}),
    "TripletMarginLoss": ((), {}), "TripletMarginWithDistanceLoss": ((), {}),
    "Container": ((), {"a": ModuleArg("Linear", (2, 3)), "b": ModuleArg("ReLU")}),
    "AvgPool1d": ((2,), {}), "AvgPool2d": ((2,), {}), "AvgPool3d": ((2,), {}),
    "MaxPool1d": ((2,), {}), "MaxPool2d": ((2,), {}), "MaxPool3d": ((2,), {}),
    "MaxUnpool1d": ((2,), {}), "MaxUnpool2d": ((2,), {}), "MaxUnpool3d": ((2,), {}),
    "FractionalMaxPool2d": ((2,), {"output_size": 3}), "FractionalMaxPool3d": ((2,), {"output_ratio": 0.5}),
    "LPPool1d": ((2, 3), {}), "LPPool2d": ((2, 3), {}),
    "AdaptiveMaxPool1d": ((2,), {}), "AdaptiveMaxPool2d": ((2,), {}), "AdaptiveMaxPool3d": ((2,), {}),
    "AdaptiveAvgPool1d": ((2,), {}), "AdaptiveAvgPool2d": ((2,), {}), "AdaptiveAvgPool3d": ((2,), {}),
    "LocalResponseNorm": ((2,), {}), "CrossMapLRN2d": ((3,), {}),
    "BatchNorm1d": ((4,), {}), "BatchNorm2d": ((4,), {}), "BatchNorm3d": ((4,), {}),
    "SyncBatchNorm": ((4,), {}),
    "InstanceNorm1d": ((4,), {}), "InstanceNorm2d": ((4,), {}), "InstanceNorm3d": ((4,), {}),
    "LazyBatchNorm1d": ((), {}), "LazyBatchNorm2d": ((), {}), "LazyBatchNorm3d": ((), {}),
    "LazyInstanceNorm1d": ((), {}), "LazyInstanceNorm2d": ((), {}), "LazyInstanceNorm3d": ((), {}),
    "LayerNorm": ((4,), {}), "GroupNorm": ((2, 4), {}),
    "Dropout": ((), {}), "Dropout1d": ((), {}), "Dropout2d": ((), {}), "Dropout3d": ((), {}),
    "AlphaDropout": ((), {}), "FeatureAlphaDropout": ((), {}),
    "ReflectionPad1d": ((1,), {}), "ReflectionPad2d": ((1,), {}), "ReflectionPad3d": ((1,), {}),
    "ReplicationPad1d": ((1,), {}), "ReplicationPad2d": ((1,), {}), "ReplicationPad3d": ((1,), {}),
    "ZeroPad2d": ((1,), {}),
    "ConstantPad1d": ((1, 0.5), {}), "ConstantPad2d": ((1, 0.5), {}), "ConstantPad3d": ((1, 0.5), {}),
    "Embedding": ((10, 3), {}), "EmbeddingBag": ((10, 3), {}),
    "RNNBase": (("LSTM", 4, 8), {}),
    "RNN": ((4, 8), {}), "LSTM": ((4, 8), {}), "GRU": ((4, 8), {}),
    "RNNCellBase": ((4, 8, True, 2), {}),
    "RNNCell": ((4, 8), {}), "LSTMCell": ((4, 8), {}), "GRUCell": ((4, 8), {}),
    "PixelShuffle": ((2,), {}), "PixelUnshuffle": ((2,), {}), "ChannelShuffle": ((2,), {}),
    "Upsample": ((), {"scale_factor": 2}), "UpsamplingNearest2d": ((), {"scale_factor": 2}),
    "UpsamplingBilinear2d": ((), {"size": 4}),
    "PairwiseDistance": ((), {}), "CosineSimilarity": ((), {}),
    "Flatten": ((), {}), "Unflatten": ((1, (2, 2)), {}),
    "Fold": (((4, 4), 2), {}), "Unfold": ((2,), {}),
    "AdaptiveLogSoftmaxWithLoss": ((8, 10, [4, 8]), {}),
    "TransformerEncoderLayer": ((8, 2, 16), {}), "TransformerDecoderLayer": ((8, 2, 16), {}),
    "TransformerEncoder": ((_TEL, 2), {}), "TransformerDecoder": ((_TDL, 2), {}),
    "Transformer": ((), {"d_model": 8, "nhead": 2, "num_encoder_layers": 1, "num_decoder_layers": 1,
                         "dim_feedforward": 16}),
    "DataParallel": ((ModuleArg("Linear", (2, 3)),), {}),
}


def test_every_torch_nn_module_has_a_stub_class():
    ns = load_catalogue()
    missing = [n for n in torch_nn_module_names() if not inspect.isclass(ns.get(n))]
    assert missing == [], "classes missing from %s: %s" % (catalogue_path(), missing)


def test_defaults_cover_every_torch_nn_module():
    assert sorted(set(torch_nn_module_names()) - set(DEFAULTS)) == []
    assert sorted(set(DEFAULTS) - set(torch_nn_module_names())) == []


@predictor_params
@pytest.mark.parametrize("name", sorted(DEFAULTS))
def test_default_construction_matches_torch(predictor, name):
    args, kwargs = DEFAULTS[name]
    expected = check(predictor, name, args, kwargs)
    assert expected is not None, "default arguments for %s must be valid for torch" % name
    if expected == []:   # parameter-free module: zero keys on both sides (checked by check())
        assert predictor(name, args, kwargs) == []


# ---------------------------------------------------------------------------
# attributes user code reads after construction (shim only: the predictor
# interface exposes state_dict entries, not attributes)
# ---------------------------------------------------------------------------

SIMPLE_TYPES = (int, float, bool, str, tuple, list, type(None))
CHECKED_PRIVATE_ATTRS = {"_flat_weights_names", "_all_weights", "_qkv_same_embed_dim"}


def check_attributes(name, args, kwargs):
    from catalogue_shim import build
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            real = getattr(torch.nn, name)(*to_torch(tuple(args)), **to_torch(dict(kwargs)))
    except Exception:
        return
    stub = build(name, args, kwargs)
    for attr, value in vars(real).items():
        if attr == "training" or (attr.startswith("_") and attr not in CHECKED_PRIVATE_ATTRS):
            continue
        if not isinstance(value, SIMPLE_TYPES):
            continue
        got = stub.__dict__.get(attr, "<missing>")
        assert type(got) is type(value) and got == value, \
            "%s(*%r, **%r).%s: stub %r, torch %r" % (name, args, kwargs, attr, got, value)


@pytest.mark.parametrize("name", sorted(DEFAULTS))
def test_default_attributes_match_torch(name):
    args, kwargs = DEFAULTS[name]
    check_attributes(name, args, kwargs)


@pytest.mark.parametrize("layer", sorted(STRATEGIES))
@settings(max_examples=10, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_layer_attributes_match_torch(layer, data):
    args, kwargs = data.draw(STRATEGIES[layer], label="constructor args")
    check_attributes(layer, args, kwargs)


# ---------------------------------------------------------------------------
# signatures: exactly torch 1.13's constructor signature
# ---------------------------------------------------------------------------

# torch's default is the function F.relu, which the stub subset cannot name.
SIGNATURE_DEFAULT_EXCEPTIONS = {
    ("Transformer", "activation"): "relu",
    ("TransformerEncoderLayer", "activation"): "relu",
    ("TransformerDecoderLayer", "activation"): "relu",
}


@pytest.mark.parametrize("name", torch_nn_module_names())
def test_constructor_signature_matches_torch(name):
    ns = load_catalogue()
    if name not in ns:
        pytest.fail("stub lacks class %s" % name)
    want = list(inspect.signature(getattr(torch.nn, name).__init__).parameters.values())
    got = list(inspect.signature(ns[name].__init__).parameters.values())
    assert [(p.name, p.kind) for p in got] == [(p.name, p.kind) for p in want]
    for w, g in zip(want, got):
        if (name, w.name) in SIGNATURE_DEFAULT_EXCEPTIONS:
            assert g.default == SIGNATURE_DEFAULT_EXCEPTIONS[(name, w.name)]
            continue
        assert (g.default is inspect.Parameter.empty) == (w.default is inspect.Parameter.empty), w.name
        if w.default is not inspect.Parameter.empty:
            assert type(g.default) is type(w.default) and g.default == w.default, \
                "%s.%s default: stub %r, torch %r" % (name, w.name, g.default, w.default)


# ---------------------------------------------------------------------------
# the stub stays inside the interpreter's Python subset
# ---------------------------------------------------------------------------

PROVIDED_NAMES = {"Module", "Parameter", "UninitializedParameter", "UninitializedBuffer", "ModuleList",
                  "Sequential", "copy_module", "torch", "self", "super", "setattr"}
ALLOWED_BUILTINS = {"isinstance", "int", "float", "bool", "str", "len", "range", "enumerate", "zip", "tuple",
                    "list", "dict", "min", "max", "sum", "abs", "type", "ValueError", "TypeError",
                    "AssertionError", "RuntimeError", "NotImplementedError"}
TORCH_ATTRS = {"empty", "zeros", "ones", "tensor", "float32", "float64", "float16", "bfloat16", "int64",
               "long", "int32", "uint8", "bool"}
ALLOWED_METHODS = {"__init__", "register_parameter", "register_buffer", "add_module", "format"}
FORBIDDEN_NODES = (ast.Import, ast.ImportFrom, ast.Lambda, ast.Try, ast.With, ast.AsyncFunctionDef, ast.Await,
                   ast.Yield, ast.YieldFrom, ast.Global, ast.Nonlocal, ast.IfExp, ast.GeneratorExp, ast.SetComp,
                   ast.Set, ast.Assert, ast.Delete, ast.NamedExpr, ast.AsyncFor, ast.AsyncWith)


def test_stub_uses_only_the_interpreter_subset():
    with open(catalogue_path(), encoding="utf-8") as f:
        tree = ast.parse(f.read())
    bound = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            bound.add(node.id)
    problems = []

    def bad(node, why):
        problems.append("line %d: %s" % (getattr(node, "lineno", 0), why))

    for node in ast.walk(tree):
        if isinstance(node, FORBIDDEN_NODES):
            bad(node, type(node).__name__)
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.decorator_list:
            bad(node, "decorator")
        if isinstance(node, ast.ClassDef) and (len(node.bases) != 1 or node.keywords):
            bad(node, "class must have exactly one base")
        if isinstance(node, ast.FunctionDef):
            for inner in ast.walk(node):
                if inner is not node and isinstance(inner, (ast.FunctionDef, ast.ClassDef)):
                    bad(inner, "nested def/class (closure)")
        if isinstance(node, ast.Compare) and len(node.ops) > 1:
            bad(node, "chained comparison")
        if isinstance(node, ast.Assign) and len(node.targets) > 1:
            bad(node, "chained assignment")
        if isinstance(node, (ast.Tuple, ast.List)) and any(isinstance(e, ast.Starred) for e in node.elts):
            bad(node, "starred element in a literal")
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            if node.id not in bound | PROVIDED_NAMES | ALLOWED_BUILTINS:
                bad(node, "unknown name %r" % node.id)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "torch":
            if node.attr not in TORCH_ATTRS:
                bad(node, "torch.%s is not provided" % node.attr)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            f = node.func
            if not (isinstance(f.value, ast.Name) and f.value.id == "torch") and f.attr not in ALLOWED_METHODS:
                bad(node, "method call .%s()" % f.attr)
    assert problems == []


def test_check_detects_a_wrong_prediction():
    """Guard against a tautological harness: a corrupted prediction must fail."""
    def off_by_one(name, args, kwargs):
        entries = predict_with_shim(name, args, kwargs)
        key, kind, shape, dtype = entries[0]
        return [(key, kind, (shape[0] + 1,) + tuple(shape[1:]), dtype)] + entries[1:]

    def wrong_dtype(name, args, kwargs):
        return [(k, kind, s, "float64") for k, kind, s, _ in predict_with_shim(name, args, kwargs)]

    def accepts_everything(name, args, kwargs):
        return []

    for bad_predictor in (off_by_one, wrong_dtype):
        with pytest.raises(AssertionError):
            check(bad_predictor, "Conv2d", (4, 8, 3), {"groups": 2})
    with pytest.raises(AssertionError):
        check(accepts_everything, "Conv2d", (3, 8, 3), {"groups": 2})   # torch rejects
    check(predict_with_shim, "Conv2d", (3, 8, 3), {"groups": 2})       # shim rejects too
