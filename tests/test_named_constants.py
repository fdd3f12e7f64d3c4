"""Generated code keeps the user's names (issue #20): a layer argument that is a module
constant (``Embedding(input_dim=vocab_size, ...)``, ``Dense(num_classes)``) stays that name in
the weight shapes of the flat form, wherever the name is sure to mean that constant, and
``to-keras`` reads it back as the name. Never a wrong value: a name bound more than once, or
bound by the generated code itself, or shadowed by a parameter, is not written as the
constant.
"""

from __future__ import annotations

import textwrap

import pytest

from kerastf_xlate.layerkit.emit import NamedInt, dim_src, resolve_named
from kerastf_xlate.tokeras import translate as to_keras
from kerastf_xlate.totf import translate as to_tf

ISSUE = textwrap.dedent("""\
    import keras
    from keras import layers

    vocab_size = 20000
    num_classes = 5
    img_size = (12, 12)

    text_model = keras.Sequential([
        keras.Input(shape=(10,), dtype="int32"),
        layers.Embedding(input_dim=vocab_size, output_dim=32),
        layers.GlobalAveragePooling1D(),
        layers.Dense(num_classes),
    ])

    inputs = keras.Input(shape=img_size + (3,))
    x = layers.Conv2D(4, 3)(inputs)
    x = layers.GlobalAveragePooling2D()(x)
    outputs = layers.Dense(num_classes, activation="softmax")(x)
    image_model = keras.Model(inputs, outputs)
    """)

SHADOWED = textwrap.dedent("""\
    import keras
    from keras import layers

    num_classes = 5


    def build(num_classes=3):
        inputs = keras.Input(shape=(4,))
        outputs = layers.Dense(num_classes)(inputs)
        return keras.Model(inputs, outputs)


    class Head(keras.Model):
        def __init__(self, num_classes=7):
            super().__init__()
            self.fc = layers.Dense(num_classes)

        def call(self, x):
            return self.fc(x)


    model = build()
    head = Head()
    """)


def test_the_issue_case_keeps_the_names() -> None:
    out, _ = to_tf(ISSUE, "t.py")
    assert "tf.random.uniform([vocab_size, 32], -0.05, 0.05)" in out
    assert "_variance_scaling([32, num_classes]" in out
    assert "tf.zeros([num_classes])" in out
    assert "[None, *(img_size + (3,))]" in out  # a shape expression stays the expression
    assert "20000" not in out.split("vocab_size = 20000", 1)[1]
    back, _ = to_keras(out, "t.py")
    assert "layers.Embedding(vocab_size, 32)" in back
    assert "layers.Dense(num_classes)" in back
    assert "layers.Dense(num_classes, activation='softmax')" in back
    assert to_tf(out, "t.py")[0] == out  # a second run changes nothing


def test_a_constant_in_an_input_shape_round_trips() -> None:
    src = textwrap.dedent("""\
        import keras
        from keras import layers
        N_FEATURES = 20
        model = keras.Sequential([keras.Input(shape=(N_FEATURES,)), layers.Dense(4)])
        """)
    out, _ = to_tf(src, "t.py")
    assert "tf.TensorSpec([None, N_FEATURES], tf.float32)" in out
    assert "_variance_scaling([N_FEATURES, 4]" in out
    back, _ = to_keras(out, "t.py")
    assert "keras.Input(shape=(N_FEATURES,))" in back


def test_a_reassigned_name_is_no_constant() -> None:
    """``vocab_size`` is bound twice: neither value may appear as its value."""
    src = ISSUE.replace("vocab_size = 20000\n", "vocab_size = 20000\nvocab_size = 30000\n")
    out, _ = to_tf(src, "t.py")
    assert "[20000" not in out and "[30000" not in out
    assert "Embedding(input_dim=vocab_size, output_dim=32)" in out  # the program form: the name, read at run time


def test_a_name_the_generated_code_binds_stays_a_literal() -> None:
    """``x`` is a constant of the module, but the generated ``__call__`` binds ``x``."""
    src = textwrap.dedent("""\
        import keras
        from keras import layers
        x = 6
        model = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(x)])
        """)
    out, _ = to_tf(src, "t.py")
    assert "_variance_scaling([4, 6]" in out and "tf.zeros([6])" in out
    assert "[4, x]" not in out


def test_a_parameter_shadowing_a_constant_is_not_read_as_the_constant() -> None:
    """Was: ``Dense(num_classes)`` inside ``build(num_classes=3)`` got the module's 5."""
    out, _ = to_tf(SHADOWED, "t.py")
    assert "[4, 5]" not in out and "tf.zeros([5])" not in out
    assert "_variance_scaling([4, num_classes]" in out  # the parameter, by closure
    assert "self.fc_units = num_classes" in out and "tf.zeros([self.fc_units])" in out


def test_resolve_named() -> None:
    n = NamedInt(7, "N")
    assert n == 7 and n + 1 == 8 and type(n + 1) is int and f"{n}" == "7" and str(n) == "7"
    code = f"class A:\n    def f(self):\n        return [{dim_src(n)}]\n"
    assert resolve_named(code) == "class A:\n    def f(self):\n        return [N]\n"
    shadowed = f"class A:\n    def f(self, N):\n        return [{dim_src(n)}]\n"
    assert resolve_named(shadowed) == "class A:\n    def f(self, N):\n        return [7]\n"
    broken = f"class A(:\n    [{dim_src(n)}]\n"
    assert resolve_named(broken) == "class A(:\n    [7]\n"  # when in doubt, the value
    import pickle

    assert pickle.loads(pickle.dumps(n)).name == "N"


# ------------------------------------------------------------------------------ executed


def _compare(source: str, names: list[str], inputs: dict[str, object]) -> float:
    """Execute both versions; move perturbed Keras weights into each module; the worst
    difference of the outputs (tolerance atol = rtol = 1e-5)."""
    import numpy as np

    from kerastf_xlate.testing.perturb import perturb_weights

    out, _ = to_tf(source, "t.py")
    keras_ns: dict[str, object] = {}
    exec(compile(source, "keras_t.py", "exec"), keras_ns)
    tf_ns: dict[str, object] = {}
    exec(compile(out, "tf_t.py", "exec"), tf_ns)
    worst = 0.0
    for name in names:
        model, module = keras_ns[name], tf_ns[name]
        x = inputs[name]
        model(x)  # type: ignore[operator]
        module(x)  # type: ignore[operator]
        perturb_weights(model, seed=1)
        module.set_weights(model.get_weights())  # type: ignore[attr-defined]
        a, b = np.asarray(model(x)), np.asarray(module(x))  # type: ignore[operator]
        assert a.shape == b.shape
        np.testing.assert_allclose(b, a, atol=1e-5, rtol=1e-5)
        worst = max(worst, float(np.max(np.abs(a - b))))
    return worst


@pytest.mark.tf
def test_named_shapes_execute_as_keras() -> None:
    import numpy as np

    rng = np.random.default_rng(0)
    worst = _compare(ISSUE, ["text_model", "image_model"], {
        "text_model": rng.integers(0, 20000, (2, 10)).astype("int32"),
        "image_model": rng.standard_normal((2, 12, 12, 3)).astype("float32"),
    })
    print(f"named constants: worst max |diff| = {worst:.3g} (atol = rtol = 1e-5)")


@pytest.mark.tf
def test_shadowing_parameters_execute_as_keras() -> None:
    import numpy as np

    x = np.random.default_rng(1).standard_normal((2, 4)).astype("float32")
    worst = _compare(SHADOWED, ["model", "head"], {"model": x, "head": x})
    print(f"shadowed constants: worst max |diff| = {worst:.3g} (atol = rtol = 1e-5)")
