"""A model joining the graphs of several models (docs/design.md, "Graph fragments, model
shapes, and models on part of another model's graph").

Multi-input models are often written as branches first, each its own model, then joined:
``keras.Model(inputs=[token_model.input, char_model.input], outputs=head(concat([token_model.output,
char_model.output])))`` (a course's hybrid text model), an image branch and a metadata branch,
a Sequential branch read through ``inputs``/``outputs``. Keras takes each branch's layers into
the joined model (its ``layers`` and ``get_weights()`` order the branches' layers by depth, as
one graph). Written after public course code; executed against Keras with moved weights.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from program_text import max_diff, run_both, script_head, tf_, user_code

BRANCHES = textwrap.dedent("""\
    # two functional branches joined, the inputs in the branches' order
    a_in = keras.Input((4,), name="tokens")
    a = layers.Dense(8, activation="relu")(a_in)
    token_model = keras.Model(a_in, layers.Dense(6)(a))
    b_in = keras.Input((3,), name="chars")
    char_model = keras.Model(inputs=b_in, outputs=layers.Dense(5, activation="tanh")(b_in))
    x = layers.Concatenate(name="hybrid")([token_model.output, char_model.output])
    joined = keras.Model(inputs=[token_model.input, char_model.input],
                         outputs=layers.Dense(2, activation="softmax")(layers.BatchNormalization()(x)))

    # a Sequential branch declaring its input, read first, its input given first
    meta = keras.Sequential([keras.Input((3,), name="meta"), layers.Dense(5, activation="tanh"),
                             layers.BatchNormalization()])
    y = layers.Concatenate()([meta.outputs[0], token_model.output])
    mixed = keras.Model(inputs=[meta.inputs[0], token_model.input], outputs=layers.Dense(3)(y))
    """)

RUN = textwrap.dedent("""\
    import tensorflow as tf
    tokens = rng.uniform(0, 1, size=(3, 4)).astype("float32")
    chars = rng.uniform(0, 1, size=(3, 3)).astype("float32")
    report = {}
    for key, model, xs in [("joined", joined, [tokens, chars]), ("mixed", mixed, [chars, tokens])]:
        moved(model)
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean((model(xs, training=True) - 1.0) ** 2)
        report[key] = {"inference": arrays(model(xs)), "training": arrays(model(xs, training=True)),
                       "gradients": [arrays(g) for g in tape.gradient(loss, model.trainable_weights)],
                       "statistics": [arrays(w) for w in model.non_trainable_weights],
                       "layers": [layer.name for layer in model.layers], "weights": len(model.weights),
                       "branch": arrays(token_model(tokens))}  # the branch shares the joined model's layers
    json.dump(report, open(OUT, "w"))
    """)


def test_joined_branches_leave_keras_and_are_stable() -> None:
    out, diags = tf_(script_head(0) + BRANCHES)
    code = user_code(out)
    assert "keras." not in code and "layers." not in code, (code, diags)
    assert "def joined_graph(char_model=char_model, token_model=token_model):" in code, code
    assert "return [token_model.input, char_model.input], " in code
    again, _ = tf_(out)
    assert again == out


@pytest.mark.tf
def test_joined_branches_compute_keras_s_outputs_with_moved_weights(tmp_path: Path) -> None:
    """Outputs in both modes, a training step's gradients and moving statistics, the layers in
    Keras's order, and a branch run alone after the joined model's weights were set: equal
    within 1e-5 (observed: 0)."""
    script = script_head(0) + BRANCHES + RUN
    translated, _ = tf_(script)
    keras_report, tf_report = run_both(tmp_path, script, translated)
    for key in ("joined", "mixed"):
        k, t = keras_report[key], tf_report[key]
        assert (t["layers"], t["weights"]) == (k["layers"], k["weights"]), key
        assert max_diff(k["inference"], 0) > 1e-3
        for part in ("inference", "training", "branch"):
            assert max_diff(k[part], t[part]) <= 1e-5, (key, part)
        assert len(k["gradients"]) == len(t["gradients"]) and k["statistics"]
        for a, b in [*zip(k["gradients"], t["gradients"]), *zip(k["statistics"], t["statistics"])]:
            assert max_diff(a, b) <= 1e-5 * max(1.0, max_diff(a, 0)), key
    assert keras_report["joined"]["layers"][:2] == ["tokens", "dense"]


# two branches on one Input: Keras's joined model takes that Input twice
SHARED_INPUT = """
    import keras
    from keras import layers

    inp = keras.Input((4,), name="shared")
    m1 = keras.Model(inp, layers.Dense(3)(inp))
    m2 = keras.Model(inp, layers.Dense(2)(inp))
    out = layers.Dense(2)(layers.Concatenate()([m1.output, m2.output]))
    model = keras.Model(inputs=[m1.input, m2.input], outputs=out)
    """


def test_branches_on_one_input_stay_keras_with_the_reason() -> None:
    out, diags = tf_(SHARED_INPUT)
    assert "keras.Model(inputs=[m1.input, m2.input]" in user_code(out)
    assert any("they are several models' tensors, and `m2` is not a model of this block built on `Input`s of its own"
               in d for d in diags), diags
