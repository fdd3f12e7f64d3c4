"""A Sequential model built with add(); comments inside it are kept."""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

model = keras.Sequential(name="mlp")
model.add(keras.Input(shape=(16,)))
model.add(layers.Dense(32, activation="relu"))  # hidden
model.add(layers.Dropout(0.1))
model.add(layers.Dense(4, activation="softmax"))


def predict(batch):
    return model(np.asarray(batch, dtype="float32"))
# output
"""A Sequential model built with add(); comments inside it are kept."""
import numpy as np
import tensorflow as tf


# Keras's default initializers, written out by xlate to-tf.
def _fans(shape):
    """Keras's fan-in / fan-out: the receptive field multiplies the last two axes."""
    if len(shape) < 1:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive = 1
    for d in shape[:-2]:
        receptive *= d
    return shape[-2] * receptive, shape[-1] * receptive


def _variance_scaling(shape, scale, mode, distribution):
    """keras.initializers.VarianceScaling (glorot_*, he_*, lecun_* are special cases)."""
    shape = [int(d) for d in shape]
    fan_in, fan_out = _fans(shape)
    n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[mode]
    variance = scale / max(1.0, n)
    if distribution == "uniform":
        limit = (3.0 * variance) ** 0.5
        return tf.random.uniform(shape, -limit, limit)
    stddev = variance**0.5 / 0.87962566103423978  # truncated normal of Keras
    return tf.random.truncated_normal(shape, 0.0, stddev)


class Model(tf.Module):
    """Translated by xlate to-tf from a keras.Sequential; runs without Keras."""

    # Comments from the Keras model this class replaces:
    # hidden

    input_signature = [tf.TensorSpec([None, 16], tf.float32)]  # the Keras model's inputs, batch axis first

    def __init__(self, name=None):
        super().__init__(name=name)
        self.dense_kernel = tf.Variable(_variance_scaling([16, 32], 1.0, 'fan_avg', 'uniform'), name='dense/kernel')
        self.dense_bias = tf.Variable(tf.zeros([32]), name='dense/bias')
        self.dense_1_kernel = tf.Variable(_variance_scaling([32, 4], 1.0, 'fan_avg', 'uniform'), name='dense_1/kernel')
        self.dense_1_bias = tf.Variable(tf.zeros([4]), name='dense_1/bias')

    def __call__(self, inputs, training=False):
        x = inputs
        x = tf.matmul(x, self.dense_kernel)
        x = tf.nn.bias_add(x, self.dense_bias)
        x = tf.nn.relu(x)
        if training:
            x = tf.nn.dropout(x, rate=0.1)
        x = tf.matmul(x, self.dense_1_kernel)
        x = tf.nn.bias_add(x, self.dense_1_bias)
        x = tf.nn.softmax(x, axis=-1)
        return x

    def ordered_variables(self):
        """The variables in the order of the Keras model's ``get_weights()``."""
        variables = [self.dense_kernel, self.dense_bias, self.dense_1_kernel, self.dense_1_bias]
        if any(v is None for v in variables):
            raise ValueError("call the module once first: some variables are created on the first call")
        return variables

    def get_weights(self):
        try:
            variables = self.ordered_variables()
        except ValueError:  # not built yet: Keras gives such a model no weights
            return []
        return [v.numpy() for v in variables]

    def set_weights(self, weights):
        """Load weights given in Keras order, e.g. ``keras_model.get_weights()``."""
        variables = self.ordered_variables()
        if len(weights) != len(variables):
            raise ValueError(f"expected {len(variables)} arrays, got {len(weights)}")
        for variable, value in zip(variables, weights):
            variable.assign(value)

    def build(self, input_shape):
        """Create the variables for inputs of this shape, as Keras's ``build()`` does."""
        if input_shape and isinstance(input_shape[0], (list, tuple)):
            self([tf.zeros([1 if d is None else d for d in s]) for s in input_shape])
        else:
            self(tf.zeros([1 if d is None else d for d in input_shape]))

    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False, show_trainable=False,
                layer_range=None):
        """The variables and their sizes (Keras's layout arguments are taken and change nothing)."""
        print_fn = print if print_fn is None else print_fn
        try:
            variables = self.ordered_variables()
        except ValueError:  # not built yet: Keras shows such a model with no parameters
            print_fn(f"{self.name}: not built yet (its variables are created on the first call)")
            print_fn("Total params: 0")
            return
        total = 0
        for v in variables:
            total += int(tf.size(v))
            print_fn(f"{v.name:<40} {str(v.shape):<20} {int(tf.size(v))}")
        print_fn(f"Total params: {total}")


model = Model()


def predict(batch):
    return model(np.asarray(batch, dtype="float32"))
