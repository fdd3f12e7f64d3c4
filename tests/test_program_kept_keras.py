"""Keras names that stay Keras beside a translated program: a model loaded from a Keras file
and the version string (XL309), and when loading must keep the file Keras instead.

A loaded model is not one of the file's models: it stays a Keras object, and the models the
file builds are still translated. Loading depends on the file's own classes when it is given
custom objects, runs in a custom-object scope, or when the file registers classes with Keras
(a registration the program form drops): then the program form is not used.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from kerastf_xlate.totf import translate
from kerastf_xlate.totf.program.translate import translate_program

HEAD = textwrap.dedent("""\
    import numpy as np
    import keras
    from keras import layers

    inputs = keras.Input(shape=(4,))
    outputs = layers.Dense(3, activation="tanh")(inputs)
    model = keras.Model(inputs, outputs)
    """)


def program(text: str):  # type: ignore[no-untyped-def]
    import ast

    return translate_program(text, ast.parse(text))


def test_a_loaded_model_and_the_version_stay_keras_and_the_rest_translates() -> None:
    text = HEAD + 'print(keras.__version__)\npretrained = keras.models.load_model("head.keras")\n'
    result = program(text)
    assert result.text is not None and not result.blockers
    assert [(f.code, f.message.split("`")[1]) for f in result.findings] == [
        ("XL309", "keras.__version__"), ("XL309", "keras.models.load_model")]
    assert 'keras.models.load_model("head.keras")' in result.text and "model = Model(" in result.text
    assert "layers.Dense(3" not in result.text


def test_a_keras_module_only_looked_at_stays_keras_and_the_model_translates() -> None:
    """Notebooks list what a Keras module holds (``dir(keras.initializers)``): the statement is
    kept as it is (XL309) and links to no model; a module used any other way still blocks."""
    listing = '[name for name in dir(keras.initializers) if not name.startswith("_")]\nhelp(keras.layers)\n'
    result = program(HEAD + listing)
    assert result.text is not None and not result.blockers, result.blockers
    assert listing in result.text and "model = Model(" in result.text
    assert [f.message.split("`")[1] for f in result.findings if "looked at" in f.message] == [
        "keras.initializers", "keras.layers"]
    used = program(HEAD + "found = getattr(keras.layers, 'Dense')\n")  # kept, with its blocker reported
    assert used.partial and "found = getattr(keras.layers, 'Dense')" in used.text
    assert any(f.code == "XL301" and "`keras.layers` has no" in f.message for f in used.findings), used.findings


@pytest.mark.parametrize("line, words", [
    ('pretrained = keras.models.load_model("m.keras", custom_objects={"Block": Block})\n', "custom objects"),
    ('with keras.saving.custom_object_scope({"Block": Block}):\n    pretrained = keras.models.load_model("m.keras")\n',
     "custom_object_scope"),
    ('pretrained = keras.saving.load_model("m.keras", None, False)\n', "custom objects"),
])
def test_loading_the_files_own_classes_keeps_them_and_the_loading_as_keras(line: str, words: str) -> None:
    """The loading reads the class, so both stay Keras (docs/design.md, "Partial programs");
    the model the file builds is still translated."""
    result = program(HEAD + "class Block(layers.Layer):\n    pass\n" + line)
    assert result.text is not None and result.partial
    assert line.strip().splitlines()[0] in result.text
    assert ("class Block(layers.Layer):" in result.text) == ("Block" in line)
    assert "model = Model(" in result.text
    hits = [f for f in result.findings if "load_model" in f.message]
    assert hits and words in hits[0].message, result.findings


@pytest.mark.parametrize("line, words", [
    ('@keras.saving.register_keras_serializable()\nclass Block(layers.Layer):\n    pass\n'
     'pretrained = keras.models.load_model("m.keras")\n', "register_keras_serializable"),
])
def test_loading_the_files_own_classes_keeps_the_program_form_out(line: str, words: str) -> None:
    """Loading that may reach the file's classes through Keras's registry, which no
    statement links: the whole file stays Keras."""
    result = program(HEAD + "class Block(layers.Layer):\n    pass\n" + line)
    assert result.text is None
    hits = [f for f in result.blockers if "load_model" in f.message]
    assert hits and words in hits[0].message, result.blockers


@pytest.mark.tf
def test_the_translation_runs_beside_the_loaded_keras_model(tmp_path: Path) -> None:
    """Executed: a Keras model saved by another script is loaded and fed the translated
    model's output; the result equals the all-Keras script's (atol 1e-6)."""
    saver = textwrap.dedent("""\
        import keras
        from keras import layers
        keras.utils.set_random_seed(3)
        head = keras.Sequential([keras.Input(shape=(3,)), layers.Dense(2, bias_initializer="random_normal")])
        head.save("head.keras")
        """)
    script = HEAD + textwrap.dedent("""\
        for w in model.weights:
            w.assign(np.random.default_rng(0).normal(size=w.shape).astype("float32"))
        pretrained = keras.models.load_model("head.keras")
        x = np.random.default_rng(1).normal(size=(5, 4)).astype("float32")
        np.save(OUT, np.asarray(pretrained(model(x))))
        """)
    translated, diags = translate(script, "m.py")
    assert translated != script and "layers.Dense(3" not in translated, diags
    (tmp_path / "save.py").write_text(saver)
    subprocess.run([sys.executable, "save.py"], cwd=tmp_path, check=True, capture_output=True)
    results = []
    for name, text in (("keras_run", script), ("tf_run", translated)):
        (tmp_path / f"{name}.py").write_text(f"OUT = {name!r} + '.npy'\n" + text)
        proc = subprocess.run([sys.executable, f"{name}.py"], cwd=tmp_path, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr[-3000:]
        import numpy as np

        results.append(np.load(tmp_path / f"{name}.npy"))
    worst = float(np.max(np.abs(results[0] - results[1])))
    assert worst <= 1e-6, worst


def test_a_kept_keras_backend_module_keeps_its_name() -> None:
    """keras.applications' pattern: `backend.backend()` is translated while the module stays
    imported for a kept utility (`backend.get_uid`): the runtime's function must not take the
    module's name (regression: NASNet)."""
    text = textwrap.dedent("""\
        import keras
        from keras import backend
        from keras import layers

        def build(input_tensor=None):
            if input_tensor is not None and backend.get_uid("build") < 0:
                raise ValueError("not counted")
            inputs = keras.Input(shape=(4,))
            width = 3 if backend.backend() == "tensorflow" else 2
            return keras.Model(inputs, layers.Dense(width)(inputs))
        """)
    result = program(text)
    assert result.text is not None, result.blockers
    assert "backend_name() ==" in result.text and "backend.get_uid(" in result.text
    assert "def backend(" not in result.text


def test_a_symbolic_input_outside_a_graph_keeps_the_program_form_out() -> None:
    """`model(keras.Input(shape))` builds a subclass on a KerasTensor, and a functional
    subclass with its own `call` is built on Inputs no graph function takes: the runtime's
    Input means something only inside a graph function (was: a program that failed at run
    time). The flat form keeps the subclass Keras too, since its instance is called on one.
    Now `out = model(keras.Input(...))` is a graph fragment run by `symbolic_run`
    (tests/test_program_fragments.py): the program is partial, the functional subclass and
    its graph kept as Keras byte for byte."""
    text = textwrap.dedent("""\
        import numpy as np
        import keras
        from keras import layers


        class MyModel(keras.Model):
            def __init__(self):
                super().__init__()
                self.d = layers.Dense(3)

            def call(self, x):
                return self.d(x)


        model = MyModel()
        out = model(keras.Input(shape=(4,)))


        class Sub(keras.Model):
            def call(self, x):
                return super().call(x) * 2


        inputs = keras.Input(shape=(4,))
        sub = Sub(inputs, layers.Dense(2)(inputs))
        """)
    result = program(text)
    assert result.text is not None and result.partial, result.blockers
    assert "symbolic_run(graph_fragment)\n" in result.text
    kept = text.partition("class Sub(keras.Model):")[2]
    assert result.text.endswith(kept), "the functional subclass and its graph kept byte for byte"
    assert sum("symbolic input outside any model graph" in f.message for f in result.findings) == 1, result.findings
