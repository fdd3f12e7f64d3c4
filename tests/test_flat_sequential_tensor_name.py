"""The flat form's Sequential call names its running tensor; a layer argument written with a
program name of the same spelling (`Dense(x.shape[1])`, `x` the data array of a course's
autoencoder notebook) is evaluated in that call too (a kernel made on the first call, an
inlined argument). It read the tensor instead of the data, and the translation failed at run
time (BiasAdd: 10 biases for 3 columns) where Keras ran: found by ``realcode_models.py
--scripts``. The tensor now takes a name no layer argument reads."""

from __future__ import annotations

import textwrap

import pytest
from program_text import max_diff, run_both, script_head, tf_

from kerastf_xlate.totf.program.bundle import BANNER

SOURCE = textwrap.dedent("""\
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

TAIL = textwrap.dedent("""\
    moved(model)
    json.dump({"y": arrays(model(x, training=False))}, open(OUT, "w"))
    """)


def test_the_running_tensor_takes_a_name_no_argument_reads() -> None:
    out, diags = tf_(SOURCE)
    # the flat form (a tf.Module of its own, no runtime block)
    assert "(tf.Module):" in out and BANNER not in out, diags
    assert "        h = inputs\n" in out and "x = inputs" not in out
    again, _ = tf_(out)
    assert again == out


@pytest.mark.tf
def test_it_computes_what_keras_computes(tmp_path) -> None:
    out, _ = tf_(SOURCE)
    keras_run, ours = run_both(tmp_path, script_head(3) + SOURCE + TAIL, script_head(3) + out + TAIL)
    worst = max_diff(keras_run["y"], ours["y"])
    print(f"worst |tf - keras| = {worst:.3g}")
    assert len(ours["y"][0]) == 10 and worst <= 1e-6
