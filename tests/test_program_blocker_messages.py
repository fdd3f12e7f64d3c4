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


_SEQUENTIAL = textwrap.dedent("""\
    import keras
    from keras import layers
    import numpy as np

    model = keras.Sequential([layers.Dense(3, activation="relu", input_shape=(4,)), layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(np.zeros((2, 4)), np.zeros((2, 2)), verbose=0)
    """)


@pytest.mark.parametrize("attr", ["input", "output"])
def test_a_sequentials_own_input_is_said_to_fail_under_keras_3(attr: str) -> None:
    """A course's feature-map cell builds ``Model(inputs=model.input, ...)`` on a trained
    Sequential: Keras 3 raises there ("has never been called and thus has no defined input",
    checked on Keras 3.15, after fit too), so the reason says the original fails as well."""
    text = _SEQUENTIAL + f"t = model.{attr}\n"
    result = translate_program(text, ast.parse(text))
    [b] = [b for b in result.blockers if f"`model.{attr}`" in b.message]
    assert "raises AttributeError in Keras 3" in b.message and f"`model.{attr}s[0]` is its graph's" in b.message, b.message


@pytest.mark.parametrize("extra", [
    "model(keras.Input((4,)))\n",  # a symbolic call gives the Sequential an input
    "model = keras.Model(keras.Input((4,)), layers.Dense(2)(keras.Input((4,))))\n",  # another model by that name
])
def test_a_sequential_called_or_rebound_keeps_the_general_reason(extra: str) -> None:
    text = _SEQUENTIAL + extra + "t = model.input\n"
    result = translate_program(text, ast.parse(text))
    assert not any("raises AttributeError in Keras 3" in b.message for b in result.blockers + result.findings)


@pytest.mark.tf
def test_keras_3_itself_raises_on_a_trained_sequentials_input() -> None:
    """The claim of the reason above, on the installed Keras."""
    namespace: dict[str, object] = {}
    exec(compile(_SEQUENTIAL, "<sequential>", "exec"), namespace)
    model = namespace["model"]
    for attr in ("input", "output"):
        with pytest.raises(AttributeError, match="has never been called"):
            getattr(model, attr)
    assert model.inputs[0] is not None
