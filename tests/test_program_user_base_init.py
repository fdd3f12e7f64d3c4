"""A layer subclass of the file's own layer class calls ``super().__init__(num_kernels,
kernel_size, stride)``: that runs the base class's ``__init__`` (the file's), not Keras's, so it
does not build a functional model (a book notebook on regularization writes its layers so).
The program used to be kept for it ("builds a functional model in its constructor").

Also: the runtime's ``add_loss`` raises Keras 3's ValueError on a value that is not a tensor
(the same notebook adds ``partial(regularizer, kernel)``, which Keras 3 refuses)."""

from __future__ import annotations

from pathlib import Path

import pytest
from program_text import max_diff, run_both, script_head, tf_, user_code

from kerastf_xlate.totf.program.bundle import BANNER

SOURCE = """\
import tensorflow as tf


class SimpleConv(keras.layers.Layer):
    def __init__(self, num_kernels=8, kernel_size=(3, 3), stride=1):
        super().__init__()
        self.num_kernels = num_kernels
        self.kernel_size = kernel_size
        self.stride = stride

    def build(self, input_shape):
        channels = input_shape[-1]
        self.kernels = self.add_weight(shape=(*self.kernel_size, channels, self.num_kernels),
                                       initializer="glorot_uniform", trainable=True, name="kernels")
        self.bias = self.add_weight(shape=(self.num_kernels,), initializer="random_normal",
                                    trainable=True, name="bias")

    def call(self, inputs):
        z = tf.nn.conv2d(inputs, self.kernels, strides=[1, self.stride, self.stride, 1], padding="VALID")
        return tf.nn.relu(z + self.bias)


class ConvWithPenalty(SimpleConv):
    def __init__(self, num_kernels=8, kernel_size=(3, 3), stride=1, coef=1e-2):
        super().__init__(num_kernels, kernel_size, stride)
        self.coef = coef

    def call(self, inputs):
        self.add_loss(self.coef * tf.reduce_sum(self.kernels ** 2))
        return super().call(inputs)


model = keras.Sequential([
    keras.Input((10, 10, 2)),
    ConvWithPenalty(4, (3, 3), 1),
    ConvWithPenalty(6, kernel_size=(3, 3), stride=2, coef=1e-3),
    layers.Flatten(),
    layers.Dense(3),
])
"""

RUN = """
moved(model)
x = rng.standard_normal((4, 10, 10, 2)).astype("float32")
y = rng.standard_normal((4, 3)).astype("float32")
out = model(x)
penalties = [float(v) for v in model.losses]
model.compile(optimizer=keras.optimizers.SGD(0.01), loss="mse")
history = model.fit(x, y, epochs=2, batch_size=4, shuffle=False, verbose=0)
with open(OUT, "w") as f:
    json.dump({"out": arrays(out), "penalties": penalties, "loss": history.history["loss"],
               "after": arrays(model(x))}, f)
"""


def test_a_user_base_init_is_not_a_functional_model() -> None:
    out, diags = tf_(script_head(0) + SOURCE)
    assert BANNER in out, diags
    code = user_code(out).split("rng = ")[1]
    assert "keras." not in code and "layers." not in code, diags
    assert "super().__init__(num_kernels, kernel_size, stride)" in code


@pytest.mark.parametrize(("source", "user"), [
    ("class A(Layer):\n    def __init__(self, n): pass\nclass B(A): pass", True),
    ("class A(Layer):\n    def __init__(self, n): pass\nclass M(A): pass\nclass B(M): pass", True),
    ("class A(Layer): pass\nclass B(A): pass", False),  # Keras's __init__ gets the arguments
    ("class A(Layer):\n    def __init__(self, *args, **kwargs): pass\nclass B(A): pass", False),  # passed on
    ("class A(Layer):\n    def __init__(self, n): pass\nclass A(Layer): pass\nclass B(A): pass", False),  # redefined
    ("class A(Layer):\n    def __init__(self, n): pass\nclass B(A, Mixin): pass", False),  # not followed
    ("class B(keras.Model): pass", False),
])
def test_which_init_super_runs(source: str, user: bool) -> None:
    """Whose ``__init__`` ``super().__init__(...)`` in ``B`` runs: the file's own (its
    arguments are the user's) or, as far as the file shows, Keras's."""
    import ast

    from kerastf_xlate.totf.program.models import _user_init

    classes = [c for c in ast.walk(ast.parse(source)) if isinstance(c, ast.ClassDef)]
    assert _user_init(classes[-1], classes) is user


@pytest.mark.tf
def test_a_user_base_init_runs_as_keras(tmp_path: Path) -> None:
    source = script_head(5) + SOURCE + RUN
    translated, diags = tf_(source)
    assert BANNER in translated, diags
    keras_report, tf_report = run_both(tmp_path, source, translated)
    worst = max(max_diff(keras_report[k], tf_report[k]) for k in ("out", "penalties", "loss", "after"))
    assert worst <= 1e-5, worst
    print(f"\nsubclass of a user layer (moved weights, two epochs): worst |tf - keras| {worst:.1e} (tolerance 1e-5)")


@pytest.mark.tf
def test_add_loss_refuses_what_keras_refuses() -> None:
    import functools

    import tensorflow as tf
    from runtime_ns import runtime

    layer = runtime()["Layer"]()
    with pytest.raises(ValueError, match="on a tensor input") as got:
        layer.add_loss(functools.partial(tf.reduce_sum, tf.ones(2)))
    import keras

    with pytest.raises(ValueError) as want:
        keras.layers.Layer().add_loss(functools.partial(tf.reduce_sum, tf.ones(2)))
    assert str(got.value).split("Received")[0] == str(want.value).split("Received")[0]
    layer.add_loss(tf.constant(1.0))
    assert [float(v) for v in layer.losses] == [1.0]
