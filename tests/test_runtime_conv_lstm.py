"""Runtime ConvLSTM1D/2D/3D against Keras (src/kerastf_xlate/runtime/tfr_recurrent_conv.py).

Every comparison builds the Keras layer and its runtime twin from one expression, checks the
weights agree in number, order, shape and name, perturbs the Keras weights and moves them into
both, and compares every output (sequences and the states ``h, c``) in inference and in
training. Tolerance: max |Keras - runtime| <= 1e-5 * max |Keras output| (float32); the worst
difference per group is printed at the end of the session (tests/conftest.py). Dropout with
an integer seed draws Keras's masks (four per gate group, from the cell's SeedGenerator in
Keras's order), so training is compared exactly; unseeded dropout by its properties.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from runtime_ns import layers, perturbed
from runtime_pairs import max_diff, pair, rand

pytestmark = pytest.mark.tf

RTOL = 1e-5
# batch 4, 5 steps: right padding, left padding, holes, and a row with every step masked
MASK = [[1, 1, 1, 0, 0], [0, 0, 1, 1, 1], [1, 0, 1, 0, 1], [0, 0, 0, 0, 0]]
SHAPES = {1: (4, 5, 7, 2), 2: (4, 5, 6, 5, 2), 3: (4, 5, 4, 3, 4, 2)}


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
    assert scale > 0.0, "a comparison of zeros shows nothing"
    assert diff <= RTOL * scale, f"max |diff| = {diff:.3g} > {RTOL} * {scale:.3g}"
    return diff


def built_pair(expr: str, x: Any, seed: int = 0) -> tuple[Any, Any]:
    k, t = pair(expr)
    k(x), t(x)
    kw = k.get_weights()
    assert [w.shape for w in kw] == [w.shape for w in t.get_weights()], "weights differ in number, order or shape"
    assert [w.path.split("/")[-1] for w in k.weights] == [v.name.split("/")[-1].split(":")[0] for v in t.weights]
    moved = perturbed(kw, seed=seed)
    k.set_weights(moved)
    t.set_weights(moved)
    return k, t


def compare(k: Any, t: Any, x: Any, report: dict[str, float], key: str, **call: Any) -> None:
    for training in (False, True):
        check(k(x, training=training, **call), t(x, training=training, **call), report, key)


# ---------------------------------------------------------------------------- the layers' options

OPTIONS = {
    "plain": "",
    "sequences-state": ", return_sequences=True, return_state=True",
    "same-backwards": ", padding='same', go_backwards=True, return_sequences=True",
    "strides": ", strides=2, return_sequences=True",
    "dilation-same": ", dilation_rate=2, padding='same', return_state=True",
    "channels_first": ", data_format='channels_first', return_sequences=True, return_state=True",
    "no-bias": ", use_bias=False, unit_forget_bias=False, activation='relu', recurrent_activation='hard_sigmoid', "
               "return_sequences=True",
}
FAST = {(2, "sequences-state", True), (2, "channels_first", False), (2, "strides", True), (1, "same-backwards", True),
        (1, "dilation-same", False), (3, "plain", True), (2, "no-bias", False)}
CASES = [pytest.param(rank, option, masked, id=f"{rank}D-{option}-{'masked' if masked else 'unmasked'}",
                      marks=() if (rank, option, masked) in FAST else pytest.mark.slow)
         for rank in (1, 2, 3) for option in OPTIONS for masked in (False, True)]


def _input(rank: int, channels_first: bool = False, seed: int = 0) -> Any:
    import numpy as np

    x = rand(*SHAPES[rank], seed=seed)
    return np.moveaxis(x, -1, 2) if channels_first else x


@pytest.mark.parametrize("rank, option, masked", CASES)
def test_layer_options(rank: int, option: str, masked: bool, runtime_report: dict[str, float]) -> None:
    x = _input(rank, channels_first=option == "channels_first")
    k, t = built_pair(f"layers.ConvLSTM{rank}D(3, {2 if rank == 3 else 3}{OPTIONS[option]})", x)
    compare(k, t, x, runtime_report, f"ConvLSTM{rank}D [conv-lstm tests]", **({"mask": _mask()} if masked else {}))


def test_initial_state_and_unroll(runtime_report: dict[str, float]) -> None:
    """Given states ``[h, c]`` (masked and not); ``unroll=True`` (Keras takes it through
    ``**kwargs``; the runtime honours it, though the rule keeps such a layer Keras)."""
    x = _input(2)
    k, t = built_pair("layers.ConvLSTM2D(3, 3, padding='same', return_sequences=True, return_state=True)", x)
    states = [rand(4, 6, 5, 3, seed=10 + i) for i in range(2)]
    for mask in (None, _mask()):
        check(k(x, initial_state=states, mask=mask), t(x, initial_state=states, mask=mask), runtime_report, "initial_state")
    k, t = built_pair("layers.ConvLSTM2D(3, 3, unroll=True, go_backwards=True, return_sequences=True, "
                      "return_state=True)", x)
    compare(k, t, x, runtime_report, "ConvLSTM2D [conv-lstm tests]", mask=_mask())


def test_unknown_batch_and_time_in_tf_function(runtime_report: dict[str, float]) -> None:
    """A graph function with unknown batch and time sizes (tf.while_loop over tf.shape)."""
    import tensorflow as tf

    x = _input(2)
    k, t = built_pair("layers.ConvLSTM2D(3, 3, return_sequences=True, return_state=True, go_backwards=True)", x)
    spec = [tf.TensorSpec([None, None, 6, 5, 2]), tf.TensorSpec([None, None], tf.bool)]
    f = tf.function(lambda a, m: t(a, mask=m), input_signature=spec)
    check(k(x, mask=_mask()), f(x, _mask()), runtime_report, "tf.function")
    short = rand(2, 3, 6, 5, 2, seed=4)
    check(k(short), tf.function(lambda a: t(a), input_signature=spec[:1])(short), runtime_report, "tf.function")


def test_masks_from_the_input_and_to_the_next_layer() -> None:
    """The input tensor's Keras mask is read, and passed on with return_sequences only."""
    import numpy as np
    import tensorflow as tf

    x = tf.constant(_input(2))
    x._keras_mask = tf.constant(_mask())
    seq = layers().ConvLSTM2D(3, 3, return_sequences=True)
    out = seq(x)
    assert np.array_equal(np.asarray(out._keras_mask), _mask())
    assert max_diff(out, seq(tf.constant(_input(2)), mask=_mask())) == 0.0
    assert getattr(layers().ConvLSTM2D(3, 3)(x), "_keras_mask", None) is None


# ---------------------------------------------------------------------------- dropout


@pytest.mark.parametrize("expr, channels_first", [
    ("layers.ConvLSTM2D(3, 3, dropout=0.3, recurrent_dropout=0.4, seed=2, return_sequences=True, return_state=True)",
     False),
    pytest.param("layers.ConvLSTM2D(3, 3, data_format='channels_first', recurrent_dropout=0.5, seed=3, "
                 "return_sequences=True)", True, marks=pytest.mark.slow),
    pytest.param("layers.ConvLSTM1D(3, 3, dropout=0.5, padding='same', seed=4)", False, marks=pytest.mark.slow),
])
def test_dropout_with_a_seed_is_keras_exactly(expr: str, channels_first: bool, runtime_report: dict[str, float]) -> None:
    """The masks are drawn once per call (also in inference, where they are not applied), the
    same numbers as Keras's call after call, masked or not."""
    x = _input(1 if "1D" in expr else 2, channels_first=channels_first)
    k, t = built_pair(expr, x)
    for call in ({"training": True}, {"training": False}, {"training": True, "mask": _mask()}, {"training": True}):
        check(k(x, **call), t(x, **call), runtime_report, "dropout (seeded)")


def test_dropout_without_a_seed_by_its_properties() -> None:
    """Unseeded dropout: inference is deterministic and equals the no-dropout layer; training
    differs from it and from call to call; rate 1 drops nothing (Keras applies 0 < rate < 1)."""
    import numpy as np

    x = _input(2)
    drop = layers().ConvLSTM2D(3, 3, dropout=0.5, recurrent_dropout=0.5, return_sequences=True)
    plain = layers().ConvLSTM2D(3, 3, return_sequences=True)
    drop(x), plain(x)
    plain.set_weights(drop.get_weights())
    assert max_diff(drop(x), plain(x)) == 0.0
    a, b = np.asarray(drop(x, training=True)), np.asarray(drop(x, training=True))
    assert max_diff(a, np.asarray(plain(x))) > 1e-3 and max_diff(a, b) > 1e-3
    one = layers().ConvLSTM2D(3, 3, dropout=1.0, recurrent_dropout=1.0)
    one(x)
    plain1 = layers().ConvLSTM2D(3, 3)
    plain1(x)
    plain1.set_weights(one.get_weights())
    assert max_diff(one(x, training=True), plain1(x)) == 0.0


# ---------------------------------------------------------------------------- state, wrappers, losses


def test_stateful_carries_the_state_between_calls(runtime_report: dict[str, float]) -> None:
    x = _input(2)
    k, t = built_pair("layers.ConvLSTM2D(3, 3, padding='same', stateful=True, return_sequences=True)", x)
    k.reset_state()
    t.reset_state()
    for seed in range(3):
        xs = _input(2, seed=seed)
        check(k(xs), t(xs), runtime_report, "stateful")
    k.reset_state()
    t.reset_state()
    check(k(x, mask=_mask()), t(x, mask=_mask()), runtime_report, "stateful")
    assert len(t.weights) == 3  # the states are not weights (as in Keras)


@pytest.mark.parametrize("merge_mode", ["concat", pytest.param("sum", marks=pytest.mark.slow)])
def test_bidirectional(merge_mode: str, runtime_report: dict[str, float]) -> None:
    """Bidirectional sets zero_output_for_mask: masked steps are zeros in both directions."""
    x = _input(2)
    k, t = built_pair(f"layers.Bidirectional(layers.ConvLSTM2D(3, 3, padding='same', return_sequences=True), "
                      f"merge_mode={merge_mode!r})", x)
    compare(k, t, x, runtime_report, "Bidirectional [conv-lstm tests]", mask=_mask())


def test_regularizer_losses_as_keras(runtime_report: dict[str, float]) -> None:
    """kernel/recurrent/bias regularizers and the activity regularizer (which ConvLSTM layers,
    unlike SimpleRNN, pass to Keras's Layer): the same losses, in the same order."""
    x = _input(2)
    k, t = built_pair("layers.ConvLSTM2D(3, 3, kernel_regularizer='l2', recurrent_regularizer='l1', "
                      "bias_regularizer='l1', "
                      "activity_regularizer='l2', return_sequences=True)", x)
    assert len(k.losses) == len(t.losses) == 4  # activity loss of the build call, then the weights'
    k(x), t(x)
    check([float(v) for v in k.losses], [float(v) for v in t.losses], runtime_report, "regularizers")


def test_the_comparison_detects_a_wrong_weight() -> None:
    """Negative control: one recurrent-kernel entry nudged by 1e-2 is caught, masked or not."""
    x = _input(2)
    k, t = built_pair("layers.ConvLSTM2D(3, 3, padding='same', return_sequences=True)", x)
    weights = k.get_weights()
    weights[1] = weights[1].copy()
    weights[1][1, 1, 0, 0] += 1e-2
    t.set_weights(weights)
    for call in ({}, {"mask": _mask()}):
        with pytest.raises(AssertionError):
            check(k(x, **call), t(x, **call))


def test_invalid_arguments_raise_as_keras() -> None:
    for expr, shape in (("layers.ConvLSTM2D(3, 3, strides=2, dilation_rate=2)", None),
                        ("layers.ConvLSTM2D(3, 3)", (4, 5, 6, 2))):
        with pytest.raises(ValueError):
            t = eval(expr, {"layers": layers()})
            t(rand(*shape))
