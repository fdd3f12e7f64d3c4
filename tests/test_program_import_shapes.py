"""Import shapes of real model libraries and notebooks (issue #13), our own cases written after
reading them:

- a library that imports its layers under a condition (``if TF: from tensorflow.keras.layers
  import ... else: from keras.layers import ...``): both branches lose every import, and each
  keeps a ``pass``. The program form did not parse before ("expected an indented block"), so
  the file stayed as it was with an internal error;
- ``get_source_inputs`` imported from ``keras.utils`` (keras.applications-like builders that
  take ``input_tensor=``): the runtime's function of that name replaces it, so the import goes.
  It kept the builder Keras ("stays a Keras name here and is also a name of the TensorFlow
  layers the file needs");
- ``import tensorflow`` without an alias (a GAN book spells ``tensorflow.keras.layers.Dense``):
  the program form adds ``import tensorflow as tf`` where nothing else binds ``tf``. The
  file-level form (tried where the program form is blocked) refused such a file outright with
  "import it as `tf`", which hid the program form's real reasons; now it refuses only a file
  that binds ``tf`` itself.

Executed against Keras with moved, perturbed weights (tolerance 1e-5; the worst difference is
printed).
"""

from __future__ import annotations

import ast
import os
import textwrap
from pathlib import Path

import numpy as np
import pytest
from program_text import run_both, script_head, user_code

from kerastf_xlate.totf import translate
from kerastf_xlate.totf.program.imports import drop_unused_keras_imports

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

CONDITIONAL = script_head(11).replace("import keras\nfrom keras import layers\n", "") + textwrap.dedent("""\
    USE_TF_KERAS = False
    if USE_TF_KERAS:
        from tensorflow.keras.layers import BatchNormalization, Dense, Input
        from tensorflow.keras.models import Model
        from tensorflow.keras.utils import get_source_inputs
    else:
        from keras.layers import BatchNormalization, Dense, Input
        from keras.models import Model
        from keras.utils import get_source_inputs


    def block(x, units):
        x = Dense(units, activation="relu")(x)
        return BatchNormalization()(x)


    def build(input_tensor=None, units=(5, 3)):
        inputs = Input((6,)) if input_tensor is None else input_tensor
        x = inputs
        for n in units:
            x = block(x, n)
        if input_tensor is not None:
            inputs = get_source_inputs(input_tensor)
        return Model(inputs, Dense(2)(x))


    report = {}
    model = build()
    moved(model)
    data = rng.normal(size=(8, 6)).astype("float32")
    report["out"] = arrays(model(data))
    report["train"] = arrays(model(data, training=True))
    json.dump(report, open(OUT, "w"))
    """)


def test_blocks_of_imports_that_all_go_keep_a_pass() -> None:
    text = textwrap.dedent("""\
        import numpy as np
        if np:
            from keras.layers import Dense
            from keras.models import Model
        else:
            import keras.layers
            from keras import models
        try:
            from keras.layers import Input
            import keras.backend as K
        except ImportError:
            pass
        x = 1
        """)
    out = drop_unused_keras_imports(text)
    ast.parse(out)
    assert out.count("pass") == 4 and "keras" not in out, out  # the handler's own and three
    # a block that keeps anything does not get one
    kept = drop_unused_keras_imports(text + "K.epsilon()\n")
    assert kept.count("pass") == 3 and "    import keras.backend as K\n" in kept, kept
    assert "Input" not in kept, kept


@pytest.mark.tf
def test_executed_conditional_imports_and_get_source_inputs(tmp_path: Path) -> None:
    translated, diags = translate(CONDITIONAL, "m.py")
    code = user_code(translated)
    assert "keras" not in code.replace("USE_TF_KERAS", ""), (code, diags)
    assert code.count("pass") == 2 and "get_source_inputs(input_tensor)" in code, code
    keras_report, tf_report = run_both(tmp_path, CONDITIONAL, translated)
    worst = max(float(np.max(np.abs(np.asarray(keras_report[k]) - np.asarray(tf_report[k])))) for k in ("out", "train"))
    print(f"worst difference {worst:.3g}")
    assert worst <= 1e-5, worst


PLAIN_TENSORFLOW = textwrap.dedent("""\
    import json
    import numpy as np
    import tensorflow

    rng = np.random.default_rng(12)
    inputs = tensorflow.keras.layers.Input(shape=(6,))
    x = tensorflow.keras.layers.Dense(5, activation="relu")(inputs)
    x = tensorflow.keras.layers.BatchNormalization()(x)
    model = tensorflow.keras.models.Model(inputs, tensorflow.keras.layers.Dense(2)(x))
    model.set_weights([(rng.standard_normal(w.shape) / np.sqrt(np.prod(w.shape[:-1])) if w.ndim > 1
                        else rng.uniform(0.1, 0.5, w.shape)).astype("float32") for w in model.get_weights()])
    data = rng.normal(size=(8, 6)).astype("float32")
    report = {"out": np.asarray(model(data)).tolist(),
              "sum": float(tensorflow.reduce_sum(model(data, training=True)))}
    json.dump(report, open(OUT, "w"))
    """)


def test_a_file_that_binds_tf_itself_stays_keras_with_the_reason() -> None:
    for binding in ("tf = None\n", "import numpy as tf\n"):
        text = PLAIN_TENSORFLOW + binding
        out, diags = translate(text, "m.py")
        assert out == text
        assert any("binds `tf` to something else" in d.message for d in diags), diags


@pytest.mark.tf
def test_executed_tensorflow_imported_without_an_alias(tmp_path: Path) -> None:
    translated, diags = translate(PLAIN_TENSORFLOW, "m.py")
    code = user_code(translated)
    assert "keras" not in code and "import tensorflow as tf\n" in translated, (code, diags)
    keras_report, tf_report = run_both(tmp_path, PLAIN_TENSORFLOW, translated)
    worst = max(float(np.max(np.abs(np.asarray(keras_report[k]) - np.asarray(tf_report[k])))) for k in ("out", "sum"))
    print(f"worst difference {worst:.3g}")
    assert worst <= 1e-5, worst
