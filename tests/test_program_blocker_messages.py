"""What the program form says when a Keras name keeps a file Keras: one short reason where one
covers it (configuration serialization, KerasTensor checks, dtype policies, legacy optimizers),
so the user knows what to change."""

from __future__ import annotations

import ast
import textwrap

import pytest

from kerastf_xlate.totf.program.translate import translate_program

HEAD = textwrap.dedent("""\
    import keras
    from keras import layers

    inputs = keras.Input((4,))
    outputs = layers.Dense(2)(inputs)
    model = keras.Model(inputs, outputs)
    """)


@pytest.mark.parametrize("line, name, why", [
    # a layer's config translates (tfr_serialization.py); a functional model's lists its graph
    ("config = keras.layers.serialize(model)\n", "keras.layers.serialize", "lists its layer graph"),
    ("config = keras.saving.serialize_keras_object(model)\n", "keras.saving.serialize_keras_object",
     "lists its layer graph"),
    ("def f(x):\n    return isinstance(x, keras.KerasTensor)\n", "keras.KerasTensor", "no KerasTensors"),
    ("policies = keras.dtype_policies.DTypePolicyMap()\n", "keras.dtype_policies.DTypePolicyMap",
     "dtype polic"),
    ("opt = keras.optimizers.legacy.Adamax()\n", "keras.optimizers.legacy.Adamax", "legacy optimizers"),
])
def test_the_blocker_names_the_thing_and_says_why(line: str, name: str, why: str) -> None:
    text = HEAD + line
    result = translate_program(text, ast.parse(text))
    # the statement stays Keras (the model before it is translated: a partial program) and says why
    assert result.text is None or (result.partial and line.splitlines()[0] in result.text)
    [b] = [b for b in result.blockers + result.findings if f"`{name}`" in b.message]
    assert why in b.message and b.code == ("XL304" if "optimizers" in name else "XL301")


def test_a_name_without_a_known_reason_keeps_the_short_message() -> None:
    text = HEAD + "x = keras.estimator.model_to_estimator\n"
    result = translate_program(text, ast.parse(text))
    assert [b.message for b in result.blockers + result.findings] == [
        "`keras.estimator.model_to_estimator` has no TensorFlow translation in the program form"]


def test_an_unknown_keyword_names_keras_parameters() -> None:
    from kerastf_xlate.totf.program.keras_api import Blocked, translate_call

    result = translate_call("keras.ops.image.resize", [], {"image": "x", "size": "(2, 3)"})
    assert isinstance(result, Blocked)
    assert "unexpected keyword argument 'image'" in result.reason and "are images, size, interpolation" in result.reason
