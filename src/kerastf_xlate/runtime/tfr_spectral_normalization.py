"""SpectralNormalization: a wrapper dividing another layer's kernel by its spectral norm.

Keras 3's ``keras/src/layers/normalization/spectral_normalization.py``: the norm is estimated
by ``power_iterations`` steps of power iteration from a non-trainable ``vector_u``. A
training call computes ``kernel / sigma``, writes it into the wrapped layer's own kernel (or
``embeddings``) variable and writes the new ``vector_u`` (both kept as they are while the
kernel is all zeros), then calls the wrapped layer; an inference call only calls it, so it
reads the kernel the last training call wrote. Weights in Keras's order: the wrapped kernel,
``vector_u``, then the wrapped layer's other weights.
"""

import tensorflow as tf
from tfr_base import Layer, initializers_get


def _spectral_l2_normalize(x):
    """Keras's ``normalize(x, axis=None)``: ``x * min(rsqrt(sum(x ** 2)), 1 / epsilon)``."""
    inv_norm = tf.math.rsqrt(tf.reduce_sum(tf.square(x), keepdims=True))
    return x * tf.minimum(inv_norm, 1.0 / 1e-7)


class SpectralNormalization(Layer):
    """``keras.layers.SpectralNormalization(layer, power_iterations=1)``."""

    def __init__(self, layer, power_iterations=1, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(f"Layer {layer} supplied to Wrapper isn't a supported layer type. Please ensure wrapped "
                             f"layer is a valid Keras layer.")
        super().__init__(**kwargs)
        self.layer = layer
        if power_iterations <= 0:
            raise ValueError(f"`power_iterations` should be greater than zero. Received: "
                             f"`power_iterations={power_iterations}`")
        self.power_iterations = power_iterations

    def build(self, input_shape):
        if not self.layer.built:
            self.layer.build(input_shape)
            self.layer.built = True
        if getattr(self.layer, "kernel", None) is not None:
            self.kernel = self.layer.kernel
        elif getattr(self.layer, "embeddings", None) is not None:
            self.kernel = self.layer.embeddings
        else:
            raise ValueError(f"{type(self.layer).__name__} object has no attribute 'kernel' nor 'embeddings'")
        self.kernel_shape = tuple(self.kernel.shape)
        self.vector_u = self.add_weight(shape=(1, self.kernel_shape[-1]),
                                        initializer=initializers_get({"class_name": "TruncatedNormal",
                                                                      "config": {"stddev": 0.02}}),
                                        trainable=False, name="vector_u", dtype=self.kernel.dtype)
        self.built = True

    @property
    def weights(self):
        """Keras's order: the wrapped kernel (tracked by the wrapper), ``vector_u``, then the
        wrapped layer's other weights."""
        if not self.built:
            return []
        return [self.kernel, self.vector_u] + [v for v in self.layer.weights if v is not self.kernel]

    def normalized_weights(self):
        """``(vector_u, kernel / sigma)`` after ``power_iterations`` steps of power iteration."""
        weights = tf.reshape(self.kernel, [-1, self.kernel_shape[-1]])
        vector_u = tf.convert_to_tensor(self.vector_u)
        for _ in range(self.power_iterations):
            vector_v = _spectral_l2_normalize(tf.matmul(vector_u, weights, transpose_b=True))
            vector_u = _spectral_l2_normalize(tf.matmul(vector_v, weights))
        vector_u = tf.stop_gradient(vector_u)
        vector_v = tf.stop_gradient(vector_v)
        sigma = tf.matmul(tf.matmul(vector_v, weights), vector_u, transpose_b=True)
        return vector_u, tf.reshape(self.kernel / sigma, self.kernel_shape)

    def call(self, inputs, training=False):
        if training:
            vector_u, kernel = tf.cond(tf.reduce_all(tf.equal(self.kernel, 0)),
                                       lambda: (tf.convert_to_tensor(self.vector_u), tf.convert_to_tensor(self.kernel)),
                                       self.normalized_weights)
            self.vector_u.assign(vector_u)
            self.kernel.assign(kernel)
        return tf.cast(self.layer(inputs), inputs.dtype)
