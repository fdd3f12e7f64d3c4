"""The runtime block is collision-safe: a name the user's file binds itself (its own `Dense`
class, an `epsilon` variable, `re = 0.5`) is given to the block's definition under another
name (`TFDense`, `tf_epsilon`, `import re as tf_re`), in the block and wherever the
translation writes it, and only there.

The renamer (:func:`bundle.rename_source`) renames module-level references only: a name a
function binds itself, an attribute, a keyword or a string stays. The whole-file execution
case is ``tests/cases/program/name_collisions.py``; the test here also checks the automatic
layer names (Keras's class names are kept).
"""

from __future__ import annotations

import ast
import sys
import textwrap

import pytest

from kerastf_xlate.totf.program.bundle import new_name, rename_import, rename_plan, rename_source
from kerastf_xlate.totf.program.translate import translate_program


def test_new_names_follow_the_kind_of_name_and_avoid_taken_ones() -> None:
    assert new_name("Dense", set()) == "TFDense"
    assert new_name("epsilon", set()) == "tf_epsilon"
    assert new_name("_ops_mean", set()) == "_ops_mean_tf"
    assert new_name("Dense", {"TFDense", "TFDense_2"}) == "TFDense_3"
    assert rename_plan({"Model", "Dense"}, {"TFDense"}) == {"Dense": "TFDense_2", "Model": "TFModel"}


def test_renames_module_level_references_only() -> None:
    source = textwrap.dedent('''\
        class Dense(Layer):
            epsilon = 1.0  # a class attribute: the class's own

            def epsilon_of(self, x, Dense=None):  # a parameter shadows the module's name
                return Dense, self.Dense, epsilon, "Dense"

            def call(self, x):
                y = epsilon()
                f(epsilon=epsilon)
                return [Dense for Dense in x], [epsilon for _ in x], lambda epsilon: epsilon

            def make(self):
                global Dense
                Dense = 3

            def local(self):
                Dense = 2
                return Dense''')
    out = rename_source(source, {"Dense": "TFDense", "epsilon": "tf_epsilon"})
    expected = textwrap.dedent('''\
        class TFDense(Layer):
            epsilon = 1.0  # a class attribute: the class's own

            def epsilon_of(self, x, Dense=None):  # a parameter shadows the module's name
                return Dense, self.Dense, tf_epsilon, "Dense"

            def call(self, x):
                y = tf_epsilon()
                f(epsilon=tf_epsilon)
                return [Dense for Dense in x], [tf_epsilon for _ in x], lambda epsilon: epsilon

            def make(self):
                global TFDense
                TFDense = 3

            def local(self):
                Dense = 2
                return Dense
        TFDense.__name__ = TFDense.__qualname__ = 'Dense'  # the file defines its own `Dense`''')
    assert out == expected


def test_a_negative_control_the_renamer_changes_what_it_must() -> None:
    assert rename_source("def f():\n    return Dense\n", {"Dense": "TFDense"}) == "def f():\n    return TFDense\n"
    assert rename_source("def f():\n    return Dense\n", {}) == "def f():\n    return Dense\n"


def test_imports_are_renamed_with_an_alias() -> None:
    assert rename_import("import re", {"re": "tf_re"}) == "import re as tf_re"
    assert rename_import("from collections import OrderedDict", {"OrderedDict": "TFOrderedDict"}) == (
        "from collections import OrderedDict as TFOrderedDict")
    assert rename_import("import math", {"re": "tf_re"}) == "import math"


PROGRAM = textwrap.dedent("""\
    import keras
    from keras import layers

    re = 0.5


    class Dense(layers.Layer):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.inner = layers.Dense(units)

        def call(self, x):
            return self.inner(x) * re


    inputs = keras.Input((4,))
    x = Dense(3)(inputs)
    x = layers.Dense(5)(x)
    outputs = layers.Dense(2)(x)
    model = keras.Model(inputs, outputs)
    """)


def _translated() -> str:
    result = translate_program(PROGRAM, ast.parse(PROGRAM))
    assert result.text is not None, [b.message for b in result.blockers]
    return result.text


def test_the_collisions_translate_and_a_second_run_changes_nothing() -> None:
    out = _translated()
    assert "x = TFDense(5)(x)" in out and "class Dense(Layer):" in out and "import re as tf_re" in out
    assert "\nre = 0.5\n" in out
    again = translate_program(out, ast.parse(out))
    assert again.text is None or again.text == out
    assert _translated() == out  # stable


@pytest.mark.tf
def test_runs_like_keras_with_keras_layer_names() -> None:
    """Executed: outputs after moving perturbed weights (atol 1e-5 relative to the output's
    scale; the worst difference is printed) and the automatic layer names."""
    import keras
    import numpy as np

    from kerastf_xlate.testing.perturb import perturb_weights

    keras.backend.clear_session()
    state = sys.modules.get("_xlate_tf_state")
    if state is not None:
        state.uids.clear()
    keras.utils.set_random_seed(0)
    k_ns: dict = {"__name__": "__rename_keras__"}
    exec(compile(PROGRAM, "<keras>", "exec"), k_ns)
    t_ns: dict = {"__name__": "__rename_tf__"}
    exec(compile(_translated(), "<tf>", "exec"), t_ns)
    k, t = k_ns["model"], t_ns["model"]
    assert [layer.name for layer in t.layers] == [layer.name for layer in k.layers]  # InputLayers too
    assert type(t.layers[1]).__name__ == "Dense" and type(t.layers[1]).__module__ == "__rename_tf__"
    x = np.random.default_rng(0).normal(size=(3, 4)).astype("float32")
    k(x)
    t(x)
    t.set_weights(perturb_weights(k, seed=1))
    a, b = np.asarray(k(x)), np.asarray(t(x))
    worst = float(np.max(np.abs(a - b)))
    print(f"worst max |diff| = {worst:.3g}")
    assert worst <= 1e-5 * max(1.0, float(np.max(np.abs(a))))


def test_only_clashes_renaming_cannot_fix_are_reported() -> None:
    blocked = PROGRAM + "config = keras.layers.serialize(model)\n"
    result = translate_program(blocked, ast.parse(blocked))
    assert result.text is None
    assert [b.message.split("`")[1] for b in result.blockers] == ["keras.layers.serialize"]
    clash = PROGRAM.replace("import keras\n", "import keras\nimport tensorflow.compat.v1 as tf\n")
    result = translate_program(clash, ast.parse(clash))
    assert result.text is None
    assert [b.message for b in result.blockers] == ["the file defines `tf`, a name the TensorFlow layers it needs also use"]


@pytest.mark.tf
def test_every_name_of_the_runtime_renamed_still_runs_the_same() -> None:
    """The renamer on the real runtime: every definition and import name the block for a
    small convnet with LSTM, training and masks needs is renamed at once (``tf`` aside); the
    renamed block runs the same model to the same outputs and layer names as the block as
    written (atol 0: the same ops), and none of the old names is left as a global."""
    import numpy as np
    import tensorflow as tf

    from kerastf_xlate.totf.program.bundle import import_binds, load_runtime

    runtime = load_runtime()
    wanted = {"Sequential", "Input", "Conv2D", "BatchNormalization", "Reshape", "LSTM", "Dense", "Dropout",
              "Embedding", "_TRAINING", "Adam"}
    chosen = runtime.closure(wanted)
    names = {n for d in chosen for n in d.binds}
    names |= {n for imp in runtime.imports for n in import_binds(imp)} - {"tf"}
    rename = rename_plan(names, names)

    def build(ns: dict, new: dict) -> object:
        tf.random.set_seed(0)
        g = lambda n: ns[new.get(n, n)]  # noqa: E731
        return g("Sequential")([g("Input")((6, 6, 1)), g("Conv2D")(4, 3), g("BatchNormalization")(), g("Reshape")((4, 16)),
                                g("LSTM")(5), g("Dropout")(0.5), g("Dense")(3)])

    plain: dict = {"__name__": "__plain_runtime__"}
    exec(compile("import tensorflow as tf\n" + runtime.source(wanted, banner=False), "<plain>", "exec"), plain)
    renamed_source = "import tensorflow as tf\n" + runtime.source(wanted, banner=False, rename=rename)
    renamed: dict = {"__name__": "__renamed_runtime__"}
    exec(compile(renamed_source, "<renamed>", "exec"), renamed)
    assert "class TFDense(" in renamed_source and "import math as tf_math" in renamed_source and len(rename) > 50
    for old in names:  # nothing of the old names is bound any more: a stale reference would fail
        assert old not in renamed, old
    state = __import__("sys").modules.get("_xlate_tf_state")
    if state is not None:
        state.uids.clear()
    a = build(plain, {})
    if state is not None:
        state.uids.clear()
    b = build(renamed, rename)
    x = np.random.default_rng(0).normal(size=(2, 6, 6, 1)).astype("float32")
    a(x)
    b(x)
    b.set_weights(a.get_weights())
    assert [layer.name for layer in a.layers] == [layer.name for layer in b.layers]
    for training in (False, True):
        tf.random.set_seed(1)
        ya = a(x, training=training)
        tf.random.set_seed(1)
        yb = b(x, training=training)
        assert np.array_equal(np.asarray(ya), np.asarray(yb))


def test_the_keras_api_table_writes_renamed_runtime_names_only() -> None:
    from kerastf_xlate.totf.program.keras_api import Translated, translate_call, translate_reference

    out = translate_call("keras.ops.mean", ["x"], {"axis": "1"}, rename={"_ops_mean": "_ops_mean_tf"})
    assert isinstance(out, Translated) and out.source == "_ops_mean_tf(x, axis=1)" and out.helpers == ("_ops_mean",)
    out = translate_reference("keras.backend.epsilon", rename={"epsilon": "tf_epsilon"})
    assert isinstance(out, Translated) and out.source == "tf_epsilon"
    # a keyword of the template and the user's argument keep their names
    out = translate_call("keras.applications.vgg16.preprocess_input", ["data_format"], {"data_format": "fmt"},
                         rename={"preprocess_input_caffe": "TFpic", "data_format": "X", "fmt": "Y"})
    assert isinstance(out, Translated) and out.source == "TFpic(data_format, data_format=fmt)"
