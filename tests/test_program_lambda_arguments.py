"""A ``Lambda`` given ``arguments`` (keywords for its function), in the program form.

Older U-Net and attention code repeats a gating tensor along its channels with::

    layers.Lambda(lambda x, repnum: K.repeat_elements(x, repnum, axis=3),
                  arguments={"repnum": rep})(tensor)

Keras's ``Lambda.call`` passes ``arguments`` to the function as keywords (with ``mask=`` and
``training=`` when the function takes them); the runtime ``Lambda`` (tfr_core.py) does the
same, so the program form translates it. The flat form writes the function's call from a
template with the input alone and still keeps such a layer (XL202).

Executed both ways with weights perturbed in ``get_weights()`` order; tolerance
``1e-5 * (1 + max |keras|)`` per array, the worst difference printed.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from nested_compare import worst_absolute
from program_text import run_both, script_head, tf_, user_code

from kerastf_xlate.totf.program.bundle import BANNER

ATOL = 1e-5

BODY = {
    # a lambda with a keyword, its value an argument of the helper that makes the layer
    "repeat_channels": """\
        def repeat_elem(tensor, rep):
            return layers.Lambda(lambda x, repnum: K.repeat_elements(x, repnum, axis=3),
                                 arguments={"repnum": rep})(tensor)

        def build(shape):
            inputs = keras.Input(shape)
            x = layers.Conv2D(4, 3, padding="same")(inputs)
            gate = layers.Conv2D(1, 1, activation="sigmoid")(x)
            x = layers.multiply([x, repeat_elem(gate, 4)])
            outputs = layers.Conv2D(2, 1)(x)
            return keras.Model(inputs, outputs)

        model = build((8, 8, 3))
        in_shape = (8, 8, 3)
        """,
    # a function of the file with two keywords, the dict a name bound before the model
    "named_function": """\
        def scale_shift(x, scale, shift=0.0):
            return x * scale + shift

        extra = {"scale": 0.5, "shift": 0.25}
        inputs = keras.Input((6,))
        x = layers.Dense(5)(inputs)
        x = layers.Lambda(scale_shift, arguments=extra)(x)
        model = keras.Model(inputs, layers.Dense(3)(x))
        in_shape = (6,)
        """,
    # a keyword with the training flag: Keras passes `training=` because the function takes it
    "training_flag": """\
        def noisy(x, amount, training=None):
            return x + amount if training else x - amount

        model = keras.Sequential([
            keras.Input((4,)),
            layers.Dense(4),
            layers.Lambda(noisy, arguments={"amount": 1.5}),
            layers.Dense(2),
        ])
        in_shape = (4,)
        """,
}


def script(body: str) -> str:
    head = script_head(61) + "import tensorflow as tf\nK = tf.keras.backend  # Keras 3's keras.backend lacks repeat_elements\n\n"
    return head + textwrap.dedent(body) + textwrap.dedent("""\
        moved(model)
        x = rng.standard_normal((3,) + in_shape).astype("float32")
        json.dump({"out": arrays(model(x)), "train": arrays(model(x, training=True)),
                   "weights": [list(w.shape) for w in model.get_weights()]}, open(OUT, "w"))
        """)


def test_the_flat_form_still_keeps_a_lambda_with_arguments() -> None:
    out, diags = tf_("""\
        import keras
        from keras import layers
        model = keras.Sequential([keras.Input((4,)), layers.Lambda(lambda t, k: t * k, arguments={"k": 2.0})])
        """)
    assert "Lambda(lambda t, k: t * k, arguments=" in out
    assert "keras." not in user_code(out) if BANNER in out else any("XL202" in d for d in diags), diags


@pytest.mark.parametrize("case", sorted(BODY))
def test_a_lambda_with_arguments_is_translated_with_them(case: str) -> None:
    out, diags = tf_(script(BODY[case]))
    assert BANNER in out, diags
    code = user_code(out)
    assert "keras." not in code and "layers." not in code, diags
    assert "arguments=" in code


@pytest.mark.tf
@pytest.mark.parametrize("case", sorted(BODY))
def test_a_lambda_with_arguments_runs_as_keras(tmp_path: Path, case: str) -> None:
    source = script(BODY[case])
    translated, diags = tf_(source)
    assert BANNER in translated, diags
    keras_report, tf_report = run_both(tmp_path, source, translated)
    assert keras_report["weights"] == tf_report["weights"]
    if case == "training_flag":
        assert keras_report["out"] != keras_report["train"]  # the flag reaches the function
    worst = worst_absolute(keras_report, tf_report, ATOL)
    print(f"\nLambda with arguments ({case}): worst |tf - keras| {worst:.1e} (tolerance {ATOL} * (1 + max |keras|))")
