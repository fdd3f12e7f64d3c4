"""Keras 2 backend functions the table did not know (issue #13).

A Keras 2 program that called one backend function outside the table (``K.relu(x,
max_value=...)`` as a clipped activation, ``K.count_params`` to print a model's size,
``K.switch`` in a gate, ``K.temporal_padding`` before a convolution) kept its whole model
Keras, with "not in the keras_api table". Each is now an entry of rules/keras_api/backend.toml,
checked against tf-keras (the last Keras 2) call by call in tests/test_keras_api.py. This is
our own program in the style of 2018 sequence-model scripts, run under Keras 2 and translated,
from the same perturbed weights; tolerance 1e-5, the worst difference is printed.
"""

from __future__ import annotations

import numpy as np
import pytest

from kerastf_xlate.totf import translate

PROGRAM = """\
from keras.models import Model
from keras.layers import Input
from keras.layers.core import Dense, Lambda
from keras.layers.convolutional import Conv1D
from keras import backend as K


def clipped_relu(x):
    return K.relu(x, max_value=1.0)


seq = Input(shape=(6, 4))
h = Lambda(lambda t: K.temporal_padding(t, (1, 1)))(seq)
h = Conv1D(5, 3, activation=clipped_relu)(h)
g = Lambda(lambda t: K.hard_sigmoid(t))(h)
h = Lambda(lambda ts: K.switch(ts[1] > 0.55, ts[0], -ts[0]))([h, g])
h = Lambda(lambda t: K.elu(K.cumsum(t, axis=1), alpha=0.5))(h)
h = Lambda(lambda t: K.reverse(t, 1))(h)
model = Model(seq, Dense(2)(h))
n_params = int(sum(K.count_params(w) for w in model.trainable_weights))
"""

TAIL = """\
DATA = np.random.default_rng(2).normal(0, 1, (4, 6, 4)).astype('float32')
report = {'n': n_params}
"""


def test_the_backend_functions_translate() -> None:
    out, diags = translate(PROGRAM, "m.py")
    assert not [d for d in diags if d.code != "XL102"], diags
    for helper in ("_backend_relu(", "_backend_hard_sigmoid(", "_backend_switch(", "_backend_temporal_padding(",
                   "_backend_count_params(", "tf.math.cumsum(" if "tf.math.cumsum(" in out else "tf.cumsum(",
                   "tf.reverse("):
        assert helper in out, helper
    assert translate(out, "m.py")[0] == out  # a second run changes nothing


@pytest.mark.tf
def test_executed_as_keras2(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from program_text import run_keras2_both

    out, _ = translate(PROGRAM, "m.py")
    keras2, ours = run_keras2_both(tmp_path, PROGRAM, out, TAIL, seed=3)
    assert keras2["n"] == ours["n"] == 5 * 4 * 3 + 5 + 5 * 2 + 2
    worst = float(np.max(np.abs(np.asarray(keras2["y"]) - np.asarray(ours["y"]))))
    print(f"worst |tf - keras 2| = {worst:.3g}")
    assert np.asarray(ours["y"]).shape == (4, 6, 2) and worst <= 1e-5, worst
