"""A ``Sequential([keras.Input(...), ...])`` made while a model's graph is built.

Keras makes the Sequential's first entry its ``InputLayer``: it is not an input of the model
being built around it. The runtime's ``Input`` is the running graph function's input, so a
Sequential with an Input entry written in a graph region, or in a function a graph calls (a
head or block builder), translated to code that failed when run ("'SymbolicTensor' object is
not callable"). Those entries are now written ``InputLayer(...)``; at module level the user's
``Input`` stays.

Executed both ways with weights perturbed in the model's ``get_weights()`` order; tolerance
``1e-5 * (1 + max |keras|)`` per array, the worst difference printed.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from nested_compare import worst_absolute
from program_text import run_both, script_head, tf_, user_code

from kerastf_xlate.totf.program.bundle import BANNER

ATOL = 1e-5

BODY = {
    # in the graph region, bound to a name and called
    "bound": """\
        inputs = keras.Input(shape=(8,))
        head = keras.Sequential([keras.Input(shape=(8,)), layers.Dense(4, activation="relu"), layers.Dense(2)])
        x = layers.Dense(8)(inputs)
        model = keras.Model(inputs, head(x))
        """,
    # called where it is made, the declared input given by keyword and with a name
    "called": """\
        inputs = keras.Input(shape=(8,))
        x = layers.Dense(8)(inputs)
        outputs = keras.Sequential(layers=[keras.Input((8,), name="head_in"), layers.Dense(2)])(x)
        model = keras.Model(inputs, outputs)
        """,
    # a block builder called from a model builder; another Sequential at module level
    "builder": """\
        def make_head(units):
            return keras.Sequential([keras.Input(shape=(8,)), layers.Dense(units, activation="relu"), layers.Dense(2)])

        def build():
            inputs = keras.Input(shape=(8,))
            x = layers.Dense(8)(inputs)
            return keras.Model(inputs, make_head(4)(x))

        model = build()
        plain = keras.Sequential([keras.Input(shape=(8,)), layers.Dense(3)])
        """,
}


def script(body: str) -> str:
    return script_head(47) + textwrap.dedent(body) + textwrap.dedent("""\
        moved(model)
        x = rng.standard_normal((5, 8)).astype("float32")
        json.dump({"out": arrays(model(x)), "layers": [type(layer).__name__ for layer in model.layers],
                   "weights": [list(w.shape) for w in model.get_weights()]}, open(OUT, "w"))
        """)


@pytest.mark.parametrize("case", sorted(BODY))
def test_the_input_entry_is_written_as_an_input_layer_only_where_a_graph_runs_it(case: str) -> None:
    out, diags = tf_(script(BODY[case]))
    assert BANNER in out, diags
    code = user_code(out)
    assert "keras." not in code, diags
    assert code.count("Sequential([InputLayer(") + code.count("Sequential(layers=[InputLayer(") == 1, code
    if case == "builder":
        assert "plain = Sequential([Input(shape=(8,)), Dense(3)])" in code


@pytest.mark.tf
@pytest.mark.parametrize("case", sorted(BODY))
def test_a_sequential_with_an_input_inside_a_graph_runs_as_keras(tmp_path: Path, case: str) -> None:
    source = script(BODY[case])
    translated, diags = tf_(source)
    assert BANNER in translated, diags
    keras_report, tf_report = run_both(tmp_path, source, translated)
    assert keras_report["layers"][-1] == "Sequential" and len(keras_report["weights"]) in (4, 6)
    worst = worst_absolute(keras_report, tf_report, ATOL)
    print(f"\nSequential with an Input entry in a graph ({case}): worst |tf - keras| {worst:.1e} "
          f"(tolerance {ATOL} * (1 + max |keras|))")
