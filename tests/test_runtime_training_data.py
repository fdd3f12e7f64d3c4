"""Generators and PyDatasets given to the translated `fit` / `evaluate` / `predict` (runtime
tfr_training.py), as Keras's generator and PyDataset adapters take them.

Was: a Python generator given to `fit` failed at run time in the translation
(`from_tensor_slices` of a generator). A generator gives whole batches and goes on from epoch
to epoch; a PyDataset gives its batches by index and hears `on_epoch_end`. Keras prefetches
from a generator (`tf.data` AUTOTUNE), so how far a shared generator has gone after `fit`, and
the batches a *later* epoch's validation reads from one, depend on its buffer: those are not
compared. Keras also calls a PyDataset's `on_epoch_end` once more than the epochs; the
translation calls it once per epoch.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from program_text import run_both, tf_, user_code

SCRIPT = textwrap.dedent('''\
    import json
    import numpy as np
    import keras
    from keras import layers

    def batches(seed):
        rng = np.random.default_rng(seed)
        while True:
            x = rng.normal(size=(8, 4)).astype("float32")
            yield x, (x @ np.arange(8, dtype="float32").reshape(4, 2)).astype("float32")


    class Batches(keras.utils.PyDataset):
        def __init__(self):
            super().__init__()
            self.epochs = 0
            rng = np.random.default_rng(7)
            self.x = rng.normal(size=(24, 4)).astype("float32")

        def __len__(self):
            return 3

        def __getitem__(self, i):
            x = self.x[i * 8:(i + 1) * 8]
            return x, x[:, :2] * 2.0

        def on_epoch_end(self):
            self.epochs += 1


    inputs = keras.Input(shape=(4,))
    outputs = layers.Dense(2, kernel_initializer="ones")(inputs)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="sgd", loss="mse")
    gen = batches(0)
    h = model.fit(gen, steps_per_epoch=3, epochs=2, verbose=0, validation_data=batches(1), validation_steps=2)
    ds = Batches()
    h2 = model.fit(ds, epochs=2, verbose=0, shuffle=False)
    ev = model.evaluate(batches(2), steps=2, verbose=0)
    pr = model.predict(batches(3), steps=2, verbose=0)
    json.dump({"loss": h.history["loss"], "val": h.history["val_loss"][:1], "loss2": h2.history["loss"],
               "epochs": ds.epochs > 0, "ev": ev, "pr": np.asarray(pr).shape, "w": [w.numpy().tolist() if hasattr(w, "numpy") else np.asarray(w).tolist() for w in model.weights]},
              open(OUT, "w"))
    ''')


@pytest.mark.tf
def test_generators_and_py_datasets_train_as_in_keras(tmp_path: Path) -> None:
    translated, diags = tf_(SCRIPT)
    assert "layers.Dense" not in user_code(translated), diags
    keras_report, tf_report = run_both(tmp_path, SCRIPT, translated)
    assert keras_report["loss"][0] != keras_report["loss"][1], "the test reads a trajectory"
    import numpy as np

    for key in ("loss", "val", "loss2", "ev"):
        assert tf_report[key] == pytest.approx(keras_report[key], rel=1e-5, abs=1e-6), key
    for k, t in zip(keras_report["w"], tf_report["w"]):
        np.testing.assert_allclose(t, k, rtol=1e-5, atol=1e-6)
    assert tf_report["pr"] == keras_report["pr"] and tf_report["epochs"] == keras_report["epochs"] is True
