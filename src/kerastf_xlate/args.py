"""Bind a layer constructor call's arguments to its rule, and find what blocks translation.

Shared by ``lint`` (which reports the blockers) and ``to-tf`` (which keeps a blocked layer
as Keras, and otherwise reads the literal values it needs).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any

from kerastf_xlate.activations import ACTIVATIONS
from kerastf_xlate.resolve import dotted
from kerastf_xlate.rules import ArgSpec, Rule
from kerastf_xlate.static import UNKNOWN, literal

# Keyword arguments every Keras layer accepts, handled by the engine (not by rules).
BASE_KWARGS = frozenset({
    "name", "dtype", "trainable", "autocast", "input_shape", "input_dim", "batch_size",
    "batch_input_shape", "input_length", "activity_regularizer", "seed",
})


# Layers whose program-form TensorFlow class follows any Keras dtype policy as Keras does
# (variables in the variable dtype, floating inputs cast to the compute dtype, Keras's own
# float32 computation for half-precision normalization), and the policies that is checked
# with: tests/test_runtime_dtype.py (and tests/test_runtime_augmentation_policy.py for the image
# preprocessing layers) runs each layer under each against Keras. A ``dtype=``
# the translation cannot read (``self.dtype_policy``, a parameter) is a policy decided when
# the program runs; the runtime class applies it.
POLICY_LAYERS = frozenset({
    "Activation", "Add", "AveragePooling2D", "BatchNormalization", "Concatenate", "Conv1D", "Conv2D",
    "Conv2DTranspose", "Dense", "DepthwiseConv1D", "DepthwiseConv2D", "Dropout", "EinsumDense", "Embedding", "Flatten",
    "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GroupNormalization", "Identity", "LayerNormalization",
    "LeakyReLU", "MaxPooling2D", "MultiHeadAttention", "Multiply", "ReLU", "Reshape", "Softmax", "UpSampling2D", "ZeroPadding2D",
    "MaxPooling1D", "AveragePooling1D", "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalAveragePooling3D", "Cropping2D",
    "UpSampling1D", "ZeroPadding1D", "Permute", "RepeatVector", "Subtract", "Average", "Maximum", "SeparableConv2D",
    "Conv1DTranspose", "Conv3D", "PReLU", "ELU", "SpatialDropout1D", "Rescaling", "Normalization",
    # image preprocessing and augmentation: tests/test_runtime_augmentation_policy.py
    "RandomFlip", "RandomRotation", "RandomZoom", "RandomTranslation", "RandomCrop", "RandomContrast",
    "RandomBrightness", "Resizing", "CenterCrop",
    # recurrent layers: tests/test_runtime_dtype.py
    "LSTM", "GRU", "SimpleRNN", "ConvLSTM2D",
    # more layers notebooks make under a mixed policy (2026-12-05): tests/test_runtime_dtype.py
    "Lambda", "Conv3DTranspose", "SeparableConv1D", "GlobalMaxPooling3D", "Cropping1D", "Cropping3D", "ZeroPadding3D",
    "UpSampling3D", "SpatialDropout2D", "SpatialDropout3D", "GaussianNoise", "GaussianDropout", "AlphaDropout",
    "ActivityRegularization", "Minimum", "Dot", "UnitNormalization", "Attention", "AdditiveAttention", "Masking",
    # a layer of strings under any policy: tests/test_runtime_text_policy.py
    "TextVectorization",
})
# Wrappers whose runtime class follows the *global* policy as Keras's does (the wrapped layer is
# made under it too); with a ``dtype=`` of their own they differ from Keras (whose wrapper reads
# the wrapped layer's variables in its own compute dtype) and stay Keras: tests/test_runtime_dtype.py
GLOBAL_POLICY_WRAPPERS = frozenset({"Bidirectional", "TimeDistributed"})
POLICY_DTYPES = frozenset({"float32", "float64", "float16", "bfloat16", "mixed_float16", "mixed_bfloat16"})



def policy_dtype_ok(layer: str, node: ast.expr) -> bool:
    """Whether the program form's class of ``layer`` honours ``dtype=<node>``: a policy named
    in :data:`POLICY_DTYPES` (a string or ``tf.<dtype>``), or a value the translation cannot
    read (``self.dtype_policy``, a parameter), which the runtime class applies when it runs."""
    if layer not in POLICY_LAYERS:
        return False
    value = literal(node)
    if value is UNKNOWN:
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in ("tf", "tensorflow", "np", "numpy"):
            return node.attr in POLICY_DTYPES
        return not isinstance(node, (ast.Constant, ast.JoinedStr, ast.List, ast.Tuple, ast.Dict, ast.Set))
    return value is None or value in POLICY_DTYPES


@dataclass(frozen=True)
class Blocker:
    code: str  # XL201 | XL202 | XL203
    arg: str
    message: str
    node: ast.AST
    flat_only: bool = False  # the program form's TensorFlow class honours the value (the rule's ``flat_only``)
    unknown: bool = False  # a keyword that is not in Keras 3's signature

    @property
    def blocks_program_form(self) -> bool:
        """Whether it also keeps the layer Keras in the program form. The program form's
        TensorFlow class takes every argument value Keras takes and checks it when it is
        constructed, as Keras does (a ``groups=4``, a ``data_format`` read from a variable), so
        only these keep the layer: a value whose behaviour the class cannot honour (XL202, unless
        the rule says the class honours it), a dtype other than float32 that its class does not
        follow, and a keyword Keras 3 does not have. The flat form's limits (XL201 values its
        template does not write, XL203 values it cannot read) do not."""
        if self.flat_only:
            return False
        return self.code == "XL202" or (self.code == "XL201" and (self.arg == "dtype" or self.unknown))


@dataclass
class BoundArgs:
    """The call's arguments by rule argument name (AST nodes), plus what could not be bound."""

    nodes: dict[str, ast.expr]
    opaque: bool  # *args or **kwargs present: some arguments are unknown
    extra: dict[str, ast.expr]  # keywords not in the rule (base kwargs, or errors)

    def value(self, spec: ArgSpec) -> Any:
        """Literal value of an argument (the default when absent), or UNKNOWN."""
        node = self.nodes.get(spec.name)
        if node is None:
            return spec.default_value() if spec.default is not None else UNKNOWN
        return literal(node)


def helper_call(call: ast.Call) -> ast.Call:
    """A functional helper's call (``layers.add([a, b], name="sum")``,
    ``layers.multiply(inputs=[a, b])``) as its layer's constructor call: the inputs, its first
    argument, are not a constructor argument."""
    return ast.Call(func=call.func, args=[], keywords=[k for k in call.keywords if k.arg != "inputs"])


def bind(rule: Rule, call: ast.Call) -> BoundArgs:
    nodes: dict[str, ast.expr] = {}
    extra: dict[str, ast.expr] = {}
    opaque = False
    for i, arg in enumerate(call.args):
        if isinstance(arg, ast.Starred):
            opaque = True
            break
        if i < len(rule.args):
            nodes[rule.args[i].name] = arg
    names = {a.name for a in rule.args}
    aliases = {alias: a.name for a in rule.args for alias in a.aliases}
    for kw in call.keywords:
        if kw.arg is None:
            opaque = True
        elif kw.arg in names:
            nodes.setdefault(kw.arg, kw.value)  # a deprecated alias given too wins, as in Keras
        elif kw.arg in aliases:
            nodes[aliases[kw.arg]] = kw.value
        else:
            extra[kw.arg] = kw.value
    return BoundArgs(nodes, opaque, extra)


def _src(node: ast.AST) -> str:
    try:
        text = ast.unparse(node)
    except Exception:  # pragma: no cover - unparse of odd nodes
        return "..."
    return text if len(text) <= 40 else text[:37] + "..."


# the roots of the dotted callables whose last name is a Keras activation (Keras's and
# TensorFlow's functions); another package's function of the same name is its own
# (``tfa.activations.gelu`` is approximate by default)
ACTIVATION_ROOTS = ("tf", "keras", "tensorflow", "activations", "ops")


def _is_activation_callable(node: ast.AST) -> bool:
    parts = dotted(node)
    if parts is None:
        return False
    name = parts[-1]
    return name in ACTIVATIONS and len(parts) > 1 and parts[0] in ACTIVATION_ROOTS


# A message is one short sentence (Ruff's rule); the explanation is behind `xlate rules LAYER`
# and `xlate codes CODE`.
MESSAGE_LIMIT = 120


def short_message(full: str, short: str) -> str:
    """``full`` when it fits in :data:`MESSAGE_LIMIT` characters, else ``short``."""
    return full if len(full) <= MESSAGE_LIMIT else short


def blockers(rule: Rule, call: ast.Call, bound: BoundArgs | None = None) -> list[Blocker]:
    """Everything in this call that blocks a faithful translation, in argument order.

    For a structural rule (``keras.Input(sparse=True)``) only the constraints its rule file
    declares apply: the engine itself handles the other keywords (an int ``dtype`` input).
    """
    if not rule.has_counterpart:
        return []
    bound = bound or bind(rule, call)
    out: list[Blocker] = []
    layer = rule.layer
    for spec in rule.args:
        node = bound.nodes.get(spec.name)
        if node is None:
            continue
        value = literal(node)
        shown = f"`{layer}({spec.name}={_src(node)})`"
        if spec.blocks is not None:
            if value is UNKNOWN or value != spec.default_value():
                out.append(Blocker("XL202", spec.name, short_message(f"{shown} blocks translation: {spec.blocks.split(';')[0]}",
                                                                     f"{shown} blocks translation (see `xlate rules {layer}`)"), node,
                                   spec.flat_only))
            continue
        if spec.values:
            if value is UNKNOWN:
                out.append(Blocker("XL203", spec.name, f"{shown}: the value is not a literal; the translation needs one of {', '.join(map(repr, spec.values))}", node))
            elif not (isinstance(value, str) and value.lower() in {k.lower() for k in spec.values}) and not (
                spec.supported and value in spec.supported_values()  # type: ignore[operator]
            ):
                out.append(Blocker("XL201", spec.name, short_message(f"{shown} blocks translation; supported: {', '.join(map(repr, spec.values))}",
                                                                     f"{shown} blocks translation (see `xlate rules {layer}`)"), node))
            continue
        if spec.supported is not None:
            allowed = spec.supported_values() or []
            if value is UNKNOWN:
                out.append(Blocker("XL203", spec.name, f"{shown}: the value is not a literal; the translation supports {', '.join(spec.supported)}", node))
            elif value not in allowed:
                out.append(Blocker("XL201", spec.name, short_message(f"{shown} blocks translation; supported: {', '.join(spec.supported)}",
                                                                     f"{shown} blocks translation (see `xlate rules {layer}`)"), node))
            continue
        if spec.kind == "activation":
            if isinstance(value, str):
                if value.lower() not in ACTIVATIONS:
                    out.append(Blocker("XL201", spec.name, f"{shown} blocks translation: activation {value!r} has no TensorFlow spelling here", node))
            elif value is None:
                pass
            elif not _is_activation_callable(node):
                out.append(Blocker("XL203", spec.name, f"{shown} is a custom callable: it is called as it is and cannot be checked", node))
        elif spec.kind == "initializer":
            if value is UNKNOWN and not isinstance(node, ast.Call):
                out.append(Blocker("XL203", spec.name, f"{shown} is a custom initializer: the translation uses it as it is", node))
    if rule.status == "structural":
        return out
    for name, node in bound.extra.items():
        if name == "dtype":
            value = literal(node)
            if value not in (None, "float32") and not (isinstance(node, ast.Attribute) and node.attr == "float32"):
                out.append(Blocker("XL201", name, f"`{layer}(dtype={_src(node)})` blocks translation: only float32 layers are translated", node,
                                   flat_only=policy_dtype_ok(layer, node)))
        elif name == "activity_regularizer" and literal(node) is not None:
            # the program form's base Layer adds the activity loss as Keras's Layer.__call__ does
            out.append(Blocker("XL202", name, f"`{layer}(activity_regularizer=...)` blocks translation: the activity loss would be lost", node,
                               flat_only=True))
        elif name not in BASE_KWARGS:
            # not in the Keras 3 signature: a keyword Keras takes without showing it (popped from
            # its **kwargs, LayerNormalization(rms_scaling=True)), which the translation cannot
            # honour, or one Keras 3's base Layer raises ValueError on (an older Keras's:
            # Attention(causal=True), Conv2D(weights=[...]))
            if name in HIDDEN_KWARGS.get(rule.layer, ()):
                message = f"`{layer}({name}=...)` is not an argument the translation knows; the layer is kept as Keras"
            else:
                message = short_message(
                    f"`{layer}({name}=...)` is not an argument of Keras 3's `{rule.layer}` (Keras 3 raises ValueError on "
                    "it, so the original does not run under Keras 3 either); the layer is kept as Keras",
                    f"`{layer}({name}=...)`: Keras 3 raises ValueError on it (so does the original); kept as Keras")
            out.append(Blocker("XL201", name, message, node, unknown=True))
    return out


# Keywords Keras 3's layers take from their ``**kwargs`` though their signatures do not name
# them (keras/src/layers: ``kwargs.pop("rms_scaling", False)``); any other keyword outside the
# signature and the base Layer's reaches ``Layer.__init__``, which raises ValueError
# ("Unrecognized keyword arguments"). tests/test_rules.py checks this against the installed Keras.
HIDDEN_KWARGS: dict[str, frozenset[str]] = {
    "LayerNormalization": frozenset({"rms_scaling"}),
    "LeakyReLU": frozenset({"alpha"}),
    "Embedding": frozenset({"input_length"}),
    "LSTM": frozenset({"implementation"}),
    "GRU": frozenset({"implementation"}),
    "LSTMCell": frozenset({"implementation"}),
    "GRUCell": frozenset({"implementation"}),
    "TextVectorization": frozenset({"vocabulary_size", "has_input_vocabulary"}),
    "StringLookup": frozenset({"vocabulary_size", "has_input_vocabulary"}),
    "IntegerLookup": frozenset({"vocabulary_size", "has_input_vocabulary"}),
}
