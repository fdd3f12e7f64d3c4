"""ReversibleEmbedding: an Embedding that can also project back onto its vocabulary.

Keras 3's ``keras/src/layers/core/reversible_embedding.py``: ``call(ids)`` is the Embedding
lookup (with ``mask_zero``, the output carries the mask ``ids != 0``); ``call(x, reverse=True)``
is ``x @ embeddings^T`` (``tie_weights=True``) or ``x @ reverse_embeddings`` (an
``(output_dim, input_dim)`` weight after ``embeddings``), computed in ``reverse_dtype`` when
given, and soft-capped to ``tanh(logits / logit_soft_cap) * logit_soft_cap`` when given.
"""

import tensorflow as tf
from tfr_base import _set_keras_mask
from tfr_core import Embedding


class ReversibleEmbedding(Embedding):
    """``keras.layers.ReversibleEmbedding``."""

    def __init__(self, input_dim, output_dim, tie_weights=True, embeddings_initializer="uniform",
                 embeddings_regularizer=None, embeddings_constraint=None, mask_zero=False, reverse_dtype=None,
                 logit_soft_cap=None, **kwargs):
        super().__init__(input_dim, output_dim, embeddings_initializer=embeddings_initializer,
                         embeddings_regularizer=embeddings_regularizer, embeddings_constraint=embeddings_constraint,
                         mask_zero=mask_zero, **kwargs)
        self.tie_weights = tie_weights
        self.reverse_dtype = reverse_dtype
        self.logit_soft_cap = logit_soft_cap

    def build(self, input_shape=None):
        if getattr(self, "embeddings", None) is None:
            self.built = False
            super().build(input_shape)
        if not self.tie_weights and getattr(self, "reverse_embeddings", None) is None:
            self.reverse_embeddings = self.add_weight(shape=(self.output_dim, self.input_dim),
                                                      initializer=self.embeddings_initializer,
                                                      name="reverse_embeddings", trainable=True)
        self.built = True

    def call(self, inputs, reverse=False):
        if not reverse:
            result = super().call(inputs)
            if self.mask_zero:
                _set_keras_mask(result, tf.not_equal(inputs, 0))
            return result
        kernel = tf.transpose(self.embeddings) if self.tie_weights else self.reverse_embeddings
        if self.reverse_dtype is not None:
            inputs = tf.cast(inputs, self.reverse_dtype)
            kernel = tf.cast(kernel, self.reverse_dtype)
        logits = tf.matmul(inputs, kernel)
        if self.logit_soft_cap is not None:
            logits = tf.math.tanh(logits / self.logit_soft_cap) * self.logit_soft_cap
        return logits

    def compute_mask(self, inputs, mask=None):
        return None  # the lookup sets the mask itself; a reverse call has none
