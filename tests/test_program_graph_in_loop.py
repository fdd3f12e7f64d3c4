"""A functional model built in the body of a ``for`` loop (one model per turn).

Course notebooks compare architectures or cross-validate by building a functional model in a
loop (``for units in [32, 64]:`` / ``for fold, (train, test) in enumerate(kf.split(x)):``),
compiling, fitting and keeping each one. The body runs its statements once a turn, in order,
as a straight-line block does: the graph function is written in the body, and the names the
next turn rebinds, the loop's target included, are captured by value as default arguments
(``def model_graph(scale=scale):``), so each model replays with its own turn's values. A graph
name read after the loop (the last turn's) keeps the model; a ``while`` loop or a ``for`` with
an ``else`` still does.

Executed both ways with weights perturbed in each model's ``get_weights()`` order (training
included in one case); tolerance ``1e-5 * (1 + max |keras|)`` per array, the worst difference
printed.
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
    # the model made where it is kept, the graph function written before that statement
    "appended": """\
        models = []
        for n in (2, 3):
            inputs = keras.Input((4,))
            models.append(keras.Model(inputs, layers.Dense(n)(inputs)))
        x = rng.standard_normal((3, 4)).astype("float32")
        for m in models:
            moved(m)
        report = {"out": [arrays(m(x)) for m in models], "weights": [len(m.weights) for m in models]}
        """,
    # the loop's target is read by the graph (an operation between layers), each model kept
    "target_in_graph": """\
        models = []
        for scale in [0.5, 2.0, -1.0]:
            inputs = keras.Input(shape=(6,))
            x = layers.Dense(4, activation="relu")(inputs)
            outputs = layers.Dense(2)(x) * scale
            model = keras.Model(inputs, outputs)
            models.append(model)
        x = rng.standard_normal((5, 6)).astype("float32")
        for m in models:
            moved(m)
        report = {"out": [arrays(m(x)) for m in models], "shapes": [len(m.weights) for m in models]}
        """,
    # k-fold style: a model per fold, fitted on its slice and evaluated; a graph name read in the same turn
    "folds": """\
        data = rng.standard_normal((24, 5)).astype("float32")
        target = rng.standard_normal((24, 1)).astype("float32")
        scores, predictions, widths = [], [], []
        for fold, units in enumerate([3, 7]):
            train, test = data[fold::2], data[1 - fold::2]
            inputs = keras.Input(shape=(5,), name="features")
            hidden = layers.Dense(units, activation="tanh")(inputs)
            outputs = layers.Dense(1)(hidden)
            model = keras.Model(inputs, outputs)
            widths.append(hidden.shape[-1])
            moved(model)
            model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05), loss="mse")
            model.fit(train, target[fold::2], batch_size=4, epochs=2, shuffle=False, verbose=0)
            scores.append(model.evaluate(test, target[1 - fold::2], verbose=0))
            predictions.append(model.predict(test, verbose=0))
        report = {"scores": arrays(scores), "out": arrays(predictions), "widths": widths}
        """,
}


def script(body: str) -> str:
    return script_head(61) + textwrap.dedent(body) + 'json.dump(report, open(OUT, "w"))\n'


def test_the_graph_function_is_written_in_the_loop_body_with_the_target_by_value() -> None:
    out, diags = tf_(script(BODY["target_in_graph"]))
    assert BANNER in out, diags
    code = user_code(out)
    assert "keras." not in code, diags
    assert "for scale in [0.5, 2.0, -1.0]:\n    def model_graph(scale=scale):\n" in code, code
    again, _ = tf_(out)
    assert again == out


@pytest.mark.parametrize("tail, why", [
    # the last turn's graph tensor, read after the loop
    ("for units in [2, 3]:\n    inputs = keras.Input(shape=(4,))\n    outputs = layers.Dense(units)(inputs)\n"
     "    model = keras.Model(inputs, outputs)\nprint(outputs.shape)\n",
     "`outputs`, made while building a model in a loop, is read after the loop"),
    ("n = 0\nwhile n < 2:\n    inputs = keras.Input(shape=(4,))\n    model = keras.Model(inputs, layers.Dense(2)(inputs))\n"
     "    n += 1\n", "a functional model built inside a loop"),
    ("for units in [2, 3]:\n    inputs = keras.Input(shape=(4,))\n    model = keras.Model(inputs, layers.Dense(units)(inputs))\n"
     "else:\n    print('done')\n", "a functional model built inside a loop"),
])
def test_what_a_loop_does_not_let_the_translation_follow_keeps_the_model(tail: str, why: str) -> None:
    source = "import keras\nfrom keras import layers\n\n" + tail
    out, diags = tf_(source)
    # neither form translates it (the flat form removed `outputs = ...` and left the read after
    # the loop undefined: a NameError when run)
    assert out == source, out
    assert any(why in d for d in diags), diags


@pytest.mark.tf
@pytest.mark.parametrize("case", sorted(BODY))
def test_models_built_in_a_loop_run_as_keras(tmp_path: Path, case: str) -> None:
    source = script(BODY[case])
    translated, diags = tf_(source)
    assert BANNER in translated, diags
    assert "keras." not in user_code(translated), diags
    keras_report, tf_report = run_both(tmp_path, source, translated)
    if case == "folds":
        assert keras_report["widths"] == tf_report["widths"] == [3, 7]
    worst = worst_absolute(keras_report, tf_report, ATOL)
    print(f"\nfunctional models built in a loop ({case}): worst |tf - keras| {worst:.1e} "
          f"(tolerance {ATOL} * (1 + max |keras|))")
