"""Partial programs (docs/design.md, "Partial programs"): a blocker keeps the top-level
statements it depends on as Keras, byte for byte, and the rest of the file is translated.

Written after book notebooks and example scripts that build several models one after the
other on the same arrays, reusing the name `model`, where one model is saved as a Keras file
or trained with a callback the translation lacks. The saved model stays Keras because these
tests translate with ``keep_keras_files`` (``to-tf --keep-keras-files``; by default such a
file is written as a TensorFlow checkpoint, tests/test_model_files.py).
"""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from program_text import run_both, script_head

from kerastf_xlate.totf import translate as translate_file
from kerastf_xlate.totf.program.names import keras_refs
from kerastf_xlate.totf.program.partial import Components
from kerastf_xlate.totf.program.translate import translate_program

DATA = textwrap.dedent("""\
    import numpy as np
    import keras
    from keras import layers

    rng = np.random.default_rng(0)
    x_train = rng.normal(size=(32, 6)).astype("float32")
    y_train = rng.normal(size=(32, 1)).astype("float32")
    """)

FIRST = textwrap.dedent("""\

    model = keras.Sequential([layers.Input((6,)), layers.Dense(5, activation="tanh"), layers.Dense(1)])
    for w in model.weights:
        w.assign(rng.normal(size=w.shape).astype("float32"))
    first_out = model(x_train[:4])
    """)

# the second model, kept: saved as a Keras model file
SECOND = textwrap.dedent("""\

    model = keras.Sequential([layers.Input((6,)), layers.Dense(3), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.save("second.keras")
    """)


def program(text: str):  # type: ignore[no-untyped-def]
    return translate_program(text, ast.parse(text), keep_keras_files=True)


def translate(text: str, path: str) -> tuple[str, list]:
    return translate_file(text, path, keep_keras_files=True)


def test_the_saved_model_stays_keras_and_the_other_is_translated() -> None:
    text = DATA + FIRST + SECOND
    result = program(text)
    assert result.text is not None and result.partial, result.blockers
    assert SECOND in result.text  # byte for byte
    assert 'model = Sequential([Input((6,)), Dense(5, activation="tanh"), Dense(1)])' in result.text
    assert "import keras\nfrom keras import layers\n" in result.text  # the kept code still needs them
    assert [f.code for f in result.findings if "save" in f.message] == ["XL306"]


def test_a_second_run_changes_nothing_and_reports_the_same_reason() -> None:
    text = DATA + FIRST + SECOND
    once, diags = translate(text, "m.py")
    twice, again = translate(once, "m.py")
    assert once != text and twice == once
    assert [d.code for d in diags if "save" in d.message] == [d.code for d in again if "save" in d.message] == ["XL306"]
    # the block of TensorFlow layers is not judged as the user's code
    assert not [d for d in again if "the file defines" in d.message]


def test_a_helper_both_models_call_keeps_both() -> None:
    """The helper's layers would be TensorFlow for one model and Keras for the other: the
    statements are linked through it, so the blocked model keeps the other one too."""
    helper = textwrap.dedent("""\

        def head(x):
            return layers.Dense(1)(x)

        a_in = keras.Input((6,))
        a = keras.Model(a_in, head(a_in))
        b_in = keras.Input((6,))
        b = keras.Model(b_in, head(layers.Dense(2)(b_in)))
        b.save("b.keras")
        """)
    text = DATA + helper
    assert program(text).text is None
    out, diags = translate(text, "m.py")
    assert out == text and any(d.code == "XL306" for d in diags)


def test_a_registered_class_keeps_the_whole_file() -> None:
    """A registration acts through Keras's global registry, which no statement shows."""
    text = DATA + textwrap.dedent("""\

        @keras.saving.register_keras_serializable()
        class Scale(layers.Layer):
            def call(self, x):
                return 2.0 * x

        """) + FIRST + 'loaded = keras.models.load_model("other.keras")\n'
    result = program(text)
    assert result.text is None and any("register" in b.message for b in result.blockers)


def test_kept_code_reading_a_name_the_tensorflow_layers_bind_gets_the_keras_one() -> None:
    """`Dense` imported from Keras and read by kept code: the block's `Dense` takes another
    name, so the kept code still builds a Keras layer."""
    kept = textwrap.dedent("""\

        kept = keras.Sequential([layers.Input((6,)), Dense(2)])
        kept.save("kept.keras")
        """)
    text = DATA + "from keras.layers import Dense\n" + FIRST + kept
    result = program(text)
    assert result.text is not None and result.partial, result.blockers
    assert kept in result.text and "from keras.layers import Dense\n" in result.text
    assert "class TFDense(" in result.text and "TFDense(5, activation=" in result.text


@pytest.mark.parametrize("reset, partial", [("", False), ("keras.backend.clear_session()\n", True)])
def test_a_layer_asked_for_by_an_automatic_name(reset: str, partial: bool) -> None:
    """Translated layers no longer advance Keras's automatic names: kept code asking for
    `dense_1` would get another layer, unless Keras's names were reset in between."""
    kept = textwrap.dedent("""\

        other = keras.Sequential([layers.Input((6,)), layers.Dense(2), layers.Dense(1)])
        print(other.get_layer("dense_1").units)
        other.save("other.keras")
        """)
    result = program(DATA + FIRST + reset + kept)
    assert (result.text is not None) == partial, result.blockers
    if not partial:
        assert any("automatic name" in b.message for b in result.blockers)


# a course's NLP notebook: every Embedding is given its name, one of them `embedding_1`, and a
# kept model is asked for it (written after reading the pattern; our own case)
NAMED = textwrap.dedent("""\

    tokens = np.arange(24).reshape(4, 6) % 10
    first = keras.Sequential([layers.Input((6,)), layers.Embedding(10, 3, name="embedding_1"), layers.Flatten(),
                              layers.Dense(1)])
    moved(first)
    report["first"] = arrays(first(tokens))
    second = keras.Sequential([layers.Input((6,)), layers.Embedding(10, 4, name="embedding_2"), layers.Flatten(),
                               layers.Dense(UNITS)])
    moved(second)
    report["second"] = arrays(second(tokens))
    kept = keras.Sequential([layers.Input((6,)), layers.Embedding(10, 2, name="embedding_1"), layers.Flatten()])
    moved(kept)
    report["asked"] = arrays(kept.get_layer("embedding_1").get_weights()[0])
    report["asked_name"] = kept.get_layer("embedding_1").name
    kept.save("kept.keras")
    json.dump(report, open(OUT, "w"))
    """)


@pytest.mark.parametrize("second_name, partial", [('name="embedding_2"', True), ("", False), ("name=None", False)])
def test_a_layer_asked_for_by_a_name(second_name: str, partial: bool) -> None:
    """A name like `embedding_1` is Keras's automatic name only for a layer given none: when
    every translated layer of that class has a literal `name=`, translating them moves no Keras
    counter and kept code asking for that name gets the same layer. One translated Embedding
    without a name (or `name=None`) would have advanced Keras's counter, so it is refused."""
    text = script_head(3) + "report = {}\n" + NAMED.replace("UNITS", "1").replace('name="embedding_2"', second_name)
    text = text.replace("(10, 4, )", "(10, 4)")
    result = program(text)
    assert (result.text is not None and result.partial) == partial, result.blockers
    assert any("automatic name" in b.message for b in result.blockers) != partial, result.blockers


@pytest.mark.tf
def test_executed_a_layer_asked_for_by_its_given_name(tmp_path: Path) -> None:
    """Both scripts run: the translated models' outputs and the kept model's `get_layer`
    answer (its name and its moved table) are Keras's (tolerance 1e-6; worst printed)."""
    import numpy as np

    script = script_head(3) + "report = {}\n" + NAMED.replace("UNITS", "1")
    translated, diags = translate(script, "m.py")
    assert 'layers.Embedding(10, 3, name="embedding_1")' not in translated, diags
    assert 'kept.get_layer("embedding_1")' in translated
    keras_report, tf_report = run_both(tmp_path, script, translated)
    assert tf_report["asked_name"] == keras_report["asked_name"] == "embedding_1"
    worst = max(float(np.max(np.abs(np.asarray(keras_report[k]) - np.asarray(tf_report[k]))))
                for k in ("first", "second", "asked"))
    print(f"worst difference {worst:.3g}")
    assert worst <= 1e-6, worst


def test_kept_code_inside_a_model_graph_keeps_that_model_too() -> None:
    """Graph statements move into a graph function; a kept statement between them would
    move with them, so the model whose graph surrounds it is kept as well."""
    kept = textwrap.dedent("""\
        saved = keras.Sequential([layers.Input((6,)), layers.Dense(2)])
        saved.save("saved.keras")
        """)
    text = DATA + "\ninputs = keras.Input((6,))\n" + kept + "outputs = layers.Dense(1)(inputs)\nmodel = keras.Model(inputs, outputs)\n"
    assert program(text).text is None
    out, diags = translate(text, "m.py")  # (the flat form may still translate `model` on its own)
    assert kept in out and any(d.code == "XL306" for d in diags)


def test_plain_data_links_nothing_and_a_global_keras_setting_links_what_follows() -> None:
    text = DATA + FIRST + 'keras.mixed_precision.set_global_policy("mixed_float16")\n' + SECOND
    tree = ast.parse(text)
    comps = Components(tree, [r.node for r in keras_refs(tree)])
    def at(start: str) -> int:
        return next(i for i, s in enumerate(tree.body) if ast.unparse(s).startswith(start))

    first_model = at("model = keras.Sequential([layers.Input((6,)), layers.Dense(5")
    setting = at("keras.mixed_precision")
    data = at("x_train")
    assert data not in comps.tainted  # arrays both models train on
    later = {i for i in comps.tainted if i > setting}
    assert later and later <= comps.closure([setting])
    assert first_model not in comps.closure([setting])


# A notebook's shape: a preprocessing layer makes the arrays both models train on, helpers (one a
# tf.function) read the global `model` of the cell that calls them, and the second model is
# saved as a Keras file.
NOTEBOOK = DATA + textwrap.dedent("""\
    import tensorflow as tf

    norm = layers.Normalization()
    norm.adapt(x_train)
    x_norm = norm(x_train).numpy()
    print(np.mean(keras.losses.mean_squared_error(y_train[:, 0], 0 * y_train[:, 0])))

    def show(x):
        return model.predict(x, verbose=0)

    @tf.function
    def infer(x):
        return model(x, training=False)

    model = keras.Sequential([layers.Input((6,)), layers.Dense(5, activation="tanh"), layers.Dense(1)])
    for w in model.weights:
        w.assign(rng.normal(size=w.shape).astype("float32"))
    first_out = show(x_norm[:4]) + infer(x_norm[:4]).numpy()

    model = keras.Sequential([layers.Input((6,)), layers.Dense(3), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x_norm, y_train, epochs=1, verbose=0)
    second_out = model.predict(x_norm[:4], verbose=0)
    model.save("second.keras")
    """)


def test_data_made_by_keras_and_a_helper_reading_the_cell_model_link_nothing() -> None:
    """The arrays a Keras layer computes are the same whether that code is translated or kept,
    and `show` reads the `model` of the cell that calls it: the first model is translated."""
    result = program(NOTEBOOK)
    assert result.text is not None and result.partial, result.blockers
    kept = NOTEBOOK[NOTEBOOK.index("model = keras.Sequential([layers.Input((6,)), layers.Dense(3)"):]
    assert kept in result.text
    assert 'model = Sequential([Input((6,)), Dense(5, activation="tanh"), Dense(1)])' in result.text
    # passed on instead of called: `show` may run with any `model`, so both models stay
    deferred = NOTEBOOK.replace("first_out = show(x_norm[:4])", "first_out = list(map(show, [x_norm[:4]]))[0]")
    assert deferred != NOTEBOOK
    result = program(deferred)
    assert result.text is not None and deferred[deferred.index("def show"):] in result.text


@pytest.mark.tf
def test_executed_the_translated_model_matches_and_the_kept_one_is_saved(tmp_path: Path) -> None:
    """Both scripts run; the translated first model gives the Keras one's outputs with the same
    (perturbed, seeded) weights, atol 1e-6; the kept model writes its Keras file."""
    script = NOTEBOOK + "np.save(OUT, np.asarray(first_out))\n"
    translated, diags = translate(script, "m.py")
    assert translated != script and 'model = Sequential([Input((6,)), Dense(5, activation="tanh")' in translated, diags
    import numpy as np

    results = []
    for name, text in (("keras_run", script), ("tf_run", translated)):
        (tmp_path / f"{name}.py").write_text(f"OUT = {name!r} + '.npy'\n" + text)
        proc = subprocess.run([sys.executable, f"{name}.py"], cwd=tmp_path, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr[-3000:]
        results.append(np.load(tmp_path / f"{name}.npy"))
        assert (tmp_path / "second.keras").exists()
        (tmp_path / "second.keras").unlink()
    worst = float(np.max(np.abs(results[0] - results[1])))
    assert worst <= 1e-6, worst


@pytest.mark.parametrize("shown, partial", [
    # a loss or metric function applied to arrays and shown (a notebook's naive baseline)
    ("print(np.mean(keras.losses.mean_squared_error(y_train[:, 0], 0 * y_train[:, 0])))\n", True),
    ("print(keras.metrics.MeanAbsoluteError()(y_train, 0 * y_train))\n", True),
    # a layer made and dropped advances the automatic layer names every later model gets
    ("print(layers.Dense(2)(x_train).shape)\n", False),
])
def test_a_stateless_keras_statement_does_not_link_what_follows(shown: str, partial: bool) -> None:
    """Before a kept model and a translatable one: a statement binding nothing, whose Keras
    references cannot change Keras's global state, is not linked to every statement after it
    (a notebook evaluating a baseline with `keras.losses.mean_squared_error` kept all its
    later models with the one saved to a SavedModel directory)."""
    text = DATA + shown + FIRST + SECOND
    result = program(text)
    assert (result.text is not None) == partial, result.blockers
    if partial:
        assert SECOND in result.text
        assert 'model = Sequential([Input((6,)), Dense(5, activation="tanh"), Dense(1)])' in result.text


# A book chapter's shape (a Keras-only use keeps only the model it reaches): `model` is a
# two-output functional model whose outputs are named by `output_names`, then a subclass whose
# own layer attribute is adapted, then a model kept Keras for `to_json`. Judging every use of the
# name `model` blamed the first two for `output_names`, `metrics_names`, `plot_model(model)` and
# `model.norm`, and kept them too.
CHAPTER = script_head(3) + textwrap.dedent("""\
    x_a = rng.normal(size=(32, 4)).astype("float32")
    x_b = rng.normal(size=(32, 6)).astype("float32")
    y = rng.normal(size=(32, 1)).astype("float32")
    report = {}

    input_a = keras.Input(shape=(4,))
    input_b = keras.Input(shape=(6,))
    hidden = layers.Dense(5, activation="tanh")(input_b)
    main = layers.Dense(1, name="main")(layers.Concatenate()([input_a, hidden]))
    aux = layers.Dense(1)(hidden)
    model = keras.Model(inputs=[input_a, input_b], outputs=[main, aux])
    moved(model)
    model.compile(loss=["mse", "mse"], loss_weights=[0.9, 0.1], optimizer="sgd")
    model.fit((x_a, x_b), (y, y), epochs=2, batch_size=8, shuffle=False, verbose=0)
    predicted = dict(zip(model.output_names, model.predict((x_a[:5], x_b[:5]), verbose=0)))
    report["first"] = {k: np.asarray(v).tolist() for k, v in predicted.items()}
    report["first_metrics"] = model.metrics_names
    report["first_history"] = model.history.history
    PLOT


    class Wide(keras.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.norm = layers.Normalization()
            self.out = layers.Dense(1)

        def call(self, x):
            return self.out(self.norm(x))


    model = Wide(name="wide")
    model.norm.adapt(x_b)
    model(x_b[:1])
    moved(model)
    model.norm.adapt(2.0 * x_b)  # (Keras's layer reads the statistics adapt gives, not set_weights')
    model.compile(loss="mse", optimizer="sgd")
    history = model.fit(x_b, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
    report["second"] = model.predict(x_b[:5], verbose=0).tolist()
    report["second_history"] = history.history

    model = keras.Sequential([keras.Input(shape=(6,)), layers.Dense(2)])
    report["kept"] = json.loads(model.to_json())["class_name"]
    json.dump(report, open(OUT, "w"))
    """)


def test_a_keras_only_use_keeps_only_the_model_it_reaches() -> None:
    """`model.to_json()` keeps the model bound there; the earlier models bound to the same name
    are translated, with what the runtime gives them (`output_names`, `metrics_names`,
    `model.history`, `plot_model`, a subclass's own attributes)."""
    text = CHAPTER.replace("PLOT", 'keras.utils.plot_model(model, "model.png", show_shapes=True)')
    result = program(text)
    assert result.text is not None and result.partial, result.blockers
    kept = 'model = keras.Sequential([keras.Input(shape=(6,)), layers.Dense(2)])\n'
    assert kept in result.text and "report[\"kept\"] = json.loads(model.to_json())" in result.text
    assert "layers.Dense(5" not in result.text and "layers.Normalization()" not in result.text, result.text
    reasons = [(f.code, f.message) for f in result.findings if f.code.startswith("XL30")]
    assert reasons == [("XL303", "model kept as Keras: `model.to_json` is a Keras API that the translated model "
                                 "does not have")], reasons


@pytest.mark.tf
@pytest.mark.slow  # two TensorFlow processes (~10 s); the fast checks: the static test above, output_names in test_program_model_layers.py
def test_executed_the_models_bound_before_the_kept_one_match_keras(tmp_path: Path) -> None:
    """Both scripts run: the translated functional model's `output_names`, `metrics_names` and
    `model.history` are Keras's, and both translated models' predictions and losses after two
    epochs of SGD from the same perturbed weights match Keras's within 1e-5 (absolute)."""

    import numpy as np

    script = CHAPTER.replace("PLOT", "")
    translated, diags = translate(script, "m.py")
    assert "layers.Dense(5" not in translated and "class Wide(Model)" in translated, diags
    keras_report, tf_report = run_both(tmp_path, script, translated)
    assert list(keras_report["first"]) == ["main", "dense_1"]  # the test reads what it means to
    assert list(tf_report["first"]) == list(keras_report["first"])
    assert tf_report["first_metrics"] == keras_report["first_metrics"] and tf_report["kept"] == "Sequential"
    worst = 0.0
    for key in ("first", "first_history", "second", "second_history"):
        a, b = keras_report[key], tf_report[key]
        if isinstance(a, dict):
            assert sorted(a) == sorted(b), key
            a, b = [a[k] for k in sorted(a)], [b[k] for k in sorted(b)]
        worst = max(worst, float(np.max(np.abs(np.asarray(a, dtype=float) - np.asarray(b, dtype=float)))))
    print(f"worst difference {worst:.3g}")
    assert worst <= 1e-5, worst


def test_a_model_given_to_the_tflite_converter_stays_keras_and_the_other_translates() -> None:
    """TFLite's `from_keras_model` converts a Keras model's inference call; given a tf.Module it
    saves the module's SavedModel signature instead (augmentation layers stay in the graph and
    the conversion needs Flex ops). That model stays Keras, with the reason; the other model
    of the file is translated."""
    text = textwrap.dedent("""\
        import tensorflow as tf
        from tensorflow import keras
        from keras import layers

        model = keras.Sequential([keras.Input((8,)), layers.RandomFlip(), layers.Dense(1)])
        converter = tf.lite.TFLiteConverter.from_keras_model(model)
        other = keras.Sequential([keras.Input((8,)), layers.Dense(2)])
        other.compile(optimizer="adam", loss="mse")
        """)
    out, diags = translate_file(text, "m.py")
    assert "model = keras.Sequential([keras.Input((8,)), layers.RandomFlip(), layers.Dense(1)])" in out
    assert "other = keras.Sequential" not in out
    assert [(d.line, d.code) for d in diags if "from_keras_model" in d.message] == [(6, "XL303")], diags


@pytest.mark.parametrize("given", [
    'callbacks=[create_tensorboard_callback("logs", "run")]',
    "callbacks=cbs",
    "callbacks=create_tensorboard_callback('logs', 'run')",
    "callbacks=[tf.keras.callbacks.EarlyStopping()] + cbs",
])
def test_a_callback_made_in_another_module_runs_on_the_translated_model(given: str) -> None:
    """A course's `create_tensorboard_callback(...)` from its helper module is a Keras callback.
    Keras's callbacks run on the translated model as on Keras's (tests/test_program_outside_callbacks.py
    runs them both ways), so both models are translated; an XL311 note names the helper at each
    call that makes one (a Keras ModelCheckpoint there would write TensorFlow checkpoints)."""
    text = textwrap.dedent(f"""\
        import numpy as np
        import tensorflow as tf
        from helper_functions import create_tensorboard_callback

        cbs = []
        cbs.append(create_tensorboard_callback("logs", "run"))
        model = tf.keras.Sequential([tf.keras.layers.Dense(4, activation="relu"), tf.keras.layers.Dense(1)])
        model.compile(loss="mae", optimizer="adam")
        history = model.fit(np.ones((8, 3)), np.ones((8, 1)), epochs=1, {given})
        other = tf.keras.Sequential([tf.keras.layers.Dense(2)])
        other.compile(loss="mse", optimizer="adam")
        other.fit(np.ones((8, 3)), np.ones((8, 2)), epochs=1, callbacks=[tf.keras.callbacks.EarlyStopping()])
        """)
    out, diags = translate_file(text, "m.py")
    assert "model = tf.keras.Sequential(" not in out and "other = tf.keras.Sequential(" not in out, out[-600:]
    notes = [d for d in diags if d.code == "XL311" and "create_tensorboard_callback" in d.message]
    assert notes and all(d.line in (6, 9) for d in notes) and not any(d.code == "XL305" for d in diags), diags


@pytest.mark.parametrize("keep_files", [False, True])
def test_outside_callbacks_keep_their_model_where_a_keras_file_they_may_write_is_needed(keep_files: bool) -> None:
    """Another module's callbacks may hold a Keras `ModelCheckpoint`: its file, written by the
    translation as a TensorFlow checkpoint, would meet a Keras `load_model` this file cannot
    tie to a writer, or be the Keras file `--keep-keras-files` asks for. Then the model stays
    Keras (XL305, with the reason)."""
    text = textwrap.dedent("""\
        import numpy as np
        import tensorflow as tf
        from helper_functions import make_callbacks

        model = tf.keras.Sequential([tf.keras.Input((5,)), tf.keras.layers.Dense(1)])
        model.compile(loss="mse", optimizer="adam")
        model.fit(np.ones((8, 5)), np.ones((8, 1)), callbacks=make_callbacks("out"))
        """) + ("" if keep_files else 'best = tf.keras.models.load_model("out/best.keras")\n')
    out, diags = translate_file(text, "m.py", keep_keras_files=keep_files)
    assert out == text
    why = "--keep-keras-files" if keep_files else "`keras.models.load_model` at line 8"
    assert [(d.line, d.code) for d in diags if why in d.message] == [(7, "XL305")], diags


def test_an_optimizer_or_metric_made_in_another_module_keeps_its_model_keras() -> None:
    text = textwrap.dedent("""\
        import tensorflow as tf
        from my_training import make_optimizer, f1_metric

        model = tf.keras.Sequential([tf.keras.layers.Dense(1)])
        model.compile(make_optimizer(), "mse", metrics=["mae", f1_metric()])
        """)
    out, diags = translate_file(text, "m.py")
    assert out == text
    found = sorted(d.message.split("`")[1] for d in diags if d.code == "XL305")
    assert found == ["f1_metric()", "make_optimizer()"], diags


def test_a_tensorboard_callback_with_what_the_runtime_does_not_write_keeps_its_model() -> None:
    """`TensorBoard(write_images=...)`, `embeddings_freq`: the runtime's TensorBoard writes
    neither and raised when made, so the translation crashed in `fit`. That model stays Keras
    (XL305); the other model is translated. (`profile_batch` is written, as Keras writes it.)"""
    text = textwrap.dedent("""\
        import numpy as np
        import tensorflow as tf

        model = tf.keras.Sequential([tf.keras.Input((3,)), tf.keras.layers.Dense(1)])
        model.compile(loss="mse")
        tb = tf.keras.callbacks.TensorBoard("logs", write_images=True)
        model.fit(np.ones((4, 3)), np.ones((4, 1)), callbacks=[tb])
        other = tf.keras.Sequential([tf.keras.Input((3,)), tf.keras.layers.Dense(1)])
        other.compile(loss="mse")
        other.fit(np.ones((4, 3)), np.ones((4, 1)), callbacks=[tf.keras.callbacks.TensorBoard("run", 1)])
        """)
    out, diags = translate_file(text, "m.py")
    assert "model = tf.keras.Sequential(" in out and "other = tf.keras.Sequential(" not in out, diags
    assert [(d.line, d.code) for d in diags if "write_images" in d.message] == [(6, "XL305")], diags
