"""A custom layer's ``get_config``/``from_config`` written with ``keras.*.serialize`` and
``deserialize`` (runtime ``tfr_serialization.py``).

Real custom layers describe their arguments this way (keras-io's antirectifier, keras-hub's
transformer and embedding layers, tutorial BERT layers): ``get_config`` serializes the
initializer, regularizer, constraint and activation, ``from_config`` deserializes them. The
translation keeps both methods and gives them Keras's meaning on the TensorFlow objects:
the same config dicts, and ``from_config(get_config())`` makes a layer with the same
arguments. The model itself must compute what Keras computes with moved weights.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from program_text import run_both, tf_, user_code

SCRIPT = textwrap.dedent("""\
    import json
    import numpy as np
    import keras
    from keras import layers


    class Projection(layers.Layer):
        def __init__(self, units, activation="gelu", kernel_initializer="glorot_uniform",
                     kernel_regularizer=None, kernel_constraint=None, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.activation = keras.activations.get(activation)
            self.kernel_initializer = keras.initializers.get(kernel_initializer)
            self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
            self.kernel_constraint = keras.constraints.get(kernel_constraint)

        def build(self, input_shape):
            self.kernel = self.add_weight(
                shape=(input_shape[-1], self.units), initializer=self.kernel_initializer,
                regularizer=self.kernel_regularizer, constraint=self.kernel_constraint, name="kernel")
            self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")

        def call(self, inputs):
            return self.activation(keras.ops.matmul(inputs, self.kernel) + self.bias)

        def get_config(self):
            config = super().get_config()
            config.update({
                "units": self.units,
                "activation": keras.activations.serialize(self.activation),
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
                "kernel_regularizer": keras.regularizers.serialize(self.kernel_regularizer),
                "kernel_constraint": keras.constraints.serialize(self.kernel_constraint),
            })
            return config

        @classmethod
        def from_config(cls, config):
            config["activation"] = keras.activations.deserialize(config["activation"])
            config["kernel_initializer"] = keras.initializers.deserialize(config["kernel_initializer"])
            config["kernel_regularizer"] = keras.regularizers.deserialize(config["kernel_regularizer"])
            config["kernel_constraint"] = keras.constraints.deserialize(config["kernel_constraint"])
            return cls(**config)


    inputs = keras.Input(shape=(6,))
    x = Projection(8, kernel_initializer=keras.initializers.RandomNormal(0.0, 0.3, seed=1),
                   kernel_regularizer=keras.regularizers.L2(0.01),
                   kernel_constraint=keras.constraints.MaxNorm(2.0))(inputs)
    outputs = Projection(3, activation="tanh")(x)
    model = keras.Model(inputs, outputs)

    rng = np.random.default_rng(0)
    for w in model.weights:  # perturbed: no zero biases
        w.assign(rng.uniform(-0.8, 0.8, size=w.shape).astype("float32"))
    data = rng.normal(size=(5, 6)).astype("float32")
    first = model.layers[1]
    config = first.get_config()
    again = Projection.from_config(first.get_config())
    again.build((None, 6))
    report = {
        "outputs": np.asarray(model(data)).tolist(),
        "config": {k: config[k] for k in ("units", "activation", "kernel_initializer", "kernel_regularizer",
                                          "kernel_constraint")},
        "second_activation": model.layers[2].get_config()["activation"],
        "again": again.get_config()["kernel_initializer"] == config["kernel_initializer"],
        "again_kernel_shape": list(again.kernel.shape),
        "again_constraint": keras.constraints.serialize(again.kernel_constraint),
    }
    json.dump(report, open(OUT, "w"))
    """)


def test_serialization_in_get_config_translates() -> None:
    out, diags = tf_(SCRIPT)
    code = user_code(out)
    assert "keras.activations.serialize" not in code and "_ser_activation(self.activation)" in code, code
    assert "_deser_initializer(config['kernel_initializer'])" in code.replace('"', "'"), code
    assert not [d for d in diags if d.startswith("XL301")], diags


def test_serialization_round_trip_matches_keras(tmp_path: Path) -> None:
    out, _ = tf_(SCRIPT)
    keras_run, tf_run = run_both(tmp_path, SCRIPT, out)
    import numpy as np

    diff = float(np.max(np.abs(np.asarray(keras_run["outputs"]) - np.asarray(tf_run["outputs"]))))
    assert diff <= 1e-6, diff  # float32, same weights and formula
    assert tf_run["config"] == keras_run["config"], (tf_run["config"], keras_run["config"])
    assert tf_run["config"]["activation"] == "gelu" and tf_run["second_activation"] == "tanh"
    for key in ("again", "again_kernel_shape", "again_constraint"):
        assert tf_run[key] == keras_run[key], key
