"""A functional model's graph built over several notebook cells (issue #13; docs/design.md,
"Graphs over several notebook cells").

Book notebooks build the encoder of a sequence-to-sequence model in one cell and the decoder
and the model in the next (``source = keras.Input(...)`` ... ``encoded = rnn(x)``, then
``target = keras.Input(...)`` ... ``keras.Model([source, target], predictions)``). The graph
function cannot span cells (each cell must parse), so each earlier cell's statements become a
part function in that cell, returning the names read after them, and the graph function calls
the parts in order. Kept Keras, with the reason, when an earlier cell holds a statement that
does not build the graph (``print(inputs.shape)``) or binds a name read later only under a
condition; a cell that ends by showing a graph value (``inputs.shape``) shows nothing now (XL312). Executed against Keras with the same perturbed weights.
"""

from __future__ import annotations

import json
import os

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from kerastf_xlate.runner import transform_bytes
from kerastf_xlate.totf import make_transform

SEQ2SEQ = [
    "import keras\nfrom keras import layers\n\nembed = 8\n",
    'source = keras.Input(shape=(None,), dtype="int32", name="english")\n'
    "x = layers.Embedding(50, embed, mask_zero=True)(source)\n"
    "rnn = layers.GRU(6)\n"
    'rnn = layers.Bidirectional(rnn, merge_mode="sum")\n'
    "encoded = rnn(x)\n",
    'target = keras.Input(shape=(None,), dtype="int32", name="spanish")\n'
    "x = layers.Embedding(50, embed, mask_zero=True)(target)\n"
    "x = layers.GRU(6, return_sequences=True)(x, initial_state=encoded)\n"
    "x = layers.Dropout(0.5)(x)\n"
    'predictions = layers.Dense(50, activation="softmax")(x)\n'
    "seq2seq = keras.Model([source, target], predictions)\n",
    "print(encoded.shape)\n",
]

# a name rebound in an earlier cell, the model statement alone in its cell
STEPS = [
    "import keras\nfrom keras import layers\nwidth = 4\n",
    'inputs = keras.Input(shape=(3,), name="my_input")\n',
    'features = layers.Dense(width, activation="relu")(inputs)\nwidth = width * 2\n',
    "x = layers.Dense(width)(features)\nfor _ in range(2):\n    x = layers.Dense(width)(layers.BatchNormalization()(x))\n",
    "outputs = layers.Dense(2)(x)\n",
    "model = keras.Model(inputs=inputs, outputs=outputs)\n",
    "width = 100\nprint(width, model.count_params())\n",
]


# an architecture notebook's stages: a cell rebinding the previous cell's tensor in a loop (the
# name is the part's parameter, so it is bound at the part's return even if the loop ran no turn)
LOOPED = [
    "import keras\nfrom keras import layers\n",
    "inputs = keras.Input(shape=(8, 8, 3))\nx = layers.Conv2D(4, 3, padding='same')(inputs)\n",
    "for filters in [4, 8]:\n    x = layers.Conv2D(filters, 3, padding='same', activation='relu')(x)\n"
    "    x = layers.BatchNormalization()(x)\n",
    "x = layers.GlobalAveragePooling2D()(x)\noutputs = layers.Dense(2)(x)\nmodel = keras.Model(inputs, outputs)\n"
    "print(len(model.layers))\n",
]


def _notebook(cells: list[str]) -> bytes:
    return json.dumps({"cells": [{"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
                                  "source": c} for c in cells],
                       "metadata": {}, "nbformat": 4, "nbformat_minor": 5}).encode()


def _translate(cells: list[str]) -> tuple[list[str], list[str]]:
    result = transform_bytes("t.ipynb", _notebook(cells), make_transform())
    assert result.error is None, result.error
    out = json.loads(result.output) if result.output is not None else {"cells": [{"source": c} for c in cells]}
    return ["".join(c["source"]) for c in out["cells"]], [f"{d.code} {d.message}" for d in result.diagnostics]


def test_each_earlier_cell_becomes_a_part_of_the_graph() -> None:
    out, diags = _translate(SEQ2SEQ)
    assert len(out) == len(SEQ2SEQ)
    assert out[1].startswith("def seq2seq_graph_part1():\n    source = Input(shape=(None,)"), (out[1], diags)
    assert out[1].endswith("    encoded = rnn(x)\n    return encoded, source\n")
    assert out[2].startswith("def seq2seq_graph():\n    encoded, source = seq2seq_graph_part1()\n    target = Input(")
    assert out[2].endswith('seq2seq = Model(seq2seq_graph)\nencoded = seq2seq.traced("encoded")\n')
    assert out[3] == SEQ2SEQ[3]
    steps, diags = _translate(STEPS)
    assert steps[2] == ('def model_graph_part2(inputs, width=width):\n    features = Dense(width, activation="relu")(inputs)\n'
                        "    width = width * 2\n    return features, width\n"), (steps, diags)
    assert steps[4].startswith("def model_graph(width=width):\n    inputs = model_graph_part1()\n"
                               "    features, width = model_graph_part2(inputs)\n    x = model_graph_part3(features, width)\n")
    assert steps[5] == "model = Model(model_graph)\n"
    looped, diags = _translate(LOOPED)
    assert looped[2] == ("def model_graph_part2(x):\n    for filters in [4, 8]:\n"
                         "        x = Conv2D(filters, 3, padding='same', activation='relu')(x)\n"
                         "        x = BatchNormalization()(x)\n    return x\n"), (looped, diags)
    assert looped[3].startswith("def model_graph():\n    inputs, x = model_graph_part1()\n    x = model_graph_part2(x)\n")
    again, _ = _translate(steps)
    assert again == steps, "a second run changes nothing"


@pytest.mark.parametrize("change, why", [
    # the cell prints a shape: moved into a function, it would print later, when the model is built
    ((2, "encoded = rnn(x)\n", "encoded = rnn(x)\nprint(encoded.shape)\n"), "does not build the graph"),
    # bound only under a condition in its cell and read after it
    ((2, "encoded = rnn(x)\n", "if embed:\n    encoded = rnn(x)\n"), "is not always bound there"),
])
def test_what_cannot_be_shown_equal_stays_keras(change: tuple[int, str, str], why: str) -> None:
    index, old, new = change
    cells = list(SEQ2SEQ)
    cells[index - 1] = cells[index - 1].replace(old, new)
    assert cells != SEQ2SEQ
    out, diags = _translate(cells)
    assert any("XL301" in d and "spans notebook cells" in d and why in d for d in diags), diags
    assert out[1] == cells[1] and "keras.Model(" in out[2]


@pytest.mark.parametrize("shown", ["encoded", "encoded.shape", "x", "alone: encoded.shape"])
def test_a_cell_ending_by_showing_a_graph_value_becomes_a_part_with_a_note(shown: str) -> None:
    """A cell that ends by showing a value of the graph (Keras shows a symbolic tensor's repr
    or shape), or a cell of its own that only shows one (a book's ``inputs.shape``), is a part
    like the others; it shows nothing now, and XL312 says so at that line."""
    cells = list(SEQ2SEQ)
    if shown.startswith("alone: "):
        shown = shown[len("alone: "):]
        cells.insert(2, shown + "\n")
        out, diags = _translate(cells)
        assert out[2] == f"def seq2seq_graph_part2(encoded):\n    {shown}\n", out
        assert "    seq2seq_graph_part2(encoded)\n" in out[3] and any(d.startswith("XL312") for d in diags), diags
        return
    cells[1] += shown + "\n"
    out, diags = _translate(cells)
    assert out[1].startswith("def seq2seq_graph_part1():\n") and f"    {shown}\n    return encoded, source\n" in out[1], out
    assert [d for d in diags if d.startswith("XL312")] == [
        f"XL312 `{shown}`, the value the cell shows, is not shown: the cell's graph statements run in "
        "`seq2seq_graph_part1` when the model is built (Keras showed a value of its symbolic graph there)"], diags
    again, _ = _translate(out)
    assert again == out, "a second run changes nothing"


@pytest.mark.tf
@pytest.mark.parametrize("cells, model, inputs", [
    (SEQ2SEQ, "seq2seq", "tokens"),
    (STEPS, "model", "features"),
    (SEQ2SEQ[:2] + ["encoded.shape\n"] + SEQ2SEQ[2:], "seq2seq", "tokens"),  # a cell showing a shape (XL312)
    (LOOPED, "model", "images"),
], ids=["seq2seq", "steps", "seq2seq_shown", "looped"])
def test_the_translation_computes_like_keras(cells: list[str], model: str, inputs: str) -> None:
    """Same printed values; with the same perturbed weights, the same outputs (tolerance
    1e-5 absolute and relative)."""
    import contextlib
    import io

    import keras
    import numpy as np
    from runtime_ns import perturbed
    from test_program_cases import _compare, _exec

    out, diags = _translate(cells)
    assert "keras" not in "".join(out[1:]), diags
    runs = []
    for source, name in (("".join(cells), "__graph_cells_keras__"), ("".join(out), "__graph_cells_tf__")):
        keras.backend.clear_session()
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            runs.append((_exec(source, name), buffer.getvalue()))
    (keras_ns, keras_printed), (tf_ns, tf_printed) = runs
    assert keras_printed == tf_printed and keras_printed.strip()
    original, translated = keras_ns[model], tf_ns[model]
    assert type(translated).__module__ == "__graph_cells_tf__"
    assert len(original.weights) == len(translated.weights) > 0
    moved = perturbed(original.get_weights(), seed=4)
    original.set_weights(moved)
    translated.set_weights(moved)
    rng = np.random.default_rng(5)
    if inputs == "tokens":
        tokens = rng.integers(1, 50, (2, 7)).astype("int32")
        tokens[0, 5:] = 0  # padding: the masks matter
        x = [tokens, rng.integers(1, 50, (2, 6)).astype("int32")]
    elif inputs == "images":
        x = rng.standard_normal((2, 8, 8, 3)).astype("float32")
    else:
        x = rng.standard_normal((3, 3)).astype("float32")
    worst = 0.0
    for training in (False,) if inputs == "tokens" else (False, True):
        diff, close = _compare(original(x, training=training), translated(x, training=training))
        assert close, (training, diff)
        worst = max(worst, diff)
    print(f"worst difference {worst:.2e} (tolerance 1e-5)")


# a course notebook's shape: a cell defining a callback class (and a constant) between the cell
# that starts the graph and the model's cell, and a helper defined before the graph statements;
# the model given to a function of the file (the program form, whose graph functions keep the cells)
ASIDE = [
    "import keras\nfrom keras import layers\n",
    'inputs = keras.Input(shape=(3,), name="features")\nx = layers.Dense(5, activation="relu")(inputs)\n'
    'LIMIT = 0.999\n',
    "class StopAt(keras.callbacks.Callback):\n"
    "    def on_epoch_end(self, epoch, logs={}):\n"
    "        if logs.get('accuracy', 0) > LIMIT:\n"
    "            self.model.stop_training = True\n\n\n"
    "WIDTH = 4\n",
    'def describe(value):\n    return type(value).__name__\n\n\nimport math\n\ndef width_of(n):\n    return int(math.sqrt(n)) + n\n\n'
    "x = layers.Dense(width_of(WIDTH))(x)\nx = layers.BatchNormalization()(x)\n",
    'outputs = layers.Dense(2)(x)\nmodel = keras.Model(inputs, outputs)\n\n\ndef n_weights(m):\n    return len(m.weights)\n\n\n'
    'print(describe(StopAt()), WIDTH, LIMIT, n_weights(model))\n',
]


def test_statements_that_only_define_stay_outside_the_parts() -> None:
    out, diags = _translate(ASIDE)
    assert not [d for d in diags if d.startswith("XL301")], diags
    assert out[1] == ('def model_graph_part1():\n    inputs = Input(shape=(3,), name="features")\n'
                      '    x = Dense(5, activation="relu")(inputs)\n    return inputs, x\nLIMIT = 0.999\n'), out
    # the constant the graph reads is a graph statement (a part of its own, as before)
    assert out[2].startswith("class StopAt(Callback):\n") and out[2].endswith(
        "def model_graph_part2():\n    WIDTH = 4\n    return WIDTH\n"), out
    # a helper the graph does not read stays before the part; the one it reads is in it (as before)
    assert out[3].startswith("def describe(value):\n    return type(value).__name__\n\n\n"
                             "def model_graph_part3(WIDTH, x):\n    import math\n\n    def width_of(n):\n"), out
    again, _ = _translate(out)
    assert again == out, "a second run changes nothing"


@pytest.mark.parametrize("change, why", [
    # it runs something that may change what the layers make (the seed of their initializers)
    ((3, "WIDTH = 4\n", "WIDTH = 4\nkeras.utils.set_random_seed(1)\n"), "does not build the graph"),
    # a graph statement before it reads the name it binds: that one would now see the new value
    ((2, 'LIMIT = 0.999\n', 'LIMIT = 0.999\nHIDDEN = 9\n'), "does not build the graph"),
    # it reads a graph name
    ((3, "WIDTH = 4\n", "WIDTH = 4\nprint(x)\n"), "does not build the graph"),
])
def test_statements_that_run_something_still_keep_the_model(change: tuple[int, str, str], why: str) -> None:
    index, old, new = change
    cells = list(ASIDE)
    cells[index - 1] = cells[index - 1].replace(old, new)
    if "HIDDEN = 9" in new:
        cells[0] += "HIDDEN = 5\n"
        cells[1] = cells[1].replace("layers.Dense(5,", "layers.Dense(HIDDEN,")
    assert cells != ASIDE
    out, diags = _translate(cells)
    assert any("XL301" in d and "spans notebook cells" in d and why in d for d in diags), diags
    assert "keras.Model(" in out[4]


@pytest.mark.tf
def test_statements_that_only_define_compute_like_keras() -> None:
    """The same printed line; with the same perturbed weights, the same outputs in inference
    and training (tolerance 1e-5 absolute and relative)."""
    import contextlib
    import io

    import keras
    import numpy as np
    from runtime_ns import perturbed
    from test_program_cases import _compare, _exec

    out, diags = _translate(ASIDE)
    assert "keras" not in "".join(out[1:]).replace("keras.callbacks", ""), diags
    runs = []
    for source, name in (("".join(ASIDE), "__graph_cells_aside_keras__"), ("".join(out), "__graph_cells_aside_tf__")):
        keras.backend.clear_session()
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            runs.append((_exec(source, name), buffer.getvalue()))
    (keras_ns, keras_printed), (tf_ns, tf_printed) = runs
    assert keras_printed == tf_printed == "StopAt 4 0.999 10\n"
    original, translated = keras_ns["model"], tf_ns["model"]
    assert type(translated).__module__ == "__graph_cells_aside_tf__"
    assert [w.shape for w in original.get_weights()] == [tuple(w.shape) for w in translated.get_weights()]
    moved = perturbed(original.get_weights(), seed=4)
    original.set_weights(moved)
    translated.set_weights(moved)
    x = np.random.default_rng(5).standard_normal((3, 3)).astype("float32")
    worst = 0.0
    for training in (False, True):
        diff, close = _compare(original(x, training=training), translated(x, training=training))
        assert close, (training, diff)
        worst = max(worst, diff)
    print(f"worst difference {worst:.2e} (tolerance 1e-5)")
