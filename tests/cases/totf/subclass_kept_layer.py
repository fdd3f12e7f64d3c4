import keras
from keras import layers


class Tagger(keras.Model):
    """Tags every frame of a signal."""

    def __init__(self, channels=4, tags=5):
        super().__init__()
        self.proj = layers.Dense(channels)
        self.rnn = layers.ConvLSTM1D(8, 3, padding="same", return_sequences=True, unroll=True)
        self.head = layers.Dense(tags)

    def call(self, frames, training=False):
        h = self.proj(frames)
        h = self.rnn(h)
        return self.head(h)


tagger = Tagger()
tagger.build((None, 6, 5, 3))  # frames of 5 positions with 3 channels
# output
from keras import layers
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


class Tagger(tf.Module):
    """Tags every frame of a signal.

    Conformance: lacks distribute: it keeps Keras layers (`ConvLSTM1D`) whose variables `tf.Module.variables` does not list, so a step over `trainable_variables` neither trains nor copies them
    """

    def __init__(self, channels=4, tags=5):
        super().__init__()
        self.proj_units = channels
        self.proj_kernel = None  # created on the first call
        self.proj_bias = tf.Variable(tf.zeros([self.proj_units]), name='proj/bias')
        self.rnn = layers.ConvLSTM1D(8, 3, padding="same", return_sequences=True, unroll=True)
        self.head_units = tags
        self.head_kernel = None  # created on the first call
        self.head_bias = tf.Variable(tf.zeros([self.head_units]), name='head/bias')

    def __call__(self, frames, training=False):
        h = self.proj(frames, training=training)
        h = self.rnn(h)
        return self.head(h, training=training)

    def proj(self, x, training=False):
        """`Dense` layer, translated by xlate to-tf."""
        if self.proj_kernel is None:
            self.proj_kernel = tf.Variable(_variance_scaling([x.shape[-1], self.proj_units], 1.0, 'fan_avg', 'uniform'), name='proj/kernel')
        x = tf.tensordot(x, self.proj_kernel, axes=1)
        x = tf.nn.bias_add(x, self.proj_bias)
        return x

    def head(self, x, training=False):
        """`Dense` layer, translated by xlate to-tf."""
        if self.head_kernel is None:
            self.head_kernel = tf.Variable(_variance_scaling([x.shape[-1], self.head_units], 1.0, 'fan_avg', 'uniform'), name='head/kernel')
        x = tf.tensordot(x, self.head_kernel, axes=1)
        x = tf.nn.bias_add(x, self.head_bias)
        return x

    def ordered_variables(self):
        """The variables in the order of the Keras model's ``get_weights()``."""
        variables = [self.proj_kernel, self.proj_bias, *self.rnn.weights, self.head_kernel, self.head_bias]
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


tagger = Tagger()
tagger.build((None, 6, 5, 3))  # frames of 5 positions with 3 channels
