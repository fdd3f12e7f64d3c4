"""keras.applications builders in a user's program (totf/program/applications.py).

Transfer learning builds a model on `keras.applications.X(include_top=False, ...)`; the
builder is translated from the installed Keras's source into the user's file, so the whole
model leaves Keras. Executed against Keras with the same perturbed weights, and with a
weights file Keras wrote, loaded by the translated builder as Keras's loads it.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from program_text import run_both, tf_, user_code

from kerastf_xlate.totf.program import applications

HEAD = textwrap.dedent("""\
    import json
    import numpy as np
    import keras
    from keras import layers

    base = keras.applications.MobileNetV2(include_top=False, weights=WEIGHTS, input_shape=(32, 32, 3), alpha=0.35)
    base.trainable = False
    inputs = keras.Input(shape=(32, 32, 3))
    x = keras.applications.mobilenet_v2.preprocess_input(inputs)
    x = base(x, training=False)
    x = layers.GlobalAveragePooling2D()(x)
    outputs = layers.Dense(3)(x)
    model = keras.Model(inputs, outputs)
    """)
RUN = textwrap.dedent("""\
    rng = np.random.default_rng(0)
    if WEIGHTS is None:  # perturbed: no zero biases or unit BatchNorm statistics
        for w in model.weights:
            if len(w.shape) > 1:  # kernels: zero-mean with the fan-in's scale, finite through 50 layers
                w.assign((rng.normal(size=w.shape) / np.sqrt(np.prod(w.shape[:-1]))).astype("float32"))
            else:  # biases, BatchNorm scales and statistics: none zero or one
                w.assign(rng.uniform(0.5, 1.5, size=w.shape).astype("float32"))
    images = rng.uniform(0, 255, size=(2, 32, 32, 3)).astype("float32")
    json.dump({"out": np.asarray(model(images)).tolist(), "weights": len(model.weights),
               "trainable": len(model.trainable_weights), "names": [w.name for w in base.weights][:5]}, open(OUT, "w"))
    """)


def test_a_builder_is_translated_into_the_file_and_the_model_leaves_keras() -> None:
    out, diags = tf_("WEIGHTS = None\n" + HEAD)
    code = user_code(out)
    assert "base = _xlate_keras_app_mobilenet_v2.MobileNetV2(include_top=False" in code, code
    assert "keras" not in code.replace("_xlate_keras_app", ""), code
    assert "def _xlate_keras_app_mobilenet_v2_module():" in out and "Apache License 2.0" in out
    assert any(d.startswith("XL309") and "translated from the installed Keras's source" in d for d in diags), diags
    again, _ = tf_(out)
    assert again == out, "a second run changes nothing"


def test_without_keras_installed_the_builder_keeps_its_model_keras(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(applications.importlib.util, "find_spec", lambda name: None)
    for cached in (applications._keras_root, applications.builders, applications.translated):
        cached.cache_clear()
    try:
        out, diags = tf_("WEIGHTS = None\n" + HEAD)
    finally:
        for cached in (applications._keras_root, applications.builders, applications.translated):
            cached.cache_clear()
    assert "keras.applications.MobileNetV2(" in out
    assert any(d.startswith("XL301") and "does not export this builder" in d for d in diags), diags


def _run_both(tmp_path: Path, script: str) -> tuple[dict, dict]:
    translated, diags = tf_(script)
    assert "layers.Dense" not in user_code(translated), diags
    return run_both(tmp_path, script, translated)


@pytest.mark.tf
@pytest.mark.parametrize("builder, weights", [
    ("keras.applications.MobileNetV2(include_top=False, weights=WEIGHTS, input_shape=(32, 32, 3), alpha=0.35)", 262),
    # resnet_v2.py builds with resnet.py's ResNet: both modules are written into the file
    ("keras.applications.ResNet50V2(include_top=False, weights=WEIGHTS, input_shape=(32, 32, 3))", 272),
])
def test_the_translated_backbone_computes_keras_s_outputs(tmp_path: Path, builder: str, weights: int) -> None:
    """Same perturbed weights in Keras's order: outputs equal within 1e-4 relative."""
    import numpy as np

    head = HEAD.replace(HEAD.split("base = ")[1].split("\n")[0], builder)
    if "ResNet" in builder:
        head = head.replace("mobilenet_v2.preprocess_input", "resnet_v2.preprocess_input").replace("(1280, 3)", "(2048, 3)")
    keras_report, tf_report = _run_both(tmp_path, "WEIGHTS = None\n" + head + RUN)
    assert (tf_report["weights"], tf_report["trainable"]) == (keras_report["weights"], keras_report["trainable"])
    assert keras_report["weights"] == weights and keras_report["trainable"] == 2
    k, t = np.asarray(keras_report["out"]), np.asarray(tf_report["out"])
    assert np.isfinite(k).all() and np.abs(k).max() > 1e-3, "the test reads real outputs"
    worst = float(np.abs(k - t).max() / np.abs(k).max())
    assert worst <= 1e-4, worst


@pytest.mark.tf
def test_a_weights_file_keras_wrote_loads_into_the_translated_builder(tmp_path: Path) -> None:
    """`weights=<path>`: the builder loads it with `model.load_weights` (Keras's
    `.weights.h5`), in Keras and in the translation alike."""
    import numpy as np

    writer = textwrap.dedent("""\
        import numpy as np
        import keras
        base = keras.applications.MobileNetV2(include_top=False, weights=None, input_shape=(32, 32, 3), alpha=0.35)
        rng = np.random.default_rng(5)
        for w in base.weights:
            w.assign(rng.uniform(0.5, 1.5, size=w.shape).astype("float32") * (0.1 if len(w.shape) > 1 else 1.0))
        base.save_weights("backbone.weights.h5")
        """)
    (tmp_path / "writer.py").write_text(writer)
    subprocess.run([sys.executable, "writer.py"], cwd=tmp_path, check=True, capture_output=True)
    keras_report, tf_report = _run_both(tmp_path, 'WEIGHTS = "backbone.weights.h5"\n' + HEAD
                                        + "model.layers[-1].set_weights([np.full((1280, 3), 0.01, 'float32'), np.ones(3, 'float32')])\n"
                                        + RUN)
    k, t = np.asarray(keras_report["out"]), np.asarray(tf_report["out"])
    assert np.abs(k).max() > 1e-3
    worst = float(np.abs(k - t).max() / np.abs(k).max())
    assert worst <= 1e-4, worst
