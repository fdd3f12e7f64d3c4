"""``to-keras`` on ``to-tf``'s program form (issues #15 and #17; docs/design.md, "The round trip
of the program form").

Static properties, on a fast subset (all examples, whole-file cases and rule examples that
translate to the program form under ``-m slow``):

1. ``to-tf(to-keras(to-tf(F))) == to-tf(F)`` byte for byte;
2. a second ``to-keras`` changes nothing;
3. a file whose runtime block was edited (or lost a marker) comes out unchanged with XL504,
   and nothing in the block is diagnosed by ``to-keras`` or ``lint``.

Executed (``tf``): the raised Keras program and the program form it came from give the same
outputs once the program form's weights, perturbed, are moved into the Keras model
(atol = rtol = 1e-5, float32; the worst difference is printed).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from models import model_source
from runtime_ns import perturbed
from test_program_cases import _compare, _exec, split_case

from kerastf_xlate.config import Config
from kerastf_xlate.lint import lint_bytes
from kerastf_xlate.rules import default_rules
from kerastf_xlate.tokeras import translate as to_keras
from kerastf_xlate.tokeras.program_form import keras_spelling, runtime_lines
from kerastf_xlate.totf import translate as to_tf
from kerastf_xlate.totf.program.bundle import BANNER, END, load_runtime

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "tests" / "cases"
ATOL = 1e-5

RNN = '''import keras
from keras import layers

inputs = keras.Input(shape=(10, 8))
x = layers.LSTM(16, return_sequences=True)(inputs)
x = layers.GRU(8)(x)
outputs = layers.Dense(3, activation="softmax")(x)
model = keras.Model(inputs, outputs)
'''

FAST = [CASES / "program" / "mlp_builder.py", CASES / "program" / "shared_graphs.py", ROOT / "examples" / "lstm_tagger.py"]
# the Keras programs (examples/tf_*.py are hand-written TensorFlow, to-keras's input; tf_keras_ops.py
# is Keras calling tf ops, which to-keras raises to layers: tests/test_tokeras_roundtrip.py)
ALL = sorted(p for p in ROOT.joinpath("examples").glob("*.py") if not p.name.startswith("tf_")) + sorted(p for d in ("program", "training_scripts", "model_files", "lint")
                                                             for p in CASES.joinpath(d).glob("*.py"))


def source(path: Path) -> str:
    return split_case(path)[0] if "cases" in path.parts else path.read_text(encoding="utf-8")


def round_trip(text: str, name: str = "f.py") -> tuple[str, str, list]:
    """(to-tf(F), to-keras of it, its diagnostics), asserting the fixed point and that a second
    to-keras changes nothing."""
    once, _ = to_tf(text, name)
    back, diags = to_keras(once, name)
    twice, _ = to_tf(back, name)
    assert twice == once, f"{name}: to-tf(to-keras(to-tf(F))) differs from to-tf(F)"
    again, _ = to_keras(back, name)
    assert again == back, f"{name}: a second to-keras changed the file"
    if back == once and BANNER in once:
        assert any(d.code == "XL504" for d in diags), f"{name}: a program form kept without XL504"
    return once, back, diags


def test_functional_rnn_goes_back_to_keras() -> None:
    once, back, diags = round_trip(RNN)
    assert BANNER in once and "def model_graph():" in once
    assert back == RNN
    assert diags == []


def test_runtime_names_take_keras_spellings_from_to_tf_s_table() -> None:
    runtime = load_runtime()
    assert keras_spelling("LSTM", runtime) == "keras.layers.LSTM"
    assert keras_spelling("Model", runtime) == "keras.Model"
    assert keras_spelling("Input", runtime) == "keras.Input"
    assert keras_spelling("Sequential", runtime) == "keras.Sequential"
    assert keras_spelling("Adam", runtime) == "keras.optimizers.Adam"
    assert keras_spelling("_snake", runtime) is None  # a private helper of the runtime
    # Keras 2's scikit-learn wrapper (a Keras 2 program's, raised as such)
    assert keras_spelling("KerasClassifier", runtime) == "keras.wrappers.scikit_learn.KerasClassifier"


@pytest.mark.parametrize("path", FAST, ids=[p.stem for p in FAST])
def test_round_trip_is_a_fixed_point(path: Path) -> None:
    once, back, _ = round_trip(source(path), path.name)
    assert BANNER in once and BANNER not in back, f"{path.name}: not raised"


@pytest.mark.slow
@pytest.mark.parametrize("path", ALL, ids=[f"{p.parent.name}-{p.stem}" for p in ALL])
def test_round_trip_is_a_fixed_point_on_every_case(path: Path) -> None:
    round_trip(source(path), path.name)


@pytest.mark.slow
def test_round_trip_of_the_rule_examples() -> None:
    raised = 0
    for rule in default_rules():
        for i, ex in enumerate(rule.examples):
            once, back, _ = round_trip(model_source(rule, ex), f"{rule.layer}-{i}.py")
            raised += BANNER in once and BANNER not in back
    assert raised > 100


def _edited(once: str, old: str, new: str) -> str:
    head, sep, tail = once.partition(BANNER)
    block, end, rest = tail.partition(END)
    assert old in block
    return head + sep + block.replace(old, new, 1) + end + rest


@pytest.mark.parametrize("edit", [
    ("        self.units = int(units)\n", "        self.units = int(units) * 2\n"),  # a runtime class changed by hand
    (END, "# the end"),  # a marker lost
    ("\n\ndef _snake(", "\n\ndef _snake_case("),  # a definition renamed
], ids=["class-edited", "marker-lost", "renamed"])
def test_an_edited_runtime_block_is_kept_with_xl504(edit: tuple[str, str]) -> None:
    once, _ = to_tf(RNN, "f.py")
    old, new = edit
    text = once.replace(END, new, 1) if old == END else _edited(once, old, new)
    out, diags = to_keras(text, "f.py")
    assert out == text
    assert [d.code for d in diags] == ["XL504"], diags


def test_user_code_the_raise_does_not_know_is_kept() -> None:
    once, _ = to_tf(RNN, "f.py")
    text = once + 'print(_snake("LSTMCell"))\n'  # a private runtime helper used by the program
    out, diags = to_keras(text, "f.py")
    assert out == text and [d.code for d in diags] == ["XL504"]


def test_keras_ops_call_goes_back_and_a_tf_op_in_the_graph_keeps_the_file() -> None:
    ops = RNN.replace("x = layers.GRU(8)(x)\n", "x = keras.ops.mean(x, axis=1)\n")
    _, back, _ = round_trip(ops)
    assert back == ops
    once, _ = to_tf(RNN, "f.py")
    text = once.replace("    x = GRU(8)(x)\n", "    x = tf.reduce_mean(x, axis=1)\n")
    out, diags = to_keras(text, "f.py")
    assert out == text and [d.code for d in diags] == ["XL504"]
    assert "tf.reduce_mean" in diags[0].message


def test_lint_and_to_keras_never_diagnose_the_runtime_block() -> None:
    once, _ = to_tf(RNN, "f.py")
    first, last = runtime_lines(once)  # type: ignore[misc]
    for text in (once, once.replace("    x = GRU(8)(x)\n", "    x = tf.reduce_mean(x, axis=1)\n")):
        _, diags = to_keras(text, "f.py")
        assert not any(first <= d.line <= last and d.code != "XL504" for d in diags), diags
        result = lint_bytes("f.py", text.encode(), default_rules(), Config())
        assert not any(first <= d.line <= last for d in result.diagnostics), result.diagnostics


EXECUTED = [("rnn", RNN, {"model": [10, 8]}), *[(p.stem, *split_case(p)[::2]) for p in
                                               (CASES / "program" / "mlp_builder.py", CASES / "program" / "resnet_stack.py",
                                                CASES / "program" / "expressions.py")]]


@pytest.mark.tf
@pytest.mark.parametrize("name, text, spec", EXECUTED, ids=[e[0] for e in EXECUTED])
def test_raised_program_runs_as_the_program_form(name: str, text: str, spec: dict) -> None:
    import keras
    import numpy as np
    import tensorflow as tf

    once, back, _ = round_trip(text, f"{name}.py")
    assert BANNER not in back
    keras.backend.clear_session()
    raised = _exec(back, "__raised_keras__")
    program = _exec(once, "__program_tf__")
    models = spec["models"] if "models" in spec else spec
    rng = np.random.default_rng(1)
    worst, ok = 0.0, True
    for model_name, shape in models.items():
        model, module = raised[model_name], program[model_name]
        assert isinstance(model, keras.Model) and not isinstance(module, keras.layers.Layer)
        shapes = shape if isinstance(shape, list) and shape and isinstance(shape[0], (list, tuple)) else [shape]
        xs = [rng.standard_normal((2, *s)).astype("float32") for s in shapes]
        x = xs[0] if len(xs) == 1 else xs
        model(x)
        module(tf.nest.map_structure(tf.convert_to_tensor, x))
        moved = perturbed(module.get_weights(), seed=3)  # the program form's weights, moved away from their initial values
        module.set_weights(moved)
        model.set_weights(moved)
        diff, close = _compare(module(x, training=False), model(x, training=False), ATOL)
        worst, ok = max(worst, diff), ok and close
    print(f"{name}: worst max |diff| = {worst:.3g}")
    assert ok, f"{name}: outside atol = rtol = {ATOL}; max |diff| = {worst:.3g}"


def test_a_runtime_class_cut_short_is_kept_as_edited() -> None:
    import ast

    once, _ = to_tf(RNN, "f.py")
    gru = next(n for n in ast.parse(once).body if isinstance(n, ast.ClassDef) and n.name == "GRU")
    last = gru.body[-1]  # its last method removed, decorators and all
    first = min([last.lineno] + [d.lineno for d in getattr(last, "decorator_list", [])])
    lines = once.splitlines(keepends=True)
    text = "".join(lines[: first - 1] + lines[last.end_lineno :])  # type: ignore[operator]
    out, diags = to_keras(text, "f.py")
    assert out == text and [d.code for d in diags] == ["XL504"]
    assert "`GRU`" in diags[0].message and "edited" in diags[0].message


def test_a_translated_keras_application_goes_back_to_keras_applications() -> None:
    app = RNN.replace("inputs = keras.Input(shape=(10, 8))\n", "base = keras.applications.VGG16(weights=None, include_top=False)\n"
                      "inputs = keras.Input(shape=(10, 8))\n").replace("x = layers.GRU(8)(x)\n", "x = layers.GRU(8)(x)\nbase.summary()\n")
    once, back, _ = round_trip(app)
    assert "_xlate_keras_app_vgg16.VGG16(" in once
    assert back == app
