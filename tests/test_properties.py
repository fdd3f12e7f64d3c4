"""Property tests.

1. Arbitrary Python (hypothesmith: from the grammar, and from LibCST nodes, both also with
   Keras imports in front so that the resolver works on them, and around a translatable
   Keras model) through lint, to-tf and
   to-keras: nothing escapes, the output parses, a source without Keras layer use (without
   tf.nn / tf.Module for to-keras) comes back unchanged, and a second run changes nothing.
2. Generated Keras models (random stacks of layers with random valid arguments, tracked
   shapes, in the three styles: Sequential, functional with a merge, subclass) translate to
   a tf.Module, and executing both (kerastf_xlate.verify.verify_source, inference and, when
   deterministic, training mode) gives the same outputs within atol = rtol = 1e-5.

Settings: hypothesmith 40 + 40 + 25 + 25 + 25 examples; models 5 per style (15), deadline None,
derandomized so that CI runs are reproducible (XLATE_PROPERTY_RANDOM=1 and, say,
XLATE_PROPERTY_SCALE=10 to explore).
"""

from __future__ import annotations

import ast
import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import hypothesmith
import pytest
from hypothesis import HealthCheck, assume, given, note, settings
from hypothesis import strategies as st

from kerastf_xlate.config import Config
from kerastf_xlate.lint import lint_bytes
from kerastf_xlate.rules import default_rules
from kerastf_xlate.runner import transform_bytes
from kerastf_xlate.totf import make_transform

DERANDOMIZE = os.environ.get("XLATE_PROPERTY_RANDOM") != "1"
SCALE = float(os.environ.get("XLATE_PROPERTY_SCALE", "1"))  # e.g. 10 to explore longer


def n(examples: int) -> int:
    return max(1, int(examples * SCALE))


CODE_SETTINGS = settings(max_examples=n(40), deadline=None, derandomize=DERANDOMIZE, database=None,
                         suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large])
KERAS_PREFIX = "import keras\nfrom keras import layers\nimport tensorflow as tf\n"
MODEL = (
    "import keras\nfrom keras import layers\n"
    'model = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(3, activation="relu")])\n'
)

# hypothesmith checks its sources with compile(), which warns about odd but valid code
pytestmark = pytest.mark.filterwarnings("ignore::SyntaxWarning")


def _tokeras() -> Any:
    try:
        import kerastf_xlate.tokeras as tokeras
    except ImportError:
        return None
    return tokeras


def _parses(text: str) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def _keras_use(text: str) -> bool:
    from kerastf_xlate.resolve import find_uses

    return bool(find_uses(ast.parse(text), set(default_rules().by_name)))


def _tf_nn_use(text: str) -> bool:
    tree = ast.parse(text)
    return any(
        (isinstance(n, ast.Attribute) and n.attr in ("nn", "Module")) or (isinstance(n, ast.Name) and n.id == "Module")
        or (isinstance(n, ast.ImportFrom) and (n.module or "").startswith("tensorflow"))
        for n in ast.walk(tree)
    )


def check_source(source: str) -> None:
    """The property for one source (see the module docstring)."""
    note(source)
    data = source.encode("utf-8", "surrogatepass")
    assume(b"\x00" not in data)
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        assume(False)
    valid = _parses(source)
    path = "generated.py"
    lint = lint_bytes(path, data, default_rules(), Config())  # must not raise
    assert (lint.error is None) or not valid or "nested" in str(lint.error), lint.error
    translators: list[tuple[str, Callable[..., Any], Callable[[str], bool]]] = [("to-tf", make_transform(), _keras_use)]
    tokeras = _tokeras()
    if tokeras is not None:
        tokeras.lint_bytes(path, data, default_rules(), Config())
        translators.append(("to-keras", tokeras.make_transform(), _tf_nn_use))
    for name, transform, uses in translators:
        result = transform_bytes(path, data, transform)
        if not valid:
            assert result.error is not None and result.output is None, f"{name} accepted a source that does not parse"
            continue
        if result.error is not None:
            assert "internal error" not in result.error, f"{name}: {result.error}"
            assert "nested" in result.error, f"{name}: {result.error}"
            continue
        assert result.output is not None
        if not result.changed:
            continue
        assert uses(source), f"{name} changed a source with nothing to translate"
        out = result.output.decode("utf-8")
        assert _parses(out), f"{name}: the output does not parse"
        again = transform_bytes(path, result.output, transform)
        assert again.error is None and again.output == result.output, f"{name}: a second run changes the output"


@CODE_SETTINGS
@given(hypothesmith.from_grammar())
def test_grammar_generated_python(source: str) -> None:
    check_source(source)


@CODE_SETTINGS
@given(hypothesmith.from_node())
def test_node_generated_python(source: str) -> None:
    check_source(source)


@settings(CODE_SETTINGS, max_examples=n(25))
@given(hypothesmith.from_grammar())
def test_grammar_generated_python_after_keras_imports(source: str) -> None:
    check_source(KERAS_PREFIX + source)


@settings(CODE_SETTINGS, max_examples=n(25))
@given(hypothesmith.from_node())
def test_node_generated_python_after_keras_imports(source: str) -> None:
    check_source(KERAS_PREFIX + source)


@settings(CODE_SETTINGS, max_examples=n(25))
@given(hypothesmith.from_grammar(), st.booleans())
def test_generated_python_around_a_keras_model(source: str, before: bool) -> None:
    """Whatever surrounds a translatable model: no crash, parsing output, stable."""
    check_source(source + "\n" + MODEL if before else MODEL + source)


# ------------------------------------------------------------------ generated Keras models

ACTIVATIONS = [None, "relu", "tanh", "sigmoid", "gelu", "elu", "selu", "softmax", "swish", "softplus", "relu6",
               "hard_sigmoid", "mish", "leaky_relu", "softsign", "log_softmax"]


@dataclass
class Layer:
    code: str  # keras.layers.X(...) as source, `layers.` prefix
    out: tuple[int, ...]
    training: bool = False  # takes `training` in call (BatchNormalization, Dropout)


@dataclass
class Stack:
    input_shape: tuple[int, ...]
    layers: list[Layer] = field(default_factory=list)


def _act(draw: Any) -> str:
    a = draw(st.sampled_from(ACTIVATIONS))
    return "" if a is None else f", activation={a!r}"


def _conv_len(n: int, k: int, s: int, padding: str) -> int:
    return (n - k) // s + 1 if padding == "valid" else -(-n // s)


@st.composite
def layer_for(draw: Any, shape: tuple[int, ...]) -> Layer:
    """One layer that is valid on inputs of ``shape`` (batch axis excluded), with its output shape."""
    rank = len(shape)
    options: list[str] = ["dense", "layernorm", "batchnorm", "activation", "dropout"]
    if rank == 1:
        options += ["repeat", "reshape_up"]
    if rank == 2:
        options += ["conv1d", "pool1d", "global1d", "flatten", "zeropad1d", "upsample1d", "permute"]
        if shape[0] > 1:
            options.append("crop1d")
    if rank == 3:
        options += ["conv2d", "depthwise", "separable", "pool2d", "global2d", "flatten", "zeropad2d", "upsample2d"]
        if min(shape[:2]) > 1:
            options.append("crop2d")
    kind = draw(st.sampled_from(options))
    last = shape[-1]
    if kind == "dense":
        units = draw(st.integers(1, 6))
        bias = draw(st.booleans())
        return Layer(f"layers.Dense({units}{_act(draw)}{'' if bias else ', use_bias=False'})", shape[:-1] + (units,))
    if kind == "layernorm":
        eps = draw(st.sampled_from([1e-3, 1e-5]))
        return Layer(f"layers.LayerNormalization(epsilon={eps!r})", shape)
    if kind == "batchnorm":
        mom = draw(st.sampled_from([0.9, 0.99]))
        center, scale = draw(st.booleans()), draw(st.booleans())
        return Layer(f"layers.BatchNormalization(momentum={mom!r}, center={center}, scale={scale})", shape, training=True)
    if kind == "activation":
        which = draw(st.sampled_from(["act", "relu", "leaky", "elu", "softmax"]))
        code = {
            "act": f"layers.Activation({draw(st.sampled_from(ACTIVATIONS[1:]))!r})",
            "relu": f"layers.ReLU(max_value={draw(st.sampled_from([None, 6.0]))!r})",
            "leaky": f"layers.LeakyReLU(negative_slope={draw(st.sampled_from([0.1, 0.3]))!r})",
            "elu": f"layers.ELU(alpha={draw(st.sampled_from([1.0, 0.5]))!r})",
            "softmax": "layers.Softmax(axis=-1)",
        }[which]
        return Layer(code, shape)
    if kind == "dropout":
        return Layer(f"layers.Dropout({draw(st.sampled_from([0.1, 0.5]))!r})", shape, training=True)
    if kind == "repeat":
        n = draw(st.integers(1, 3))
        return Layer(f"layers.RepeatVector({n})", (n, last))
    if kind == "reshape_up":
        return Layer(f"layers.Reshape(({last}, 1))", (last, 1))
    if kind == "flatten":
        size = 1
        for d in shape:
            size *= d
        return Layer("layers.Flatten()", (size,))
    if kind == "conv1d":
        k = draw(st.integers(1, min(3, shape[0])))
        s = draw(st.sampled_from([1, 2]))
        pad = draw(st.sampled_from(["valid", "same"]))
        f = draw(st.integers(1, 4))
        return Layer(f"layers.Conv1D({f}, {k}, strides={s}, padding={pad!r}{_act(draw)})", (_conv_len(shape[0], k, s, pad), f))
    if kind == "pool1d":
        p = draw(st.integers(1, min(2, shape[0])))
        pad = draw(st.sampled_from(["valid", "same"]))
        cls = draw(st.sampled_from(["MaxPooling1D", "AveragePooling1D"]))
        return Layer(f"layers.{cls}({p}, padding={pad!r})", (_conv_len(shape[0], p, p, pad), last))
    if kind == "global1d":
        cls = draw(st.sampled_from(["GlobalAveragePooling1D", "GlobalMaxPooling1D"]))
        return Layer(f"layers.{cls}()", (last,))
    if kind == "zeropad1d":
        p = draw(st.integers(1, 2))
        return Layer(f"layers.ZeroPadding1D({p})", (shape[0] + 2 * p, last))
    if kind == "upsample1d":
        return Layer("layers.UpSampling1D(2)", (2 * shape[0], last))
    if kind == "crop1d":
        return Layer("layers.Cropping1D((1, 0))", (shape[0] - 1, last))
    if kind == "permute":
        return Layer("layers.Permute((2, 1))", (shape[1], shape[0]))
    h, w = shape[0], shape[1]
    if kind in ("conv2d", "depthwise", "separable"):
        k = draw(st.integers(1, min(3, h, w)))
        s = draw(st.sampled_from([1, 2]))
        pad = draw(st.sampled_from(["valid", "same"]))
        out_hw = (_conv_len(h, k, s, pad), _conv_len(w, k, s, pad))
        if kind == "conv2d":
            f = draw(st.integers(1, 4))
            bias = draw(st.booleans())
            return Layer(f"layers.Conv2D({f}, {k}, strides={s}, padding={pad!r}{_act(draw)}"
                         f"{'' if bias else ', use_bias=False'})", out_hw + (f,))
        if kind == "depthwise":
            m = draw(st.integers(1, 2))
            return Layer(f"layers.DepthwiseConv2D({k}, strides={s}, padding={pad!r}, depth_multiplier={m})", out_hw + (last * m,))
        f = draw(st.integers(1, 4))
        return Layer(f"layers.SeparableConv2D({f}, {k}, strides={s}, padding={pad!r}{_act(draw)})", out_hw + (f,))
    if kind == "pool2d":
        p = draw(st.integers(1, min(2, h, w)))
        pad = draw(st.sampled_from(["valid", "same"]))
        cls = draw(st.sampled_from(["MaxPooling2D", "AveragePooling2D"]))
        return Layer(f"layers.{cls}({p}, padding={pad!r})", (_conv_len(h, p, p, pad), _conv_len(w, p, p, pad), last))
    if kind == "global2d":
        cls = draw(st.sampled_from(["GlobalAveragePooling2D", "GlobalMaxPooling2D"]))
        return Layer(f"layers.{cls}()", (last,))
    if kind == "zeropad2d":
        return Layer("layers.ZeroPadding2D(1)", (h + 2, w + 2, last))
    if kind == "upsample2d":
        return Layer("layers.UpSampling2D(2)", (2 * h, 2 * w, last))
    assert kind == "crop2d"
    return Layer("layers.Cropping2D(((1, 0), (0, 1)))", (h - 1, w - 1, last))


@st.composite
def stacks(draw: Any) -> Stack:
    rank = draw(st.sampled_from([1, 2, 3]))
    shape: tuple[int, ...] = {
        1: lambda: (draw(st.integers(2, 6)),),
        2: lambda: (draw(st.integers(3, 8)), draw(st.integers(1, 4))),
        3: lambda: (draw(st.integers(4, 8)), draw(st.integers(4, 8)), draw(st.integers(1, 3))),
    }[rank]()
    stack = Stack(shape)
    for _ in range(draw(st.integers(1, 5))):
        layer = draw(layer_for(shape))
        if max(layer.out) > 64 or sum(layer.out) > 80:  # keep the models small
            continue
        stack.layers.append(layer)
        shape = layer.out
    assume(stack.layers)
    return stack


def sequential_source(stack: Stack) -> str:
    items = [f"keras.Input(shape={stack.input_shape!r})"] + [layer.code for layer in stack.layers]
    return "import keras\nfrom keras import layers\n\nmodel = keras.Sequential([\n" + "".join(f"    {i},\n" for i in items) + "])\n"


@st.composite
def functional_sources(draw: Any) -> str:
    stack = draw(stacks())
    lines = ["import keras", "from keras import layers", "", f"inputs = keras.Input(shape={stack.input_shape!r})", "x = inputs"]
    split = draw(st.integers(0, len(stack.layers)))
    for layer in stack.layers[:split]:
        lines.append(f"x = {layer.code}(x)")
    merge = draw(st.sampled_from(["Add", "Multiply", "Average", "Maximum", "Minimum", "Subtract", "Concatenate", None]))
    if merge is not None:
        u1 = draw(st.integers(1, 4))
        u2 = u1 if merge != "Concatenate" else draw(st.integers(1, 4))
        lines.append(f"a = layers.Dense({u1}{_act(draw)})(x)")
        lines.append(f"b = layers.Dense({u2}{_act(draw)})(x)")
        lines.append(f"x = layers.{merge}()([a, b])")
        # the rest of the stack was drawn for the old last axis: only shape-preserving-in-rank
        # layers after a merge; keep it simple and end with a Dense
        lines.append(f"x = layers.Dense({draw(st.integers(1, 4))})(x)")
    else:
        for layer in stack.layers[split:]:
            lines.append(f"x = {layer.code}(x)")
    lines.append("model = keras.Model(inputs, x)")
    return "\n".join(lines) + "\n"


@st.composite
def subclass_sources(draw: Any) -> tuple[str, tuple[int, ...]]:
    stack = draw(stacks())
    # Keras passes `training` on to the sublayers by itself: passing it explicitly is optional
    explicit = draw(st.booleans())
    default = draw(st.sampled_from(["False", "None"]))
    init = [f"        self.l{i} = {layer.code}" for i, layer in enumerate(stack.layers)]
    call = [f"        x = self.l{i}(x{', training=training' if layer.training and explicit else ''})"
            for i, layer in enumerate(stack.layers)]
    src = (
        "import keras\nfrom keras import layers\n\n\n"
        "class Net(keras.Model):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n" + "\n".join(init) + "\n\n"
        f"    def call(self, x, training={default}):\n" + "\n".join(call) + "\n        return x\n\n\n"
        "model = Net()\n"
    )
    return src, stack.input_shape


MODEL_SETTINGS = settings(max_examples=n(5), deadline=None, derandomize=DERANDOMIZE, database=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


def check_model(source: str, input_shape: tuple[int, ...] | None = None) -> None:
    pytest.importorskip("tensorflow")
    pytest.importorskip("keras")
    from kerastf_xlate.totf import translate
    from kerastf_xlate.verify import verify_source

    note(source)
    translated, diags = translate(source, "generated.py")
    note(translated)
    assert translated != source, f"not translated: {[(d.code, d.message) for d in diags]}"
    assert "tf.Module" in translated
    assert not [d for d in diags if d.code.startswith("XL30")], [(d.code, d.message) for d in diags]
    again, _ = translate(translated, "generated.py")
    assert again == translated, "a second run changes the translation"
    results = verify_source(source, translated, "generated.py", atol=1e-5, rtol=1e-5, input_shape=input_shape)
    note(str(results))
    assert results, "no model compared"
    assert {r.mode for r in results} >= {"inference"}
    bad = [r for r in results if not r.ok]
    assert not bad, bad


@pytest.mark.tf
@MODEL_SETTINGS
@given(stacks())
def test_generated_sequential_models_match(stack: Stack) -> None:
    check_model(sequential_source(stack))


@pytest.mark.tf
@MODEL_SETTINGS
@given(functional_sources())
def test_generated_functional_models_match(source: str) -> None:
    check_model(source)


@pytest.mark.tf
@MODEL_SETTINGS
@given(subclass_sources())
def test_generated_subclass_models_match(case: tuple[str, tuple[int, ...]]) -> None:
    source, shape = case
    check_model(source, input_shape=shape)


@pytest.mark.tf
def test_subclass_call_without_training_argument() -> None:
    source = (
        "import keras\n"
        "class Net(keras.Model):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.d = keras.layers.Dense(2)\n"
        "    def call(self, x):\n"
        "        return self.d(x)\n"
        "model = Net()\n"
        "model(keras.ops.zeros((1, 3)))\n"
    )
    from kerastf_xlate import verify
    from kerastf_xlate.totf import translate

    translated, _ = translate(source, "net.py")
    assert "def __call__(self, x, training=False):" in translated
    results = verify.verify_source(source, translated, "net.py", 1e-5, 1e-5)
    assert results and all(r.ok for r in results), results
