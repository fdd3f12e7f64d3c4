"""to-tf declares what a generated module lacks of the conformance suite's properties in its
class docstring (``Conformance: lacks <property>: <why>``, from ``kerastf_xlate.totf.conformance``),
and to-keras takes the line out again. Static: no TensorFlow."""

from __future__ import annotations

import ast
import textwrap

import pytest

from kerastf_xlate.tokeras import translate as to_keras
from kerastf_xlate.totf import translate as to_tf
from kerastf_xlate.totf.conformance import PREFIX, kept_layers_line

CLASS = '''
import keras
from keras import layers


class Tagger(keras.Model):
{doc}
    def __init__(self):
        super().__init__()
        self.proj = layers.Dense(4)
        self.rnn = layers.ConvLSTM1D(8, 3, padding="same", return_sequences=True, unroll=True)

    def call(self, frames):
        return self.rnn(self.proj(frames))
'''

DOCS = {
    "one-line": '    """Tags every frame."""\n',
    "multi-line": '    """Tags every frame.\n\n    Frames of 5 positions.\n    """\n',
    "single-quotes": "    '''Tags every frame.'''\n",
    "none": "",
}


def _doc(src: str) -> str | None:
    cls = next(n for n in ast.walk(ast.parse(src)) if isinstance(n, ast.ClassDef))
    return ast.get_docstring(cls, clean=False)


@pytest.mark.parametrize("shape", list(DOCS))
def test_kept_layer_is_declared_and_taken_back(shape: str) -> None:
    src = textwrap.dedent(CLASS).replace("{doc}\n", DOCS[shape])
    out, _ = to_tf(src, "t.py")
    assert "(tf.Module)" in out and "layers.ConvLSTM1D(" in out, out
    doc = _doc(out)
    assert doc is not None
    lines = [ln.strip() for ln in doc.splitlines()]
    at = lines.index(kept_layers_line(["ConvLSTM1D"]))
    if shape != "none":
        assert at >= 2 and lines[at - 1] == "", doc  # after the user's text, a paragraph of its own
    assert to_tf(out, "t.py")[0] == out, "a second run must change nothing"
    back, _ = to_keras(out, "t.py")
    assert PREFIX not in back
    assert _doc(back) == _doc(src), back
    if shape != "none":
        assert DOCS[shape] in back  # the docstring's text as it was


def test_no_note_without_a_kept_layer() -> None:
    src = textwrap.dedent(CLASS).replace("{doc}\n", DOCS["one-line"]).replace(
        '        self.rnn = layers.ConvLSTM1D(8, 3, padding="same", return_sequences=True, unroll=True)\n', "").replace(
        "self.rnn(self.proj(frames))", "self.proj(frames)")
    out, _ = to_tf(src, "t.py")
    assert "(tf.Module)" in out and PREFIX not in out
