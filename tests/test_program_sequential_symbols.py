"""tf.keras 2's `seq.input` / `seq.output` of a Sequential (translate.read_sequential_symbols).

The TensorFlow courses' notebooks (horses or humans, cats and dogs, their books' chapters) end
with a model that shows what each layer of the trained Sequential computes:
`Model(inputs=model.input, outputs=[layer.output for layer in model.layers[1:]])`. tf.keras 2
gave the Sequential's own graph input there; Keras 3 raises AttributeError (a Sequential's
`input` is that of its own symbolic call, and it has none), so such a notebook runs under
tf.keras 2 only, and the translator kept the model Keras for it (131 kept layer calls in ten
tuning notebooks, that the only reason). It is read as tf.keras 2 read it, `model.inputs[0]`
(Keras 3's name of the same tensor), with an XL102 note. The program is our own, in that shape;
the reference runs it under tf.keras 2 (tf-keras).
"""

from __future__ import annotations

import textwrap

import pytest
from program_text import KERAS2_PRELUDE, max_diff, run_both, script_head, tf_, user_code

COURSE = textwrap.dedent("""\
    import tensorflow as tf

    model = tf.keras.models.Sequential([
        tf.keras.layers.Conv2D(4, (3, 3), activation='relu', input_shape=(12, 12, 3)),
        tf.keras.layers.MaxPooling2D(2, 2),
        tf.keras.layers.Conv2D(6, (3, 3), activation='relu'),
        tf.keras.layers.Flatten(),
        tf.keras.layers.Dense(2, activation='softmax'),
    ])
    model.compile(loss='categorical_crossentropy', optimizer='adam', metrics=['accuracy'])

    successive_outputs = [layer.output for layer in model.layers[1:]]
    visualization_model = tf.keras.models.Model(inputs=model.input, outputs=successive_outputs)
    last = tf.keras.models.Model(model.input, model.output)
    """)

TAIL = textwrap.dedent("""\
    x = np.random.default_rng(1).uniform(0, 1, (2, 12, 12, 3)).astype("float32")
    if hasattr(model, "to_json"):
        moved(model)
        json.dump([w.tolist() for w in model.get_weights()], open("../w.json", "w"))
    else:
        model.set_weights([np.asarray(w, "float32") for w in json.load(open("../w.json"))])
    maps = visualization_model(x, training=False)
    json.dump({"maps": [np.asarray(m).tolist() for m in maps], "last": np.asarray(last(x)).tolist(),
               "n": len(maps)}, open(OUT, "w"))
    """)

# tf.keras is tf-keras (Keras 2) in the reference's process
LEGACY_TF_KERAS = "import os\nos.environ['TF_USE_LEGACY_KERAS'] = '1'\n"


def test_the_sequentials_input_and_output_are_read_as_tf_keras2_did() -> None:
    out, diags = tf_(COURSE)
    assert "tf.keras" not in user_code(out), diags
    assert "return model.inputs[0], successive_outputs" in out
    assert "return model.inputs[0], model.outputs[0]" in out
    said = [d for d in diags if d.startswith("XL102") and "never called on symbolic tensors" in d]
    assert len(said) == 3, diags
    assert tf_(out)[0] == out


def test_a_sequential_called_on_symbolic_tensors_is_not_read_so() -> None:
    """Called on a KerasTensor, a Sequential has an `input` in Keras 3: that call's, which is
    not tf.keras 2's (its own graph's); nothing is rewritten."""
    program = COURSE.replace("model.compile(", "probe = model(tf.keras.Input((12, 12, 3)))\nmodel.compile(")
    out, diags = tf_(program)
    assert "inputs[0]" not in user_code(out)
    assert not any("never called on symbolic tensors" in d for d in diags), diags


@pytest.mark.tf
def test_the_layer_maps_are_tf_keras2s(tmp_path) -> None:
    pytest.importorskip("tf_keras")
    out, _ = tf_(COURSE)
    (tmp_path / "run").mkdir()
    head = script_head(11)
    keras2, ours = run_both(tmp_path / "run", LEGACY_TF_KERAS + KERAS2_PRELUDE + head + COURSE + TAIL,
                            head + out + TAIL)
    assert keras2["n"] == ours["n"] == 4
    worst = max(max_diff(a, b) for a, b in zip(keras2["maps"] + [keras2["last"]], ours["maps"] + [ours["last"]]))
    print(f"worst |tf - tf.keras 2| = {worst:.3g}")
    assert worst <= 1e-5
