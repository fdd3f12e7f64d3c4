"""Generated code keeps the user's names (issue #20): a layer argument that is a module
constant (``Embedding(input_dim=vocab_size, ...)``, ``Dense(num_classes)``) stays that name in
the weight shapes of the flat form, wherever the name is sure to mean that constant, and
``to-keras`` reads it back as the name. Never a wrong value: a name bound more than once, or
bound by the generated code itself, or shadowed by a parameter, is not written as the
constant.
"""

from __future__ import annotations

import ast
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


NAMED_X = textwrap.dedent("""\
    import keras
    from keras import layers
    x = 6
    model = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(x)])
    """)


def test_a_constant_named_like_the_generated_tensor_is_read_by_name() -> None:
    """``x`` is a constant of the module; the generated ``__call__`` names its running tensor
    ``h`` then, not ``x`` (it wrote the literal 6 before, as its own ``x`` shadowed the
    constant; a name read at run time, ``Dense(x.shape[1])`` of a data array, failed there)."""
    out, _ = to_tf(NAMED_X, "t.py")
    assert "_variance_scaling([4, x]" in out and "tf.zeros([x])" in out
    assert "        h = inputs\n" in out and "x = inputs" not in out


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


# ------------------------------------------------------------------------------ tuple constants

TUPLES = textwrap.dedent("""\
    import keras
    from keras import layers

    IMG_SIZE = (12, 12)
    IMG_SHAPE = IMG_SIZE + (3,)
    KS = (3, 3)
    POOL = [2, 2]
    STRIDES = (1, 2)
    TARGET = (3 * 2, 4)
    NUM_CLASSES = 5

    model = keras.Sequential([
        keras.Input(shape=IMG_SHAPE),
        layers.Conv2D(8, KS, activation="relu"),
        layers.MaxPooling2D(pool_size=POOL),
        layers.Conv2D(4, kernel_size=KS, strides=STRIDES),
        layers.Reshape(TARGET),
        layers.Flatten(),
        layers.Dense(NUM_CLASSES),
    ])

    inputs = keras.Input(shape=IMG_SIZE + (1,))
    x = layers.Conv2D(4, KS)(inputs)
    x = layers.AveragePooling2D(POOL, strides=1)(x)
    outputs = layers.GlobalAveragePooling2D()(x)
    inline = keras.Model(inputs, outputs)
    """)


def test_tuple_constants_keep_their_names() -> None:
    out, _ = to_tf(TUPLES, "t.py")
    # the shapes: a constant expression over constants is a constant (IMG_SHAPE, TARGET)
    assert "input_signature = [tf.TensorSpec([None, *IMG_SHAPE], tf.float32)]" in out
    assert "tf.Variable(_variance_scaling([*KS, 3, 8]" in out  # static: made in __init__
    assert "tf.Variable(_variance_scaling([*KS, 8, 4]" in out
    assert "tf.nn.max_pool2d(x, ksize=POOL, strides=POOL, padding='VALID')" in out
    assert "strides=STRIDES, padding='VALID'" in out
    assert "tf.reshape(x, [tf.shape(x)[0], *TARGET])" in out
    assert "_variance_scaling([24, NUM_CLASSES]" in out  # a computed size stays a number
    # an Input shape written as an expression stays that expression, and is static now
    assert "tf.TensorSpec([None, *(IMG_SIZE + (1,))], tf.float32)" in out
    assert "tf.Variable(_variance_scaling([*KS, 1, 4]" in out
    assert "tf.nn.avg_pool2d(inputs_1, ksize=POOL, strides=1" in out or "ksize=POOL, strides=1," in out
    assert to_tf(out, "t.py")[0] == out  # a second run changes nothing


def test_tuple_constants_round_trip() -> None:
    out, _ = to_tf(TUPLES, "t.py")
    back, diags = to_keras(out, "t.py")
    assert not [d for d in diags if d.code.startswith("XL5")], diags
    for line in ["keras.Input(shape=IMG_SHAPE)", "layers.Conv2D(8, KS, activation='relu')", "layers.MaxPooling2D(pool_size=POOL)",
                 "layers.Conv2D(4, KS, strides=STRIDES)", "layers.Reshape(TARGET)", "layers.Dense(NUM_CLASSES)",
                 "keras.Input(shape=IMG_SIZE + (1,))", "layers.AveragePooling2D(POOL, strides=1)"]:
        assert line in back, line
    assert to_tf(back, "t.py")[0] == out  # the round trip is a fixed point


SHADOWED_TUPLE = textwrap.dedent("""\
    import keras
    from keras import layers

    KS = (3, 3)
    POOL = (2, 2)


    def build(KS=(1, 1)):
        inputs = keras.Input(shape=(8, 8, 2))
        y = layers.Conv2D(4, KS)(inputs)
        y = layers.MaxPooling2D(POOL)(y)
        return keras.Model(inputs, y)


    class Block(keras.Model):
        def __init__(self, POOL=(1, 1)):
            super().__init__()
            self.pool = layers.MaxPooling2D(POOL)
            self.conv = layers.Conv2D(2, (3, 3))

        def call(self, x):
            return self.pool(self.conv(x))


    model = build()
    block = Block()
    """)


def test_a_parameter_shadowing_a_tuple_constant_is_not_read_as_the_constant() -> None:
    """``KS`` and ``POOL`` are also parameters: neither module value may be written where the
    parameter is meant (they are no constants), nor the name read back as a constant."""
    out, _ = to_tf(SHADOWED_TUPLE, "t.py")
    assert "*KS" not in out and "*POOL" not in out and "ksize=POOL" not in out
    assert "[3, 3, 2, 4]" not in out and "ksize=2" not in out


TUPLE_X = textwrap.dedent("""\
    import keras
    from keras import layers
    x = (3, 3)
    model = keras.Sequential([keras.Input(shape=(8, 8, 1)), layers.Conv2D(2, x), layers.MaxPooling2D(x)])
    """)


def test_a_tuple_constant_named_like_the_generated_tensor_is_read_by_name() -> None:
    """``x`` is a module tuple constant: read by name, in ``__init__`` and in the call, whose
    running tensor is ``h``."""
    out, _ = to_tf(TUPLE_X, "t.py")
    assert "_variance_scaling([*x, 1, 2]" in out and "ksize=x, strides=x" in out
    assert "        h = inputs\n" in out and "x = inputs" not in out


@pytest.mark.tf
def test_constants_named_like_the_generated_tensor_execute_as_keras() -> None:
    import numpy as np

    rng = np.random.default_rng(2)
    worst = max(_compare(NAMED_X, ["model"], {"model": rng.standard_normal((2, 4)).astype("float32")}),
                _compare(TUPLE_X, ["model"], {"model": rng.standard_normal((2, 8, 8, 1)).astype("float32")}))
    print(f"constants named x: worst max |diff| = {worst:.3g} (atol = rtol = 1e-5)")


def test_resolve_named_items() -> None:
    from kerastf_xlate.layerkit.emit import named_src
    from kerastf_xlate.layerkit.named import named_tuple

    ks = named_tuple((3, 3), "KS")
    shape = "[" + ", ".join(dim_src(d) for d in (*ks, 1, 8)) + "]"
    code = f"class A:\n    def f(self):\n        return {shape}\n"
    assert resolve_named(code) == "class A:\n    def f(self):\n        return [*KS, 1, 8]\n"
    # one item alone (the input's channels read from IMG_SHAPE[-1]) is its value
    img = named_tuple((28, 28, 1), "IMG")
    assert resolve_named(f"y = [{dim_src(img[2])}, {dim_src(ks[0])}, {dim_src(ks[1])}]\n") == "y = [1, *KS]\n"
    assert resolve_named(f"y = [{dim_src(ks[1])}, {dim_src(ks[0])}]\n") == "y = [3, 3]\n"  # out of order
    shadowed = f"def f(KS):\n    return {shape}\n"
    assert resolve_named(shadowed) == "def f(KS):\n    return [3, 3, 1, 8]\n"
    assert resolve_named(f"p = f(ksize={named_src(named_tuple((2, 2), 'P'), '2')})\n") == "p = f(ksize=P)\n"
    assert resolve_named(f"def g(P):\n    f(ksize={named_src(named_tuple((2, 2), 'P'), '2')})\n") == "def g(P):\n    f(ksize=2)\n"
    assert named_src((2, 2), "2") == "2"
    # a class attribute sees the module's name beside a method that binds it for itself
    cls = f"class A:\n    s = {shape}\n\n    def build(self, KS):\n        return [{dim_src(ks[0])}, {dim_src(ks[1])}]\n"
    assert resolve_named(cls) == "class A:\n    s = [*KS, 1, 8]\n\n    def build(self, KS):\n        return [3, 3]\n"


def test_a_constant_named_like_a_generated_parameter() -> None:
    """``input_shape`` is the module's tuple and the parameter of the generated ``build``: the
    signature (a class attribute) says the name, ``build`` keeps its own, and the round trip
    is a fixed point (keras.io's mnist_convnet.py)."""
    src = textwrap.dedent("""\
        import keras
        from keras import layers
        input_shape = (8, 8, 1)
        model = keras.Sequential([keras.Input(shape=input_shape), layers.Conv2D(4, (3, 3)), layers.Flatten(), layers.Dense(3)])
        """)
    out, _ = to_tf(src, "t.py")
    assert "input_signature = [tf.TensorSpec([None, *input_shape], tf.float32)]" in out
    assert "def build(self, input_shape):" in out
    assert "_variance_scaling([3, 3, 1, 4]" in out  # the channels, one item of input_shape: its value
    back, _ = to_keras(out, "t.py")
    assert "keras.Input(shape=input_shape)" in back
    assert to_tf(back, "t.py")[0] == out


class _Owner:
    """What file_constants caches on (a file's ModuleNames)."""


def test_to_keras_reads_only_file_constants_as_names() -> None:
    """A ``*name`` in hand-written TensorFlow is read back only for a tuple bound once in the
    whole file; a parameter's is not a shape to-keras knows (the variable stays TensorFlow)."""
    from kerastf_xlate.layerkit.named import constant_value, file_constants

    tree = ast.parse("A = (2, 3)\nB = A + (4,)\nC = (1, 1)\nC = (2, 2)\nN = 3 * 4 // 2\nD = (N, -1)\n"
                     "def f(E=(1,)):\n    pass\nE = (5,)\nF = (1.5, 2)\n")
    assert file_constants(_Owner(), tree.body) == {"A": (2, 3), "B": (2, 3, 4), "D": (6, -1)}
    assert constant_value(ast.parse("X + (1,)", mode="eval").body, lambda n: ast.literal_eval("(7,)") if n == "X" else None) == (7, 1)
    src = textwrap.dedent("""\
        import tensorflow as tf


        class M(tf.Module):
            def __init__(self, ks=(3, 3)):
                super().__init__()
                self.kernel = tf.Variable(tf.random.normal([*ks, 1, 8]))

            def __call__(self, x):
                return tf.nn.conv2d(x, self.kernel, strides=1, padding='VALID')
        """)
    back, _ = to_keras(src, "t.py")
    assert "Conv2D" not in back


@pytest.mark.tf
def test_tuple_constants_execute_as_keras() -> None:
    import numpy as np

    rng = np.random.default_rng(2)
    worst = _compare(TUPLES, ["model", "inline"], {
        "model": rng.standard_normal((2, 12, 12, 3)).astype("float32"),
        "inline": rng.standard_normal((2, 12, 12, 1)).astype("float32"),
    })
    print(f"tuple constants: worst max |diff| = {worst:.3g} (atol = rtol = 1e-5)")


@pytest.mark.tf
def test_shadowing_tuple_parameters_execute_as_keras() -> None:
    """Was the risk: the module's ``KS = (3, 3)`` written where ``build(KS=(1, 1))`` is meant."""
    import numpy as np

    x = np.random.default_rng(3).standard_normal((2, 8, 8, 2)).astype("float32")
    worst = _compare(SHADOWED_TUPLE, ["model", "block"], {"model": x, "block": x})
    print(f"shadowed tuple constants: worst max |diff| = {worst:.3g} (atol = rtol = 1e-5)")


CONVS = textwrap.dedent("""\
    import keras
    from keras import layers

    KS = (3, 3)
    K1 = (5,)
    ST = (2, 2)
    DIL = (2, 2)

    model = keras.Sequential([
        keras.Input(shape=(16, 16, 4)),
        layers.DepthwiseConv2D(KS),
        layers.SeparableConv2D(8, KS),
        layers.Conv2DTranspose(4, KS, strides=ST),
        layers.Conv2D(4, KS, dilation_rate=DIL),
        layers.Conv2D(4, KS, strides=ST, padding="same"),
    ])

    m1 = keras.Sequential([keras.Input(shape=(16, 4)), layers.Conv1D(4, K1), layers.MaxPooling1D(K1)])
    """)


def test_every_convolution_keeps_the_kernel_name() -> None:
    out, _ = to_tf(CONVS, "t.py")
    for shape in ("[*KS, 4, 1]", "[*KS, 4, 8]", "[*KS, 4, 4]", "[*K1, 4, 4]"):
        assert f"_variance_scaling({shape}" in out, shape
    assert "dilations=DIL" in out and "strides=ST, padding='SAME'" in out
    assert "ksize=5, strides=5" in out  # a 1-D pool's ksize stays ints (tf.nn.max_pool1d)
    back, _ = to_keras(out, "t.py")
    for line in ("layers.DepthwiseConv2D(KS)", "layers.SeparableConv2D(8, KS)", "layers.Conv2D(4, KS, dilation_rate=DIL)",
                 "layers.Conv2D(4, KS, strides=ST, padding='same')", "layers.Conv1D(4, K1)"):
        assert line in back, line
    assert to_tf(back, "t.py")[0] == out


@pytest.mark.tf
def test_every_convolution_executes_as_keras() -> None:
    import numpy as np

    rng = np.random.default_rng(4)
    worst = _compare(CONVS, ["model", "m1"], {"model": rng.standard_normal((2, 16, 16, 4)).astype("float32"),
                                              "m1": rng.standard_normal((2, 16, 4)).astype("float32")})
    print(f"named convolution sizes: worst max |diff| = {worst:.3g} (atol = rtol = 1e-5)")


DEFINED_AFTER = textwrap.dedent("""\
    import keras
    from keras import layers


    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.conv = layers.Conv2D(4, KS)
            self.pool = layers.MaxPooling2D(POOL)

        def call(self, x):
            return self.pool(self.conv(x))


    KS = (3, 3)
    POOL = (2, 2)
    net = Net()
    """)


def test_a_constant_defined_after_the_class_is_read_when_keras_reads_it() -> None:
    """``KS`` is bound below the class, before the instance: Keras reads it in ``__init__``;
    the translation reads it there and in the first call, both after its binding."""
    out, _ = to_tf(DEFINED_AFTER, "t.py")
    assert "_variance_scaling([*KS, x.shape[-1], 4]" in out and "ksize=POOL, strides=POOL" in out
    assert to_tf(to_keras(out, "t.py")[0], "t.py")[0] == out


@pytest.mark.tf
def test_a_constant_defined_after_the_class_executes_as_keras() -> None:
    import numpy as np

    x = np.random.default_rng(5).standard_normal((2, 9, 9, 2)).astype("float32")
    worst = _compare(DEFINED_AFTER, ["net"], {"net": x})
    print(f"constants defined after the class: worst max |diff| = {worst:.3g} (atol = rtol = 1e-5)")
