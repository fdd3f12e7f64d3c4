"""``K = tf.keras.backend`` (the book notebooks' spelling of ``from keras import backend as K``):
read as an alias when the name is bound only by such assignments and only its functions are
used (totf/program/aliases.py), so ``K.set_value(...)``, ``K.epsilon()`` are translated from
the keras_api table and the assignment goes, as a Keras import does.

The execution test runs a script whose custom callback reads the learning rate with
``K.get_value`` and the kernel's squared norm with ``K.sum(K.square(...))`` each batch (Keras 3's
``K.set_value`` fails on an optimizer variable, so the callback assigns), with Keras and translated; weights from a seeded
NumPy generator (no zero biases); tolerance ``1e-4 * max(1, |keras|)`` on every number (the
History, the learning rate after training, predictions); the worst difference is printed.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from nested_compare import worst_relative
from program_text import run_both, tf_, user_code

TOL = 1e-4

SCRIPT = textwrap.dedent("""\
    import json

    import numpy as np
    import tensorflow as tf

    K = tf.keras.backend


    class ExponentialDecay(tf.keras.callbacks.Callback):
        def __init__(self, n_steps=40):
            super().__init__()
            self.n_steps = n_steps
            self.seen = []

        def on_batch_begin(self, batch, logs=None):
            lr = K.get_value(self.model.optimizer.learning_rate)
            self.model.optimizer.learning_rate.assign(lr * 0.1 ** (1 / self.n_steps))
            self.seen.append(float(K.sum(K.square(self.model.layers[0].kernel))))


    rng = np.random.default_rng(17)
    x = rng.normal(size=(64, 4)).astype("float32")
    y = (x[:, :1] * 0.5 - x[:, 3:] + 0.05 * rng.normal(size=(64, 1))).astype("float32")
    model = tf.keras.Sequential([tf.keras.layers.Dense(6, activation="tanh", input_shape=[4]), tf.keras.layers.Dense(1)])
    model.set_weights([rng.normal(0, 0.5, w.shape).astype("float32") + 0.05 for w in model.get_weights()])
    model.compile(loss="mse", optimizer=tf.keras.optimizers.SGD(learning_rate=0.05, momentum=0.9))
    decay = ExponentialDecay()
    history = model.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0, callbacks=[decay])
    K = tf.keras.backend  # a later cell says it again
    scale = K.epsilon() * 1e7
    with open(OUT, "w") as f:
        json.dump({"history": history.history, "lr": float(K.get_value(model.optimizer.learning_rate)),
                   "scale": scale, "seen": decay.seen, "predicted": model.predict(x[:8], verbose=0).tolist()}, f)
    """)


def test_the_alias_goes_and_its_functions_are_translated() -> None:
    out, diags = tf_(SCRIPT)
    code = user_code(out)
    assert "K = " not in code and "K." not in code and "keras" not in code, code
    assert "lr = _backend_get_value(self.model.optimizer.learning_rate)" in code  # a non-tensor comes back as itself
    assert "tf.reduce_sum(tf.square(self.model.layers[0].kernel))" in code
    assert not [d for d in diags if d.startswith(("XL30", "XL1", "XL2"))], diags
    again, _ = tf_(out)
    assert again == out


@pytest.mark.parametrize("change, why", [
    # the name means something else somewhere: not an alias, the module stays a value
    ("def f(K):\n    return K\n", "`keras.backend` has no TensorFlow translation"),
    # the module itself is passed on
    ("print(K)\n", "`keras.backend` has no TensorFlow translation"),
    # a function the table does not translate: the code using it stays Keras, and so does the alias
    ("K.reset_uids()\n", "`keras.backend.reset_uids`"),
])
def test_what_the_alias_reading_does_not_take(change: str, why: str) -> None:
    out, diags = tf_(SCRIPT + change)
    assert any(why in d for d in diags), diags
    assert "K = tf.keras.backend" in user_code(out)


@pytest.mark.tf
def test_executed_the_callback_with_the_backend_alias_matches_keras(tmp_path: Path) -> None:
    translated, _ = tf_(SCRIPT)
    keras_report, tf_report = run_both(tmp_path, SCRIPT, translated)
    worst = worst_relative(keras_report, tf_report, TOL)
    print(f"\nK.get_value / K.sum / K.square in a callback: worst relative difference {worst:.1e} (tolerance {TOL:g})")
    assert tf_report["lr"] < 0.05 * 0.9, "the callback decayed the learning rate"


def test_an_alias_never_read_goes_too() -> None:
    src = "import tensorflow as tf\n\nK = tf.keras.backend\nmodel = tf.keras.Sequential([tf.keras.Input((3,)), tf.keras.layers.Dense(2)])\n"
    out, diags = tf_(src + "model.layers[0].trainable = False\n")
    assert "K = " not in user_code(out) and "keras" not in user_code(out), out
    assert not [d for d in diags if d.startswith("XL3")], diags


def test_set_value_on_an_optimizer_variable_is_an_assign() -> None:
    out, _ = tf_(SCRIPT.replace("self.model.optimizer.learning_rate.assign(lr * 0.1 ** (1 / self.n_steps))",
                                "K.set_value(self.model.optimizer.learning_rate, lr * 0.1 ** (1 / self.n_steps))"))
    assert "self.model.optimizer.learning_rate.assign(lr * 0.1 ** (1 / self.n_steps))" in user_code(out)


def test_backend_functions_in_a_file_without_tensorflow_import_it() -> None:
    """A course's helper file imports only ``tensorflow.keras.backend as K`` (and a Keras
    class it keeps): its ``K.exp``/``K.sum`` become TensorFlow ops, and ``import tensorflow as
    tf`` comes with them (it was missing: the output failed with a NameError on ``tf``)."""
    from kerastf_xlate.totf import translate

    source = textwrap.dedent("""\
        import numpy as np
        import tensorflow.keras.backend as K
        from tensorflow.keras.models import Model


        def softmax(x, axis=1):
            e = K.exp(x - K.max(x, axis=axis, keepdims=True))
            return e / K.sum(e, axis=axis, keepdims=True)


        def attention_map(modelx):
            return Model(modelx.inputs, [modelx.layers[7].output])
        """)
    out = translate(source, "nmt_utils.py")[0]
    assert "import tensorflow as tf\n" in out and "K." not in out and "tf.exp(" in out
    assert out.index("import tensorflow as tf") < out.index("def softmax")
    assert translate(out, "nmt_utils.py")[0] == out
    namespace: dict[str, object] = {}
    exec(compile(out.replace("from tensorflow.keras.models import Model\n", ""), "nmt_utils.py", "exec"), namespace)
    import numpy as np

    got = np.asarray(namespace["softmax"](np.array([[1.0, 2.0, 3.0]], dtype="float32")))  # type: ignore[operator]
    np.testing.assert_allclose(got[0], np.exp([1, 2, 3]) / np.exp([1, 2, 3]).sum(), rtol=1e-6)
