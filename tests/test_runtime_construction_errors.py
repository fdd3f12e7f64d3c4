"""What Keras 3 refuses when a model is made, the translated layers refuse as Keras does, so a
program that fails under Keras 3 fails the same way translated, instead of running:

- a layer or weight name with ``/`` (``Operation.__init__``, ``Variable.__init__``; Keras 2
  took it);
- ``super().__init__(self, name=name)`` in a model subclass (Keras's ``Layer.__init__`` takes
  keywords only; the runtime's ``Model`` took the instance for a graph function and failed
  later, in ``call``).

Written after a model zoo whose blocks name their layers ``name + '/conv'`` (Keras 2 style):
every model of its directory run came out translated, and the zoo's own tests, which raise
ValueError under Keras 3 at the first layer, passed on the translation.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from program_text import run_both

from kerastf_xlate.totf import translate
from kerastf_xlate.totf.program.bundle import BANNER

SCRIPT = textwrap.dedent("""\
    import json
    import keras
    from keras import layers


    class Block(keras.Model):
        def __init__(self, filters, name="block"):
            super().__init__()
            self.conv = layers.Conv2D(filters, 3, padding="same", name=name + SEP + "conv")
            self.act = layers.ReLU()

        def call(self, x):
            return self.act(self.conv(x))


    class Scale(layers.Layer):
        def build(self, input_shape):
            self.gamma = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="scale" + SEP + "gamma")

        def call(self, x):
            return x * self.gamma


    report = {}
    for what, make in (("block", lambda: Block(4, name="stage0")), ("weight", lambda: Scale())):
        try:
            model = make()
            y = model(keras.ops.ones((1, 8, 8, 3)))
            report[what] = ["ok", list(y.shape)]
        except ValueError as exc:
            report[what] = ["ValueError", str(exc).split(" (of type")[0]]
    json.dump(report, open(OUT, "w"))
    """)


def _run(tmp_path: Path, sep: str) -> tuple[dict, dict]:
    script = SCRIPT.replace("SEP", repr(sep))
    out, diags = translate(script, str(tmp_path / "zoo.py"))
    assert BANNER in out and "import keras" not in out.split(BANNER)[0], [d.message for d in diags]
    return run_both(tmp_path, script, out)


def test_a_name_with_a_slash_fails_translated_as_under_keras(tmp_path: Path) -> None:
    keras_run, tf_run = _run(tmp_path, "/")
    assert keras_run["block"] == ["ValueError", "Argument `name` must be a string and cannot contain character `/`. "
                                                "Received: name=stage0/conv"]
    assert keras_run["weight"][0] == "ValueError"
    assert tf_run == keras_run


def test_the_same_names_without_a_slash_run(tmp_path: Path) -> None:
    keras_run, tf_run = _run(tmp_path, "_")
    assert keras_run == {"block": ["ok", [1, 8, 8, 4]], "weight": ["ok", [1, 8, 8, 3]]}
    assert tf_run == keras_run


SELF_INIT = textwrap.dedent("""\
    import json
    import keras
    from keras import layers


    class Block(keras.Model):
        def __init__(self, units, name="block"):
            super().__init__(self, name=name)
            self.dense = layers.Dense(units)

        def call(self, x):
            return self.dense(x)


    try:
        Block(3)
        report = ["built"]
    except TypeError as exc:
        report = ["TypeError", str(exc)]
    json.dump(report, open(OUT, "w"))
    """)


def test_a_model_given_itself_as_a_positional_argument_fails_as_under_keras(tmp_path: Path) -> None:
    out, diags = translate(SELF_INIT, str(tmp_path / "mpnn.py"))
    assert BANNER in out, [d.message for d in diags]
    keras_run, tf_run = run_both(tmp_path, SELF_INIT, out)
    assert keras_run[0] == "TypeError"
    assert tf_run == keras_run
