"""A file whose symbolic graph builds no model the translator follows stays as it is, and
says why (it used to say nothing, so `xlate lint` passed files `to-tf` left untouched).

Written after the backbones of a model library, which build their graph in `__init__` and
hand it to `super().__init__(inputs=..., outputs=...)` of a base class from another module,
and after helper functions that return symbolic tensors to their callers.
"""

from __future__ import annotations

import textwrap

import pytest

from kerastf_xlate.config import Config
from kerastf_xlate.lint_totf import lint_text
from kerastf_xlate.rules import default_rules
from kerastf_xlate.totf import translate

BACKBONE = textwrap.dedent("""\
    import keras
    from keras import layers
    from mylib.backbone import Backbone


    class TinyBackbone(Backbone):
        def __init__(self, units, **kwargs):
            image = keras.Input(shape=(16,), name="image")
            x = layers.Dense(units, activation="gelu")(image)
            super().__init__(inputs=image, outputs=x, **kwargs)
    """)

HELPER = textwrap.dedent("""\
    import keras
    from keras import layers


    def tower(units):
        inputs = layers.Input(shape=(8,))
        return inputs, layers.Dense(units)(inputs)
    """)

MODULE_LEVEL = textwrap.dedent("""\
    import keras

    features = keras.Input(shape=(3,))
    """)


@pytest.mark.parametrize("text, line, words", [
    (BACKBONE, 8, "builds the graph of `TinyBackbone`, whose base `Backbone` is defined in another file"),
    (HELPER, 6, "is a symbolic input of `tower`, which builds no model in this file"),
    (MODULE_LEVEL, 3, "is a symbolic input no model in this file is built from"),
])
def test_a_graph_without_a_model_is_kept_and_reported(text: str, line: int, words: str) -> None:
    out, diags = translate(text, "m.py", default_rules())
    assert out == text
    kept = [d for d in diags if d.code == "XL301"]
    assert [d.line for d in kept] == [line], diags
    assert words in kept[0].message and kept[0].message.endswith("kept as Keras")
    assert len(kept[0].message) < 160
    # lint reports the same thing, so a pre-commit hook sees what to-tf keeps
    assert [(d.line, d.code) for d in lint_text(text, "m.py", default_rules(), Config()) if d.code == "XL301"] \
        == [(line, "XL301")]


def test_a_file_with_a_model_gets_the_model_s_own_reasons_not_this_one() -> None:
    text = BACKBONE.replace("from mylib.backbone import Backbone\n", "").replace("(Backbone)", "(keras.Model)")
    text += "\n\nmodel = TinyBackbone(4)\n"
    out, diags = translate(text, "m.py", default_rules())
    assert not [d for d in diags if "defined in another file" in d.message or "builds no model" in d.message]
    # a functional subclass of keras.Model in the file itself translates (its graph moves into `def graph():`)
    assert "def graph():" in out and "super().__init__(graph, **kwargs)" in out, diags
