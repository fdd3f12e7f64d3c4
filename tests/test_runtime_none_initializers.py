"""``kernel_initializer=None`` (and every other ``*_initializer=None``) is Keras's default
weight initializer, not an error: Keras's ``initializers.get(None)`` is None and ``add_weight``
then initializes a float weight with ``glorot_uniform``, a bias and a BatchNormalization scale
included.

Written after a model zoo whose convolution wrapper passes its own ``kernel_initializer=None``
default on to ``Conv2D``: its translation raised "unknown initializer None" at the first layer
where Keras builds the model. Executed both ways: weights moved (kernels scaled by fan-in,
vectors in [0.1, 0.5]), then inference; tolerance ``1e-5 * (1 + max |keras|)``.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from program_text import max_diff, run_both, script_head

from kerastf_xlate.totf import translate
from kerastf_xlate.totf.program.bundle import BANNER

SCRIPT = script_head(83) + textwrap.dedent("""\
    inputs = keras.Input(shape=(8, 8, 3))
    x = layers.Conv2D(4, 3, kernel_initializer=None, bias_initializer=None)(inputs)
    x = layers.BatchNormalization(gamma_initializer=None)(x)
    x = layers.Flatten()(x)
    outputs = layers.Dense(2, kernel_initializer=None, bias_initializer=None)(x)
    model = keras.Model(inputs, outputs)

    initial = model.get_weights()
    report = {
        # glorot_uniform for the biases and the scale too: random, within its limit, not zeros or ones
        "defaults": [bool(np.all(w != 0) and np.all(w != 1) and np.all(np.abs(w) <= np.sqrt(6 / sum(w.shape[-2:] if w.ndim > 1 else (w.shape[0], w.shape[0])))))
                     for w in (initial[1], initial[2], initial[7])],
        "shapes": [list(w.shape) for w in initial],
    }
    moved(model)
    x = np.random.default_rng(5).uniform(0, 1, (3, 8, 8, 3)).astype("float32")
    report["out"] = arrays(model(x, training=False))
    json.dump(report, open(OUT, "w"))
    """)


def test_none_initializers_are_keras_defaults(tmp_path: Path) -> None:
    out, diags = translate(SCRIPT, str(tmp_path / "zoo.py"))
    assert BANNER in out, [d.message for d in diags]
    keras_run, tf_run = run_both(tmp_path, SCRIPT, out)
    assert keras_run["defaults"] == [True, True, True]
    assert tf_run["defaults"] == keras_run["defaults"]
    assert tf_run["shapes"] == keras_run["shapes"]
    worst = max_diff(keras_run["out"], tf_run["out"])
    print(f"worst difference {worst:.3g}")
    assert worst <= 1e-5 * (1 + max_diff(keras_run["out"], [[0, 0]] * 3))
