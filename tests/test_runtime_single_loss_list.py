"""``compile(loss=[fn])`` for a model with one output: Keras 3 takes the list's one loss for that
output (``metrics=[...]`` likewise). The runtime took the list itself for the loss and raised
"Could not interpret loss identifier" in fit. Found running a 2019 U-Net script's translation
(``loss=[jacard_coef_loss]``). Executed both ways, with moved weights, two epochs of Adam."""

from __future__ import annotations

import numpy as np
import pytest

from kerastf_xlate.totf import translate

PROGRAM = """\
import keras
from keras import layers


def dice_loss(y_true, y_pred):
    inter = keras.ops.sum(y_true * y_pred)
    return 1.0 - (2.0 * inter + 1.0) / (keras.ops.sum(y_true) + keras.ops.sum(y_pred) + 1.0)


inputs = keras.Input((6,))
hidden = layers.Dense(5, activation="relu")(inputs)
model = keras.Model(inputs=[inputs], outputs=[layers.Dense(2, activation="sigmoid")(hidden)])
model.compile(optimizer=keras.optimizers.Adam(1e-2), loss=[dice_loss], metrics=["mae"])
"""

RUN = """\
x = np.random.default_rng(4).normal(size=(8, 6)).astype('float32')
y = (np.random.default_rng(5).uniform(size=(8, 2)) > 0.5).astype('float32')
if hasattr(model, 'to_json'):
    moved(model)
    json.dump({'w': arrays(model.get_weights())}, open('../w.json', 'w'))
else:
    model.set_weights([np.asarray(w, 'float32') for w in json.load(open('../w.json'))['w']])
history = model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
json.dump({'history': history.history, 'weights': arrays(model.get_weights()),
           'keras': hasattr(model, 'to_json')}, open(OUT, 'w'))
"""


@pytest.mark.tf
def test_a_one_loss_list_trains_as_keras_does(tmp_path) -> None:
    from program_text import run_both, script_head, user_code

    out, _ = translate(PROGRAM, "m.py")
    assert "keras" not in user_code(out)
    (tmp_path / "run").mkdir()
    keras_report, tf_report = run_both(tmp_path / "run", script_head(1) + PROGRAM + RUN, script_head(1) + out + RUN)
    assert keras_report["keras"] and not tf_report["keras"]
    assert set(keras_report["history"]) == set(tf_report["history"]) == {"loss", "mae"}
    for key, values in keras_report["history"].items():
        assert np.allclose(values, tf_report["history"][key], atol=1e-5), (key, values, tf_report["history"][key])
    worst = max(float(np.max(np.abs(np.asarray(a) - np.asarray(b))))
                for a, b in zip(keras_report["weights"], tf_report["weights"]))
    print(f"worst weight |tf - keras| after two epochs: {worst:.3g}")
    assert worst <= 1e-5
