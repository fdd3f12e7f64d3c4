"""A Sequential whose first layer is a model: built at once, as Keras builds it.

Keras 3's ``Sequential`` builds itself when it has more than one layer and its first one has
an ``input_shape`` (a functional model, a built Sequential): ``Sequential([ResNet50V2(
include_top=False, pooling="avg"), layers.Dense(512)])`` has the Dense weights before any call
(``_maybe_rebuild``). The runtime's Sequential waited for the first call, so
``set_weights(keras_model.get_weights())`` failed on the translation (two arrays short) and
``count_params``/``summary`` differed; found by bench/realcode_models.py on keras-io
semantic_image_clustering. Both programs run in their own processes; the weights are moved
before any call; equal within 1e-6.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from program_text import max_diff, run_both, script_head, tf_

BODY = textwrap.dedent('''\
    def backbone():
        inputs = keras.Input((None, None, 3))
        x = layers.Conv2D(4, 3, padding="same", activation="relu")(inputs)
        x = layers.BatchNormalization()(x)
        return keras.Model(inputs, layers.GlobalAveragePooling2D()(x))


    def create_encoder(dim):
        return keras.Sequential([backbone(), layers.Dense(dim)])


    encoder = create_encoder(5)
    stacked = keras.Sequential([keras.Sequential([layers.Dense(6, input_shape=(4,))]), layers.Dense(2)])
    grown = keras.Sequential()
    grown.add(backbone())
    grown.add(layers.Dense(3))
    report = {"counts": [len(m.get_weights()) for m in (encoder, stacked, grown)],
              "shapes": [list(m.input_shape) for m in (encoder, stacked, grown)],
              "names": [[layer.name for layer in m.layers] for m in (encoder, stacked, grown)]}
    for m in (encoder, stacked, grown):
        moved(m)
    images = rng.normal(size=(2, 9, 7, 3)).astype("float32")
    report["outputs"] = [arrays(encoder(images)), arrays(stacked(rng.normal(size=(2, 4)).astype("float32"))),
                         arrays(grown(images))]
    json.dump(report, open(OUT, "w"))
''')


@pytest.mark.tf
def test_a_sequential_on_a_model_is_built_as_keras_builds_it(tmp_path: Path) -> None:
    src = script_head(2) + BODY
    out, diags = tf_(src)
    assert "import keras" not in out, diags
    expected, got = run_both(tmp_path, src, out)
    assert expected["counts"] == got["counts"] == [8, 4, 8], (expected["counts"], got["counts"])
    assert expected["shapes"] == got["shapes"]
    worst = max(max_diff(a, b) for a, b in zip(expected["outputs"], got["outputs"], strict=True))
    print(f"\nSequential on a model, weights moved before any call: worst |tf - keras| {worst:.1e} (tolerance 1e-6)")
    assert worst <= 1e-6
