"""Static behaviour of ``to-tf`` (no TensorFlow needed): what is translated, what is kept
and why, byte-for-byte preservation, idempotence, and whole-file golden cases.

Whole-file cases live in ``tests/cases/totf/*.py``: the input, a line ``# output``, then
the expected output (Black's format). ``XLATE_REGEN=1 pytest tests/test_totf.py`` rewrites
the expected outputs after a deliberate change; review the diff before committing.
"""

from __future__ import annotations

import ast
import os
import textwrap
from pathlib import Path

import pytest

from kerastf_xlate.totf import translate

CASES = sorted((Path(__file__).parent / "cases" / "totf").glob("*.py"))
MARK = "# output\n"


def tf_(src: str) -> tuple[str, list]:
    return translate(textwrap.dedent(src), "t.py")


def codes(diags) -> list[str]:  # type: ignore[no-untyped-def]
    return [d.code for d in diags]


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_whole_file_case(case: Path) -> None:
    text = case.read_text()
    source, _, expected = text.partition(MARK)
    out, _ = translate(source, case.name)
    if os.environ.get("XLATE_REGEN"):
        case.write_text(source + MARK + out)
        pytest.skip("regenerated")
    assert out == expected
    again, _ = translate(out, case.name)
    assert again == out, "a second run must change nothing"
    ast.parse(out)


NOOP = [
    "x = 1\n",
    "import keras\nprint(keras.__version__)\n",
    "from mylib import layers\nmodel = layers.Sequential([layers.Dense(3)])\n",
    "import keras\n\ndef f(layers):\n    return layers.Dense(3)\n",
    # a model saved in Keras's format for other programs stays Keras (the file is copied on)
    "import keras\nfrom keras import layers\nm = keras.Sequential([layers.Dense(3)])\nm.save('m.keras')\nshutil.copy('m.keras', 'out/')\n",
]

# what the flat form cannot follow, the program form translates (docs/design.md, "Programs")
PROGRAMS = [
    # a Keras API the runtime Model has
    "import keras\nfrom keras import layers\nm = keras.Sequential([layers.Dense(3)])\nm.layers[0].trainable = False\n",
    # the Sequential holds something that is not a layer constructor
    "import keras\nfrom keras import layers\nfrom blocks import make_block\nblock = make_block()\nm = keras.Sequential([block, layers.Dense(3)])\n",
    # layers built in a loop
    "import keras\nfrom keras import layers\ninp = keras.Input((4,))\nx = inp\nfor n in (8, 4):\n    x = layers.Dense(n)(x)\nm = keras.Model(inp, x)\n",
]


@pytest.mark.parametrize("src", PROGRAMS, ids=range(len(PROGRAMS)))
def test_programs_are_translated_in_the_program_form(src: str) -> None:
    from kerastf_xlate.totf.program.bundle import BANNER

    out, diags = translate(src, "t.py")
    assert BANNER in out, [d.message for d in diags]
    assert "keras" not in out.split(BANNER)[0] + out.split("end of the layers written out")[1]
    ast.parse(out)
    assert translate(out, "t.py")[0] == out


@pytest.mark.parametrize("src", NOOP, ids=range(len(NOOP)))
def test_noop_is_byte_identical(src: str) -> None:
    out, _ = translate(src, "t.py")
    assert out == src


def test_crlf_and_untouched_code_preserved() -> None:
    src = (
        "import os\r\nimport keras\r\nfrom keras import layers\r\n\r\n"
        "def helper(a,b):  # keep   my spacing\r\n    return a+b\r\n\r\n"
        "model = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(2)])\r\n"
        "print( helper(1,2) )\r\n"
    )
    out, _ = translate(src, "t.py")
    assert "def helper(a,b):  # keep   my spacing\r\n    return a+b\r\n" in out
    assert "print( helper(1,2) )\r\n" in out
    assert "import os\r\n" in out
    assert "import keras" not in out and "from keras" not in out
    assert "\r\n\r\n\r\nclass Model(tf.Module):" in out
    assert translate(out, "t.py")[0] == out


def test_keras_import_dropped_only_when_unused() -> None:
    out, _ = tf_("""
        import keras
        from keras import layers
        model = keras.Sequential([keras.Input(shape=(4, 5, 2)), layers.ConvLSTM1D(3, 2, unroll=True)])
        """)
    assert "self.conv_lstm1d = layers.ConvLSTM1D(3, 2, unroll=True)" in out
    assert "from keras import layers" in out
    out, _ = tf_("""
        import keras
        from keras import layers
        model = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(3)])
        """)
    assert "import keras" not in out and "from keras" not in out and "import tensorflow as tf" in out


def test_kept_layer_is_reported_with_lint_code() -> None:
    _, diags = tf_("""
        import keras
        from keras import layers
        model = keras.Sequential([keras.Input(shape=(5, 4, 2)), layers.ConvLSTM1D(3, 2, unroll=True), layers.Dense(2)])
        """)
    assert "XL201" in codes(diags)  # unroll (taken through **kwargs) is no argument of ConvLSTM1D's rule


def test_training_api_keeps_model_as_keras() -> None:
    src = textwrap.dedent("""
        import keras
        from keras import layers
        model = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(2)])
        print(model.to_json())
        """)
    out, diags = translate(src, "t.py")
    assert out == src
    assert "XL303" in codes(diags)


def test_graph_tensor_used_after_model_is_bound_from_the_traced_run() -> None:
    """A second model built on the first's tensors shares its graph (docs/design.md, "Several
    models on one graph"; executed in tests/test_program_shared_graphs.py); was: XL301."""
    src = textwrap.dedent("""
        import keras
        from keras import layers
        inp = keras.Input((4,))
        x = layers.Dense(3)(inp)
        model = keras.Model(inp, x)
        other = keras.Model(inp, layers.Dense(1)(x))
        """)
    out, diags = translate(src, "t.py")
    assert "XL301" not in codes(diags)
    assert 'inp, x = model.traced("inp", "x")' in out and "def other_graph(inp=inp, x=x):" in out
    ast.parse(out)


def test_leaky_relu_default_slope_is_written_explicitly() -> None:
    out, _ = tf_("""
        import keras
        from keras import layers
        model = keras.Sequential([keras.Input(shape=(4,)), layers.LeakyReLU()])
        """)
    assert "tf.nn.leaky_relu(x, alpha=0.3)" in out


def test_flatten_keeps_batch_axis_and_pool_strides_default_to_size() -> None:
    out, _ = tf_("""
        import keras
        from keras import layers
        model = keras.Sequential([keras.Input(shape=(8, 8, 3)), layers.MaxPooling2D(3), layers.Flatten()])
        """)
    assert "tf.nn.max_pool2d(x, ksize=3, strides=3, padding='VALID')" in out
    assert "tf.reshape(x, [tf.shape(x)[0], -1])" in out


def test_batchnorm_epsilon_and_momentum_are_keras_defaults() -> None:
    out, _ = tf_("""
        import keras
        from keras import layers
        model = keras.Sequential([keras.Input(shape=(4,)), layers.BatchNormalization()])
        """)
    assert "variance_epsilon=0.001" in out and "* 0.99 +" in out


def test_subclass_keeps_name_and_signature() -> None:
    out, _ = tf_("""
        import keras
        from keras import layers

        class Net(keras.Model):
            def __init__(self, units=4, **kwargs):
                super().__init__(**kwargs)
                self.hidden = layers.Dense(units, activation="relu")

            def call(self, inputs, training=False):
                return self.hidden(inputs)
        """)
    assert "class Net(tf.Module):" in out
    assert "def __init__(self, units=4, **kwargs):" in out
    assert "def __call__(self, inputs, training=False):" in out
    assert "return self.hidden(inputs, training=training)" in out


def test_module_constant_gives_static_shape() -> None:
    out, _ = tf_("""
        import keras
        from keras import layers
        N = 7
        model = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(N)])
        """)
    # static (created in __init__), and the constant keeps its name (issue #20)
    assert "tf.Variable(_variance_scaling([4, N]" in out
    assert "= None  # created on the first call" not in out


def test_input_shape_option_makes_weights_static() -> None:
    src = "import keras\nfrom keras import layers\nmodel = keras.Sequential([layers.Dense(3)])\n"
    out, _ = translate(src, "t.py", input_shape=(5,))
    assert "_variance_scaling([5, 3]" in out
    out, _ = translate(src, "t.py")
    assert "created on the first call" in out


def test_model_passed_to_a_function_stays_keras() -> None:
    """The function may call Keras APIs on it: never hand it a tf.Module (``fit`` the runtime
    Model has; ``export`` it has not)."""
    src = textwrap.dedent("""
        import keras
        from keras import layers
        model = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(2)])
        def train(m):
            m.fit([[1, 2, 3, 4]], [[1, 2]])
            m.export("saved")
        train(model)
        """)
    out, diags = translate(src, "t.py")
    assert out == src
    # the reason is what only Keras's model has (`export`), not that `m` is passed to a function
    assert [d.code for d in diags] == ["XL306"] and "m.export" in diags[0].message, diags


def test_two_models_with_the_same_name_are_both_translated_in_one_pass() -> None:
    """`model.add` of the first model must not block the second `model` (a stable result)."""
    src = textwrap.dedent("""
        import keras
        from keras import layers
        model = keras.Sequential([keras.Input(shape=(4,))])
        model.add(layers.Dense(2))
        inputs = keras.Input(shape=(3,))
        outputs = layers.Dense(1)(inputs)
        model = keras.Model(inputs, outputs)
        """)
    out, diags = translate(src, "t.py")
    assert out.count("(tf.Module):") == 2, diags
    assert translate(out, "t.py")[0] == out


SEQUENTIAL = 'model = keras.Sequential([keras.Input(shape=(3,)), layers.Dense(2)])\n'


@pytest.mark.parametrize("head", [
    pytest.param('"""Doc."""\nfrom __future__ import annotations\n\nimport keras\nfrom keras import layers\n\x0c\n',
                 id="form-feed-whole-file-rewrite"),
    pytest.param('"""Doc."""\nimport keras\nfrom keras import layers  # a continuation \\\n\n', id="backslash-in-comment"),
    pytest.param('import numpy as np; import keras\nfrom keras import layers\n\n', id="imports-sharing-a-line"),
])
def test_imports_and_helpers_go_after_the_leading_imports(head: str) -> None:
    """Wherever the rewrite happens (a piece of the file, or the whole file when a form feed
    or a backslash makes cutting unsafe), ``import tensorflow`` and the helpers follow the
    docstring, ``from __future__`` and the leading imports, and the result compiles."""
    out, _ = translate(head + SEQUENTIAL, "t.py")
    compile(out, "t.py", "exec")
    tree = ast.parse(out)
    kinds = [type(s).__name__ for s in tree.body]
    tf_at = next(i for i, s in enumerate(tree.body) if isinstance(s, ast.Import) and s.names[0].name == "tensorflow")
    assert all(k in ("Expr", "Import", "ImportFrom") for k in kinds[:tf_at]), kinds
    assert kinds.index("ClassDef") > tf_at
    if head.startswith('"""'):
        assert out.startswith('"""Doc."""\n')


def test_a_decorator_that_reads_the_model_stops_the_sequential() -> None:
    """``model.add`` after a statement that reads ``model`` (here in a decorator) is not
    folded into the Sequential: the decorator must see the model as it was."""
    src = textwrap.dedent("""\
        import keras
        from keras import layers
        model = keras.Sequential([keras.Input(shape=(3,))])
        model.add(layers.Dense(4))
        def show(value):
            return lambda f: f
        @show(model(keras.ops.zeros((1, 3))))
        def f():
            pass
        model.add(layers.Dense(2))
        """)
    out, diags = translate(src, "t.py")
    # the flat form keeps the statement (or the file); the program form keeps every statement
    assert "model.add(layers.Dense(2))" in out or out == src or "\nmodel.add(Dense(2))\n" in out, out


# keras.src spellings: how Keras's own code and keras.applications write Keras (issue #13)

KERAS_SRC = textwrap.dedent('''\
    from keras.src import layers
    from keras.src.models import Functional, Sequential

    inputs = layers.Input(shape=(4,))
    x = layers.Dense(3, activation="relu")(inputs)
    model = Functional(inputs, x)
    seq = Sequential([layers.Input(shape=(2,)), layers.Dense(5)])
    ''')


def test_keras_src_models_are_translated() -> None:
    out, diags = translate(KERAS_SRC, "t.py")
    assert not diags, diags
    tree = ast.parse(out)
    classes = [n.name for n in tree.body if isinstance(n, ast.ClassDef)]
    assert classes == ["Model", "Seq"], classes
    assert "from keras" not in out and "import keras" not in out  # every Keras import went with the models
    assert translate(out, "t.py")[0] == out


def test_keras_src_layer_subclass_is_translated() -> None:
    src = textwrap.dedent('''\
        from keras.src.layers.layer import Layer
        from keras.src import layers


        class Block(Layer):
            def __init__(self):
                super().__init__()
                self.dense = layers.Dense(3)

            def call(self, x):
                return self.dense(x)
        ''')
    out, diags = translate(src, "t.py")
    assert "class Block(tf.Module):" in out and "tf.tensordot" in out
    assert "from keras" not in out and "import keras" not in out


def test_model_returned_from_a_nested_block_is_checked() -> None:
    """``return keras.Model(...)`` inside an ``if`` of a function: the names its result is
    bound to are checked like those of a model returned from the function's own body (the
    pattern of keras/src/export/litert_test.py: `model = get_model(...)`, `model.export(...)`)."""
    src = textwrap.dedent('''\
        import keras
        from keras import layers


        def get_model(kind):
            if kind == "mlp":
                inputs = keras.Input(shape=(4,))
                outputs = layers.Dense(2)(inputs)
                return keras.Model(inputs, outputs)
            raise ValueError(kind)


        model = get_model("mlp")
        model.export("saved")
        ''')
    out, diags = translate(src, "t.py")
    assert out == src, "the model must stay Keras: its instance is exported"
    assert any(d.code.startswith("XL30") for d in diags), diags


def test_a_class_called_on_keras_tensors_stays_keras() -> None:
    """Regression (issue #13, silent breakage 1): a custom layer instance called in a
    functional graph that stays Keras must stay a Keras layer, else the output fails with
    "A KerasTensor cannot be used as input to a TensorFlow function"."""
    src = textwrap.dedent("""
        import keras
        from keras import layers


        class Scale(layers.Layer):
            def __init__(self):
                super().__init__()
                self.d = layers.Dense(3)

            def call(self, x):
                return self.d(x) * 2.0


        inputs = keras.Input((4,))
        scale = Scale()
        x = scale(inputs)
        model = keras.Model(inputs, x)
        print(model.to_json())
        """)
    out, diags = translate(src, "t.py")
    assert out == src
    assert any("`Scale` is used where a Keras layer is needed" in d.message for d in diags)


def test_a_functional_model_called_on_keras_tensors_stays_keras() -> None:
    """Regression (issue #13, silent breakage 1, for models): a functional model used as a
    layer of another functional model that stays Keras (here: serialised with `to_json`) must stay
    Keras too; translated to a tf.Module, its call on the outer graph's KerasTensor fails."""
    src = textwrap.dedent("""
        import keras
        from keras import layers


        def build_nested():
            inner_in = keras.Input((5,))
            inner_out = layers.Dense(4)(inner_in)
            inner = keras.Model(inner_in, inner_out)
            inputs = keras.Input((5,))
            x = inner(inputs)
            x = layers.Dense(3)(x)
            return keras.Model(inputs, x)


        model = build_nested()
        print(model.to_json())
        """)
    out, diags = translate(src, "t.py")
    assert out == src
    # the reason given is what keeps the program Keras (the flat form's own reason, that `inner`
    # is used as a layer of a Keras graph, is not reported: the program form follows that)
    assert any(d.code == "XL303" and "to_json`" in d.message for d in diags), diags


def test_calling_a_model_on_data_is_not_a_graph_use() -> None:
    """The check is per scope: a builder's local `x` (a KerasTensor) is not the module's `x`."""
    src = textwrap.dedent("""
        import numpy as np
        import keras
        from keras import layers


        def build():
            x = keras.Input((4,))
            y = layers.Dense(2)(x)
            return keras.Model(x, y)


        class Tracked(layers.Layer):  # keeps the program form out: the flat form translates the file
            def call(self, x):
                self.add_metric(x)
                return x


        model = build()
        x = np.ones((1, 4), "float32")
        print(model(x))
        """)
    out, diags = translate(src, "t.py")
    assert out != src and "layers.Dense(2)" not in out and "class Build(tf.Module)" in out, diags
