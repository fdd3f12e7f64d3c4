"""Expression patterns: one TensorFlow idiom -> one Keras layer application.

:func:`match` tries, on one expression, every idiom this module knows:

- weighted: ``tf.matmul(x, w)`` / ``x @ w`` / ``tf.tensordot(x, w, axes=1)`` (Dense),
  ``tf.nn.conv1d/2d/3d`` / ``tf.nn.convolution`` (Conv*D), ``tf.nn.depthwise_conv2d``,
  ``tf.nn.separable_conv2d``, ``tf.nn.embedding_lookup`` / ``tf.gather`` (Embedding), each
  with an optional bias (``+ b``, ``tf.nn.bias_add``, ``tf.add``) and activation around it;
  ``tf.nn.relu(x) - alpha * tf.nn.relu(-x)`` (PReLU);
- stateless: activations, pooling, global pooling, ``tf.reshape`` (Flatten / Reshape),
  ``tf.pad`` (ZeroPadding*D), ``tf.concat`` and element-wise merges, ``tf.repeat``
  (UpSampling*D), slicing (Cropping*D), ``tf.transpose`` (Permute), ``tf.tile`` (RepeatVector),
  ``tf.math.l2_normalize`` (UnitNormalization), ``tf.nn.dropout(...) if training else x``;
- attention: ``tf.matmul(tf.nn.softmax(scores), v)`` (Attention, AdditiveAttention:
  :mod:`.attention`);
- only in code written by ``xlate to-tf`` (``ctx.graph``): plain arithmetic layers
  (Rescaling, Lambda).

A name operand that holds the result of a single-use earlier statement is followed into that
statement (``x = tf.matmul(x, w)`` then ``x = tf.nn.bias_add(x, b)``): the statement is
absorbed into the match. Nothing here edits text; :mod:`.body` does.
"""

from __future__ import annotations

import ast

from kerastf_xlate.tokeras.attention import attention
from kerastf_xlate.layerkit.recognise import MatchCtx, init_arg
from kerastf_xlate.layerkit.recognise import Match
from kerastf_xlate.tokeras.norm_extra import normalization
from kerastf_xlate.tokeras.preprocessing import preprocessing
from kerastf_xlate.tokeras.stateless import dropout_call, stateless
from kerastf_xlate.tokeras.weighted import weighted

__all__ = ["MatchCtx", "dropout_call", "init_arg", "match"]


def match(node: ast.AST, ctx: MatchCtx) -> Match | None:
    """The layer application computed by ``node``, or None."""
    if not isinstance(node, ast.expr) or id(node) in ctx.deny:
        return None
    for find in (weighted, normalization, preprocessing, stateless, attention):  # preprocessing's one-hot before global pooling
        m = find(node, ctx)
        # an op on constants or variables only is not a layer application
        if m is not None and all(ctx.tensor(x) for x in m.inputs):
            return m
    return None
