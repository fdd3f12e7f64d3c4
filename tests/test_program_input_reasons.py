"""Symbolic inputs as real code makes them (issue #13; docs/design.md, "Symbolic inputs the
translator does not follow").

Written after public model code: a model's graph tensor name rebound later inside a ``with``
block (``with torch.no_grad(): outputs = model(...)`` in a later notebook cell); Inputs
stored on an object and read by a builder method (a progressive GAN's generator); Inputs
fed to a model class or a ``keras.applications`` builder given a computed ``input_tensor=``; a backbone
handing ``super().__init__({...}, outputs={...})`` its graph; Inputs of a model kept for
another reason. What translates is executed against Keras with perturbed weights; what stays
Keras says why, naming the cause.
"""

from __future__ import annotations

import ast
import contextlib
import io
import os
import textwrap

import pytest
from program_text import tf_, user_code

from kerastf_xlate.totf import translate
from kerastf_xlate.totf.program.inert import outside_reason
from kerastf_xlate.totf.program.names import keras_refs

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

REBOUND_IN_WITH = textwrap.dedent("""
    import numpy as np
    import tensorflow as tf
    import keras
    from keras import layers

    names = ["age", "fare", "rooms"]
    inputs = {}
    for name in names:
        inputs[name] = keras.Input(shape=(1,), name=name)
    x = layers.Concatenate()([inputs[n] for n in names])
    x = layers.Dense(4, activation="relu")(x)
    outputs = layers.Dense(1)(x)
    model = keras.Model(inputs, outputs)


    class Builder:
        def __init__(self, width):
            self.width = width

        def build(self):
            features = keras.Input(shape=(3,), name="features")
            hidden = layers.Dense(self.width, activation="tanh")(features)
            return keras.Model(features, layers.Dense(2)(hidden))


    head = Builder(5).build()
    data = {n: np.linspace(0.0, 1.0, 6, dtype="float32").reshape(6, 1) + k for k, n in enumerate(names)}
    with tf.name_scope("evaluation"):
        outputs = model(data)
    print(np.asarray(outputs).shape)
    """)


def test_a_graph_name_rebound_in_a_with_block_is_not_read_after_the_model() -> None:
    out, diags = tf_(REBOUND_IN_WITH)
    code = user_code(out)
    assert "keras" not in code, diags
    assert "traced" not in code  # `outputs` is the call's result there, not the graph tensor
    # bound only under a condition in the `with` body, or in a body that may swallow an
    # exception: the graph tensor may still be what is read, and the model stays Keras
    for change in ('    outputs = model(data)\n', ):
        for src in (REBOUND_IN_WITH.replace(change, "    if data:\n    " + change),
                    REBOUND_IN_WITH.replace('tf.name_scope("evaluation")', "contextlib.suppress(ValueError)")):
            assert src != REBOUND_IN_WITH
            out, diags = tf_(src)
            assert any("`outputs`, made while building the model, is used after it" in d for d in diags), diags


@pytest.mark.tf
def test_the_translation_computes_like_keras() -> None:
    """Same printed shape; with the same perturbed weights, the same outputs for both models
    (tolerance 1e-5 absolute and relative), in Keras's weight order."""
    import keras
    import numpy as np
    from runtime_ns import perturbed
    from test_program_cases import _compare, _exec

    out, diags = tf_(REBOUND_IN_WITH)
    assert "keras" not in user_code(out), diags
    runs = []
    for source, name in ((REBOUND_IN_WITH, "__input_reasons_keras__"), (out, "__input_reasons_tf__")):
        keras.backend.clear_session()
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            runs.append((_exec(source, name), buffer.getvalue()))
    (keras_ns, keras_printed), (tf_ns, tf_printed) = runs
    assert keras_printed == tf_printed == "(6, 1)\n"
    assert type(tf_ns["model"]).__module__ == "__input_reasons_tf__" != type(keras_ns["model"]).__module__
    rng = np.random.default_rng(5)
    worst = 0.0
    cases = (("model", {n: rng.standard_normal((4, 1)).astype("float32") for n in ("age", "fare", "rooms")}),
             ("head", rng.standard_normal((4, 3)).astype("float32")))
    for seed, (key, x) in enumerate(cases):
        original, translated = keras_ns[key], tf_ns[key]
        assert [w.shape for w in original.get_weights()] == [w.shape for w in translated.get_weights()]
        moved = perturbed(original.get_weights(), seed=seed + 11)
        original.set_weights(moved)
        translated.set_weights(moved)
        diff, close = _compare(original(x), translated(x))
        assert close, (key, diff)
        worst = max(worst, diff)
    print(f"worst difference {worst:.2e} (tolerance 1e-5)")


ATTRIBUTES = """
    import keras
    from keras import layers


    class Generator:
        def __init__(self, sizes):
            self.image = layers.Input((4, 4, 8), name="image")
            self.noise = []
            for size in sizes:
                self.noise.append(layers.Input(shape=(size, size, 1)))

        def grow(self, stage):
            x = layers.Conv2D(8, 3, padding="same")(self.image)
            return keras.Model([self.image, self.noise[:stage]], x)


    model = Generator([4, 8]).grow(1)
    """

KEPT_MODEL = """
    import keras
    from keras import layers

    features = keras.Input(shape=(4,), name="features")
    hidden = layers.Dense(3)(features)
    model = keras.Model(features, layers.Dense(2)(hidden))
    model.trainable = False
    print(hidden + 1)
    """

FOREIGN_MODEL = """
    import keras
    from keras import layers
    from simlib.models import SimilarityModel

    inputs = keras.Input(shape=(4,))
    x = layers.Dense(8)(inputs)
    model = SimilarityModel(inputs, x)
    """

MIXED_SUPER_INIT = """
    import keras
    from keras import layers
    from mylib.backbone import Backbone


    class PairBackbone(Backbone):
        def __init__(self, units, **kwargs):
            left = keras.Input(shape=(None,), dtype="int32", name="left")
            right = keras.Input(shape=(None,), dtype="int32", name="right")
            x = layers.Embedding(10, units)(left) + layers.Embedding(10, units)(right)
            super().__init__({"left": left, "right": right}, outputs={"sequence": x}, **kwargs)
    """


CALLER_INPUTS = """
    import keras
    from keras import layers


    def build(inputs, units):
        x = layers.Dense(units, activation="relu")(inputs)
        return keras.Model(inputs, layers.Dense(1)(x))


    model = build(keras.Input(shape=(8,)), 4)
    """

# models in the branches of an `if` on the graph before it are translated now
# (tests/test_program_branch_models.py); one branch reading the graph without building a model is not
BRANCH_MODELS = """
    import keras
    from keras import layers


    def build(deep=False):
        inputs = keras.Input(shape=(4,))
        a = layers.Dense(3)(inputs)
        b = layers.Dense(2)(a)
        if deep:
            model = keras.Model(inputs, [a, b])
        else:
            print(b.shape)
            model = None
        return model
    """

IMPORTED_INPUTS = """
    import keras
    from keras import layers
    from mylib.inputs import get_inputs

    inputs = get_inputs(seq_len=16)
    x = layers.Concatenate()(inputs)
    model = keras.Model(inputs, layers.Dense(2)(x))
    """


@pytest.mark.parametrize("src, line, words", [
    (ATTRIBUTES, 10, "is kept in `self.noise`: a model built from an object's attributes is not translated"),
    (KEPT_MODEL, 4, "is an input of `model` (line 6), a model kept as Keras for its own reason"),
    (FOREIGN_MODEL, 5, "is given to `SimilarityModel`, from `simlib.models`: what is built from it in another module "
                       "is not followed"),
    (CALLER_INPUTS, 7, "the model's inputs `inputs` are not `Input`s made before it: `inputs` is "
                       "a parameter of `build`: a model built from its caller's `Input`s is not translated"),
    (IMPORTED_INPUTS, 7, "the model's inputs `inputs` are not `Input`s made before it: `inputs` "
                         "comes from `get_inputs`, from `mylib.inputs`: `Input`s made in another module are not followed"),
    (BRANCH_MODELS, 12, "`b`, made by the graph before the `if`, is read outside the models' graphs"),
    (MIXED_SUPER_INIT, [8, 9], "builds the graph of `PairBackbone`, whose base `Backbone` is defined in another file"),
])
def test_a_symbolic_input_kept_as_keras_names_its_cause(src: str, line: int | list[int], words: str) -> None:
    text = textwrap.dedent(src).lstrip("\n")
    out, diags = tf_(text)
    assert out == text  # kept as it is
    _, found = translate(text, "t.py")
    got = [d.line for d in found if d.code == "XL301" and words in d.message]
    assert got == (line if isinstance(line, list) else [line]), diags
    assert not [d for d in diags if "outside any model graph the translator follows" in d], diags


def test_the_model_kept_says_its_own_reason_too() -> None:
    _, diags = tf_(textwrap.dedent(KEPT_MODEL).lstrip("\n"))
    assert any("`hidden`, made while building the model, is used after it" in d for d in diags), diags


def test_an_input_of_a_translated_model_made_elsewhere_is_said_so() -> None:
    """When the model taking an Input is translated and the Input is outside its graph, the
    reason says that, not that the model is kept."""
    text = textwrap.dedent("""
        import keras
        from keras import layers

        spare = keras.Input(shape=(2,))
        inputs = keras.Input(shape=(2,))
        model = keras.Model([inputs, spare], layers.Dense(1)(inputs))
        """)
    tree = ast.parse(text)
    refs = keras_refs(tree)
    spare = next(r.call for r in refs if r.name == "keras.Input")
    model = tree.body[-1]
    assert "but is made outside the statements that build its graph" in outside_reason(
        spare, tree, refs, frozenset({id(model)}))
    assert "a model kept as Keras for its own reason" in outside_reason(spare, tree, refs, frozenset())
