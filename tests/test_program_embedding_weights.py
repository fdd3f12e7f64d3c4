"""``Embedding(..., weights=[matrix], trainable=False)``: pretrained word vectors (GloVe) given
to the layer, the common form in Keras text-classification code (bench/corpus5.toml; issue
#13). Keras 3's Embedding takes ``weights=`` (builds, then ``set_weights``); so does the
runtime's, and the program form now translates it (the flat form's ``tf.Module`` does not carry
it: still XL202 there).

Executed both ways: the table starts as the matrix, a frozen table stays it through ``fit`` and a
trainable one trains the same; the head's weights are set alike on both sides (the embedding's
come from ``weights=``). Tolerance ``1e-5 * (1 + max |keras|)`` per array; worst printed.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from nested_compare import worst_absolute
from program_text import run_both, tf_, user_code

from kerastf_xlate.totf.program.bundle import BANNER

ATOL = 1e-5

SCRIPT = textwrap.dedent("""\
    import json
    import numpy as np
    import keras
    from keras import layers

    rng = np.random.default_rng(3)
    vocab, dim = 30, 8
    matrix = rng.normal(size=(vocab, dim)).astype("float32")


    def build(trainable):
        inputs = keras.Input(shape=(None,), dtype="int64")
        x = layers.Embedding(vocab, dim, weights=[matrix], trainable=trainable)(inputs)
        x = layers.GlobalAveragePooling1D()(x)
        outputs = layers.Dense(2, activation="softmax")(x)
        return keras.Model(inputs, outputs)


    frozen = build(False)
    tuned = build(True)
    head = [rng.normal(size=(dim, 2)).astype("float32") * 0.3, np.array([0.1, -0.2], "float32")]
    for m in (frozen, tuned):
        m.layers[-1].set_weights(head)
    ids = rng.integers(0, vocab, size=(16, 5))
    labels = rng.integers(0, 2, size=(16,))
    for m in (frozen, tuned):
        m.compile(optimizer=keras.optimizers.SGD(0.5), loss="sparse_categorical_crossentropy")
    before = [np.asarray(frozen(ids[:4])).tolist(), np.asarray(tuned(ids[:4])).tolist()]
    frozen.fit(ids, labels, epochs=2, batch_size=8, shuffle=False, verbose=0)
    tuned.fit(ids, labels, epochs=2, batch_size=8, shuffle=False, verbose=0)
    json.dump({"before": before, "matrix": matrix.tolist(),
               "frozen_table": np.asarray(frozen.layers[1].get_weights()[0]).tolist(),
               "tuned_table": np.asarray(tuned.layers[1].get_weights()[0]).tolist(),
               "trainable": [str(len(frozen.trainable_weights)), str(len(tuned.trainable_weights))],
               "after": [np.asarray(frozen(ids[:4])).tolist(), np.asarray(tuned(ids[:4])).tolist()]}, open(OUT, "w"))
    """)


def test_pretrained_embeddings_are_translated_in_the_program_form() -> None:
    out, diags = tf_(SCRIPT)
    assert BANNER in out, diags
    code = user_code(out)
    assert "keras." not in code and "Embedding(vocab, dim, weights=[matrix], trainable=trainable)" in code, diags


@pytest.mark.tf
def test_pretrained_embeddings_train_as_keras(tmp_path: Path) -> None:
    translated, diags = tf_(SCRIPT)
    assert BANNER in translated, diags
    keras_report, tf_report = run_both(tmp_path, SCRIPT, translated)
    # the test reads what it means to: the frozen table is the matrix after training, the other moved
    assert keras_report["frozen_table"] == keras_report["matrix"] != keras_report["tuned_table"]
    assert keras_report["trainable"] == ["2", "3"]
    worst = worst_absolute(keras_report, tf_report, ATOL)
    print(f"\nEmbedding(weights=[matrix]), frozen and trained: worst |tf - keras| {worst:.1e} "
          f"(tolerance {ATOL} * (1 + max |keras|))")
