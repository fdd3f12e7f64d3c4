"""What ``to-tf`` says about Layer/Model subclasses when the program form is blocked.

The flat form cannot take a subclass with a ``build``/``get_config`` hook or without an
``__init__``; the program form can. When something else blocks the program form (a Keras
model file written), the diagnostics name that blocker, not the flat form's reasons about
the classes, which would send the user after the wrong thing. The same holds for the flat form's
float32-only layers: the ``dtype=self.dtype_policy`` of library code blocks neither form's
output when the program form is used.
"""

from __future__ import annotations

import textwrap

from kerastf_xlate.totf import translate
from kerastf_xlate.totf.program.bundle import BANNER

PROGRAM = textwrap.dedent("""\
    import keras
    from keras import layers


    class Gain(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.proj = None

        def build(self, input_shape):
            self.proj = layers.Dense(input_shape[-1], dtype=self.dtype_policy)
            self.bias = self.add_weight(shape=(input_shape[-1],), initializer="zeros", dtype=self.variable_dtype)

        def call(self, x):
            return self.proj(x) + self.bias

        def get_config(self):
            return super().get_config()


    class Twice(layers.Layer):
        def call(self, x):
            return x * 2.0


    inputs = keras.Input((4,))
    model = keras.Model(inputs, layers.Dense(2)(Twice()(Gain(dtype="float64")(inputs))))
    """)


def test_the_program_form_takes_hooks_and_policies() -> None:
    out, diags = translate(PROGRAM, "m.py")
    assert BANNER in out
    assert not [d for d in diags if d.code.startswith(("XL2", "XL3"))], diags


def test_a_blocked_program_names_its_blocker_not_the_flat_forms_class_reasons() -> None:
    out, diags = translate(PROGRAM + 'model.save("m.keras")\n', "m.py", keep_keras_files=True)  # a Keras file kept
    assert BANNER not in out
    messages = [f"{d.code} {d.message}" for d in diags]
    assert any(d.code == "XL306" and "model.save" in d.message for d in diags), messages
    assert not any("class kept as Keras: class" in m for m in messages), messages
    assert not any("only float32" in m for m in messages), messages  # Dense(dtype=self.dtype_policy)


def test_mixed_float16_training_translates() -> None:
    """Keras trains a mixed_float16 model with a loss-scale optimizer; so does the runtime's
    ``compile`` (tests/test_runtime_dtype.py), so the program translates."""
    text = PROGRAM.replace('dtype="float64"', 'dtype="mixed_float16"')
    out, _ = translate(text, "m.py")
    assert BANNER in out
    out, diags = translate(text + 'model.compile("adam", "mse")\n', "m.py")
    assert BANNER in out, diags
    assert not any(d.code == "XL304" for d in diags), diags


LOOP_GRAPH = textwrap.dedent("""\
    import keras
    from keras import layers


    def build(widths):
        inputs = keras.Input((4,))
        x = inputs
        for w in widths:
            x = layers.Dense(w, activation="relu")(x)
        return keras.Model(inputs=inputs, outputs=[layers.Dense(1)(x)][0])


    model = build([8, 8])
    """)


def test_a_blocked_program_names_its_blocker_not_the_flat_forms_graph_reasons() -> None:
    """The flat form cannot follow a graph built in a loop or outputs that are not plain names;
    the program form can, so when a Keras file keeps the program Keras, that file is the reason
    given, not the loop."""
    out, diags = translate(LOOP_GRAPH, "m.py")
    assert BANNER in out, diags
    out, diags = translate(LOOP_GRAPH + 'model.save("m.keras")\n', "m.py", keep_keras_files=True)
    assert BANNER not in out
    messages = [f"{d.code} {d.message}" for d in diags]
    assert any(d.code == "XL306" and "model.save" in d.message for d in diags), messages
    assert not [m for m in messages if m.startswith("XL301 model kept as Keras")], messages


def test_a_blocked_program_does_not_report_the_flat_forms_model_api_limits() -> None:
    """`.metrics_names` and `.history` are APIs of the program form's model; the flat form's
    training check does not know them. When a Keras file keeps the program Keras, the file is
    the reason given."""
    text = ('import keras\nfrom keras import layers\n\n'
            'model = keras.Sequential([keras.Input((4,)), layers.Dense(8, activation="relu"), layers.Dense(1)])\n'
            'model.compile(optimizer="adam", loss="mse")\nprint(model.metrics_names)\nmodel.save("final.keras", zipped=False)\n')
    out, diags = translate(text, "m.py")
    assert BANNER not in out
    messages = [f"{d.code} {d.message}" for d in diags]
    assert any(d.code == "XL306" for d in diags), messages
    assert not [m for m in messages if "metrics_names" in m], messages
