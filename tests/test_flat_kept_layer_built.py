"""A functional model the flat form translates around a layer it keeps as Keras (XL302) is
built at construction, as Keras builds a model with declared inputs: ``get_weights()`` and
``set_weights()`` before the first call see every array (found by ``realcode_models.py`` on a
course's script: a `Bidirectional(LSTM(..., return_state=True))` kept Keras, the module gave 0
arrays where Keras gives 6, so moving weights into it failed)."""

from __future__ import annotations

import textwrap

import pytest
from program_text import max_diff, run_both, script_head, tf_

# the GPU check of Keras 2 courses (`K.tensorflow_backend` has no Keras 3 meaning) keeps the
# program form off the file; the flat form keeps the Bidirectional layer as Keras
SOURCE = textwrap.dedent("""\
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

TAIL = textwrap.dedent("""\
    count = len(model.get_weights())
    moved(model)
    x = np.random.default_rng(1).normal(size=(4, 6, 2)).astype("float32")
    json.dump({"count": count, "w": arrays(model.get_weights()), "y": arrays(model(x, training=False))},
              open(OUT, "w"))
    """)


def test_the_flat_module_is_built_at_construction() -> None:
    out, diags = tf_(SOURCE)
    assert any(d.startswith("XL302 `Bidirectional` kept as a Keras layer") for d in diags), diags
    assert "self.build([None, 6, 2])  # Keras builds a model with declared inputs at construction" in out, out
    again, _ = tf_(out)
    assert again == out


@pytest.mark.tf
def test_weights_before_the_first_call_are_keras_s(tmp_path) -> None:
    out, _ = tf_(SOURCE)
    keras_run, ours = run_both(tmp_path, script_head(5) + SOURCE + TAIL, script_head(5) + out + TAIL)
    # the Bidirectional LSTM's 6 arrays (kernel, recurrent kernel, bias each way)
    assert keras_run["count"] == ours["count"] == 6
    assert all(max_diff(a, b) == 0.0 for a, b in zip(keras_run["w"], ours["w"]))
    worst = max(max_diff(a, b) for a, b in zip(keras_run["y"], ours["y"]))
    print(f"worst |tf - keras| = {worst:.3g}")
    assert worst <= 1e-6
