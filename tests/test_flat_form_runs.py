"""Two flat-form translations that failed or differed at run time where Keras ran, both found
by ``realcode_models.py --scripts`` (real programs run whole, both ways):

- a functional model the flat form translates around a layer it keeps as Keras (XL302): the
  module made that layer's weights on its first call, so ``get_weights()`` before any call gave
  no arrays where Keras gives them (Keras builds a model with declared inputs at construction)
  and moving weights into it failed. The module is built at construction now.
- a Sequential's generated call named its running tensor ``x``; a layer argument written with
  a program name of the same spelling (``Dense(x.shape[1])``, ``x`` the data array of a
  course's autoencoder notebook) is evaluated in that call too (a kernel made on the first
  call), read the tensor, and the translation failed (BiasAdd: 10 biases for 3 columns). The
  tensor takes a name no layer argument reads now.
"""

from __future__ import annotations

import textwrap
from typing import Any

import pytest
from program_text import max_diff, run_both, script_head, tf_

from kerastf_xlate.totf.program.bundle import BANNER

# the GPU check of Keras 2 courses (`K.tensorflow_backend` has no Keras 3 meaning) keeps the
# program form off the file; the flat form keeps the Bidirectional layer as Keras
KEPT_LAYER = textwrap.dedent("""\
    from keras.models import Model
    from keras.layers import Input, LSTM, Bidirectional

    try:
        import keras.backend as K
        if len(K.tensorflow_backend._get_available_gpus()) > 0:
            from keras.layers import CuDNNLSTM as LSTM
    except:
        pass

    inputs = Input(shape=(6, 2))
    rnn = Bidirectional(LSTM(3, return_state=True))
    states = rnn(inputs)
    model = Model(inputs=inputs, outputs=states)
    """)

KEPT_LAYER_TAIL = textwrap.dedent("""\
    count = len(model.get_weights())
    moved(model)
    x = np.random.default_rng(1).normal(size=(4, 6, 2)).astype("float32")
    json.dump({"count": count, "w": arrays(model.get_weights()), "y": arrays(model(x, training=False))},
              open(OUT, "w"))
    """)

DATA_NAMED_X = textwrap.dedent("""\
    import numpy as np
    from tensorflow.keras.models import Sequential
    from tensorflow.keras.layers import Dense

    x = np.array([range(10)]).astype(np.float32)
    model = Sequential()
    model.add(Dense(3, input_dim=x.shape[1], activation='relu'))
    model.add(Dense(x.shape[1]))
    model.compile(loss='mean_squared_error', optimizer='adam')
    pred = model.predict(x)
    """)

DATA_NAMED_X_TAIL = textwrap.dedent("""\
    moved(model)
    json.dump({"y": arrays(model(x, training=False))}, open(OUT, "w"))
    """)


def _flat(source: str) -> tuple[str, list[str]]:
    """The flat form's translation (a tf.Module of its own, no runtime block); a second run
    changes nothing."""
    out, diags = tf_(source)
    assert "(tf.Module):" in out and BANNER not in out, diags
    assert tf_(out)[0] == out
    return out, diags


def _both(tmp_path: Any, source: str, tail: str, seed: int) -> tuple[dict[str, Any], dict[str, Any]]:
    out, _ = tf_(source)
    return run_both(tmp_path, script_head(seed) + source + tail, script_head(seed) + out + tail)


def test_a_module_holding_a_kept_layer_is_built_at_construction() -> None:
    out, diags = _flat(KEPT_LAYER)
    assert any(d.startswith("XL302 `Bidirectional` kept as a Keras layer") for d in diags), diags
    assert "self.build([None, 6, 2])  # Keras builds a model with declared inputs at construction" in out, out


@pytest.mark.tf
def test_its_weights_before_the_first_call_are_keras_s(tmp_path) -> None:
    keras_run, ours = _both(tmp_path, KEPT_LAYER, KEPT_LAYER_TAIL, 5)
    # the Bidirectional LSTM's 6 arrays (kernel, recurrent kernel, bias each way)
    assert keras_run["count"] == ours["count"] == 6
    assert all(max_diff(a, b) == 0.0 for a, b in zip(keras_run["w"], ours["w"]))
    worst = max(max_diff(a, b) for a, b in zip(keras_run["y"], ours["y"]))
    print(f"worst |tf - keras| = {worst:.3g}")
    assert worst <= 1e-6


def test_the_running_tensor_takes_a_name_no_argument_reads() -> None:
    out, _ = _flat(DATA_NAMED_X)
    assert "        h = inputs\n" in out and "x = inputs" not in out


@pytest.mark.tf
def test_it_computes_what_keras_computes(tmp_path) -> None:
    keras_run, ours = _both(tmp_path, DATA_NAMED_X, DATA_NAMED_X_TAIL, 3)
    worst = max_diff(keras_run["y"], ours["y"])
    print(f"worst |tf - keras| = {worst:.3g}")
    assert len(ours["y"][0]) == 10 and worst <= 1e-6
