"""Wrong rewrites found on real TensorFlow 2 code (bench/tfcorpus2.toml), now refused.

- A variable made ``trainable=False`` (``tf.Variable(..., trainable=False)``,
  ``add_weight(..., trainable=False)``) was raised to a Keras weight that is trainable (a Dense
  bias): ``fit`` trained it and ``trainable_variables`` listed it.
- A ``tf.Module`` whose variables were not all layer weights became a ``keras.Model`` when one
  of its stateless ops was raised (``tf.nn.relu`` -> ``layers.ReLU()``), its variables left as
  ``tf.Variable`` attributes, which a Keras 3 model does not track: ``trainable_variables``
  went from 2 to 0, so a training loop over it silently trained nothing; a float64 module
  failed (Keras casts its inputs to float32). Since 2026-12-06 a class whose variables are all
  float64 is raised with ``dtype='float64'`` layers and model (tests/test_tokeras_instance_vars.py);
  float64 beside float32 stays.

Each now stays as written, reported; a variable ``trainable=False`` where the Keras weight is
not trainable (BatchNormalization's moving statistics) is still raised.
"""

from __future__ import annotations

import textwrap

import pytest

from kerastf_xlate.tokeras import translate_full

FROZEN_MODULE = """\
    import tensorflow as tf


    class Affine(tf.Module):
        def __init__(self, n_in, n_out):
            super().__init__()
            self.k = tf.Variable(tf.random.normal([n_in, n_out]))
            self.c = tf.Variable(tf.ones([n_out]), trainable=False)

        def __call__(self, x):
            return tf.matmul(x, self.k) + self.c
    """

FROZEN_LAYER = """\
    import tensorflow as tf


    class Affine(tf.keras.layers.Layer):
        def __init__(self, units):
            super().__init__()
            self.units = units

        def build(self, input_shape):
            self.k = self.add_weight(shape=(input_shape[-1], self.units), initializer="glorot_uniform")
            self.c = self.add_weight(shape=(self.units,), initializer="ones", trainable=False)

        def call(self, inputs):
            return tf.matmul(inputs, self.k) + self.c
    """

KEPT_VARIABLE = """\
    import tensorflow as tf


    class Net(tf.Module):
        def __init__(self, n_in, n_out):
            super().__init__()
            self.W = tf.Variable(tf.random.normal([n_in, n_out]))
            self.s = tf.Variable(tf.ones([n_in, n_out]))

        def __call__(self, x):
            return tf.nn.relu(tf.matmul(x, self.W * self.s))
    """

FLOAT64 = """\
    import tensorflow as tf


    class Net(tf.Module):
        def __init__(self):
            super().__init__()
            self.W = tf.Variable(tf.random.normal([5, 3], dtype=tf.float64))
            self.b = tf.Variable(tf.zeros([3]))  # float32 beside it (a float64 class alone is raised)

        def __call__(self, x):
            return tf.nn.relu(tf.matmul(x, self.W) + tf.cast(self.b, tf.float64))
    """

UNKNOWN_FLAG = FROZEN_MODULE.replace("trainable=False", "trainable=train_bias").replace(
    "def __init__(self, n_in, n_out):", "def __init__(self, n_in, n_out, train_bias=True):")


@pytest.mark.parametrize(("source", "code", "says"), [
    (FROZEN_MODULE, "XL502", "`self.c` is made with trainable=False"),
    (FROZEN_LAYER, "XL503", "`self.c` of Keras class `Affine` stays as written: it is made with trainable=False"),
    (KEPT_VARIABLE, "XL502", "a Keras model does not track"),
    (FLOAT64, "XL502", "`self.W` is tf.float64 and `self.b` float32: a Keras model computes in one dtype"),
    (UNKNOWN_FLAG, "XL502", "`trainable=` value not known statically"),
], ids=["module", "keras-layer", "kept-variable", "float64", "unknown-flag"])
def test_a_variable_keras_would_train_otherwise_keeps_its_class(source: str, code: str, says: str) -> None:
    text = textwrap.dedent(source)
    r = translate_full(text, "t.py")
    assert r.text == text
    assert any(d.code == code and says in d.message for d in r.diagnostics), [(d.code, d.message) for d in r.diagnostics]


def test_frozen_statistics_are_still_raised_to_batch_normalization() -> None:
    """The reverse direction: moving statistics made ``trainable=False`` are what Keras's
    BatchNormalization holds as non-trainable; made trainable, they are not raised."""
    source = textwrap.dedent("""\
        import tensorflow as tf


        class Norm(tf.Module):
            def __init__(self):
                super().__init__()
                self.gamma = tf.Variable(tf.ones([4]))
                self.beta = tf.Variable(tf.zeros([4]))
                self.mean = tf.Variable(tf.zeros([4]), trainable=False)
                self.var = tf.Variable(tf.ones([4]), trainable=False)

            def __call__(self, x):
                return tf.nn.batch_normalization(x, self.mean, self.var, self.beta, self.gamma, 1e-3)
        """)
    assert "layers.BatchNormalization(" in translate_full(source, "t.py").text
    trainable = source.replace(", trainable=False)", ")")
    r = translate_full(trainable, "t.py")
    assert r.text == trainable and any("moving statistic" in d.message for d in r.diagnostics), \
        [d.message for d in r.diagnostics]
