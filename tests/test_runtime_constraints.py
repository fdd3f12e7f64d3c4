"""Weight constraints of the runtime (``runtime/tfr_constraints.py``), applied by the runtime
optimizer after each update as Keras's optimizer applies them, against Keras 3: the same
model with the same perturbed weights trains to the same weights and loss history.

Tolerance: float32, ``max|tf - keras| / max(1, |keras|) <= 1e-5``; the worst difference is printed.
"""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from test_runtime_regularizers import _twins, _worst
from test_runtime_training import rt

pytestmark = pytest.mark.tf

TOL = 1e-5

# every constraint (objects and names) on the layers that take one, with a regularizer beside
CONSTRAINED = """
def graph():
  inputs = Input(shape=(6, 6, 2))
  x = Conv2D(3, 3, padding="same", kernel_constraint=MaxNorm(0.5, axis=[0, 1, 2]), bias_constraint="non_neg")(inputs)
  x = BatchNormalization(gamma_constraint=MinMaxNorm(0.2, 0.6, rate=0.5), beta_constraint=NonNeg())(x)
  x = DepthwiseConv2D(3, depthwise_constraint="unit_norm")(x)
  x = Flatten()(x)
  x = Dense(5, activation="relu", kernel_constraint="max_norm", kernel_regularizer=L2(1e-3))(x)
  outputs = Dense(3, activation="softmax", kernel_constraint=UnitNorm(axis=1))(x)
  return inputs, outputs
"""


def test_fit_with_constraints_matches_keras() -> None:
    import keras
    import numpy as np

    keras_model, tf_model = _twins(CONSTRAINED, seed=11)
    rng = np.random.default_rng(12)
    x = rng.normal(size=(24, 6, 6, 2)).astype("float32")
    y = rng.integers(0, 3, size=(24,))
    keras_model.compile(optimizer=keras.optimizers.SGD(0.1, momentum=0.9), loss="sparse_categorical_crossentropy")
    tf_model.compile(optimizer=rt().SGD(0.1, momentum=0.9), loss="sparse_categorical_crossentropy")
    kh = keras_model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0).history
    th = tf_model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0).history
    worst_loss = _worst(th["loss"], kh["loss"])
    worst_weight = max(_worst(a, b) for a, b in zip(tf_model.get_weights(), keras_model.get_weights()))
    print(f"fit with constraints: loss history worst {worst_loss:.3g}, weights worst {worst_weight:.3g}")
    assert worst_loss <= TOL and worst_weight <= TOL
    # the constraints bind: the kernel of the last Dense has unit rows, the conv bias is >= 0
    kernel = tf_model.get_weights()[-2]
    assert np.allclose(np.linalg.norm(kernel, axis=1), 1.0, atol=1e-5)
    assert (tf_model.get_weights()[1] >= 0).all()


def test_constraints_get_like_keras() -> None:
    import keras

    get = rt().constraints_get
    for name in ("max_norm", "MaxNorm", "non_neg", "unit_norm", "min_max_norm", "NonNeg", "constraint"):
        ours, theirs = get(name), keras.constraints.get(name)
        assert type(ours).__name__ == type(theirs).__name__
        assert ours.get_config() == theirs.get_config()
    for bad in ("nonneg", "maxnorm"):
        with pytest.raises(ValueError):
            keras.constraints.get(bad)
        with pytest.raises(ValueError):
            get(bad)
