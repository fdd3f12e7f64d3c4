"""A model given to a function of the program's own other modules (docs/design.md, "A model
given to the program's own modules"; issue #13).

Course notebooks and book chapters keep their helpers beside them (``vae_utils.py``,
``lib/gan.py``, ``plot_utils.py``) and hand the model over: ``morph_faces(data, vae)``,
``gan.plot_images(generator, ...)``. Such a module is read (never imported) and the function
judged as the file's own functions are. The helpers below are written after reading such
code (a generative-models book's VAE utilities, a GAN book's plotting helpers, a course's
grader helpers), not copied.

The execution test runs the script and its translation, each beside the helper module, in
their own processes: weights perturbed (kernels scaled by their fan-in, vectors in
[0.1, 0.5], in the model's own ``get_weights()`` order), one training step, then the helpers.
Tolerance: ``1e-5 * (1 + max |keras|)`` per array; the worst difference is printed.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from nested_compare import worst_absolute
from program_text import run_both, script_head, user_code

from kerastf_xlate.totf import translate
from kerastf_xlate.totf.program.bundle import BANNER

ATOL = 1e-5

HELPERS = textwrap.dedent("""\
    import numpy as np


    def sample_images(generator, latent_dim, n=4, seed=0):
        noise = np.random.default_rng(seed).normal(size=(n, latent_dim)).astype("float32")
        images = generator.predict(noise, verbose=0)
        return images.reshape((n, -1))


    def codes_and_scores(models, x, y):
        encoder, classifier = models
        codes = encoder.predict(x, verbose=0)
        scores = [m.evaluate(codes, y, verbose=0) for m in [classifier]]
        return {"codes": codes, "scores": scores, "params": describe(classifier)}


    def describe(model):
        print(model)
        return model.count_params()
    """)

SCRIPT = script_head(71) + textwrap.dedent("""\
    from keras.layers import Dense, Input, Reshape
    from keras.models import Model, Sequential

    import plot_utils
    from plot_utils import codes_and_scores


    latent_dim = 3
    inputs = Input(shape=(latent_dim,))
    x = Dense(8, activation="relu")(inputs)
    x = Dense(16, activation="sigmoid")(x)
    outputs = Reshape((4, 4, 1))(x)
    generator = Model(inputs, outputs, name="generator")
    generator.compile(optimizer="sgd", loss="mse")
    moved(generator)

    encoder = Sequential([Input(shape=(6,)), Dense(5, activation="tanh"), Dense(latent_dim)])
    classifier = Sequential([Input(shape=(latent_dim,)), Dense(2, activation="softmax")])
    classifier.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    moved(encoder)
    moved(classifier)

    x = rng.uniform(0, 1, (8, 6)).astype("float32")
    y = (np.arange(8) % 2).astype("int32")
    noise = rng.normal(size=(8, latent_dim)).astype("float32")
    generator.train_on_batch(noise, rng.uniform(0, 1, (8, 4, 4, 1)).astype("float32"))
    found = codes_and_scores((encoder, classifier), x, y)
    json.dump({
        "images": arrays(plot_utils.sample_images(generator, latent_dim)),
        "codes": arrays(found["codes"]), "scores": arrays(found["scores"]), "params": found["params"],
    }, open(OUT, "w"))
    """)


def _translate_beside(tmp_path: Path, script: str, helpers: str, name: str = "plot_utils") -> tuple[str, list[str]]:
    (tmp_path / f"{name}.py").write_text(helpers)
    main = tmp_path / "main.py"
    main.write_text(script)
    out, diags = translate(script, str(main))
    return out, [f"{d.code} {d.message}" for d in diags]


def test_a_helper_module_beside_the_file_is_followed(tmp_path: Path) -> None:
    out, diags = _translate_beside(tmp_path, SCRIPT, HELPERS)
    assert BANNER in out, diags
    assert not any("outside this file" in d or "plot_utils" in d for d in diags), diags
    assert "keras." not in user_code(out).replace("tf.keras", ""), diags


def test_without_its_folder_the_helper_cannot_be_checked() -> None:
    """From standard input (no file, no folder) the helper's code is not there to read."""
    out, diags = translate(SCRIPT, "<stdin>")
    assert BANNER not in out
    assert any("`plot_utils.sample_images` is given it and is defined outside this file" in d.message for d in diags), diags


@pytest.mark.tf
def test_a_helper_module_runs_on_the_translated_model(tmp_path: Path) -> None:
    translated, diags = _translate_beside(tmp_path, SCRIPT, HELPERS)
    assert BANNER in translated, diags
    keras_report, tf_report = run_both(tmp_path, SCRIPT, translated)  # both import plot_utils.py there
    assert keras_report["params"] == tf_report["params"] == 8
    worst = worst_absolute(keras_report, tf_report, ATOL)
    print(f"\nmodels given to a helper module: worst |tf - keras| {worst:.1e} (tolerance {ATOL} * (1 + max |keras|))")


_SMALL = """\
    from keras.layers import Dense, Input
    from keras.models import Sequential

    import helpers

    model = Sequential([Input(shape=(4,)), Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    helpers.report(model)
    """


@pytest.mark.parametrize("helper, why", [
    ("def report(model):\n    model.save('model.h5')\n",
     "`report` (`helpers.py`, line 1) reads `model.save`, a Keras model API the translated model does not have"),
    ("def report(model):\n    model.compile(optimizer='adam', loss='mse')\n    return model\n",
     "`report` (`helpers.py`, line 1) returns the model"),
    ("from keras.layers import Dense\n\n\ndef report(model):\n    return [type(layer) == Dense for layer in model.layers]\n",
     "`report` (`helpers.py`, line 4) names a Keras API (`Dense`) where it takes the model"),
    ("import tensorflow as tf\n\n\ndef report(model):\n    tf.keras.utils.plot_model(model)\n",
     "names a Keras API (`tf.keras`) where it takes the model"),
    ("REGISTRY = []\n\n\ndef report(model):\n    REGISTRY.append(model)\n",
     "`report` (`helpers.py`, line 4) gives the model to `REGISTRY.append`, which is not followed"),
    ("import other\n\n\ndef report(model):\n    other.save_all(model)\n",
     "gives the model to `other.save_all`, which is not followed"),
    ("def report(model):\n    _save(model)\n\n\ndef _save(m):\n    m.to_json()\n",
     "`_save` (`helpers.py`, line 5) reads `m.to_json`, a Keras model API the translated model does not have"),
    ("def report(*models):\n    pass\n",
     "`helpers.report` (`helpers.py`, line 1) is given it through `*args` or `**kwargs`"),
    ("def something_else(model):\n    pass\n",
     "`helpers.report` is given it and is defined outside this file"),
    # a Keras data utility given the model itself is a Keras function, not followed
    ("from tensorflow.keras.utils import to_categorical\n\n\ndef report(model):\n    return to_categorical(model)\n",
     "`report` (`helpers.py`, line 4) gives the model to `to_categorical`, which is not followed"),
    ("import tensorflow as tf\n\n\ndef report(model):\n    return tf.keras.utils.to_categorical(model)\n",
     "gives the model to `tf.keras.utils.to_categorical`, which is not followed"),
    # the backend is not a data utility
    ("from keras import backend as K\n\n\ndef report(model):\n    K.clear_session()\n    print(model)\n",
     "`report` (`helpers.py`, line 4) names a Keras API (`K`) where it takes the model"),
    ("import keras\n\n\ndef report(model):\n    keras.utils.plot_model(model)\n",
     "names a Keras API (`keras`) where it takes the model"),
])
def test_a_helper_that_needs_keras_keeps_the_model(tmp_path: Path, helper: str, why: str) -> None:
    out, diags = _translate_beside(tmp_path, textwrap.dedent(_SMALL), helper, name="helpers")
    assert BANNER not in out
    assert any(why in d for d in diags), diags


def test_a_helper_given_the_model_through_another_module(tmp_path: Path) -> None:
    """Two modules deep: ``helpers.report`` hands the model to ``metrics.count``."""
    (tmp_path / "metrics.py").write_text("def count(m):\n    return m.count_params()\n")
    out, diags = _translate_beside(tmp_path, textwrap.dedent(_SMALL),
                                   "import metrics\n\n\ndef report(model):\n    print(metrics.count(model))\n",
                                   name="helpers")
    assert BANNER in out, diags


def test_a_star_import_of_a_helper_module(tmp_path: Path) -> None:
    """``from nmt_utils import *`` then ``plot_attention_map(model, ...)`` (a course's notebooks)."""
    script = textwrap.dedent(_SMALL).replace("import helpers\n", "from helpers import *\n").replace(
        "helpers.report(model)", "report(model)")
    out, diags = _translate_beside(tmp_path, script, "def report(model):\n    return model.predict([[1.0, 2.0, 3.0, 4.0]])\n",
                                   name="helpers")
    assert BANNER in out, diags


def test_a_package_module_found_from_a_folder_above(tmp_path: Path) -> None:
    """``from notebooks.utils import display`` in ``notebooks/03_vae/vae.py``: run from the
    repository root, the package is two folders up."""
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "__init__.py").write_text("")
    (tmp_path / "notebooks" / "utils.py").write_text("def show(model):\n    model.summary()\n")
    folder = tmp_path / "notebooks" / "03_vae"
    folder.mkdir()
    script = textwrap.dedent(_SMALL).replace("import helpers\n", "from notebooks.utils import show\n").replace(
        "helpers.report(model)", "show(model)")
    main = folder / "vae.py"
    main.write_text(script)
    out, diags = translate(script, str(main))
    assert BANNER in out, [d.message for d in diags]


def test_the_command_reads_helpers_for_one_file_and_for_a_directory(tmp_path: Path) -> None:
    """``xlate to-tf main.py`` and ``xlate to-tf folder/`` both read ``helpers.py`` beside
    ``main.py``, found as Python finds it; the directory run then groups the two files as
    they share no model code, and a second run over its output changes nothing."""
    import subprocess
    import sys

    src = tmp_path / "src"
    src.mkdir()
    (src / "helpers.py").write_text("def report(model):\n    return model.count_params()\n")
    (src / "main.py").write_text(textwrap.dedent(_SMALL))
    one = subprocess.run([sys.executable, "-m", "kerastf_xlate", "to-tf", str(src / "main.py"), "-o", str(tmp_path / "one.py")],
                         capture_output=True, text=True)
    assert one.returncode == 0 and BANNER in (tmp_path / "one.py").read_text(), one.stderr
    out, again = tmp_path / "out", tmp_path / "again"
    tree = subprocess.run([sys.executable, "-m", "kerastf_xlate", "to-tf", str(src), "-o", str(out)],
                          capture_output=True, text=True)
    assert tree.returncode == 0, tree.stderr
    assert (out / "main.py").read_text() == (tmp_path / "one.py").read_text()
    assert (out / "helpers.py").read_bytes() == (src / "helpers.py").read_bytes()
    second = subprocess.run([sys.executable, "-m", "kerastf_xlate", "to-tf", str(out), "-o", str(again)],
                            capture_output=True, text=True)
    assert second.returncode == 0, second.stderr
    assert {p.name: p.read_bytes() for p in again.iterdir()} == {p.name: p.read_bytes() for p in out.iterdir()}


def test_a_directory_of_assignments_each_with_its_own_grader(tmp_path: Path) -> None:
    """A course puts a ``helpers.py`` in every assignment's folder. Each file is judged with its
    own folder's module, as Python imports it: the first grader compares layer types with Keras's
    classes, so that model stays Keras; the second only counts parameters, so that model is
    translated. A second run over the output changes nothing (the run used to take one folder's
    module for both, and a second run then translated what the first had kept)."""
    import subprocess
    import sys

    src, out, again = tmp_path / "src", tmp_path / "out", tmp_path / "again"
    graders = {"week1": "from keras.layers import Dense\n\n\ndef report(model):\n"
                        "    return [type(layer) == Dense for layer in model.layers]\n",
               "week2": "def report(model):\n    return model.count_params()\n"}
    for week, grader in graders.items():
        (src / week).mkdir(parents=True)
        (src / week / "helpers.py").write_text(grader)
        (src / week / "main.py").write_text(textwrap.dedent(_SMALL))
    first = subprocess.run([sys.executable, "-m", "kerastf_xlate", "to-tf", str(src), "-o", str(out)],
                           capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    assert (out / "week1" / "main.py").read_text() == textwrap.dedent(_SMALL)
    assert "`report` (`helpers.py`, line 4)" in first.stderr, first.stderr
    assert BANNER in (out / "week2" / "main.py").read_text()
    for week in graders:
        assert (out / week / "helpers.py").read_text() == graders[week]
    second = subprocess.run([sys.executable, "-m", "kerastf_xlate", "to-tf", str(out), "-o", str(again)],
                            capture_output=True, text=True)
    assert second.returncode == 0, second.stderr
    assert {p.relative_to(again): p.read_bytes() for p in again.rglob("*.py")} == \
           {p.relative_to(out): p.read_bytes() for p in out.rglob("*.py")}


# A course's music helper, written after reading it: the model's predictions one-hot encoded
# with Keras's `to_categorical`, a data utility that never sees the model.
SAMPLER = textwrap.dedent("""\
    import numpy as np
    import tensorflow as tf
    from tensorflow.keras.utils import to_categorical
    from keras.preprocessing.sequence import pad_sequences


    def predict_and_sample(model, x):
        pred = model.predict(x, verbose=0)
        indices = np.argmax(pred, axis=-1)
        padded = pad_sequences([list(indices)], maxlen=8)
        return to_categorical(indices, num_classes=3), tf.keras.utils.to_categorical(padded[0], 3), indices
    """)

SAMPLED = script_head(73) + textwrap.dedent("""\
    from keras.layers import Dense, Input
    from keras.models import Model

    from sampler import predict_and_sample

    inputs = Input(shape=(5,))
    outputs = Dense(3, activation="softmax")(Dense(4, activation="tanh")(inputs))
    model = Model(inputs, outputs)
    moved(model)
    one_hot, padded, indices = predict_and_sample(model, rng.normal(size=(6, 5)).astype("float32"))
    json.dump({"one_hot": arrays(one_hot), "padded": arrays(padded), "indices": arrays(indices)}, open(OUT, "w"))
    """)


def test_a_helper_calling_keras_data_utilities_is_followed(tmp_path: Path) -> None:
    """A helper that names Keras's data utilities (``to_categorical``, ``pad_sequences``, through
    any import spelling) but gives them arrays, not the model, takes the translated model."""
    out, diags = _translate_beside(tmp_path, SAMPLED, SAMPLER, name="sampler")
    assert BANNER in out, diags
    assert not any("sampler" in d for d in diags), diags


@pytest.mark.tf
def test_a_helper_calling_keras_data_utilities_runs_on_the_translated_model(tmp_path: Path) -> None:
    translated, diags = _translate_beside(tmp_path, SAMPLED, SAMPLER, name="sampler")
    assert BANNER in translated, diags
    keras_report, tf_report = run_both(tmp_path, SAMPLED, translated)
    assert keras_report["indices"] == tf_report["indices"]
    worst = worst_absolute(keras_report, tf_report, ATOL)
    print(f"\na helper with Keras data utilities: worst |tf - keras| {worst:.1e} (tolerance {ATOL} * (1 + max |keras|))")


def test_a_keras2_program_whose_helper_predicts_is_not_one_that_trains(tmp_path: Path) -> None:
    """Whether a Keras 2 program trains (Keras 2's BatchNormalization updates differ between
    versions, XL102) is judged on the file: a helper module that only predicts with the model
    brings the runtime's training layer (for its `predict`) but does not make the program one
    that trains (it briefly did, keeping such models)."""
    script = textwrap.dedent("""\
        from keras.layers import Dense, Input
        from keras.layers.normalization import BatchNormalization
        from keras.models import Model

        import helpers

        inputs = Input(shape=(4,))
        outputs = Dense(2)(BatchNormalization()(Dense(3)(inputs)))
        model = Model(inputs, outputs)
        print(helpers.report(model))
        """)
    out, diags = _translate_beside(tmp_path, script, "def report(model):\n    return model.predict([[1.0, 2.0, 3.0, 4.0]])\n",
                                   name="helpers")
    assert BANNER in out, diags
    assert not any("that trains" in d for d in diags), diags
    assert "def predict(" in out  # the training layer, for the helper's predict
