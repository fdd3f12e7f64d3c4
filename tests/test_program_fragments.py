"""Graph fragments that build no model (issue #13).

Book notebooks show what layers do to shapes with a few statements that make an ``Input``,
call layers on it and print a shape, and build no model (``outputs = layers.SimpleRNN(16)(inputs)``
then ``print(outputs.shape)``), between cells that build real models. Such a fragment moves
into ``def graph_fragment():`` run once on symbolic tensors by the runtime's ``symbolic_run``
(Keras runs layers on KerasTensors outside a model so); a name read after it is bound from
that run, as a symbol read only for its shape, dtype or name. A fragment whose tensors are
used otherwise stays Keras, with the reason.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import os
import textwrap

import pytest
from program_text import tf_

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from kerastf_xlate.totf.program.bundle import BANNER

SOURCE = """
import keras
from keras import layers

width = 5
probe = keras.Input(shape=(9, 3))
seq = layers.GRU(width, return_sequences=True)(probe)
print("sequence:", seq.shape)

probe = keras.Input(shape=(6, 6, 2))
y = layers.Conv2D(4, 3, activation="relu")(probe)
shortcut = y
y = layers.Conv2D(7, 3, padding="same")(y)
shortcut = layers.Conv2D(7, 1)(shortcut)
y = layers.add([y, shortcut])
width += 1
left = keras.Input(shape=(3,))
right = keras.Input(shape=(3,))
both = layers.Concatenate()([left, right])
width += 1
print("block:", y.shape, both.shape[-1])
inputs = keras.Input(shape=(4,))
outputs = layers.Dense(2)(inputs)
model = keras.Model(inputs, outputs)
"""


def test_fragments_run_symbolically() -> None:
    out, diags = tf_(SOURCE)
    assert BANNER in out, diags
    code = out.partition("# --- end of the layers written out by xlate to-tf ---")[2]
    assert "keras" not in code
    assert 'symbolic_run(graph_fragment)\n' in code
    assert 'y = symbolic_run(graph_fragment_1, "y")\n' in code
    assert 'both = symbolic_run(graph_fragment_2, "both")\n' in code
    again, _ = tf_(out)
    assert again == out, "a second run changes nothing"
    compile(out, "t.py", "exec")


@pytest.mark.parametrize("tail, why", [
    # a fragment's tensor used in a model's graph: a graph the translator does not follow
    ("head = keras.Model(inputs, layers.Dense(1)(y))\n", "is a symbolic input outside any model graph"),
    # computed on outside the fragment
    ("doubled = y * 2\n", "is a symbolic input outside any model graph"),
])
def test_fragments_whose_tensors_are_used_stay_keras(tail: str, why: str) -> None:
    src = textwrap.dedent(SOURCE) + tail
    out, diags = tf_(src)
    assert any(why in d for d in diags), diags
    assert "keras.Input(shape=(6, 6, 2))" in out, "the fragment is kept"


@pytest.mark.tf
def test_fragments_print_what_keras_prints() -> None:
    import keras
    from test_program_cases import _exec

    out, _ = tf_(SOURCE)
    printed = []
    for source, name in ((textwrap.dedent(SOURCE), "__fragments_keras__"), (out, "__fragments_tf__")):
        keras.backend.clear_session()
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            ns = _exec(source, name)
        printed.append(buffer.getvalue())
        assert type(ns["model"]).__module__ == name or name.endswith("keras__")
    assert printed[0] == printed[1]
    assert "sequence: (None, 9, 5)" in printed[1] and "block: (None, 4, 4, 7) 6" in printed[1]


BUILD_BY_CALL = """
import numpy as np
import keras
from keras import layers


class Scorer(keras.Model):
    def __init__(self):
        super().__init__()
        self.hidden = layers.Dense(5, activation="relu")
        self.norm = layers.BatchNormalization()
        self.out = layers.Dense(2)

    def call(self, x, training=None):
        return self.out(self.norm(self.hidden(x), training=training))


scorer = Scorer()
symbolic = scorer(keras.Input(shape=(4,)))
print("built:", symbolic.shape, len(scorer.weights))
"""


@pytest.mark.tf
def test_a_subclass_built_on_a_symbolic_input_computes_like_keras() -> None:
    """``model(keras.Input(shape))`` builds a subclassed model on a symbolic input: a fragment."""
    import keras
    import numpy as np
    from runtime_ns import perturbed
    from test_program_cases import _compare, _exec

    out, diags = tf_(BUILD_BY_CALL)
    assert BANNER in out, diags
    assert "    symbolic = scorer(Input(shape=(4,)))\n" in out and "symbolic_run(graph_fragment)\n" in out
    printed = []
    keras.backend.clear_session()
    for source, name in ((textwrap.dedent(BUILD_BY_CALL), "__build_keras__"), (out, "__build_tf__")):
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            printed.append((_exec(source, name), buffer))
    (original, keras_out), (translated, tf_out) = printed
    assert keras_out.getvalue() == tf_out.getvalue() == "built: (None, 2) 8\n"
    moved = perturbed(original["scorer"].get_weights(), seed=5)
    original["scorer"].set_weights(moved)
    translated["scorer"].set_weights(moved)
    x = np.random.default_rng(2).standard_normal((3, 4)).astype("float32")
    worst = 0.0
    for training in (False, True):
        diff, close = _compare(original["scorer"](x, training=training), translated["scorer"](x, training=training))
        assert close, (training, diff)
        worst = max(worst, diff)
    print(f"worst difference {worst:.2e} (tolerance 1e-5)")


def test_a_fragment_in_a_function_body() -> None:
    out, diags = tf_("""
        import keras
        from keras import layers

        def show(width):
            probe = keras.Input(shape=(5,))
            print(layers.Dense(width)(probe).shape)

        def kept(width):
            probe = keras.Input(shape=(5,))
            return layers.Dense(width)(probe)

        show(3)
        inputs = keras.Input(shape=(4,))
        model = keras.Model(inputs, layers.Dense(2)(inputs))
        """)
    assert "def show(width):\n    def graph_fragment():\n        probe = Input(shape=(5,))\n" in out, out
    assert "    symbolic_run(graph_fragment)\n" in out
    assert any("symbolic input outside any model graph" in d for d in diags), diags


def test_a_fragment_that_reads_a_name_before_rebinding_it_stays_keras() -> None:
    src = textwrap.dedent("""
        import keras
        from keras import layers

        count = 0
        probe = keras.Input(shape=(5,))
        count = count + layers.Dense(3)(probe).shape[-1]
        inputs = keras.Input(shape=(4,))
        model = keras.Model(inputs, layers.Dense(2)(inputs))
        """)
    out, diags = tf_(src)
    assert "probe = keras.Input(shape=(5,))" in out
    assert any("symbolic input outside any model graph" in d for d in diags), diags


def test_a_nested_helpers_local_is_not_taken_from_a_fragment() -> None:
    """``shortcut`` is a local of the graph's helper: the graph function does not take the
    fragment's ``shortcut`` as a default argument (it did while every name loaded anywhere in
    the region counted as read), so the fragment moves into its function."""
    src = textwrap.dedent("""
        import keras
        from keras import layers

        probe = keras.Input(shape=(6, 6, 2))
        shortcut = layers.Conv2D(3, 1)(probe)
        inputs = keras.Input(shape=(6, 6, 2))

        def block(x, width):
            shortcut = x
            return layers.add([layers.Conv2D(width, 1)(x), layers.Conv2D(width, 1)(shortcut)])

        model = keras.Model(inputs, block(inputs, 4))
        shortcut = None
        """)
    out, diags = tf_(src)
    assert "def model_graph():" in out and "symbolic_run(graph_fragment)\n" in out, diags


def test_a_fragment_whose_name_a_later_graph_takes_as_a_default_stays_keras() -> None:
    """A later graph reading a fragment's tensor for its shape, rebound after the model, takes
    it as a default argument where the model is defined (``def model_graph(probe=probe):``):
    the name must stay bound there to the tensor, so the fragment stays Keras."""
    src = textwrap.dedent("""
        import keras
        from keras import layers

        probe = keras.Input(shape=(6, 6, 2))
        seen = layers.Conv2D(3, 1)(probe)
        print(seen.shape)
        features = keras.Input(shape=(5,))
        first = keras.Model(features, layers.Dense(2)(features))
        inputs = keras.Input(shape=(6, 6, 2))
        model = keras.Model(inputs, layers.Conv2D(seen.shape[-1], 1)(inputs))
        seen = None
        """)
    out, diags = tf_(src)
    assert "probe = keras.Input(shape=(6, 6, 2))\nseen = layers.Conv2D(3, 1)(probe)\n" in out, out
    assert any("symbolic input outside any model graph" in d for d in diags), diags


BUILDER_GIVEN_INPUT = """
import keras
from keras import layers


def small_net(input_tensor=None, classes=3):
    if input_tensor is None:
        img_input = keras.Input(shape=(6,))
    else:
        img_input = input_tensor
    x = layers.Dense(classes)(img_input)
    if input_tensor is not None:
        inputs = {source}
    else:
        inputs = img_input
    return keras.Model(inputs, x)


{call}
print("built")
"""


@pytest.mark.tf
@pytest.mark.parametrize("source", ["keras.utils.get_source_inputs(input_tensor)", "input_tensor"])
@pytest.mark.parametrize("call", ["model = small_net(input_tensor=keras.Input(shape=(6,)))",
                                  "probe = keras.Input(shape=(6,))\nsmall_net(probe)"])
def test_a_fragment_giving_its_input_to_a_builder_stays_keras(source: str, call: str) -> None:
    """A keras.applications-style builder called with an ``Input`` made at the call
    (``input_tensor=``), its result not read later: as a fragment, the translated builder's
    graph function got the fragment's symbol and the translation raised where Keras runs
    (found by a Keras 2 builder importing `get_source_inputs`). The fragment stays Keras; so
    does the builder (its Input comes from outside every graph)."""
    from test_program_cases import _exec

    src = textwrap.dedent(BUILDER_GIVEN_INPUT).format(source=source, call=call)
    out, diags = tf_(src)
    assert out == src, diags
    assert any("is a symbolic input outside any model graph" in d for d in diags), diags
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        _exec(out, "__fragment_builder__")
    assert buffer.getvalue() == "built\n"


def test_a_fragment_giving_a_shape_to_a_builder_still_moves() -> None:
    """A shape of a fragment's tensor is a Python value: a builder may take it."""
    src = textwrap.dedent("""
        import keras
        from keras import layers


        def head(width):
            inputs = keras.Input(shape=(width,))
            return keras.Model(inputs, layers.Dense(2)(inputs))


        probe = keras.Input(shape=(6,))
        seen = layers.Dense(4)(probe)
        model = head(seen.shape[-1])
        print(model.output_shape)
        """)
    out, diags = tf_(src)
    assert "symbolic_run(graph_fragment" in out, diags
    if importlib.util.find_spec("tensorflow") is None:
        return
    from test_program_cases import _exec

    printed = []
    for source, name in ((src, "__fragment_shape_keras__"), (out, "__fragment_shape_tf__")):
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            _exec(source, name)
        printed.append(buffer.getvalue())
    assert printed[0] == printed[1] == "(None, 2)\n"
