import keras
from keras import layers


def conv_net(input_shape=(28, 28, 1), num_classes=10):
    """Build the classifier."""
    inputs = keras.Input(shape=input_shape)
    x = layers.Conv2D(8, 3, strides=2, padding="same", use_bias=False)(inputs)
    x = layers.BatchNormalization()(x)
    x = layers.ReLU(max_value=6.0)(x)
    x = layers.ZeroPadding2D(1)(x)
    x = layers.Conv2D(16, 3, activation="relu")(x)
    x = layers.GlobalAveragePooling2D()(x)
    outputs = layers.Dense(num_classes, activation="softmax")(x)
    return keras.Model(inputs, outputs)


model = conv_net()
# output
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


def conv_net(input_shape=(28, 28, 1), num_classes=10):
    """Build the classifier."""

    class ConvNet(tf.Module):
        """Translated by xlate to-tf from a functional keras.Model; runs without Keras."""

        input_signature = [tf.TensorSpec([None, *input_shape], tf.float32)]  # the Keras model's inputs, batch axis first

        def __init__(self, name=None):
            super().__init__(name=name)
            self.conv2d_kernel = None  # created on the first call
            self.batch_normalization_gamma = None  # created on the first call
            self.batch_normalization_beta = None  # created on the first call
            self.batch_normalization_moving_mean = None  # created on the first call
            self.batch_normalization_moving_variance = None  # created on the first call
            self.conv2d_1_kernel = None  # created on the first call
            self.conv2d_1_bias = tf.Variable(tf.zeros([16]), name='conv2d_1/bias')
            self.dense_kernel = None  # created on the first call
            self.dense_bias = tf.Variable(tf.zeros([num_classes]), name='dense/bias')
            self.build([None, *input_shape])  # Keras builds a model with declared inputs at construction

        def __call__(self, inputs, training=False):
            if self.conv2d_kernel is None:
                self.conv2d_kernel = tf.Variable(_variance_scaling([3, 3, inputs.shape[-1], 8], 1.0, 'fan_avg', 'uniform'), name='conv2d/kernel')
            x = tf.nn.conv2d(inputs, self.conv2d_kernel, strides=2, padding='SAME')
            if self.batch_normalization_gamma is None:
                self.batch_normalization_gamma = tf.Variable(tf.ones([x.shape[-1]]), name='batch_normalization/gamma')
            if self.batch_normalization_beta is None:
                self.batch_normalization_beta = tf.Variable(tf.zeros([x.shape[-1]]), name='batch_normalization/beta')
            if self.batch_normalization_moving_mean is None:
                self.batch_normalization_moving_mean = tf.Variable(tf.zeros([x.shape[-1]]), trainable=False, name='batch_normalization/moving_mean')
            if self.batch_normalization_moving_variance is None:
                self.batch_normalization_moving_variance = tf.Variable(tf.ones([x.shape[-1]]), trainable=False, name='batch_normalization/moving_variance')
            if training:
                batch_normalization_mean, batch_normalization_variance = tf.nn.moments(x, axes=list(range(len(x.shape) - 1)))
                self.batch_normalization_moving_mean.assign(self.batch_normalization_moving_mean * 0.99 + batch_normalization_mean * (1.0 - 0.99))
                self.batch_normalization_moving_variance.assign(self.batch_normalization_moving_variance * 0.99 + batch_normalization_variance * (1.0 - 0.99))
            else:
                batch_normalization_mean, batch_normalization_variance = self.batch_normalization_moving_mean, self.batch_normalization_moving_variance
            x = tf.nn.batch_normalization(x, batch_normalization_mean, batch_normalization_variance, offset=self.batch_normalization_beta, scale=self.batch_normalization_gamma, variance_epsilon=0.001)
            x = tf.nn.relu6(x)
            x = tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]])
            if self.conv2d_1_kernel is None:
                self.conv2d_1_kernel = tf.Variable(_variance_scaling([3, 3, x.shape[-1], 16], 1.0, 'fan_avg', 'uniform'), name='conv2d_1/kernel')
            x = tf.nn.conv2d(x, self.conv2d_1_kernel, strides=1, padding='VALID')
            x = tf.nn.bias_add(x, self.conv2d_1_bias)
            x = tf.nn.relu(x)
            x = tf.reduce_mean(x, axis=[1, 2])
            if self.dense_kernel is None:
                self.dense_kernel = tf.Variable(_variance_scaling([x.shape[-1], num_classes], 1.0, 'fan_avg', 'uniform'), name='dense/kernel')
            outputs = tf.tensordot(x, self.dense_kernel, axes=1)
            outputs = tf.nn.bias_add(outputs, self.dense_bias)
            outputs = tf.nn.softmax(outputs, axis=-1)
            return outputs

        def ordered_variables(self):
            """The variables in the order of the Keras model's ``get_weights()``."""
            variables = [self.conv2d_kernel, self.batch_normalization_gamma, self.batch_normalization_beta, self.batch_normalization_moving_mean, self.batch_normalization_moving_variance, self.conv2d_1_kernel, self.conv2d_1_bias, self.dense_kernel, self.dense_bias]
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


    return ConvNet()


model = conv_net()
