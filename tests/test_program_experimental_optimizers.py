"""tf.keras 2.9-2.15's ``keras.optimizers.experimental.<Optimizer>`` were the new optimizers
that tf.keras 2.11 made ``keras.optimizers.<Optimizer>`` and Keras 3 kept: the program form
translates them as the runtime's optimizers of those names. The installed Keras 3 lacks the
``experimental`` spelling, so the translation is executed against the same program written
with Keras 3's spelling: two epochs of ``fit`` from the same perturbed weights, the weights
after training compared (atol = rtol = 1e-5, float32; the worst difference printed)."""

from __future__ import annotations

import ast
import textwrap

import pytest

from kerastf_xlate.totf.program.translate import translate_program

PROGRAM = textwrap.dedent("""\
    import numpy as np
    import keras
    from keras.optimizers.experimental import SGD

    inputs = keras.Input((4,))
    x = keras.layers.Dense(8, activation="tanh")(inputs)
    outputs = keras.layers.Dense(2)(x)
    model = keras.Model(inputs, outputs)
    rng = np.random.default_rng(0)
    x_train = rng.normal(size=(16, 4)).astype("float32")
    y_train = rng.normal(size=(16, 2)).astype("float32")


    def train(model, optimizer):
        model.compile(optimizer=optimizer, loss="mse")
        model.fit(x_train, y_train, epochs=2, batch_size=4, shuffle=False, verbose=0)


    def adamw():
        return keras.optimizers.experimental.AdamW(learning_rate=0.01, weight_decay=0.05, beta_1=0.8)


    def sgd():
        return SGD(learning_rate=0.05, momentum=0.9, nesterov=True)
    """)


def _translated() -> str:
    result = translate_program(PROGRAM, ast.parse(PROGRAM))
    assert result.text is not None, [b.message for b in result.blockers]
    return result.text


def test_the_experimental_spelling_translates() -> None:
    out = _translated()
    assert "return AdamW(learning_rate=0.01" in out and "keras" not in out.split("# --- end of the layers")[1]
    again = translate_program(out, ast.parse(out))
    assert again.text is None or again.text == out


@pytest.mark.tf
@pytest.mark.parametrize("make", ["adamw", "sgd"])
def test_trains_like_keras_3(make: str) -> None:
    import numpy as np

    from kerastf_xlate.testing.perturb import perturb_weights

    keras3 = PROGRAM.replace("from keras.optimizers.experimental import SGD", "from keras.optimizers import SGD")
    keras3 = keras3.replace("keras.optimizers.experimental.AdamW", "keras.optimizers.AdamW")
    k_ns: dict = {"__name__": "__experimental_keras__"}
    exec(compile(keras3, "<keras>", "exec"), k_ns)
    t_ns: dict = {"__name__": "__experimental_tf__"}
    exec(compile(_translated(), "<tf>", "exec"), t_ns)
    k, t = k_ns["model"], t_ns["model"]
    start = perturb_weights(k, seed=2)
    k.set_weights(start)
    t.set_weights(start)
    k_ns["train"](k, k_ns[make]())
    t_ns["train"](t, t_ns[make]())
    worst = 0.0
    for a, b in zip(k.get_weights(), t.get_weights()):
        worst = max(worst, float(np.max(np.abs(a - b))))
        assert np.allclose(b, a, atol=1e-5, rtol=1e-5)
    assert not np.allclose(k.get_weights()[0], start[0])  # training moved the weights
    print(f"{make}: worst max |diff| = {worst:.3g}")
