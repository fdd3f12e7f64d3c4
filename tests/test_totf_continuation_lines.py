"""A training call rewritten inside a block keeps its continuation lines where the file has
them, so ``to-tf(to-keras(to-tf(F))) == to-tf(F)`` (issue #17's fixed point).

LibCST puts the block's indentation before each continuation line of a replacement statement;
the training rewrite copies the statement from the file, continuation lines included, so they
moved right by one level on each run (two notebooks of the real-code corpus differed in the
round trip by exactly that). Lines inside a string that spans lines are text and stay.
"""

from __future__ import annotations

from kerastf_xlate.edit.records import relative_continuations
from kerastf_xlate.tokeras import translate as to_keras
from kerastf_xlate.totf import translate as to_tf

SOURCE = '''\
import numpy as np
from tensorflow import keras
from tensorflow.keras import layers


def build_model():
    model = keras.Sequential([layers.Dense(4, activation="relu"), layers.Dense(1)])
    model.compile(optimizer="rmsprop", loss="mse", metrics=["mae"])
    return model


x = np.zeros((8, 3), "float32")
y = np.zeros((8, 1), "float32")
for i in range(2):
    model = build_model()
    model.fit(x, y,
              epochs=1, batch_size=1, verbose=0)
    if i:
        print("""scores:
    mae""", model.evaluate(x, y,
                           verbose=0))
'''


def test_continuation_lines_stay_where_the_file_has_them() -> None:
    out, _ = to_tf(SOURCE, "f.py")
    assert "    _fit(model, x, y,\n              epochs=1, batch_size=1, verbose=0)\n" in out
    assert '        print("""scores:\n    mae""", _evaluate(model, x, y,\n                           verbose=0))\n' in out


def test_round_trip_is_a_fixed_point() -> None:
    once, _ = to_tf(SOURCE, "f.py")
    back, _ = to_keras(once, "f.py")
    assert "model.fit(x, y,\n              epochs=1" in back
    twice, _ = to_tf(back, "f.py")
    assert twice == once


def test_lines_inside_a_string_are_text() -> None:
    code = 'f(a,\n        """x\n        y""",\n        b)'
    assert relative_continuations(code, "    ") == 'f(a,\n    """x\n        y""",\n    b)'
    assert relative_continuations("f(a)", "    ") == "f(a)"
