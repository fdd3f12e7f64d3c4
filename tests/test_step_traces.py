"""The translated ``fit`` / ``evaluate`` / ``predict`` trace their step functions once per
model and reuse them, as Keras keeps ``model.train_function`` (issue #19): a second ``fit``
call, every epoch, a second ``evaluate`` or ``predict`` call run the traced graph.

Traces are counted with a Python counter in the model's ``__call__`` (Python runs only while a
step function is traced, never when the traced graph runs), for both forms of the translation:
the flat form (``_fit``... copied from ``totf/training/runtime.py``) and the program form (the
runtime ``Model``'s methods, ``runtime/tfr_training.py``). A ``copy.deepcopy`` of a trained
model traces its own steps, which train the copy's variables only.
"""

from __future__ import annotations

import copy
import io
import os
import textwrap
from contextlib import redirect_stdout
from typing import Any

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

pytestmark = pytest.mark.tf

DATA = """
rng = np.random.default_rng(0)
x = rng.standard_normal((50, 6)).astype("float32")  # 50 = 3 batches of 16 and one of 2
y = (x[:, :1] * 2.0 + x[:, 1:2]).astype("float32")
"""

# a Sequential: the flat form
FLAT = """
import numpy as np
import keras
from keras import layers
""" + DATA + """
model = keras.Sequential([keras.Input(shape=(6,)), layers.Dense(8, activation="relu"), layers.Dense(1)])
model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse", metrics=["mae"])


def run():  # not called: the test calls the loops the translation writes for these lines
    model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    model.evaluate(x, y, verbose=0)
    model.predict(x, verbose=0)
"""

# a graph built by a loop at module level: the program form
PROGRAM = """
import numpy as np
import keras
from keras import layers
""" + DATA + """
inputs = keras.Input(shape=(6,))
h = inputs
for width in (8, 4):
    h = layers.Dense(width, activation="relu")(h)
model = keras.Model(inputs, layers.Dense(1)(h))
model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse", metrics=["mae"])
"""


def _translated(src: str, form: str) -> dict[str, Any]:
    from kerastf_xlate.totf import translate
    from kerastf_xlate.totf.program.bundle import BANNER
    from kerastf_xlate.verify import exec_source

    out, _ = translate(textwrap.dedent(src), "steps.py")
    assert ("program" if BANNER in out else "flat") == form, out[:2000]
    with redirect_stdout(io.StringIO()):
        return exec_source(out, "__steps__", "steps.py")


class _Loop:
    """``fit``/``evaluate``/``predict`` of one translated model, in either form."""

    def __init__(self, ns: dict[str, Any], form: str, model: Any) -> None:
        self.ns, self.form, self.model = ns, form, model

    def fit(self, **kw: Any) -> Any:
        args = (self.ns["x"], self.ns["y"])
        kw = {"batch_size": 16, "verbose": 0, "shuffle": False, **kw}
        return self.model.fit(*args, **kw) if self.form == "program" else self.ns["_fit"](self.model, *args, **kw)

    def evaluate(self) -> Any:
        args = (self.ns["x"], self.ns["y"])
        if self.form == "program":
            return self.model.evaluate(*args, batch_size=16, verbose=0)
        return self.ns["_evaluate"](self.model, *args, batch_size=16, verbose=0)

    def predict(self) -> Any:
        if self.form == "program":
            return self.model.predict(self.ns["x"], batch_size=16, verbose=0)
        return self.ns["_predict"](self.model, self.ns["x"], batch_size=16, verbose=0)


def _count_traces(module: Any) -> list[int]:
    """Count the model's calls made while a function is traced (its class's ``__call__``
    wrapped; the class belongs to this execution of the translation alone)."""
    import tensorflow as tf

    cls = type(module)
    original = cls.__call__
    traces = [0]

    def counted(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if not tf.executing_eagerly():
            traces[0] += 1
        return original(self, *args, **kwargs)

    cls.__call__ = counted
    return traces


@pytest.mark.parametrize("form", ["flat", "program"])
def test_steps_trace_once_per_model(form: str) -> None:
    import numpy as np

    ns = _translated(FLAT if form == "flat" else PROGRAM, form)
    loop = _Loop(ns, form, ns["model"])
    traces = _count_traces(ns["model"])

    first = loop.fit(epochs=1, validation_data=(ns["x"][:20], ns["y"][:20]))
    # one trace of the train step, one of the validation step; the last, smaller batch of
    # the epoch runs the same trace (the steps are traced with the batch size unknown)
    assert traces[0] == 2, f"first fit: {traces[0]} traces"
    second = loop.fit(epochs=3, validation_data=(ns["x"][:20], ns["y"][:20]))
    assert traces[0] == 2, f"a second fit call of 3 epochs traced {traces[0] - 2} more times"
    assert second.history["loss"][-1] < first.history["loss"][0], "the second fit did not train"

    loop.evaluate()
    loop.evaluate()
    assert traces[0] == 2, f"evaluate traced {traces[0] - 2} times (the validation step is the same)"
    out = loop.predict()
    assert traces[0] == 3, f"the first predict traced {traces[0] - 2} times"
    np.testing.assert_array_equal(out, loop.predict())
    assert traces[0] == 3, f"a second predict traced {traces[0] - 3} more times"


@pytest.mark.parametrize("form", ["flat", "program"])
def test_deep_copy_traces_its_own_steps(form: str) -> None:
    import numpy as np

    ns = _translated(FLAT if form == "flat" else PROGRAM, form)
    model = ns["model"]
    _Loop(ns, form, model).fit(epochs=1)
    before = [np.array(v) for v in model.variables]
    twin = copy.deepcopy(model)
    traces = _count_traces(model)
    _Loop(ns, form, twin).fit(epochs=1)
    assert traces[0] == 1, f"the copy's fit traced {traces[0]} times (it has steps of its own to trace)"
    for v, b in zip(model.variables, before):
        np.testing.assert_array_equal(np.array(v), b)  # the original did not move
    moved = max(float(np.max(np.abs(np.array(v) - b))) for v, b in zip(twin.variables, before))
    assert moved > 1e-4, "the copy's fit did not train the copy"
