"""Where a model's graph function starts, and what keeps a graph Keras (issue #13).

The region of a functional model starts at the earliest statement that makes one of its
``Input``s and that its inputs and outputs depend on (followed backwards by name), after the
previous model statement of the block. A helper function that makes Inputs (and no model)
counts as making them where it is called. Static rules only; execution is in
tests/test_program_cases.py (``input_helpers``).
"""

from __future__ import annotations

import pytest
from program_text import tf_, user_code

from kerastf_xlate.totf.program.bundle import BANNER


def test_an_input_making_helper_starts_the_graph_where_it_is_called() -> None:
    out, diags = tf_("""
        import keras
        from keras import layers

        def make_inputs():
            return {n: keras.Input(shape=(1,), name=n) for n in ("a", "b")}

        def build():
            inputs = make_inputs()
            x = layers.concatenate(list(inputs.values()))
            return keras.Model(inputs, layers.Dense(2)(x))

        model = build()
        """)
    code = user_code(out)
    assert BANNER in out, diags
    assert "    def build_graph():\n        inputs = make_inputs()\n" in code
    assert "return Model(build_graph)" in code


def test_a_def_holding_an_input_is_not_where_a_later_graph_starts() -> None:
    """`def get_encoder(): ... keras.Input ...` above a model built on another model's tensors:
    the model has no Input of its own (was: a region from the `def` to the model, and a
    blocker naming an unrelated name). A model on part of another model's graph is
    translated (tests/test_program_submodels.py): its graph function is the return alone."""
    out, diags = tf_("""
        import keras
        from keras import layers

        def get_encoder():
            inputs = keras.Input((4,))
            return keras.Model(inputs, layers.Dense(3, name="pool")(inputs))

        encoder = get_encoder()
        callback = object()
        head = keras.Model(encoder.input, encoder.get_layer("pool").output)
        print(callback)
        """)
    assert 'def head_graph(encoder=encoder):\n    return encoder.input, encoder.get_layer("pool").output\n' in out, diags
    assert "callback = object()\ndef head_graph" in out, diags


def test_a_graph_left_without_a_model_before_the_region_stays_outside_it() -> None:
    """An earlier graph fragment that no model takes (a notebook's illustration) is not moved
    into the next model's graph function: its Input keeps the file Keras, named."""
    out, diags = tf_("""
        import keras
        from keras import layers

        inputs = keras.Input(shape=(8,))
        residual = layers.Dense(4)(inputs)
        inputs = keras.Input(shape=(8,))
        x = layers.Dense(4)(inputs)
        model = keras.Model(inputs, x)
        print(residual)
        """)
    assert BANNER not in out
    assert any("`keras.Input(shape=(8,))` is a symbolic input outside any model graph" in d for d in diags), diags
    assert not any("made while building the model" in d for d in diags), diags


def test_an_input_inside_the_region_the_model_does_not_take_blocks() -> None:
    out, diags = tf_("""
        import keras
        from keras import layers

        inputs = keras.Input(shape=(8,))
        extra = keras.Input(shape=(2,))
        x = layers.Dense(4)(inputs)
        model = keras.Model(inputs, x)
        """)
    assert BANNER not in out
    assert any("`extra = keras.Input(shape=(2,))` makes an `Input` inside the model's graph that the model does "
               "not take" in d for d in diags), diags


@pytest.mark.parametrize("use", [
    "spec = make_inputs\n",  # the function used as a value
    "probe = make_inputs()\n",  # called outside any graph
])
def test_an_input_making_helper_used_outside_a_graph_keeps_keras(use: str) -> None:
    out, diags = tf_("""
        import keras
        from keras import layers

        def make_inputs():
            return keras.Input(shape=(3,))

        def build():
            inputs = make_inputs()
            return keras.Model(inputs, layers.Dense(2)(inputs))

        model = build()
        """ + use)
    assert BANNER not in out
    assert any("`keras.Input(shape=(3,))` is a symbolic input outside any model graph" in d for d in diags), diags


def test_a_builder_making_a_whole_model_is_not_an_input_helper() -> None:
    """`SimSiam(get_encoder(), ...)` calls a builder holding Inputs and a model: the statement
    calling it does not start another model's graph (the model, on part of the encoder's
    graph, is translated: tests/test_program_submodels.py)."""
    out, diags = tf_("""
        import keras
        from keras import layers

        def get_encoder():
            inputs = keras.Input((4,))
            return keras.Model(inputs, layers.Dense(3)(inputs))

        encoder = get_encoder()
        head = keras.Model(encoder.inputs, layers.Dense(2)(encoder.outputs[0]))
        """)
    assert "def head_graph(encoder=encoder):\n    return encoder.inputs, Dense(2)(encoder.outputs[0])\n" in out, diags


def test_names_rebound_before_they_are_read_later_do_not_leak() -> None:
    """A loop body (inside a `with`) that binds `action` before reading it, a comprehension
    variable `x`, and a tuple assignment binding `x` read nothing of the graph's."""
    out, diags = tf_("""
        import numpy as np
        import keras
        from keras import layers

        inputs = keras.Input(shape=(4,))
        x = layers.Dense(8, activation="relu")(inputs)
        action = layers.Dense(2, activation="softmax")(x)
        model = keras.Model(inputs, action)

        with open("log.txt", "w") as log:
            for step in range(3):
                action = np.argmax(np.ones(2))
                log.write(str(action))
        sizes = [x * 2 for x in range(3)]
        (x, y) = (1, 2)
        print(x + y)
        """)
    assert BANNER in out, diags
    assert "traced(" not in user_code(out)


def test_a_name_read_in_a_later_loop_before_it_is_rebound_still_leaks() -> None:
    out, diags = tf_("""
        import keras
        from keras import layers

        inputs = keras.Input(shape=(4,))
        x = layers.Dense(8)(inputs)
        model = keras.Model(inputs, x)
        for step in range(3):
            print(x + 1)
            x = step
        """)
    assert BANNER not in out
    assert any("`x`, made while building the model, is used after it" in d for d in diags), diags


@pytest.mark.parametrize("arg", ["sparse=True", "ragged=True"])
def test_a_sparse_or_ragged_input_keeps_keras(arg: str) -> None:
    """The runtime's Input takes dense tensors only (was: a translation raising at run time
    once the region rules let this graph through)."""
    out, diags = tf_(f"""
        import keras
        from keras import layers
        x = keras.Input(shape=(4,), {arg})
        model = keras.Model(x, layers.Dense(4)(x))
        """)
    assert BANNER not in out
    assert any(f"{arg.split('=')[0]} inputs are not translated" in d for d in diags), diags
