"""What the program form says about a ``keras.layers`` name it has no class for: a Keras 3
layer without a TensorFlow class yet (XL101), or a name Keras 3 does not export (XL102):
tf.keras 2's ``layers.experimental`` paths, as real code still imports them
(``experimental.preprocessing.StringLookup``, ``experimental.RandomFourierFeatures``), which
fail under Keras 3 before any translation. The model stays Keras either way."""

from __future__ import annotations

import ast
import textwrap

import pytest

from kerastf_xlate.totf.program.translate import translate_program


@pytest.mark.parametrize("imports, layer, code, says", [
    ("from tensorflow.keras.layers.experimental.preprocessing import StringLookup\n", "StringLookup(mask_token=None)",
     "XL102", "import `keras.layers.StringLookup`"),
    ("from tensorflow.keras.layers.experimental import RandomFourierFeatures\n", "RandomFourierFeatures(8)",
     "XL102", "`RandomFourierFeatures` from `keras.layers.experimental` is tf.keras 2's, not in Keras 3"),
    ("", "layers.Recurrentish(2)", "XL102", "`Recurrentish` is not a layer of Keras 3's `keras.layers`"),
    ("", "layers.FlaxLayer()", "XL101", "`FlaxLayer` has no TensorFlow layer class yet"),
])
def test_a_layer_without_a_class_says_which_case_it_is(imports: str, layer: str, code: str, says: str) -> None:
    text = textwrap.dedent("""\
        import keras
        from keras import layers
        """) + imports + f"model = keras.Sequential([keras.Input((4,)), {layer}])\n"
    result = translate_program(text, ast.parse(text))
    assert result.text is None
    [b] = [b for b in result.blockers if b.code in ("XL101", "XL102")]
    assert (b.code, b.message) == (code, b.message) and says in b.message, b.message
