"""A function of an outside package known to compute on Python values only does not keep the
model that calls it (issue #13, XL310).

Model zoos written for Keras 2.2-2.3 (a ResNeXt package, keras-contrib's applications) import
the input-shape check of keras-applications 1.0.8 directly, ``from
keras_applications.imagenet_utils import _obtain_input_shape``: the function Keras 2.2-2.3
re-exported as ``keras.applications.imagenet_utils._obtain_input_shape``, pure Python on the
builder's arguments, with no Keras import. A call of a module the run does not translate keeps
its model (it may make Keras layers); this one cannot, so the builder translates and the call
stays as it is (``imported._PURE_FUNCTIONS``). keras-applications is not installed here: the
executed case gives the program a stand-in package of that name in its folder, whose function
we wrote ourselves; the translated builder runs against Keras with moved, perturbed weights
(tolerance 1e-5, the worst difference printed).
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import numpy as np
import pytest
from program_text import run_both, script_head, user_code

from kerastf_xlate.totf import translate

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

PROGRAM = script_head(21) + textwrap.dedent("""\
    from keras_applications.imagenet_utils import _obtain_input_shape


    def body(x, widths):
        for width in widths:
            x = layers.Conv2D(width, 3, padding="same", activation="relu")(x)
            x = layers.MaxPooling2D()(x)
        return x


    def conv_net(input_shape=None, input_tensor=None, include_top=True, widths=(4, 6), classes=3):
        # (the zoo's builders, as keras.applications': the check, an Input or the caller's tensor)
        input_shape = _obtain_input_shape(input_shape, default_size=8, min_size=4,
                                          data_format="channels_last", require_flatten=include_top)
        if input_tensor is None:
            img_input = keras.Input(shape=input_shape)
        else:
            img_input = input_tensor
        x = body(img_input, widths)
        x = layers.Flatten()(x)
        if include_top:
            x = layers.Dense(classes)(x)
        if input_tensor is not None:
            inputs = keras.utils.get_source_inputs(input_tensor)
        else:
            inputs = img_input
        return keras.Model(inputs, x)


    model = conv_net()
    moved(model)
    data = rng.uniform(0, 1, (2, 8, 8, 3)).astype("float32")
    json.dump({"out": arrays(model(data))}, open(OUT, "w"))
    """)

# our stand-in for keras-applications' function: the default square shape, or the one given
STAND_IN = textwrap.dedent("""\
    def _obtain_input_shape(input_shape, default_size, min_size, data_format, require_flatten, weights=None):
        if input_shape is None:
            return (default_size, default_size, 3)
        if min(input_shape[:2]) < min_size:
            raise ValueError("Input size must be at least %d" % min_size)
        return tuple(input_shape)
    """)


def test_the_input_shape_check_does_not_keep_the_builder() -> None:
    out, diags = translate(PROGRAM, "m.py")
    code = user_code(out)
    assert not any(d.code == "XL310" for d in diags), diags
    assert "keras.Model" not in code and "layers.Conv2D" not in code, code
    assert "from keras_applications.imagenet_utils import _obtain_input_shape\n" in code
    assert "input_shape = _obtain_input_shape(input_shape, default_size=8, min_size=4," in code


@pytest.mark.parametrize("call", [
    "keras_applications.imagenet_utils.correct_pad(keras.backend, x, 3)",  # given a tensor: not on the list
    "keras_applications.resnet_common.block1(x, 4)",  # makes layers
])
def test_other_functions_of_that_package_still_keep_the_model(call: str) -> None:
    assert "    x = layers.Flatten()(x)\n" in PROGRAM
    text = PROGRAM.replace("    x = layers.Flatten()(x)\n", f"    x = {call}\n    x = layers.Flatten()(x)\n", 1)
    text = text.replace("from keras_applications.imagenet_utils import _obtain_input_shape\n",
                        "import keras_applications\nfrom keras_applications.imagenet_utils import _obtain_input_shape\n")
    out, diags = translate(text, "m.py")
    assert out == text
    assert any(d.code == "XL310" and "a module this run does not translate" in d.message for d in diags), diags


@pytest.mark.tf
def test_executed_the_builder_runs_with_the_call_kept(tmp_path: Path) -> None:
    package = tmp_path / "keras_applications"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "imagenet_utils.py").write_text(STAND_IN)
    translated, _ = translate(PROGRAM, "m.py")
    assert "keras.Model" not in user_code(translated)
    keras_report, tf_report = run_both(tmp_path, PROGRAM, translated)
    worst = float(np.max(np.abs(np.asarray(keras_report["out"]) - np.asarray(tf_report["out"]))))
    print(f"worst difference {worst:.3g}")
    assert worst <= 1e-5, worst
