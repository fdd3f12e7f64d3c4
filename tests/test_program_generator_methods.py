"""tf.keras 2's ``fit_generator`` / ``evaluate_generator`` / ``predict_generator`` on a
translated model (first-edition book notebooks train with them). Keras 3 has none; tf.keras 2.x
defined each as ``fit``/``evaluate``/``predict`` of the generator with the same arguments and
its own defaults (``verbose=0`` for evaluate and predict). The Keras side of the execution test
gets those definitions as a shim (written here from tf.keras 2's signatures), so it runs Keras
3's ``fit`` exactly as tf.keras 2's ``fit_generator`` called tf.keras 2's ``fit``.

Weights are set from a NumPy generator (no zero biases); tolerance ``1e-4 * max(1, |keras|)``
on every number (History, evaluate, predict); the worst difference is printed.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from nested_compare import worst_relative
from program_text import run_both, tf_, user_code

TOL = 1e-4

SHIM = textwrap.dedent("""\
    import keras


    def _fit_generator(self, generator, steps_per_epoch=None, epochs=1, verbose=1, callbacks=None,
                       validation_data=None, validation_steps=None, validation_freq=1, class_weight=None,
                       max_queue_size=10, workers=1, use_multiprocessing=False, shuffle=True, initial_epoch=0):
        return self.fit(generator, steps_per_epoch=steps_per_epoch, epochs=epochs, verbose=verbose, callbacks=callbacks,
                        validation_data=validation_data, validation_steps=validation_steps,
                        validation_freq=validation_freq, class_weight=class_weight, shuffle=shuffle,
                        initial_epoch=initial_epoch)


    def _evaluate_generator(self, generator, steps=None, callbacks=None, max_queue_size=10, workers=1,
                            use_multiprocessing=False, verbose=0):
        return self.evaluate(generator, steps=steps, verbose=verbose, callbacks=callbacks)


    def _predict_generator(self, generator, steps=None, callbacks=None, max_queue_size=10, workers=1,
                           use_multiprocessing=False, verbose=0):
        return self.predict(generator, steps=steps, verbose=verbose, callbacks=callbacks)


    keras.Model.fit_generator = _fit_generator
    keras.Model.evaluate_generator = _evaluate_generator
    keras.Model.predict_generator = _predict_generator
    """)

SCRIPT = textwrap.dedent("""\
    import json

    import numpy as np
    import keras
    from keras import layers

    rng = np.random.default_rng(7)
    x = rng.normal(size=(96, 5)).astype("float32")
    y = (x[:, :1] - 0.5 * x[:, 2:3] + 0.1 * rng.normal(size=(96, 1))).astype("float32")


    def batches(start, stop, size=16, labels=True):
        while True:  # as the book's generators: endless, the caller counts the steps
            for i in range(start, stop, size):
                yield (x[i:i + size], y[i:i + size]) if labels else (x[i:i + size],)


    model = keras.Sequential([keras.Input(shape=(5,)), layers.Dense(8, activation="relu"), layers.Dense(1)])
    model.set_weights([rng.normal(0, 0.5, w.shape).astype("float32") + 0.05 for w in model.get_weights()])
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse", metrics=["mae"])
    history = model.fit_generator(batches(0, 64), steps_per_epoch=4, epochs=3, verbose=0,
                                  validation_data=batches(64, 96), validation_steps=2)
    evaluated = model.evaluate_generator(batches(64, 96), steps=2)
    predicted = model.predict_generator(batches(64, 96, labels=False), steps=2)
    more = model.fit_generator(batches(0, 64), 2, 2, 0)  # positional: steps_per_epoch, epochs, verbose
    with open(OUT, "w") as f:
        json.dump({"history": history.history, "evaluated": evaluated, "predicted": predicted.tolist(),
                   "more": more.history}, f)
    """)


def test_the_generator_methods_are_translated() -> None:
    out, diags = tf_(SCRIPT)
    code = user_code(out)
    assert "model.fit_generator(batches(0, 64), steps_per_epoch=4" in code and "model = Sequential([" in code
    assert not [d for d in diags if d.startswith(("XL30", "XL1", "XL2"))], diags
    assert "import keras" not in out


def test_a_keras_only_use_beside_them_still_keeps_the_model() -> None:
    out, diags = tf_(SCRIPT + "print(model.to_json())\n")
    assert out == textwrap.dedent(SCRIPT + "print(model.to_json())\n")
    assert any(d.startswith("XL303") and "to_json" in d for d in diags), diags


@pytest.mark.tf
def test_executed_the_generator_methods_match_tf_keras_2s(tmp_path: Path) -> None:
    translated, _ = tf_(SCRIPT)
    keras_report, tf_report = run_both(tmp_path, SHIM + SCRIPT, translated)
    worst = worst_relative(keras_report, tf_report, TOL)
    print(f"\nfit/evaluate/predict_generator: worst relative difference {worst:.1e} (tolerance {TOL:g})")
    assert len(tf_report["history"]["val_loss"]) == 3 and len(tf_report["predicted"]) == 32
