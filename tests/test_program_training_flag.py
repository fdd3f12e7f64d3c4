"""The ``training`` flag a functional graph gives its layers, as Keras 3 gives it.

Keras 3's ``Functional.call`` hands every operation of its graph the ``training`` value it is
called with when that is not None (``operation_fn`` in keras/src/models/functional.py), over a
value written at the call in the graph: ``x = base(inputs, training=False)`` is overridden by
``fit``'s ``training=True`` (keras-team/keras#20285). Frozen, the base's BatchNormalization runs
in inference anyway (Keras 3's BatchNormalization trains only when ``trainable``); unfrozen for
fine-tuning, it normalizes with the batch's statistics and updates its moving ones. The
runtime's graph functions used to keep the written ``False``: the fine-tuned weights and the
statistics differed from Keras (found running a keras.applications transfer-learning program
both ways). Both programs run in their own processes with the same weights; equal within 1e-6.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from program_text import max_diff, run_both, script_head, tf_

BODY = textwrap.dedent('''\
    def make_base():
        i = keras.Input((8, 8, 3))
        h = layers.Conv2D(4, 3, padding="same")(i)
        h = layers.BatchNormalization()(h)
        h = layers.ReLU(6.0)(h)
        h = layers.DepthwiseConv2D(3, padding="same")(h)
        h = layers.BatchNormalization()(h)
        return keras.Model(i, h)


    base = make_base()
    base.trainable = False
    inputs = keras.Input(shape=(8, 8, 3))
    x = base(inputs, training=FLAG)
    x = layers.GlobalAveragePooling2D()(x)
    outputs = layers.Dense(3, activation="softmax")(x)
    model = keras.Model(inputs, outputs)
    moved(model)
    images = rng.uniform(-1, 1, (16, 8, 8, 3)).astype("float32")
    labels = rng.integers(0, 3, 16)
    model.compile(optimizer=keras.optimizers.SGD(0.05), loss="sparse_categorical_crossentropy")
    model.fit(images, labels, batch_size=8, epochs=1, shuffle=False, verbose=0)
    frozen = [w.tolist() for w in base.layers[-1].get_weights()]
    base.trainable = True
    for layer in base.layers[:-2]:
        layer.trainable = False
    model.compile(optimizer=keras.optimizers.SGD(0.05), loss="sparse_categorical_crossentropy")
    history = model.fit(images, labels, batch_size=8, epochs=1, shuffle=False, verbose=0)
    report = {
        "frozen": frozen,
        "loss": history.history["loss"],
        "predict": model.predict(images[:4], verbose=0).tolist(),
        "inference": model(images[:4], training=False).numpy().tolist(),
        "weights": [w.tolist() for w in model.get_weights()],
    }
    json.dump(report, open(OUT, "w"))
''')


@pytest.mark.tf
@pytest.mark.parametrize("flag", ["False", "None"])
def test_fit_trains_an_unfrozen_base_called_with_training_false_as_keras_3_does(tmp_path: Path, flag: str) -> None:
    src = script_head(5) + BODY.replace("FLAG", flag)
    out, diags = tf_(src)
    assert "import keras" not in out, diags
    expected, got = run_both(tmp_path, src, out)
    # the unfrozen BatchNormalization's moving statistics (its last two weights) moved in Keras
    assert max_diff(expected["frozen"][2:], expected["weights"][-4:-2]) > 1e-4
    worst = max(max_diff(expected[k], got[k]) for k in ("loss", "predict", "inference"))
    worst = max(worst, *(max_diff(a, b) for a, b in zip(expected["weights"], got["weights"], strict=True)))
    print(f"\nbase(inputs, training={flag}), unfrozen and fit: worst |tf - keras| {worst:.1e} (tolerance 1e-6)")
    assert worst <= 1e-6
