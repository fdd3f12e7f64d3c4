"""Several models on one graph (docs/design.md, "Several models on one graph"; issue #13).

A name a model's graph binds and the program reads after the model statement is bound from
the traced run (``name = model.traced("name")``); a later graph function takes a graph
tensor of an earlier model as a default argument, and the runtime gives it the tensor it
stands for. Static cases check what translates and what stays Keras (and why); the
execution test checks that the models share their variables as Keras's do: weights moved
into some of the models change the outputs of the others the same way in both programs.
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest
from program_text import tf_

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from kerastf_xlate.totf import translate
from kerastf_xlate.totf.program.bundle import BANNER

CASE = Path(__file__).parent / "cases" / "program" / "shared_graphs.py"
ATOL = RTOL = 1e-5


SEQ2SEQ = textwrap.dedent("""
    import keras
    from keras import layers

    encoder_inputs = keras.Input(shape=(None, 4))
    decoder_inputs = keras.Input(shape=(None, 4))
    encoder_outputs, state_h = layers.GRU(8, return_state=True)(encoder_inputs)
    decoder_outputs = layers.GRU(8, return_sequences=True)(decoder_inputs, initial_state=state_h)
    model = keras.Model([encoder_inputs, decoder_inputs], layers.Dense(5)(decoder_outputs))
    """)


@pytest.mark.parametrize("src, why", [
    # an inference model on a tensor computed between the training graph's layers, without the
    # decoder's Input (on a layer's output it translates: tests/test_program_partial_symbols.py)
    (SEQ2SEQ.replace("initial_state=state_h", "initial_state=state").replace(
        "decoder_outputs =", "state = state_h * 2.0\ndecoder_outputs =")
     + "encoder_model = keras.Model(encoder_inputs, state)\n",
     "`state`, a tensor of an earlier model's graph that is not a layer call's output, needs inputs this model "
     "does not take (`decoder_inputs`)"),
    # a graph tensor computed on outside any model
    (SEQ2SEQ + "doubled = state_h * 2\n", "`state_h`, made while building the model, is used after it"),
    # an Input of an earlier model used in a later graph that does not take it
    (SEQ2SEQ + "other = keras.Input(shape=(None, 4))\n"
              "probe = keras.Model(other, layers.Dense(2)(other) + layers.Dense(2)(encoder_inputs))\n",
     "`encoder_inputs`, an `Input` of an earlier model, is used by this model's graph but is not among its inputs"),
    # the model is not assigned to a name: nothing to read the traced values from
    ("""
    import keras
    from keras import layers
    models = []
    inputs = keras.Input(shape=(4,))
    hidden = layers.Dense(3)(inputs)
    models.append(keras.Model(inputs, hidden))
    head = keras.Model(inputs, layers.Dense(2)(hidden))
    """, "`hidden`, made while building the model, is used after it"),
    # a model on part of another model's graph whose inputs are a layer's input (a layer's
    # input as outputs, and a layer's output as inputs, translate: tests/test_program_submodels.py
    # and tests/test_program_partial_symbols.py)
    (SEQ2SEQ + "features = keras.Model(model.layers[3].input, model.output)\n",
     "`model.layers[3].input` are a layer's `input`: in Keras 3 an InputLayer's `input` is `[]`"),
])
def test_what_stays_keras(src: str, why: str) -> None:
    out, diags = tf_(src)
    assert BANNER not in out, "must stay Keras"
    assert out == textwrap.dedent(src), "kept byte for byte"
    assert any(why in d for d in diags), diags


def test_names_read_later_are_bound_from_the_traced_run() -> None:
    out, diags = tf_("""
        import keras
        from keras import layers
        inputs = keras.Input(shape=(4,))
        hidden = layers.Dense(3)(inputs)
        encoder = keras.Model(inputs, hidden)
        print(hidden.shape, hidden.dtype)
        head = keras.Model(inputs, layers.Dense(2)(hidden))
        """)
    assert BANNER in out, diags
    assert '    return inputs, hidden, {"hidden": hidden, "inputs": inputs}\n' in out
    assert 'encoder = Model(encoder_graph)\nhidden, inputs = encoder.traced("hidden", "inputs")\n' in out
    assert "def head_graph(hidden=hidden, inputs=inputs):\n    return inputs, Dense(2)(hidden)\n" in out


@pytest.mark.tf
def test_the_models_share_their_variables_as_keras_models_do() -> None:
    import keras
    import numpy as np
    import tensorflow as tf
    from runtime_ns import perturbed
    from test_program_cases import _compare, _exec, split_case

    source, _, spec = split_case(CASE)
    out, _ = translate(source, CASE.name)
    assert BANNER in out
    keras.backend.clear_session()
    original = _exec(source, "__shared_keras__")
    translated = _exec(out, "__shared_tf__")
    rng = np.random.default_rng(1)
    inputs = {}
    for name, shape in spec["models"].items():
        shapes = shape if isinstance(shape[0], (list, tuple)) else [shape]
        xs = [rng.standard_normal((2, *s)).astype("float32") for s in shapes]
        inputs[name] = xs[0] if len(xs) == 1 else xs
        original[name](inputs[name])
        translated[name](tf.nest.map_structure(tf.convert_to_tensor, inputs[name]))
    # weights moved into the models that contain the others; every model then computes
    # with them (Keras's models share the layer objects)
    for name in ("tagger", "autoencoder", "head", "seq2seq"):  # seq2seq moves the tagger's shared layer again
        moved = perturbed(original[name].get_weights(), seed=len(name))
        original[name].set_weights(moved)
        translated[name].set_weights(moved)
    worst, ok = 0.0, True
    for name, x in inputs.items():
        for training in (False, True):
            diff, close = _compare(original[name](x, training=training), translated[name](x, training=training))
            worst, ok = max(worst, diff), ok and close
        diff, close = _compare(original[name].get_weights(), translated[name].get_weights())
        worst, ok = max(worst, diff), ok and close
    print(f"shared graphs: worst max |diff| = {worst:.3g}")
    assert ok, f"outside atol = rtol = {ATOL}; max |diff| = {worst:.3g}"
