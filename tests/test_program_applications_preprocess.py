"""keras.applications in the program form: ``preprocess_input`` is translated (exact
arithmetic; the table's entries are executed on tensors by tests/test_keras_api.py, and on
NumPy arrays here), ``decode_predictions`` stays a Keras utility (XL309), and a model builder
used inside a program keeps the file Keras with a message that says why."""

from __future__ import annotations

import ast
import itertools
import textwrap

import pytest

from kerastf_xlate.totf.program.translate import translate_program


def _program(text: str):  # type: ignore[no-untyped-def]
    return translate_program(text, ast.parse(text))


SOURCE = textwrap.dedent("""\
    import keras
    from keras import layers
    from keras.applications.resnet50 import preprocess_input, decode_predictions
    from keras.applications import mobilenet_v2

    inputs = keras.Input((8, 8, 3))
    x = preprocess_input(inputs)
    x = mobilenet_v2.preprocess_input(x)
    outputs = layers.Dense(2)(layers.GlobalAveragePooling2D()(x))
    model = keras.Model(inputs, outputs)
    to_unit = keras.applications.densenet.preprocess_input
    labels = decode_predictions
    """)


def test_preprocess_input_is_translated_and_decode_predictions_stays_keras() -> None:
    result = _program(SOURCE)
    assert result.text is not None, [b.message for b in result.blockers]
    out = result.text
    assert "x = preprocess_input_caffe(inputs)" in out and "x = preprocess_input_tf(x)" in out
    assert "to_unit = preprocess_input_torch" in out
    assert "from keras.applications.resnet50 import decode_predictions\n" in out
    assert "mobilenet_v2" not in out
    assert [(f.code, f.message.split("`")[1]) for f in result.findings] == [
        ("XL309", "keras.applications.resnet50.decode_predictions")]
    again = _program(out)
    assert again.text is None or again.text == out


def test_a_backbone_inside_a_program_is_translated_from_keras_s_source() -> None:
    """tests/test_program_user_applications.py executes such a backbone against Keras."""
    line = "base = keras.applications.ResNet50V2(include_top=False, weights=None)\n"
    text = SOURCE + line
    result = _program(text)
    assert result.text is not None and not result.partial, result.blockers
    assert "base = _xlate_keras_app_resnet_v2.ResNet50V2(include_top=False, weights=None)" in result.text
    [b] = [b for b in result.findings if "ResNet50V2" in b.message]
    assert b.code == "XL309" and "translated from the installed Keras's source" in b.message


@pytest.mark.tf
@pytest.mark.parametrize("mode, data_format, rank, dtype", list(itertools.product(
    ["caffe", "tf", "torch"], ["channels_last", "channels_first"], [3, 4], ["uint8", "float32", "float64"])))
def test_numpy_inputs_like_keras(mode: str, data_format: str, rank: int, dtype: str) -> None:
    """NumPy arrays: the same type, dtype and values as Keras (exact: the same float
    arithmetic), and the caller's array changed in place exactly as Keras changes it."""
    import numpy as np
    from keras.applications import imagenet_utils

    from kerastf_xlate.totf.program.bundle import load_runtime

    ns: dict = {}
    exec(compile("import tensorflow as tf\n" + load_runtime().source({"imagenet_preprocess_input"}, banner=False),
                 "<runtime>", "exec"), ns)
    shape = (2, 5, 4, 3)[4 - rank:] if data_format == "channels_last" else (2, 3, 5, 4)[4 - rank:]
    base = (np.random.default_rng(0).uniform(0, 255, size=shape)).astype(dtype)
    theirs_in, ours_in = base.copy(), base.copy()
    theirs = imagenet_utils.preprocess_input(theirs_in, data_format=data_format, mode=mode)
    ours = ns["imagenet_preprocess_input"](ours_in, data_format=data_format, mode=mode)
    assert type(ours) is type(theirs) and ours.dtype == theirs.dtype and ours.shape == theirs.shape
    assert np.array_equal(ours, theirs), float(np.max(np.abs(ours - theirs)))
    assert np.array_equal(ours_in, theirs_in)  # the in-place changes (a float input) are Keras's
    if dtype != "uint8":
        assert not np.array_equal(ours_in, base)  # negative control: the input did change


@pytest.mark.tf
def test_the_comparison_catches_a_wrong_channel_order() -> None:
    """Negative control: caffe mode without the RGB to BGR flip differs from Keras."""
    import numpy as np
    from keras.applications import imagenet_utils

    x = np.random.default_rng(1).uniform(0, 255, size=(2, 4, 4, 3)).astype("float32")
    flipped = imagenet_utils.preprocess_input(x.copy(), mode="caffe")
    unflipped = x.copy() - np.array([103.939, 116.779, 123.68], dtype="float32")
    assert not np.array_equal(flipped, unflipped)
