"""Weight and activity regularizers of the runtime (``runtime/tfr_regularizers.py``,
``Layer.losses`` in ``tfr_base.py``) against Keras 3: the same model with the same perturbed
weights gives the same ``model.losses`` (same values, same order) and trains to the same
weights and loss history with ``compile`` + ``fit``.

Tolerance: float32, ``max|tf - keras| <= 1e-5 * max(1, |keras|)``; the worst difference of
each comparison is printed.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from runtime_ns import perturbed
from test_runtime_training import rt

pytestmark = pytest.mark.tf

TOL = 1e-5

# the graph of one functional model, run in either namespace (``keras`` or the runtime): every
# kind of regularizer (object, function alias, string) on the layers that take one, and an
# activity regularizer. Keras builds ``Model(*graph())``, the runtime ``Model(graph)``.
MODEL = """
def graph():
  inputs = Input(shape=(6, 6, 2))
  x = Conv2D(3, 3, padding="same", kernel_regularizer=L2(1e-3), bias_regularizer="l1")(inputs)
  x = BatchNormalization(gamma_regularizer=l1_l2(l1=1e-3, l2=1e-2), beta_regularizer="l2")(x)
  x = SeparableConv2D(4, 3, depthwise_regularizer=L2(1e-3), pointwise_regularizer=l1(2e-3))(x)
  x = Flatten()(x)
  x = ActivityRegularization(l1=1e-3, l2=2e-3)(x)
  x = Dense(5, activation="relu", kernel_regularizer=l2(1e-4), activity_regularizer=L1(1e-2))(x)
  outputs = Dense(3, activation="softmax", kernel_regularizer=L1L2(l2=1e-2), bias_regularizer=L1L2(l1=1e-3, l2=0.0))(x)
  return inputs, outputs
"""

EMBEDDING = """
def graph():
  tokens = Input(shape=(5,), dtype="int32")
  e = Embedding(10, 4, embeddings_regularizer="l2", activity_regularizer=L2(1e-3))(tokens)
  e = GlobalAveragePooling1D()(e)
  out = Dense(2, kernel_regularizer=OrthogonalRegularizer(0.05), bias_regularizer=L1(0.0))(e)
  return tokens, out
"""

RECURRENT = """
def graph():
  seq = Input(shape=(5, 3))
  h = SimpleRNN(4, return_sequences=True, kernel_regularizer="l1", recurrent_regularizer=L2(0.02),
                bias_regularizer="l2", activity_regularizer=L1(0.01))(seq)  # Keras 3 ignores this one
  h = GRU(4, return_sequences=True, kernel_regularizer=L1L2(l1=0.01, l2=0.01), recurrent_regularizer="l1",
          bias_regularizer=L2(0.03))(h)
  h = LSTM(3, kernel_regularizer=L2(0.01), recurrent_regularizer="l2", bias_regularizer=L1(0.02),
           activity_regularizer=L2(0.05))(h)
  return seq, h
"""

# a user's layers (Keras's ``Layer`` or the runtime's): add_weight(regularizer=), add_loss in
# call, nested sub-layers (the order of ``losses`` follows Keras's ``_flatten_layers``)
CUSTOM = """
class Scale(Layer):
  def __init__(self, weight, **kwargs):
    super().__init__(**kwargs)
    self.weight = weight
    self.regularizer = L1(weight)  # made here: Keras's L1 holds a tensor, which build() would make in a trace

  def build(self, input_shape):
    self.scale = self.add_weight(shape=(input_shape[-1],), initializer="ones", regularizer=self.regularizer, name="scale")

  def call(self, x):
    self.add_loss(self.weight * tf.reduce_mean(tf.square(x)))
    return x * self.scale


class Block(Layer):
  def __init__(self, units, **kwargs):
    super().__init__(**kwargs)
    self.inner = Scale(0.5)
    self.dense = Dense(units, kernel_regularizer="l2", activity_regularizer=L1(0.1))
    self.after = Scale(0.25)

  def call(self, x):
    self.add_loss(tf.reduce_sum(x) * 0.01)
    return self.after(self.dense(self.inner(x)))


def graph():
  x0 = Input(shape=(4,))
  y = Block(3)(x0)
  y = Scale(0.125)(y)
  y = Block(2)(y)
  return x0, y
"""


def _keras_namespace() -> dict[str, Any]:
    import keras

    ns: dict[str, Any] = {name: getattr(keras.layers, name) for name in dir(keras.layers) if name[:1].isupper()}
    ns.update({name: getattr(keras.regularizers, name) for name in ("L1", "L2", "L1L2", "OrthogonalRegularizer", "l1", "l2", "l1_l2")})
    ns.update({name: getattr(keras.constraints, name) for name in ("MaxNorm", "MinMaxNorm", "NonNeg", "UnitNorm")})
    ns["Model"] = keras.Model
    ns["Layer"] = keras.layers.Layer
    ns["tf"] = __import__("tensorflow")
    return ns


def _runtime_namespace() -> dict[str, Any]:
    ns = dict(vars(rt()))
    ns.update({"L1": ns["L1Regularizer"], "L2": ns["L2Regularizer"], "L1L2": ns["L1L2Regularizer"]})
    ns.update({"l1": ns["L1"], "l2": ns["L2"], "l1_l2": ns["L1L2"]})
    return ns


def _twins(source: str, seed: int = 0) -> tuple[Any, Any]:
    kns, tns = _keras_namespace(), _runtime_namespace()
    exec(source, kns)
    exec(source, tns)
    keras_model, tf_model = kns["Model"](*kns["graph"]()), tns["Model"](tns["graph"])
    weights = perturbed(keras_model.get_weights(), seed=seed)
    keras_model.set_weights(weights)
    tf_model.set_weights(weights)
    return keras_model, tf_model


def _worst(a: Any, b: Any) -> float:
    import numpy as np

    a, b = np.asarray(a, dtype="float64"), np.asarray(b, dtype="float64")
    assert a.shape == b.shape
    return float(np.max(np.abs(a - b) / np.maximum(1.0, np.abs(b)))) if a.size else 0.0


def _compare_losses(keras_model: Any, tf_model: Any, x: Any, training: bool) -> float:
    keras_model(x, training=training)
    tf_model(x, training=training)
    keras_losses = [float(v) for v in keras_model.losses]
    tf_losses = [float(v) for v in tf_model.losses]
    assert len(tf_losses) == len(keras_losses)
    assert all(v != 0.0 for v in keras_losses[:-1])  # every penalty counts (the last one is L1(0.0) in EMBEDDING)
    return _worst(tf_losses, keras_losses)


@pytest.mark.parametrize("training", [False, True])
def test_model_losses_match_keras(training: bool) -> None:
    import numpy as np

    keras_model, tf_model = _twins(MODEL)
    x = np.random.default_rng(1).normal(size=(4, 6, 6, 2)).astype("float32")
    worst = _compare_losses(keras_model, tf_model, x, training)
    print(f"model.losses ({len(keras_model.losses)} terms), training={training}: worst relative difference {worst:.3g}")
    assert worst <= TOL
    # a second call replaces the activity loss of the first (Keras clears losses at each outermost call)
    worst = _compare_losses(keras_model, tf_model, x[:2], training)
    assert len(tf_model.losses) == len(keras_model.losses)
    assert worst <= TOL


def test_embedding_orthogonal_losses_match_keras() -> None:
    import numpy as np

    keras_model, tf_model = _twins(EMBEDDING, seed=3)
    x = np.random.default_rng(2).integers(0, 10, size=(3, 5)).astype("int32")
    worst = _compare_losses(keras_model, tf_model, x, training=False)
    print(f"embedding/orthogonal model.losses: worst relative difference {worst:.3g}")
    assert worst <= TOL


def test_recurrent_losses_match_keras() -> None:
    import numpy as np

    keras_model, tf_model = _twins(RECURRENT, seed=7)
    x = np.random.default_rng(5).normal(size=(3, 5, 3)).astype("float32")
    worst = _compare_losses(keras_model, tf_model, x, training=False)
    print(f"recurrent model.losses: worst relative difference {worst:.3g}")
    assert worst <= TOL


def test_custom_layers_losses_match_keras_order() -> None:
    import numpy as np

    keras_model, tf_model = _twins(CUSTOM, seed=9)
    x = np.random.default_rng(6).normal(size=(5, 4)).astype("float32")
    worst = _compare_losses(keras_model, tf_model, x, training=False)
    print(f"custom layers model.losses ({len(keras_model.losses)} terms): worst relative difference {worst:.3g}")
    assert len(keras_model.losses) == 16
    assert worst <= TOL


def test_layer_losses_fresh_after_assign() -> None:
    """``losses`` evaluates the weight penalties from the current values, as Keras 3 does."""
    import numpy as np

    ns = _runtime_namespace()
    layer = ns["Dense"](2, kernel_regularizer="l2")
    layer(np.ones((1, 3), "float32"))
    layer.kernel.assign(np.full((3, 2), 2.0, "float32"))
    assert [float(v) for v in layer.losses] == pytest.approx([0.01 * 4.0 * 6])


def test_regularizers_get_like_keras() -> None:
    import keras

    get = rt().regularizers_get
    for name in ("l1", "l2", "l1l2", "L1", "L2", "L1L2", "OrthogonalRegularizer", "orthogonal_regularizer"):
        ours, theirs = get(name), keras.regularizers.get(name)
        assert type(ours).__name__.replace("Regularizer", "") == type(theirs).__name__.replace("Regularizer", "")
        assert ours.get_config() == pytest.approx(theirs.get_config())
    for bad in ("l1_l2", "nope"):
        with pytest.raises(ValueError):
            keras.regularizers.get(bad)
        with pytest.raises(ValueError):
            get(bad)
    assert get(None) is None


def test_fit_with_regularizers_matches_keras() -> None:
    """SGD for 2 epochs on fixed batches: the History's loss and the final weights."""
    import keras
    import numpy as np

    keras_model, tf_model = _twins(MODEL, seed=5)
    rng = np.random.default_rng(4)
    x = rng.normal(size=(24, 6, 6, 2)).astype("float32")
    y = rng.integers(0, 3, size=(24,))
    keras_model.compile(optimizer=keras.optimizers.SGD(0.05), loss="sparse_categorical_crossentropy")
    tf_model.compile(optimizer=rt().SGD(0.05), loss="sparse_categorical_crossentropy")
    kh = keras_model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0).history
    th = tf_model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0).history
    worst_loss = _worst(th["loss"], kh["loss"])
    worst_weight = max(_worst(a, b) for a, b in zip(tf_model.get_weights(), keras_model.get_weights()))
    print(f"fit with regularizers: loss history worst {worst_loss:.3g}, weights worst {worst_weight:.3g}")
    assert worst_loss <= TOL and worst_weight <= TOL
