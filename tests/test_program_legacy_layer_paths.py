"""What the program form says about a ``keras.layers`` name it has no class for: a Keras 3
layer without a TensorFlow class yet (XL101), or a name Keras 3 does not export (XL102):
tf.keras 2's ``layers.experimental`` paths, as real code still imports them
(``experimental.preprocessing.StringLookup``, ``experimental.RandomFourierFeatures``), which
fail under Keras 3 before any translation. The model stays Keras either way.

Except tf.keras 2's aliases of Keras's own layers: in tf.keras 2.6-2.15 every
``layers.experimental.preprocessing.<Name>`` (``RandomFlip``, ``Rescaling``, ``Normalization``,
``StringLookup``...) and ``layers.experimental.EinsumDense`` is the class ``layers.<Name>``,
exported under both paths, as the 2020-2021 tutorials and courses import it. Those translate as
``keras.layers.<Name>``: the translation runs as the same program spelled with Keras 3's paths."""

from __future__ import annotations

import ast
import textwrap

import numpy as np
import pytest

from kerastf_xlate.totf.program.translate import translate_program


@pytest.mark.parametrize("imports, layer, code, says", [
    ("from tensorflow.keras.layers.experimental import SyncBatchNormalization\n", "SyncBatchNormalization()",
     "XL102", "`SyncBatchNormalization` from `keras.layers.experimental` is tf.keras 2's, not in Keras 3"),
    ("from tensorflow.keras.layers.experimental import RandomFourierFeatures\n", "RandomFourierFeatures(8)",
     "XL102", "`RandomFourierFeatures` from `keras.layers.experimental` is tf.keras 2's, not in Keras 3"),
    ("", "layers.Recurrentish(2)", "XL102", "`Recurrentish` is not a layer of Keras 3's `keras.layers`"),
    ("", "layers.FlaxLayer()", "XL101", "`FlaxLayer` has no TensorFlow layer class yet"),
    # tf.keras 2's augmentation layer under its experimental path (a course's fine-tuning notebook)
    ("from tensorflow.keras.layers.experimental import preprocessing\n", "preprocessing.RandomHeight(0.2)",
     "XL102", "`RandomHeight` was removed in Keras 3: the original fails there"),
])
def test_a_layer_without_a_class_says_which_case_it_is(imports: str, layer: str, code: str, says: str) -> None:
    text = textwrap.dedent("""\
        import keras
        from keras import layers
        """) + imports + f"model = keras.Sequential([keras.Input((4,)), {layer}])\n"
    result = translate_program(text, ast.parse(text))
    assert result.text is None
    [b] = [b for b in result.blockers if b.code in ("XL101", "XL102")]
    assert (b.code, b.message) == (code, b.message) and says in b.message, b.message


# a tutorial-style augmentation and rescaling front end written with tf.keras 2's paths
LEGACY_PATHS = """\
import numpy as np
import tensorflow as tf
from tensorflow.keras import layers
from tensorflow.keras.layers.experimental import preprocessing
from tensorflow.keras.layers.experimental.preprocessing import Rescaling

augment = tf.keras.Sequential([preprocessing.RandomFlip("horizontal"), preprocessing.RandomZoom(0.1)])
inputs = layers.Input(shape=(8, 8, 3))
x = augment(inputs)
x = Rescaling(1.0 / 255)(x)
x = tf.keras.layers.experimental.preprocessing.Resizing(6, 6)(x)
x = layers.Conv2D(4, 3, activation="relu")(x)
x = layers.GlobalAveragePooling2D()(x)
x = tf.keras.layers.experimental.EinsumDense("ab,bc->ac", output_shape=5, bias_axes="c")(x)
outputs = layers.Dense(2)(x)
model = tf.keras.Model(inputs, outputs)
"""


def test_tf_keras_2_aliases_of_keras_layers_translate_and_run_as_keras_3s_layers(tmp_path) -> None:
    from program_text import run_both, script_head, user_code

    from kerastf_xlate.totf import translate

    out, diags = translate(LEGACY_PATHS, "m.py")
    assert "experimental" not in user_code(out) and "model = Model(" in out, diags
    assert not [d for d in diags if d.code in ("XL101", "XL301")], diags
    # each tf.keras 2 path is said once (the original fails there under Keras 3)
    assert sorted(d.message.rsplit("`", 2)[-2] for d in diags if d.code == "XL102") == [
        "keras.layers.EinsumDense", "keras.layers.RandomFlip", "keras.layers.RandomZoom", "keras.layers.Rescaling",
        "keras.layers.Resizing"], diags
    # the same program with Keras 3's paths (the original does not import under Keras 3)
    keras3 = LEGACY_PATHS.replace("from tensorflow.keras.layers.experimental import preprocessing\n", "")
    keras3 = keras3.replace("from tensorflow.keras.layers.experimental.preprocessing import Rescaling",
                            "from tensorflow.keras.layers import Rescaling")
    keras3 = keras3.replace("tf.keras.layers.experimental.preprocessing.", "layers.").replace("preprocessing.", "layers.")
    keras3 = keras3.replace("tf.keras.layers.experimental.EinsumDense", "layers.EinsumDense")
    tail = (
        "images = np.random.default_rng(1).uniform(0, 255, (4, 8, 8, 3)).astype('float32')\n"
        "if hasattr(model, 'to_json'):  # the Keras model: new weights, kept for the translation\n"
        "    moved(model)\n"
        "    json.dump({'w': arrays(model.get_weights())}, open('../w.json', 'w'))\n"
        "else:\n"
        "    model.set_weights([np.asarray(w, 'float32') for w in json.load(open('../w.json'))['w']])\n"
        "json.dump({'y': arrays(model(images, training=False)), 'keras': hasattr(model, 'to_json')}, open(OUT, 'w'))\n")
    head = script_head(0)
    (tmp_path / "run").mkdir()
    keras_report, tf_report = run_both(tmp_path / "run", head + keras3 + tail, head + out + tail)
    assert keras_report["keras"] and not tf_report["keras"]
    got, want = np.asarray(tf_report["y"]), np.asarray(keras_report["y"])
    worst = float(np.max(np.abs(got - want)))
    print(f"worst |tf - keras| = {worst:.3g} of {float(np.max(np.abs(want))):.3g}")
    assert got.shape == (4, 2) and worst <= 1e-5 * max(1.0, float(np.max(np.abs(want)))), worst


@pytest.mark.parametrize("imports, inputs, merged, says", [
    ("from keras.layers.merge import concatenate\n", "keras.Input((4,))", "concatenate([a, b])",
     "`keras.layers.merge.concatenate` is Keras 2's (Keras 3 has no `keras.layers.merge`): read as "
     "`keras.layers.concatenate`, as Keras 2 means it"),
    ("from keras.models import Input\n", "Input((4,))", "layers.concatenate([a, b])",
     "`keras.models.Input` is Keras 2's (Keras 3's `keras.models` has no `Input`): read as `keras.Input`"),
    # the model diagrams of Keras 2's `vis_utils` (book notebooks draw each model with them)
    ("from keras.utils.vis_utils import model_to_dot\n", "keras.Input((4,))",
     "layers.concatenate([a, b]))\n        dot = model_to_dot(model, show_shapes=True", "`keras.utils.vis_utils.model_to_dot` is "
     "Keras 2's (Keras 3 has no `keras.utils.vis_utils`): read as `keras.utils.model_to_dot`, as Keras 2 means it"),
])
def test_a_keras2_module_path_is_read_as_its_keras3_name(imports: str, inputs: str, merged: str, says: str) -> None:
    # Keras 2's modules Keras 3 does not have: the import fails under Keras 3, and names what
    # `keras.layers.concatenate` and `keras.Input` name in Keras 2 (tests/test_program_keras2.py
    # runs such programs under Keras 2); XL102 says so, as a note
    text = "import keras\nfrom keras import layers\n" + imports + textwrap.dedent(f"""\
        x = {inputs}
        a = layers.Dense(3)(x)
        b = layers.Dense(2)(x)
        model = keras.Model(x, {merged})
        """)
    result = translate_program(text, ast.parse(text))
    assert result.text is not None and not result.blockers, [b.message for b in result.blockers]
    assert [f.message for f in result.findings if f.code == "XL102" and says in f.message], result.findings


def test_keras2_engine_keeps_the_model() -> None:
    # Keras 2's engine (its `Layer` base, `Container`) is not Keras 3's
    text = "import keras\nfrom keras import layers\nfrom keras.engine.topology import Container\n" + textwrap.dedent("""\
        x = keras.Input((4,))
        model = keras.Model(x, Container([layers.Dense(3)(x)]))
        """)
    result = translate_program(text, ast.parse(text))
    assert result.text is None
    assert any(b.code == "XL102" and "`Container` from `keras.engine.topology` is Keras 2's, not in Keras 3" in b.message
               for b in result.blockers), [b.message for b in result.blockers]


@pytest.mark.parametrize("imports, keras2", [
    ("from keras import backend as K\n", True),
    ("import keras.backend as K\n", True),
    ("from tensorflow.keras import backend as K\n", False),
    ("K = keras.backend\n", True),
    ("K = tf.keras.backend\n", False),
    ("from tensorflow import keras as tk\nK = tk.backend\n", False),
])
def test_keras2_backend_functions_are_read_as_tf_keras_backend(imports: str, keras2: bool) -> None:
    # Keras 3's own keras.backend has no int_shape (tf.keras.backend, keras/_tf_keras, does):
    # spelled from Keras itself, the program is a Keras 2 program (it raises AttributeError under
    # Keras 3) and `K.int_shape` is Keras 2's, the table's entry (checked against tf-keras)
    text = "import keras\nimport tensorflow as tf\nfrom keras import layers\n" + imports + textwrap.dedent("""\
        x = keras.Input((4, 3))
        y = layers.Dense(K.int_shape(x)[-1] * 2)(layers.Flatten()(x))
        model = keras.Model(x, y)
        """)
    result = translate_program(text, ast.parse(text))
    assert result.text is not None and "tuple(x.shape)[-1]" in result.text, [b.message for b in result.blockers]
    says = [f.message for f in result.findings if f.code == "XL102"]
    assert says == (["`keras.backend.int_shape` is Keras 2's (Keras 3's `keras.backend` has no `int_shape`): read "
                     "as `tf.keras.backend.int_shape`, as Keras 2 means it; the original runs under Keras 2 only"]
                    if keras2 else []), says


@pytest.mark.tf
def test_the_keras3_backend_list_is_the_installed_keras() -> None:
    import keras

    from kerastf_xlate.totf.program.keras2 import KERAS3_BACKEND

    exported = {n for n in dir(keras.backend) if not n.startswith("_")}
    assert not hasattr(keras.backend, "int_shape") and hasattr(__import__("tensorflow").keras.backend, "int_shape")
    assert KERAS3_BACKEND == exported, exported ^ KERAS3_BACKEND


@pytest.mark.parametrize("extra", ["", "def n(m):\n    return len(m.layers)\n\n\nprint(n(model))\n"],
                         ids=["flat", "program"])
def test_tf_keras_2_experimental_paths_are_translated_with_a_note(extra: str) -> None:
    # Keras 3 has no `keras.layers.experimental`: the original fails there under Keras 3, and the
    # translation reads the path as Keras 3's layer of the same name; XL102 says so, in both forms
    from kerastf_xlate.totf import translate

    src = ("import tensorflow as tf\nfrom tensorflow.keras import layers\n\n"
           "model = tf.keras.Sequential([tf.keras.Input((4, 4, 1)), layers.experimental.preprocessing.Rescaling(0.5),\n"
           "                             layers.Flatten(), layers.Dense(2)])\n" + extra)
    out, diags = translate(src, "m.py")
    assert "layers.experimental" not in out and ("Rescaling(0.5)" in out or "x = x * 0.5 + 0.0" in out), out
    notes = [d for d in diags if d.code == "XL102"]
    assert [d.line for d in notes] == [4] and "read as `keras.layers.Rescaling`" in notes[0].message \
        and "fails there under Keras 3" in notes[0].message, diags


def test_the_tf_keras3_missing_list_is_the_installed_keras() -> None:
    # what Keras 3's tf.keras namespace lacks that its keras namespace has (losses and metrics
    # functions tf.keras 2 had); nothing else is missing there
    pytest.importorskip("tensorflow")
    import keras
    import keras._tf_keras.keras as tf_keras3

    from kerastf_xlate.totf.program.keras2 import TF_KERAS3_MISSING

    for namespace in ("losses", "metrics", "layers", "activations", "optimizers", "callbacks", "initializers",
                      "regularizers", "models", "utils", "ops"):
        ours = {n for n in dir(getattr(keras, namespace)) if not n.startswith("_")}
        theirs = {n for n in dir(getattr(tf_keras3, namespace)) if not n.startswith("_")}
        assert ours - theirs == TF_KERAS3_MISSING.get(namespace, frozenset()), namespace


@pytest.mark.parametrize("spelled, noted", [("tf.keras.losses.mean_squared_error", True),
                                            ("keras.losses.mean_squared_error", False),
                                            ("tf.keras.losses.mse", False)])
def test_tf_keras_2_loss_functions_are_translated_with_a_note(spelled: str, noted: bool) -> None:
    from kerastf_xlate.totf import translate

    src = ("import keras\nimport tensorflow as tf\n\n"
           "model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])\n"
           f"model.compile(loss={spelled}, optimizer='sgd')\n")
    out, diags = translate(src, "m.py")
    assert "model = keras.Sequential" not in out, diags
    notes = [d for d in diags if d.code == "XL102"]
    assert bool(notes) == noted, diags
    if noted:
        assert notes[0].line == 5 and "Keras 3's `tf.keras.losses` has no `mean_squared_error`" in notes[0].message


@pytest.mark.parametrize("alias, layer", [("Deconv2D", "Conv2DTranspose"), ("Deconvolution2D", "Conv2DTranspose"),
                                          ("Deconv3D", "Conv3DTranspose")])
def test_keras2_aliases_of_transposed_convolutions_are_read_as_them(alias: str, layer: str) -> None:
    # `Deconvolution2D = Deconv2D = Conv2DTranspose` in Keras 2.2.4's and Keras-2.4.3's
    # keras/layers/convolutional.py (a GAN book's 3-D GAN builds its generator with Deconv3D);
    # Keras 3 exports neither name
    rank = 3 if "3D" in alias else 2
    shape = (2,) * rank + (1,)
    text = textwrap.dedent(f"""\
        import keras
        from keras.layers import {alias}
        from keras.models import Model

        x = keras.Input({shape})
        model = Model(x, {alias}(3, 2, strides=2)(x))
        """)
    result = translate_program(text, ast.parse(text))
    assert result.text is not None and not result.blockers, [b.message for b in result.blockers]
    assert f"{layer}(3, 2, strides=2)(x)" in result.text
    assert [f.message for f in result.findings if f.code == "XL102" and f"`keras.layers.{alias}` is Keras 2's (Keras 3's "
            f"`keras.layers` has no `{alias}`): read as `keras.layers.{layer}`" in f.message], result.findings
