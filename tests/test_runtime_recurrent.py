"""Runtime recurrent layers against Keras: LSTM, GRU (reset_after both ways), SimpleRNN, their
cells in RNN and StackedRNNCells, Bidirectional, TimeDistributed and Masking.

Every comparison builds the Keras layer and its runtime twin from one expression, perturbs
the Keras weights and moves them into both, and compares every output (sequences and
states) in inference and in training. Tolerance: max |Keras - runtime| <= 1e-5 * max |Keras
output| (float32); the worst difference per layer is printed at the end of the session
(tests/conftest.py). Dropout with an integer seed draws the same masks as Keras (the cells'
SeedGenerator in Keras's order), so training is compared exactly too; without a seed the
masks are random and only their properties are checked.

The end-to-end case translates ``tests/cases/program/text_rnn.py`` with ``xlate to-tf`` and
runs the translation in a child process that must not import Keras.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from runtime_ns import layers, perturbed
from runtime_pairs import max_diff, pair, rand

pytestmark = pytest.mark.tf

RTOL = 1e-5
REPO = Path(__file__).resolve().parents[1]
CASE = REPO / "tests" / "cases" / "program" / "text_rnn.py"

# batch 4, 5 steps: right padding, left padding, holes, and a row with every step masked
MASK = [[1, 1, 1, 0, 0], [0, 0, 1, 1, 1], [1, 0, 1, 0, 1], [0, 0, 0, 0, 0]]


def _mask() -> Any:
    import numpy as np

    return np.array(MASK, bool)


def check(a: Any, b: Any, report: dict[str, float] | None = None, key: str = "") -> float:
    """Assert max |a - b| <= RTOL * max |a| over every output; return the worst difference."""
    import numpy as np
    import tensorflow as tf

    diff = max_diff(a, b)
    scale = max((float(np.max(np.abs(np.asarray(x)))) for x in tf.nest.flatten(a) if np.asarray(x).size), default=0.0)
    if report is not None:
        report[key] = max(report.get(key, 0.0), diff)
    assert diff <= RTOL * max(scale, 1e-6), f"max |diff| = {diff:.3g} > {RTOL} * {scale:.3g}"
    return diff


def built_pair(expr: str, x: Any, seed: int = 0, **call: Any) -> tuple[Any, Any]:
    k, t = pair(expr)
    k(x, **call), t(x, **call)
    kw, tw = k.get_weights(), t.get_weights()
    assert [w.shape for w in kw] == [w.shape for w in tw], "weights differ in number, order or shape"
    assert [w.name.split("/")[-1].split(":")[0] for w in k.weights] == \
        [v.name.split("/")[-1].split(":")[0] for v in t.weights], "weight names differ"
    moved = perturbed(kw, seed=seed)
    k.set_weights(moved)
    t.set_weights(moved)
    return k, t


def compare(k: Any, t: Any, x: Any, report: dict[str, float], key: str, **call: Any) -> None:
    for training in (False, True):
        check(k(x, training=training, **call), t(x, training=training, **call), report, key)


# ---------------------------------------------------------------------------- the layers' options

KINDS = {
    "LSTM": "layers.LSTM(3{})",
    "LSTM-impl1": "layers.LSTM(3, implementation=1{})",
    "GRU": "layers.GRU(3{})",
    "GRU-reset_before": "layers.GRU(3, reset_after=False{})",
    "GRU-reset_before-impl1": "layers.GRU(3, reset_after=False, implementation=1{})",
    "SimpleRNN": "layers.SimpleRNN(3{})",
}
OPTIONS = {
    "plain": "",
    "sequences": ", return_sequences=True",
    "state": ", return_state=True",
    "backwards": ", go_backwards=True, return_sequences=True",
    "unroll": ", unroll=True, return_sequences=True, return_state=True",
    "unroll-backwards": ", unroll=True, go_backwards=True, return_state=True",
    "everything": ", return_sequences=True, return_state=True, go_backwards=True",
    "no-bias": ", use_bias=False, activation='relu', return_sequences=True",
}


# the fast subset (every kind, every option at least once); the whole matrix is marked slow
FAST_OPTIONS = {("LSTM", "everything", True), ("LSTM", "unroll", True), ("LSTM-impl1", "state", False),
                ("GRU", "everything", True), ("GRU", "no-bias", False), ("GRU-reset_before", "unroll-backwards", True),
                ("GRU-reset_before-impl1", "sequences", True), ("SimpleRNN", "backwards", True),
                ("SimpleRNN", "plain", False)}
LAYER_CASES = [pytest.param(kind, option, masked, id=f"{kind}-{option}-{'masked' if masked else 'unmasked'}",
                            marks=() if (kind, option, masked) in FAST_OPTIONS else pytest.mark.slow)
               for kind in KINDS for option in OPTIONS for masked in (False, True)]


@pytest.mark.parametrize("kind, option, masked", LAYER_CASES)
def test_layer_options(kind: str, option: str, masked: bool, runtime_report: dict[str, float]) -> None:
    x = rand(4, 5, 2)
    k, t = built_pair(KINDS[kind].format(OPTIONS[option]), x)
    call = {"mask": _mask()} if masked else {}
    compare(k, t, x, runtime_report, kind.split("-")[0] + " [recurrent tests]", **call)


@pytest.mark.parametrize("expr", ["layers.LSTM(3, return_sequences=True, return_state=True)",
                                  "layers.GRU(3, return_state=True, go_backwards=True)",
                                  "layers.SimpleRNN(3, return_sequences=True, unroll=True)"])
def test_initial_state(expr: str, runtime_report: dict[str, float]) -> None:
    """Given states (a list; a lone tensor for one state); with a mask passed explicitly (with
    a tensor initial_state, Keras does not read the input's own mask: checked below)."""
    import tensorflow as tf

    x = rand(4, 5, 2)
    k, t = built_pair(expr, x)
    n = 2 if "LSTM" in expr else 1
    states = [rand(4, 3, seed=10 + i) for i in range(n)]
    for mask in (None, _mask()):
        check(k(x, initial_state=states, mask=mask), t(x, initial_state=states, mask=mask), runtime_report, "initial_state")
    if n == 1:
        check(k(x, initial_state=states[0]), t(x, initial_state=tf.constant(states[0])), runtime_report, "initial_state")


def test_masks_from_the_input_tensor(runtime_report: dict[str, float]) -> None:
    """Keras reads the mask an input tensor carries (``_keras_mask``) when the sequence is the
    call's only tensor argument, and not when initial_state is a tensor too; the runtime's
    Layer.__call__ does the same, and sets the output's mask (return_sequences) for the next layer."""
    import numpy as np
    import tensorflow as tf

    x = rand(4, 5, 2)
    k, t = built_pair("layers.GRU(3, return_sequences=True)", x)
    k_in, t_in = tf.constant(x), tf.constant(x)
    k_in._keras_mask = t_in._keras_mask = tf.constant(_mask())
    a, b = k(k_in), t(t_in)
    check(a, b, runtime_report, "masks")
    assert np.array_equal(np.asarray(b._keras_mask), _mask()) and np.array_equal(np.asarray(a._keras_mask), _mask())
    masked = t(t_in, mask=_mask())
    assert max_diff(b, masked) == 0.0
    h = rand(4, 3, seed=3)
    check(k(k_in, initial_state=[h]), t(t_in, initial_state=[h]), runtime_report, "masks")
    assert max_diff(t(t_in, initial_state=[h]), t(tf.constant(x), initial_state=[h])) == 0.0  # the mask is not read
    assert max_diff(t(t_in, initial_state=[h]), t(t_in, initial_state=[h], mask=_mask())) > 1e-3
    last = layers().GRU(3)(t_in)
    assert getattr(last, "_keras_mask", None) is None  # no sequence, no mask


def test_unknown_sizes_in_tf_function(runtime_report: dict[str, float]) -> None:
    """A graph function with unknown batch and time sizes (tf.while_loop over tf.shape)."""
    import tensorflow as tf

    x = rand(4, 5, 2)
    k, t = built_pair("layers.LSTM(3, return_sequences=True, return_state=True, go_backwards=True)", x)
    spec = [tf.TensorSpec([None, None, 2]), tf.TensorSpec([None, None], tf.bool)]
    f = tf.function(lambda a, m: t(a, mask=m), input_signature=spec)
    check(k(x, mask=_mask()), f(x, _mask()), runtime_report, "tf.function")
    short = rand(2, 3, 2, seed=4)
    check(k(short), tf.function(lambda a: t(a), input_signature=spec[:1])(short), runtime_report, "tf.function")


# ---------------------------------------------------------------------------- dropout


@pytest.mark.parametrize("expr", [
    pytest.param("layers.LSTM(3, dropout=0.3, seed=1, return_sequences=True)", marks=pytest.mark.slow),
    "layers.LSTM(3, dropout=0.3, recurrent_dropout=0.4, seed=2, return_sequences=True, return_state=True)",
    pytest.param("layers.GRU(3, dropout=0.3, seed=3, return_sequences=True)", marks=pytest.mark.slow),
    "layers.GRU(3, recurrent_dropout=0.5, reset_after=False, seed=4, return_sequences=True)",
    "layers.SimpleRNN(3, dropout=0.2, recurrent_dropout=0.3, seed=5, return_sequences=True, unroll=True)",
    pytest.param("layers.Bidirectional(layers.LSTM(3, dropout=0.3, recurrent_dropout=0.3, seed=6, "
                 "return_sequences=True))", marks=pytest.mark.slow),
])
def test_dropout_with_a_seed_is_keras_exactly(expr: str, runtime_report: dict[str, float]) -> None:
    """Keras draws the cells' dropout masks once per call from the cell's SeedGenerator (also
    in inference): the same seed gives the same masks, call after call, masked or not."""
    x = rand(4, 5, 2)
    k, t = built_pair(expr, x)
    for call in ({"training": True}, {"training": False}, {"training": True, "mask": _mask()}, {"training": True}):
        check(k(x, **call), t(x, **call), runtime_report, "dropout (seeded)")


def test_dropout_rate_one_means_none_and_rate_zero_is_exact(runtime_report: dict[str, float]) -> None:
    """Keras's LSTM/GRU cells apply dropout only for 0 < rate < 1: rate 1 drops nothing."""
    x = rand(4, 5, 2)
    for expr in ("layers.LSTM(3, dropout=1.0, recurrent_dropout=1.0)", "layers.GRU(3, dropout=0.0)"):
        k, t = built_pair(expr, x)
        check(k(x, training=True), t(x, training=True), runtime_report, "dropout (seeded)")
        check(k(x, training=False), t(x, training=True))


def test_dropout_without_a_seed_by_its_properties() -> None:
    """Unseeded dropout: inference is deterministic; in training every input feature is
    either dropped or scaled by 1 / (1 - rate), with one mask per call for every step, about
    half kept at rate 0.5. Read through a SimpleRNN without recurrence or bias: each output
    step is (x_t * mask) @ kernel, solved for the mask."""
    import numpy as np

    x = rand(64, 3, 4) + 3.0  # no zero inputs
    rnn = layers().SimpleRNN(6, dropout=0.5, activation=None, use_bias=False, return_sequences=True)
    rnn(x)
    kernel = rand(4, 6, seed=1)
    rnn.set_weights([kernel, np.zeros((6, 6), "float32")])
    assert max_diff(rnn(x), rnn(x)) == 0.0
    out = np.asarray(rnn(x, training=True), "float64")
    masks = np.linalg.lstsq(kernel.T.astype("float64"), out.reshape(-1, 6).T, rcond=None)[0].T.reshape(64, 3, 4) / x
    assert np.allclose(masks, np.where(masks > 1, 2.0, 0.0), atol=1e-3), "kept inputs scaled by 2, the others 0"
    assert np.array_equal(masks[:, 0] > 1, masks[:, 2] > 1), "one mask for every step of a call"
    kept = float(np.mean(masks > 1))
    assert 0.35 < kept < 0.65, kept
    again = np.asarray(rnn(x, training=True))
    assert max_diff(out.astype("float32"), again) > 0.0, "a new mask on each call"


# ---------------------------------------------------------------------------- stateful


def test_stateful_carries_the_state_between_calls(runtime_report: dict[str, float]) -> None:
    x = rand(4, 5, 2)
    k, t = built_pair("layers.LSTM(3, stateful=True, return_sequences=True)", x)
    k.reset_states()
    t.reset_states()
    for seed in range(3):
        xs = rand(4, 5, 2, seed=seed)
        check(k(xs), t(xs), runtime_report, "stateful")
    k.reset_state()
    t.reset_state()
    check(k(x, mask=_mask()), t(x, mask=_mask()), runtime_report, "stateful")
    assert len(t.weights) == 3  # the states are not weights (as in Keras)


# ---------------------------------------------------------------------------- cells


RNN_CASES = [
    ("layers.RNN(layers.LSTMCell(3), return_sequences=True)", False),
    ("layers.RNN(layers.GRUCell(3, reset_after=False), return_state=True, go_backwards=True)", False),
    ("layers.RNN([layers.SimpleRNNCell(4), layers.LSTMCell(3), layers.GRUCell(2)], return_sequences=True, "
     "return_state=True)", True),
    ("layers.RNN(layers.StackedRNNCells([layers.GRUCell(3), layers.GRUCell(2)]), unroll=True, return_sequences=True)",
     True),
    ("layers.RNN([layers.LSTMCell(3, dropout=0.2, recurrent_dropout=0.2, seed=3), layers.GRUCell(2, dropout=0.4, "
     "seed=4)])", False),
    ("layers.RNN(layers.SimpleRNNCell(3), return_sequences=True, zero_output_for_mask=True)", True),
]


@pytest.mark.parametrize("expr, masked", [pytest.param(e, m, marks=() if fast == m else pytest.mark.slow,
                                                       id=f"{i}-{'masked' if m else 'unmasked'}")
                                          for i, (e, fast) in enumerate(RNN_CASES) for m in (False, True)])
def test_rnn_of_cells(expr: str, masked: bool, runtime_report: dict[str, float]) -> None:
    x = rand(4, 5, 2)
    k, t = built_pair(expr, x)
    compare(k, t, x, runtime_report, "RNN [recurrent tests]", **({"mask": _mask()} if masked else {}))


@pytest.mark.parametrize("expr", ["layers.LSTMCell(3)", "layers.GRUCell(3)", "layers.GRUCell(3, reset_after=False)",
                                  "layers.SimpleRNNCell(3)"])
def test_a_cell_called_alone(expr: str, runtime_report: dict[str, float]) -> None:
    k, t = pair(expr)
    x = rand(4, 2)
    states = [rand(4, 3, seed=1 + i) for i in range(2 if "LSTM" in expr else 1)]
    k(x, states), t(x, states)
    moved = perturbed(k.get_weights())
    k.set_weights(moved)
    t.set_weights(moved)
    check(k(x, states), t(x, states), runtime_report, "cells")


# ---------------------------------------------------------------------------- Bidirectional


INNER = ["layers.LSTM(3, return_sequences=True)", "layers.GRU(3, return_state=True)",
         "layers.SimpleRNN(3, return_sequences=True, return_state=True)", "layers.LSTM(3, return_sequences=True, unroll=True)"]
FAST_BIDIRECTIONAL = {(0, "concat", True), (1, None, True), (2, "sum", False), (3, "ave", True), (2, "mul", True)}


@pytest.mark.parametrize("inner, merge_mode, masked", [
    pytest.param(INNER[i], mode, masked, id=f"{i}-{mode}-{'masked' if masked else 'unmasked'}",
                 marks=() if (i, mode, masked) in FAST_BIDIRECTIONAL else pytest.mark.slow)
    for i in range(len(INNER)) for mode in ("concat", "sum", "mul", "ave", None) for masked in (False, True)])
def test_bidirectional(inner: str, merge_mode: str | None, masked: bool, runtime_report: dict[str, float]) -> None:
    """Masked steps of a bidirectional sequence are zeros (Keras sets zero_output_for_mask);
    with unroll=True Keras zeroes the backward outputs with the mask in input order though
    they run reversed, and the runtime class does the same."""
    x = rand(4, 5, 2)
    k, t = built_pair(f"layers.Bidirectional({inner}, merge_mode={merge_mode!r})", x)
    compare(k, t, x, runtime_report, "Bidirectional [recurrent tests]", **({"mask": _mask()} if masked else {}))


def test_bidirectional_backward_layer_initial_state_and_names(runtime_report: dict[str, float]) -> None:
    x = rand(4, 5, 2)
    expr = ("layers.Bidirectional(layers.LSTM(3, return_sequences=True, name='fw'), "
            "backward_layer=layers.GRU(2, go_backwards=True, return_sequences=True, reset_after=False, name='bw'))")
    k, t = built_pair(expr, x)
    assert (t.forward_layer.name, t.backward_layer.name) == (k.forward_layer.name, k.backward_layer.name) == ("forward_fw", "bw")
    compare(k, t, x, runtime_report, "Bidirectional [recurrent tests]", mask=_mask())
    k, t = built_pair("layers.Bidirectional(layers.LSTM(3, return_state=True))", x)
    states = [rand(4, 3, seed=20 + i) for i in range(4)]
    check(k(x, initial_state=states), t(x, initial_state=states), runtime_report, "Bidirectional [recurrent tests]")


# ---------------------------------------------------------------------------- TimeDistributed, Masking


@pytest.mark.parametrize("expr, shape", [
    ("layers.TimeDistributed(layers.Dense(3, activation='tanh'))", (4, 5, 2)),
    pytest.param("layers.TimeDistributed(layers.Conv2D(2, 3, padding='same'))", (2, 3, 5, 5, 2), marks=pytest.mark.slow),
    ("layers.TimeDistributed(layers.BatchNormalization())", (4, 3, 2)),
])
def test_time_distributed(expr: str, shape: tuple[int, ...], runtime_report: dict[str, float]) -> None:
    """Per-step calls as Keras (BatchNormalization in training: statistics per step)."""
    import tensorflow as tf

    x = rand(*shape)
    k, t = built_pair(expr, x)
    compare(k, t, x, runtime_report, "TimeDistributed [recurrent tests]")
    check(k.get_weights(), t.get_weights(), runtime_report, "TimeDistributed [recurrent tests]")
    unknown = tf.function(lambda a: t(a), input_signature=[tf.TensorSpec([None, None, *shape[2:]])])
    check(k(x), unknown(x), runtime_report, "TimeDistributed [recurrent tests]")  # tf.vectorized_map


def test_time_distributed_keeps_the_mask() -> None:
    import numpy as np
    import tensorflow as tf

    t_in = tf.constant(rand(4, 5, 2))
    t_in._keras_mask = tf.constant(_mask())
    out = layers().TimeDistributed(layers().Dense(3))(t_in)
    assert np.array_equal(np.asarray(out._keras_mask), _mask())


def test_masking_then_recurrent_layers(runtime_report: dict[str, float]) -> None:
    """Masking's output (steps equal to mask_value zeroed) and its mask, read by an LSTM and a
    Bidirectional GRU, in a Keras Sequential against a runtime Sequential."""
    import keras
    import numpy as np

    x = rand(4, 5, 2)
    x[0, 3:] = 0.5
    x[1, :2] = 0.5
    x[3] = 0.5
    x[2, 1, 0] = 0.5  # one feature equal to mask_value does not mask the step

    def model(ns: Any) -> Any:
        return ns.Sequential([ns.Input((5, 2)), ns.Masking(0.5), ns.LSTM(4, return_sequences=True),
                              ns.Bidirectional(ns.GRU(3, return_sequences=True)), ns.LSTM(2)])

    keras.utils.set_random_seed(0)
    k, t = model(_Namespace(keras=True)), model(_Namespace())
    k(x), t(x)
    moved = perturbed(k.get_weights())
    k.set_weights(moved)
    t.set_weights(moved)
    check(k(x), t(x), runtime_report, "Masking [recurrent tests]")
    masking = layers().Masking(0.5)
    out = masking(x)
    assert np.array_equal(np.asarray(out._keras_mask), np.any(x != 0.5, axis=-1))
    assert np.array_equal(np.asarray(masking.compute_mask(x)), np.any(x != 0.5, axis=-1))
    check(keras.layers.Masking(0.5)(x), out)


class _Namespace:
    """Keras's model classes and layers under one name each (``Sequential``, ``Input``,
    ``LSTM``): Keras's, or the runtime's."""

    def __init__(self, keras: bool = False) -> None:
        self.keras = keras

    def __getattr__(self, name: str) -> Any:
        if self.keras:
            import keras

            return getattr(keras.layers, name, None) or getattr(keras, name)
        from runtime_ns import runtime

        return runtime()[name]


# ---------------------------------------------------------------------------- end to end


# TensorFlow imports Keras when it is installed (for tf.keras): the child makes `import keras`
# fail first, so the translation runs with no Keras at all
CHILD = """
import sys, runpy
sys.modules["keras"] = None
import numpy as np
data = np.load(sys.argv[2])
ns = runpy.run_path(sys.argv[1])
out = {}
for name in ("classifier", "tagger"):
    model = ns[name]
    weights = [data[f"{name}_w{i}"] for i in range(int(data[f"{name}_n"]))]
    model(data[f"{name}_x"])
    model.set_weights(weights)
    out[name] = model(data[f"{name}_x"]).numpy()
assert not [m for m, v in sys.modules.items() if m.split(".")[0] == "keras" and v is not None]
np.savez(sys.argv[3], **out)
"""


def test_text_model_translated_runs_without_keras(tmp_path: Path, runtime_report: dict[str, float]) -> None:
    """``xlate to-tf`` on a text model (Embedding(mask_zero=True) -> Bidirectional(LSTM) ->
    GRU -> Dense, and a Masking/stacked-cells/TimeDistributed tagger); the translation runs in
    a child process without Keras, on padded token ids, against the Keras models."""
    import keras
    import numpy as np

    source = CASE.read_text().partition("# output\n")[0]  # the case without its expected translation
    original, out = tmp_path / "text_rnn.py", tmp_path / "text_rnn_tf.py"
    original.write_text(source)
    from click.testing import CliRunner

    from kerastf_xlate.cli import main

    result = CliRunner().invoke(main, ["to-tf", "-q", str(original), "-o", str(out)])
    assert result.exit_code == 0, result.output
    env = {**os.environ, "PYTHONPATH": str(REPO / "src"), "TF_CPP_MIN_LOG_LEVEL": "3"}
    assert "import keras" not in out.read_text() and "from keras" not in out.read_text()
    keras.utils.set_random_seed(0)
    ns: dict[str, Any] = {"__name__": "text_rnn_keras"}
    exec(compile(source, str(CASE), "exec"), ns)
    ids = np.array([[3, 5, 7, 0, 0, 0, 0], [1, 2, 3, 4, 5, 6, 7], [0, 0, 4, 9, 0, 2, 0], [0] * 7], "int32")
    feats = rand(3, 6, 3)
    feats[0, 4:] = 0
    feats[1, :2] = 0
    feats[2, 3] = 0
    data: dict[str, Any] = {"classifier_x": ids, "tagger_x": feats}
    expected = {}
    for name, x in (("classifier", ids), ("tagger", feats)):
        model = ns[name]
        model(x)
        weights = perturbed(model.get_weights(), seed=1)
        model.set_weights(weights)
        expected[name] = np.asarray(model(x))
        data[f"{name}_n"] = np.array(len(weights))
        data.update({f"{name}_w{i}": w for i, w in enumerate(weights)})
    np.savez(tmp_path / "in.npz", **data)
    child = subprocess.run([sys.executable, "-c", CHILD, str(out), str(tmp_path / "in.npz"), str(tmp_path / "out.npz")],
                           env=env, capture_output=True, text=True)
    assert child.returncode == 0, child.stderr[-3000:]
    got = np.load(tmp_path / "out.npz")
    for name in expected:
        diff = check(expected[name], got[name], runtime_report, "text model end to end")
        print(f"{name}: worst max |diff| = {diff:.3g}")


def test_the_comparison_detects_a_wrong_weight() -> None:
    """Negative control: one recurrent weight nudged by 1e-2 is caught, masked or not."""
    x = rand(4, 5, 2)
    k, t = built_pair("layers.LSTM(3, return_sequences=True)", x)
    weights = k.get_weights()
    weights[1] = weights[1].copy()
    weights[1][0, 0] += 1e-2
    t.set_weights(weights)
    for call in ({}, {"mask": _mask()}):
        with pytest.raises(AssertionError):
            check(k(x, **call), t(x, **call))


def test_embedding_mask_passes_through_dense_to_the_lstm(runtime_report: dict[str, float]) -> None:
    """Keras's Dense supports masking: Embedding(mask_zero=True) -> Dense -> LSTM reads the
    padding mask; so must the runtime's (the mask changes the result)."""
    import keras
    import numpy as np

    ids = np.array([[3, 5, 0, 0, 0], [0, 0, 2, 4, 1], [1, 0, 2, 0, 3]], "int32")

    def model(ns: Any) -> Any:
        return ns.Sequential([ns.Input((5,), dtype="int32"), ns.Embedding(7, 4, mask_zero=True), ns.Dense(3),
                              ns.LSTM(2, return_sequences=True)])

    keras.utils.set_random_seed(0)
    k, t = model(_Namespace(keras=True)), model(_Namespace())
    k(ids), t(ids)
    moved = perturbed(k.get_weights())
    k.set_weights(moved)
    t.set_weights(moved)
    check(k(ids), t(ids), runtime_report, "masks")
    unmasked = layers().LSTM(2, return_sequences=True)
    unmasked(t.layers[1](t.layers[0](ids)))
    unmasked.set_weights(moved[-3:])
    assert max_diff(t(ids), unmasked(t.layers[1](t.layers[0](ids)) * 1.0)) > 1e-3
