"""A file that sets Keras's global dtype policy, float type, epsilon or data format.

``mixed_precision.set_global_policy("mixed_float16")`` (a GPU training notebook's first cell)
or ``keras.backend.set_floatx("float64")`` makes every layer compute in another dtype. The
flat form writes float32 variables and ops, and it translated such a file when nothing trained
it: the module computed in float32 where Keras computes in float16 or float64 (a silent
difference); the program form took ``keras.config.set_floatx``/``set_dtype_policy``/
``set_image_data_format`` for utilities and did the same. Now the flat form leaves such a file
to the program form. There the global dtype policy is the runtime's (tests/test_program_mixed_precision.py);
the float type, epsilon and data format other than the defaults keep the file with its reason
(the keras_api table translates only the defaults); the defaults spelled out change nothing.
"""

from __future__ import annotations

import textwrap

import pytest

from kerastf_xlate.totf import translate

MODEL = textwrap.dedent("""\
    import numpy as np
    import tensorflow as tf
    from tensorflow.keras import layers, mixed_precision

    SETTER
    inputs = tf.keras.Input(shape=(6,))
    x = layers.Dense(8, activation="relu")(inputs)
    outputs = layers.Activation("softmax", dtype="float32")(layers.Dense(3)(x))
    model = tf.keras.Model(inputs, outputs)
    print(model.predict(np.ones((2, 6))))
    """)


@pytest.mark.parametrize("setter, runtime", [
    ('mixed_precision.set_global_policy("mixed_float16")', '_config_set_dtype_policy("mixed_float16")'),
    ("mixed_precision.set_global_policy(policy)", "_config_set_dtype_policy(policy)"),
    ('tf.keras.config.set_dtype_policy("bfloat16")', '_config_set_dtype_policy("bfloat16")'),
])
def test_a_global_dtype_policy_is_the_runtimes(setter: str, runtime: str) -> None:
    """The global policy is the runtime's (tests/test_program_mixed_precision.py runs such a
    program both ways); the flat form, whose classes are float32, leaves the file to it."""
    text = MODEL.replace("SETTER", ("policy = 'mixed_float16'\n" if "(policy)" in setter else "") + setter)
    out, diags = translate(text, "m.py")
    assert runtime in out and "model = Model(" in out, diags


@pytest.mark.parametrize("setter", [
    'tf.keras.backend.set_floatx("float64")',
    'tf.keras.config.set_floatx("float64")',
    'tf.keras.config.set_image_data_format("channels_first")',
    "tf.keras.backend.set_epsilon(1e-4)",
])
def test_a_global_setting_other_than_the_default_keeps_the_file(setter: str) -> None:
    text = MODEL.replace("SETTER", setter)
    out, diags = translate(text, "m.py")
    assert out == text
    assert any(d.code == "XL301" and d.line in (5, 6) for d in diags), diags


def test_float32_spelled_out_translates() -> None:
    text = MODEL.replace("SETTER", 'tf.keras.backend.set_floatx("float32")')
    out, diags = translate(text, "m.py")
    assert out != text and "model = Model(" in out and "set_floatx" not in out, diags
