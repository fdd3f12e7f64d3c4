"""The program form's static rules (no TensorFlow): graph regions, what blocks, what is kept.

Each case is a small Keras program; the test checks the translation's text (or that nothing
was translated and why). Execution against Keras is in tests/test_program_cases.py.
"""

from __future__ import annotations

import ast

import pytest
from program_text import tf_, user_code

from kerastf_xlate.totf.program.bundle import BANNER, load_runtime


def test_a_name_rebound_after_the_model_is_captured_as_a_default() -> None:
    out, _ = tf_("""
        import keras
        from keras import layers
        units = 8
        inputs = keras.Input((4,))
        x = inputs
        for _ in range(2):
            x = layers.Dense(units)(x)
        model = keras.Model(inputs, x)
        units = 16
        """)
    assert "def model_graph(units=units):" in out
    ast.parse(out)


def test_a_name_read_then_rebound_in_the_graph_is_captured() -> None:
    out, _ = tf_("""
        import keras
        from keras import layers
        width = 8
        inputs = keras.Input((4,))
        x = inputs
        for _ in range(2):
            x = layers.Dense(width)(x)
            width *= 2
        model = keras.Model(inputs, x)
        """)
    assert "def model_graph(width=width):" in out


@pytest.mark.parametrize("src, why", [
    ("""
        import keras
        from keras import layers
        inputs = keras.Input((4,))
        x = layers.Dense(3)(inputs)
        model = keras.Model(inputs, x)
        print(x * 2)
        """, "`x`, made while building the model, is used after it"),
    ("""
        import keras
        from keras import layers
        def build(flag):
            inputs = keras.Input((4,))
            x = inputs
            for _ in range(2):
                x = layers.Dense(3)(x)
            if flag:
                return None
            x = layers.Dense(2)(x)
            return keras.Model(inputs, x)
        """, "cannot move into a function"),
    ("""
        import keras
        from keras import layers
        models = []
        n = 2
        while n < 4:  # a `for` body is translated (tests/test_program_graph_in_loop.py), a `while` body is not
            inputs = keras.Input((4,))
            models.append(keras.Model(inputs, layers.Dense(n)(inputs)))
            n += 1
        """, "a functional model built inside a loop"),
    ("""
        import keras
        from keras import layers
        base = keras.Sequential()
        base.add(keras.Input((4,)))
        base.add(layers.Dense(3))
        head = keras.Model(base.inputs, layers.Dense(2)(base.outputs[0]))
        base.add(layers.Dense(1))
        """, "not `Input`s made before it"),  # added to after the head (before it: tests/test_course4_*)
])
def test_what_blocks_a_graph_function(src: str, why: str) -> None:
    out, diags = tf_(src)
    assert BANNER not in out
    assert any(why in d for d in diags), diags


def test_statements_after_the_graph_that_build_nothing_stay_outside() -> None:
    out, _ = tf_("""
        import keras
        from keras import layers
        def build(name=None):
            inputs = keras.Input((4,))
            x = inputs
            for _ in range(2):
                x = layers.Dense(3)(x)
            if name is None:
                name = "dense_model"
            return keras.Model(inputs, x, name=name)
        """)
    code = user_code(out)
    assert "        return inputs, x\n\n    if name is None:" in code
    assert "return Model(build_graph, name=name)" in code


def test_registration_decorators_go_and_utilities_stay() -> None:
    out, diags = tf_("""
        import keras
        from keras import layers

        @keras.saving.register_keras_serializable()
        class Scale(layers.Layer):
            def call(self, x):
                return x * 2.0

        y = keras.utils.to_categorical([0, 1], 2)
        model = keras.Sequential([keras.Input((3,)), Scale(), layers.Dense(2)])
        for i in range(2):
            model.add(layers.Dense(2))
        """)
    code = user_code(out)
    assert "register_keras_serializable" not in code
    assert "class Scale(Layer):" in code
    assert "keras.utils.to_categorical" in code and "import keras" in code
    assert any(d.startswith("XL309") for d in diags)


def test_keras_only_features_of_a_subclass_block() -> None:
    out, diags = tf_("""
        import keras
        from keras import layers

        class Net(keras.Model):
            def __init__(self):
                super().__init__()
                self.d = layers.Dense(2)

            def call(self, x):
                self.add_metric(x, name="m")
                return self.d(x)

        inputs = keras.Input((3,))
        x = inputs
        for _ in range(2):
            x = layers.Dense(3)(x)
        model = keras.Model(inputs, Net()(x))
        """)
    assert BANNER not in out
    assert any("`self.add_metric`" in d for d in diags), diags


def test_unrelated_objects_named_model_do_not_block() -> None:
    out, _ = tf_("""
        import keras
        from keras import layers
        from sklearn.linear_model import LinearRegression
        inputs = keras.Input((3,))
        x = inputs
        for _ in range(2):
            x = layers.Dense(3)(x)
        net = keras.Model(inputs, x)
        model = LinearRegression()
        model.fit([[1.0]], [1.0])
        """)
    assert BANNER in out


def test_the_runtime_names_are_unique_and_the_bundle_parses() -> None:
    rt = load_runtime()
    source = rt.source(set(rt.public))
    ast.parse("import tensorflow as tf\n" + source)
    assert "keras" not in "".join(line for line in source.splitlines() if line.lstrip().startswith(("import", "from")))


# (a float policy, literal or read at run time, is honoured: tests/test_runtime_dtype.py)
@pytest.mark.parametrize("arg", ["dtype='int32'", "dtype='int8_from_float32'", "lora_rank=2"])
def test_arguments_the_tensorflow_classes_cannot_honour_block(arg: str) -> None:
    out, diags = tf_(f"""
        import keras
        from keras import layers
        policy = "mixed_float16"
        inputs = keras.Input((4,))
        x = inputs
        for _ in range(2):
            x = layers.Dense(3, {arg})(x)
        model = keras.Model(inputs, x)
        """)
    assert BANNER not in out
    assert any(d.startswith(("XL201", "XL202")) for d in diags), diags


def test_regularizers_translate_in_the_program_form_only() -> None:
    """The program form's layers collect regularization losses (``layer.losses``) as Keras's
    do, and its optimizer applies constraints; the flat form's tf.Module does neither, so
    there they still block (XL202)."""
    src = """
        import keras
        from keras import layers, regularizers
        inputs = keras.Input((4,))
        x = inputs
        for _ in range(2):
            x = layers.Dense(3, kernel_regularizer=regularizers.l2(1e-4), bias_regularizer="l1",
                             activity_regularizer=keras.regularizers.L1L2(l1=0.01),
                             kernel_constraint=keras.constraints.max_norm(2.0), bias_constraint="non_neg")(x)
        model = keras.Model(inputs, x)
        """
    out, diags = tf_(src)
    assert BANNER in out, diags
    assert not [d for d in diags if d.startswith(("XL202", "XL301"))], diags
    assert "kernel_regularizer=L2Regularizer(l2=1e-4)" in out and "activity_regularizer=L1L2Regularizer(l1=0.01)" in out
    assert "kernel_constraint=MaxNorm(max_value=2.0)" in out
    # a layer whose TensorFlow class takes no regularizer still blocks
    out, diags = tf_(src.replace("layers.Dense(3,", "layers.MultiHeadAttention(2, 3,").replace(")(x)", ")(x, x)"))
    assert BANNER not in out
    assert any(d.startswith("XL202") for d in diags), diags


def test_a_file_naming_its_factor_l2_keeps_it() -> None:
    """The runtime's classes are ``L1Regularizer``... so a file's own ``L2`` is no collision."""
    out, diags = tf_("""
        import keras
        from keras import layers
        from keras.regularizers import l2
        L2 = 1e-4
        inputs = keras.Input((4,))
        model = keras.Model(inputs, layers.Dense(3, kernel_regularizer=l2(L2))(inputs))
        """)
    assert BANNER in out, diags
    assert "kernel_regularizer=L2Regularizer(l2=L2)" in out
