"""keras.applications under a global mixed-precision policy, in a user's program: the
transfer-learning notebook's first cell (``mixed_precision.set_global_policy("mixed_float16")``)
followed by a frozen backbone, a new head with a float32 softmax, ``fit``, then fine-tuning with
the backbone's last layers unfrozen.

The translated builders were run against Keras's under ``mixed_float16`` and
``mixed_bfloat16`` (``bench/applications.py --policy``: every builder's outputs, BatchNorm
updates and layer dtypes; docs/benchmarks.md), so such a program translates; under a policy
the builders were not run with (``float16``, or one the translation cannot read) the backbone
keeps the model Keras (XL201).

Both programs run in their own processes with the same weights (``moved``); the dtypes, the
optimizer, the losses, predictions and weights after training agree within 1e-3 (float16's
resolution at 1; measured: 0, the same float16 operations in the same order).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from program_text import max_diff, run_both, script_head, tf_, user_code

BODY = textwrap.dedent('''\
    from keras import mixed_precision

    mixed_precision.set_global_policy("mixed_float16")

    base = keras.applications.MobileNetV2(input_shape=(32, 32, 3), alpha=0.35, include_top=False, weights=None)
    base.trainable = False
    inputs = keras.Input(shape=(32, 32, 3))
    x = keras.applications.mobilenet_v2.preprocess_input(inputs)
    x = base(x, training=False)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dense(3)(x)
    outputs = layers.Activation("softmax", dtype="float32")(x)
    model = keras.Model(inputs, outputs)
    moved(model)

    images = rng.uniform(0, 255, (16, 32, 32, 3)).astype("float32")
    labels = rng.integers(0, 3, 16)
    model.compile(optimizer=keras.optimizers.SGD(0.05, momentum=0.9), loss="sparse_categorical_crossentropy")
    first = model.fit(images, labels, batch_size=8, epochs=1, shuffle=False, verbose=0)
    base.trainable = True
    for layer in base.layers[:-8]:
        layer.trainable = False
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
    second = model.fit(images, labels, batch_size=8, epochs=1, shuffle=False, verbose=0)
    report = {
        "optimizer": type(model.optimizer).__name__,
        "policy": mixed_precision.global_policy().name,
        "output_dtype": str(model(images[:2]).dtype).replace("<dtype: '", "").rstrip("'>"),
        "base_dtypes": sorted({(layer.compute_dtype, layer.variable_dtype) for layer in base.layers}),
        "trainable": len(model.trainable_weights),
        "loss": first.history["loss"] + second.history["loss"],
        "predict": model.predict(images[:4], verbose=0).tolist(),
        "weights": [w.tolist() for w in model.get_weights()],
    }
    json.dump(report, open(OUT, "w"))
''')


def _program(policy: str = "mixed_float16") -> str:
    return script_head(3) + BODY.replace('"mixed_float16"', f'"{policy}"')


@pytest.mark.tf
def test_a_mixed_float16_transfer_learning_program_trains_like_keras(tmp_path: Path) -> None:
    src = _program()
    out, diags = tf_(src)
    assert not [d for d in diags if d.startswith("XL2") or (d.startswith("XL3") and not d.startswith("XL309"))], diags
    assert "keras.applications" not in user_code(out) and "import keras" not in out, diags
    expected, got = run_both(tmp_path, src, out)
    for key in ("optimizer", "policy", "output_dtype", "base_dtypes", "trainable"):
        assert expected[key] == got[key], (key, expected[key], got[key])
    assert expected["optimizer"] == "LossScaleOptimizer" and expected["base_dtypes"] == [["float16", "float32"]]
    worst = max(max_diff(expected["loss"], got["loss"]), max_diff(expected["predict"], got["predict"]),
                *(max_diff(a, b) for a, b in zip(expected["weights"], got["weights"], strict=True)))
    print(f"\nMobileNetV2 under mixed_float16, frozen then fine-tuned: worst |tf - keras| {worst:.1e} (tolerance 1e-3)")
    assert worst <= 1e-3


@pytest.mark.parametrize("setter", [
    'mixed_precision.set_global_policy("float16")',
    "mixed_precision.set_global_policy(chosen_policy)",
    'mixed_precision.set_global_policy(mixed_precision.Policy("bfloat16"))',
])
def test_a_policy_the_builders_were_not_run_under_keeps_the_model(setter: str) -> None:
    src = _program().replace('mixed_precision.set_global_policy("mixed_float16")', setter)
    out, diags = tf_(src)
    assert "keras.applications.MobileNetV2(" in out
    assert any(d.startswith("XL201") and "keras.applications.MobileNetV2" in d and "checked under" in d for d in diags), diags


@pytest.mark.parametrize("setter", [
    'mixed_precision.set_global_policy("mixed_bfloat16")',
    'mixed_precision.set_global_policy(mixed_precision.Policy("mixed_float16"))',
    'keras.config.set_dtype_policy("float32")',
])
def test_a_checked_policy_translates_the_builder(setter: str) -> None:
    src = _program().replace('mixed_precision.set_global_policy("mixed_float16")', setter)
    out, diags = tf_(src)
    assert "keras.applications" not in user_code(out), diags
    assert not any("checked under" in d for d in diags), diags
