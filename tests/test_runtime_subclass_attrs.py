"""What Keras's ``Layer`` gives a user subclass, on the runtime ``Layer`` (tfr_base.py), against Keras.

- layers put in list attributes after the assignment (``self.blocks = []`` then ``append``
  in ``build``; two lists grown in one loop; ``extend``, ``insert``, ``+=``) are tracked when
  they arrive, so the weights come in Keras's order, and a built layer taken out again
  (``remove``, ``pop``) leaves them, as in Keras;
- the attributes Keras code reads on ``self``: ``dtype_policy``, ``compute_dtype``,
  ``variable_dtype``, ``dtype``, ``input_dtype``, ``autocast``, ``input_spec``, ``built``,
  ``name``, ``trainable``, ``supports_masking``, and ``add_variable``;
- ``build`` called by hand marks a layer built, and the runtime layers' ``compute_output_shape``
  (the call traced on symbolic inputs) chains the shapes of layers built by hand.

Tolerance: float32, atol = rtol = 1e-5; the worst difference is printed.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from runtime_ns import layers as runtime_layers
from runtime_ns import perturbed, runtime

pytestmark = pytest.mark.tf

STACK = '''
class Stack(Layer):
    """Two lists grown in one loop in build(), one grown by extend/insert/+= and shrunk by pop/remove."""

    def __init__(self, depth, width, **kwargs):
        super().__init__(**kwargs)
        self.depth, self.width = depth, width
        self.projections = []
        self.norms = []

    def build(self, input_shape):
        for i in range(self.depth):
            self.projections.append(Dense(self.width, activation="tanh", name=f"proj_{i}"))
            self.norms.append(LayerNormalization(name=f"norm_{i}"))
        self.extra = [Dense(self.width, name="first")]
        self.extra.extend([Dense(self.width, name="second")])
        self.extra.insert(0, Dense(self.width, name="zeroth"))
        self.extra += [Dense(self.width, name="third")]
        for _ in range(2):
            dropped = Dense(self.width, name="dropped")
            dropped.build((None, self.width))
            self.extra.append(dropped)
        self.extra.pop()
        self.extra.remove(self.extra[-1])
        self.head = Dense(2, name="head")

    def call(self, inputs):
        x = inputs
        for projection, norm in zip(self.projections, self.norms):
            x = norm(projection(x))
        for layer in self.extra:
            x = layer(x)
        return self.head(x)
'''


def _stack(namespace: dict[str, Any]) -> type:
    scope = dict(namespace)
    exec(compile(STACK, "<stack>", "exec"), scope)
    return scope["Stack"]


def test_layers_appended_later_are_tracked_in_keras_order() -> None:
    import keras
    import numpy as np
    import tensorflow as tf

    ns = runtime()
    ks = _stack({"Layer": keras.layers.Layer, "Dense": keras.layers.Dense,
                 "LayerNormalization": keras.layers.LayerNormalization})
    ts = _stack({"Layer": ns["Layer"], "Dense": ns["Dense"], "LayerNormalization": ns["LayerNormalization"]})
    keras.utils.set_random_seed(0)
    k, t = ks(3, 4), ts(3, 4)
    x = np.random.default_rng(0).normal(size=(2, 5)).astype("float32")
    k(x), t(tf.constant(x))
    assert [tuple(w.shape) for w in t.weights] == [tuple(w.shape) for w in k.weights]
    # the order of the layers themselves (the shapes above would not tell Dense from Dense)
    assert [w.name.split("/")[-2] for w in t.weights] == [w.path.split("/")[-2] for w in k.weights]
    moved = perturbed(k.get_weights())
    k.set_weights(moved)
    t.set_weights(moved)
    assert len(t.trainable_weights) == len(k.trainable_weights)
    diff = float(np.max(np.abs(np.asarray(k(x)) - t(tf.constant(x)).numpy())))
    print(f"Stack: worst max |diff| = {diff:.3g}")
    np.testing.assert_allclose(t(tf.constant(x)).numpy(), np.asarray(k(x)), atol=1e-5, rtol=1e-5)


ATTRS = '''
class Probe(Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.seen = {"policy": self.dtype_policy.name, "compute": self.compute_dtype,
                     "variable": self.variable_dtype, "dtype": self.dtype, "input": self.input_dtype,
                     "autocast": self.autocast, "spec": self.input_spec, "built": self.built,
                     "trainable": self.trainable, "name": self.name}

    def build(self, input_shape):
        self.input_spec = InputSpec(min_ndim=2)
        self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="w")
        self.v = self.add_variable((input_shape[-1],), "zeros", trainable=False, name="v")

    def call(self, inputs):
        return inputs * self.w + self.v
'''


@pytest.mark.parametrize("kwargs", [{}, {"dtype": "mixed_float16", "name": "probe_x", "trainable": False},
                                    {"dtype": "float64"}, {"autocast": False}])
def test_attributes_keras_code_reads(kwargs: dict[str, Any]) -> None:
    import keras
    import numpy as np

    ns = runtime()
    kscope: dict[str, Any] = {"Layer": keras.layers.Layer, "InputSpec": keras.layers.InputSpec}
    tscope: dict[str, Any] = {"Layer": ns["Layer"], "InputSpec": ns["InputSpec"]}
    exec(compile(ATTRS, "<probe>", "exec"), kscope)
    exec(compile(ATTRS, "<probe>", "exec"), tscope)
    k, t = kscope["Probe"](**kwargs), tscope["Probe"](**kwargs)
    if "name" not in kwargs:
        k.seen.pop("name"), t.seen.pop("name")  # automatic names count per process
    assert t.seen == k.seen
    x = np.ones((2, 3), "float32")
    ko, to = k(x), t(x)
    assert to.dtype.name == ko.dtype.name
    for attr in ("weights", "trainable_weights", "non_trainable_weights"):
        assert [v.name.split(":")[0].split("/")[-1] for v in getattr(t, attr)] == [v.name for v in getattr(k, attr)], attr
    assert (t.built, t.input_spec.min_ndim, t.supports_masking) == (k.built, k.input_spec.min_ndim, k.supports_masking) == (True, 2, True)


CHAIN = '''
class Unit(Layer):
    """Builds its sub-layers in build() and does not say it is built (Keras's wrapper does)."""

    def __init__(self, filters, **kwargs):
        super().__init__(**kwargs)
        self.filters = filters

    def build(self, input_shape):
        self.pad = ZeroPadding2D(((0, 1), (0, 1)))
        self.conv = Conv2D(self.filters, 3, strides=2)
        self.norm = BatchNormalization()
        self.pad.build(input_shape)
        shape = self.pad.compute_output_shape(input_shape)
        self.conv.build(shape)
        self.norm.build(self.conv.compute_output_shape(shape))

    def call(self, x, training=None):
        return self.norm(self.conv(self.pad(x)), training=training)

    def compute_output_shape(self, input_shape):
        return self.conv.compute_output_shape(self.pad.compute_output_shape(input_shape))


class Chain(Layer):
    """Builds its units by hand, each on the output shape of the one before."""

    def __init__(self, widths, **kwargs):
        super().__init__(**kwargs)
        self.units = [Unit(w) for w in widths]

    def build(self, input_shape):
        for unit in self.units:
            unit.build(input_shape)
            input_shape = unit.compute_output_shape(input_shape)

    def call(self, x, training=None):
        for unit in self.units:
            x = unit(x, training=training)
        return x
'''


def test_layers_built_by_hand_are_built_once_and_shapes_chain() -> None:
    """``build`` called directly marks the layer built (else its first call would build it
    again, with new weights); ``compute_output_shape`` of runtime layers chains."""
    import keras
    import numpy as np
    import tensorflow as tf

    names = ("Layer", "ZeroPadding2D", "Conv2D", "BatchNormalization")
    ns = runtime()
    kscope: dict[str, Any] = {n: getattr(keras.layers, n) for n in names}
    tscope: dict[str, Any] = {n: ns[n] for n in names}
    exec(compile(CHAIN, "<chain>", "exec"), kscope)
    exec(compile(CHAIN, "<chain>", "exec"), tscope)
    keras.utils.set_random_seed(0)
    k, t = kscope["Chain"]([4, 6]), tscope["Chain"]([4, 6])
    k.build((None, 9, 9, 3))
    t.build((None, 9, 9, 3))
    assert t.built and all(u.built for u in t.units)
    x = np.random.default_rng(0).normal(size=(2, 9, 9, 3)).astype("float32")
    moved = perturbed(k.get_weights())
    k.set_weights(moved)
    t.set_weights(moved)  # as many weights, in the same order, before and after the first call
    worst = 0.0
    for training in (False, True):
        ko, to = np.asarray(k(x, training=training)), t(tf.constant(x), training=training).numpy()
        worst = max(worst, float(np.max(np.abs(ko - to))))
        np.testing.assert_allclose(to, ko, atol=1e-5, rtol=1e-5)
    assert len(t.weights) == len(k.weights) == 12
    np.testing.assert_allclose(np.concatenate([w.ravel() for w in t.get_weights()]),
                               np.concatenate([w.ravel() for w in k.get_weights()]), atol=1e-5, rtol=1e-5)
    print(f"Chain: worst max |diff| = {worst:.3g}")
    assert t.units[1].compute_output_shape((None, 5, 5, 4)) == tuple(k.units[1].compute_output_shape((None, 5, 5, 4))) \
        == (None, 2, 2, 6)


@pytest.mark.parametrize("expr, shapes", [
    ("Dense(5)", [(None, 7, 3)]),
    ("Conv2D(4, 3, strides=2, padding='same')", [(None, 9, None, 2)]),
    ("Concatenate()", [[(None, 3, 4), (None, 3, 2)]]),
    ("MultiHeadAttention(2, 3)", [(None, 5, 4), (None, 6, 8)]),
    ("Embedding(10, 4)", [(None, 7)]),
])
def test_runtime_layers_compute_output_shape_as_keras(expr: str, shapes: list[Any]) -> None:
    import keras

    k = eval(f"layers.{expr}", {"layers": keras.layers})
    t = eval(f"layers.{expr}", {"layers": runtime_layers()})
    expected = k.compute_output_shape(*shapes)
    assert t.compute_output_shape(*shapes) == tuple(expected)
    assert not t.losses
