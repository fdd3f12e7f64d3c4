"""tf.keras (Keras 2) loss names in the program form: ``keras.losses.Reduction.NONE`` /
``SUM`` / ``SUM_OVER_BATCH_SIZE`` (Keras 2's ReductionV2 string constants) become the strings
Keras 3 takes, and the Keras 2 aliases ``MSE``, ``MAE``, ``MAPE``, ``MSLE``, ``KLD`` and
``kullback_leibler_divergence`` become the runtime's loss functions. The installed Keras 3
lacks these names, so the translation of the Keras 2 spelling is executed against the same
program written with Keras 3's spelling (``reduction="none"``, ``keras.losses.kl_divergence``);
tolerance atol = rtol = 1e-6 (float32), the worst difference printed. ``Reduction.AUTO`` (no
fixed meaning in tf.keras: it depends on the distribution strategy) stays Keras.
"""

from __future__ import annotations

import ast
import textwrap

import pytest

from kerastf_xlate.totf.program.translate import translate_program

MODEL = textwrap.dedent("""\
    import numpy as np
    import keras

    inputs = keras.Input((4,))
    outputs = keras.layers.Dense(3, activation="softmax")(inputs)
    model = keras.Model(inputs, outputs)
    rng = np.random.default_rng(0)
    y_true = rng.uniform(0.1, 1.0, size=(5, 3)).astype("float32")
    y_pred = rng.uniform(0.1, 1.0, size=(5, 3)).astype("float32")
    """)

LEGACY = MODEL + textwrap.dedent("""\
    per_sample = keras.losses.MeanSquaredError(reduction=keras.losses.Reduction.NONE)(y_true, y_pred)
    summed = keras.losses.MeanAbsoluteError(reduction=keras.losses.Reduction.SUM)(y_true, y_pred)
    mean = keras.losses.Huber(reduction=keras.losses.Reduction.SUM_OVER_BATCH_SIZE)(y_true, y_pred)
    mse = keras.losses.MSE(y_true, y_pred)
    mae = keras.losses.MAE(y_true, y_pred)
    mape = keras.losses.MAPE(y_true, y_pred)
    msle = keras.losses.MSLE(y_true, y_pred)
    kld = keras.losses.KLD(y_true, y_pred)
    kl = keras.losses.kullback_leibler_divergence(y_true, y_pred)
    """)

KERAS3 = MODEL + textwrap.dedent("""\
    per_sample = keras.losses.MeanSquaredError(reduction="none")(y_true, y_pred)
    summed = keras.losses.MeanAbsoluteError(reduction="sum")(y_true, y_pred)
    mean = keras.losses.Huber(reduction="sum_over_batch_size")(y_true, y_pred)
    mse = keras.losses.mean_squared_error(y_true, y_pred)
    mae = keras.losses.mean_absolute_error(y_true, y_pred)
    mape = keras.losses.mean_absolute_percentage_error(y_true, y_pred)
    msle = keras.losses.mean_squared_logarithmic_error(y_true, y_pred)
    kld = keras.losses.kl_divergence(y_true, y_pred)
    kl = keras.losses.kl_divergence(y_true, y_pred)
    """)

NAMES = ["per_sample", "summed", "mean", "mse", "mae", "mape", "msle", "kld", "kl"]


def _translated() -> str:
    result = translate_program(LEGACY, ast.parse(LEGACY))
    assert result.text is not None, [b.message for b in result.blockers]
    return result.text


def test_the_keras_2_names_translate() -> None:
    out = _translated()
    assert 'MeanSquaredError(reduction="none")' in out and 'MeanAbsoluteError(reduction="sum")' in out
    assert "mse = _loss_mean_squared_error(y_true, y_pred)" in out
    assert "kl = _loss_kl_divergence(y_true, y_pred)" in out
    assert "keras" not in out.split("# --- end of the layers written out by xlate to-tf ---")[1]


def test_reduction_auto_stays_keras() -> None:
    line = "loss = keras.losses.MeanSquaredError(reduction=keras.losses.Reduction.AUTO)\n"
    text = MODEL + line
    result = translate_program(text, ast.parse(text))
    assert result.text is None or (result.partial and line in result.text)  # kept, the rest translated
    assert any("keras.losses.Reduction.AUTO" in b.message for b in result.blockers + result.findings)


@pytest.mark.tf
def test_runs_like_keras_3_spelled_the_keras_3_way() -> None:
    import numpy as np

    k_ns: dict = {"__name__": "__legacy_keras__"}
    exec(compile(KERAS3, "<keras>", "exec"), k_ns)
    t_ns: dict = {"__name__": "__legacy_tf__"}
    exec(compile(_translated(), "<tf>", "exec"), t_ns)
    worst = 0.0
    for name in NAMES:
        a, b = np.asarray(k_ns[name]), np.asarray(t_ns[name])
        assert a.shape == b.shape and a.dtype == b.dtype, name
        worst = max(worst, float(np.max(np.abs(a - b))))
        assert np.allclose(b, a, atol=1e-6, rtol=1e-6), name
    assert np.asarray(k_ns["per_sample"]).shape == (5,)  # the reduction was applied: not a scalar
    print(f"worst max |diff| = {worst:.3g}")
