"""Attention layers: Attention (Luong), AdditiveAttention (Bahdanau), MultiHeadAttention,
GroupQueryAttention.

Written as Keras 3 computes them (``keras/src/layers/attention``) with the TensorFlow ops
its backend calls. Masks are Keras's: ``True`` keeps a position. The multi-head layers are
einsum projections (``EinsumDense`` sub-layers named and ordered as Keras's, so
``set_weights(keras_layer.get_weights())`` works), a softmax and einsums.
"""

import math
import string

import tensorflow as tf
from tfr_activation_layers import Softmax
from tfr_base import Layer
from tfr_core import Dropout, EinsumDense


def _causal_mask(q_len, v_len):
    """``(1, q_len, v_len)``: query step i sees value steps 0..i (lower triangle)."""
    ones = tf.ones((1, q_len, v_len), tf.int32)
    return tf.cumsum(ones, axis=-2) >= tf.cumsum(ones, axis=-1)


class Attention(Layer):
    """``keras.layers.Attention``: dot-product (Luong) attention of ``[query, value]`` or
    ``[query, value, key]`` (key defaults to value).

    Scores ``query @ key^T`` (times a learned scalar ``scale`` when ``use_scale``), or with
    ``score_mode="concat"`` ``concat_score_weight * sum(tanh(scale * (q + k)))``; masked
    value steps get ``score - 1e9``; softmax over the value steps; dropout on the weights in
    training; ``weights @ value``; rows of masked query steps are zero. ``mask=[query_mask,
    value_mask]`` are Keras masks; ``use_causal_mask`` hides later value steps;
    ``return_attention_scores`` also returns the weights (after dropout, as Keras)."""

    supports_masking = True

    def __init__(self, use_scale=False, score_mode="dot", dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        if score_mode not in ("dot", "concat"):
            raise ValueError(f"Invalid value for argument score_mode: {score_mode!r}, expected 'dot' or 'concat'")
        self.use_scale = use_scale
        self.score_mode = score_mode
        self.dropout = dropout
        self.seed = seed

    def build(self, input_shape):
        self.scale = self.concat_score_weight = None
        if self.use_scale:
            self.scale = self.add_weight(shape=(), initializer="ones", name="scale")
        if self.score_mode == "concat":
            self.concat_score_weight = self.add_weight(shape=(), initializer="ones", name="concat_score_weight")
        self.built = True

    def _scores(self, query, key):
        """``(batch, Tq, Tv)`` scores of each query step against each key step."""
        if self.score_mode == "dot":
            scores = tf.matmul(query, key, transpose_b=True)
            return scores if self.scale is None else scores * self.scale
        pairs = tf.expand_dims(query, -2) + tf.expand_dims(key, -3)  # (batch, Tq, Tv, dim)
        if self.scale is not None:
            pairs = self.scale * pairs
        return self.concat_score_weight * tf.reduce_sum(tf.tanh(pairs), axis=-1)

    def call(self, inputs, mask=None, training=False, return_attention_scores=False, use_causal_mask=False):
        _check_inputs(self, inputs, mask)
        query, value = inputs[0], inputs[1]
        key = inputs[2] if len(inputs) > 2 else value
        query_mask = None if not mask or mask[0] is None else tf.convert_to_tensor(mask[0])
        value_mask = None if not mask or mask[1] is None else tf.convert_to_tensor(mask[1])
        scores = self._scores(query, key)
        keep = value_mask
        if use_causal_mask:
            shape = tf.shape(scores)
            keep = _causal_mask(shape[-2], shape[-1])
            if value_mask is not None:
                keep = tf.logical_and(tf.expand_dims(value_mask, -2), keep)
        if keep is not None:
            if keep.shape.rank == 2:
                keep = tf.expand_dims(keep, -2)
            # Keras subtracts a large number (it does not overwrite the score)
            large = 65504.0 if scores.dtype == tf.float16 else 1.0e9
            scores = tf.where(tf.logical_not(keep), scores - large, scores)
        weights = tf.nn.softmax(scores, axis=-1)
        if training and self.dropout > 0:
            weights = tf.zeros_like(weights) if self.dropout == 1 else tf.nn.dropout(weights, rate=self.dropout,
                                                                                       seed=self.seed)
        outputs = tf.matmul(weights, value)
        if query_mask is not None:
            outputs = tf.where(tf.expand_dims(query_mask, -1), outputs, tf.zeros_like(outputs))
        if return_attention_scores:
            return outputs, weights
        return outputs

    def compute_mask(self, inputs, mask=None):
        """The output's Keras mask is the query's."""
        if mask is None or mask[0] is None:
            return None
        return tf.convert_to_tensor(mask[0])


def _check_inputs(layer, inputs, mask):
    name = type(layer).__name__
    if not isinstance(inputs, (list, tuple)) or not 2 <= len(inputs) <= 3:
        raise ValueError(f"{name} layer must be called on a list of inputs, namely [query, value] or "
                         f"[query, value, key]")
    if mask is not None and (not isinstance(mask, (list, tuple)) or not 2 <= len(mask) <= 3):
        raise ValueError(f"{name} layer mask must be a list, namely [query_mask, value_mask]")


class AdditiveAttention(Attention):
    """``keras.layers.AdditiveAttention``: Bahdanau attention, scores
    ``sum(scale * tanh(q + k), -1)`` with a learned per-feature ``scale`` (glorot-uniform,
    when ``use_scale``, the default). The rest is :class:`Attention`."""

    def __init__(self, use_scale=True, dropout=0.0, **kwargs):
        super().__init__(use_scale=use_scale, dropout=dropout, **kwargs)

    def build(self, input_shape):
        self.scale = None
        if self.use_scale:
            self.scale = self.add_weight(shape=(input_shape[0][-1],), initializer="glorot_uniform", name="scale")
        self.built = True

    def _scores(self, query, key):
        pairs = tf.tanh(tf.expand_dims(query, -2) + tf.expand_dims(key, -3))  # (batch, Tq, Tv, dim)
        if self.scale is not None:
            pairs = self.scale * pairs
        return tf.reduce_sum(pairs, axis=-1)


# --- multi-head attention ----------------------------------------------------------------


def _projection_equation(free_dims, bound_dims, output_dims):
    """Keras's einsum of a projection: ``free`` axes kept, ``bound`` axes contracted with the
    kernel, ``output`` axes made (e.g. ``abc,cde->abde`` for query -> heads x key_dim).
    Returns the equation, the bias axes (the output ones) and the output rank."""
    letters = string.ascii_lowercase
    free = letters[:free_dims]
    bound = letters[free_dims:free_dims + bound_dims]
    made = letters[free_dims + bound_dims:free_dims + bound_dims + output_dims]
    return f"{free}{bound},{bound}{made}->{free}{made}", made, free_dims + output_dims


def _partial_shape(rank, last_dims):
    """An EinsumDense output shape (no batch axis): unknown axes, then ``last_dims``."""
    return [None] * (rank - len(last_dims)) + list(last_dims)


def _attention_equations(rank, attention_axes):
    """The two einsums of multi-head attention on projected tensors of ``rank`` axes
    ``(batch, <other axes>, <attention axes>, heads, channels)``:

    - scores: ``key, query -> (batch, <other axes>, heads, <query attention axes>, <key attention axes>)``
    - combine: ``scores, value -> (batch, <other axes>, <query attention axes>, heads, channels)``

    (For a sequence, ``rank = 4`` and attention over axis 1: ``aecd,abcd->acbe`` and
    ``acbe,aecd->abcd``, i.e. ``BSNH,BTNH->BNTS`` and ``BNTS,BSNH->BTNH``.)
    Returns both equations and the rank of the scores."""
    letters = string.ascii_lowercase
    query = letters[:rank]
    batch_axes = [i for i in range(rank) if i not in attention_axes and i != rank - 1]
    key, extra = "", rank
    for i in range(rank):
        if i in batch_axes or i == rank - 1:
            key += query[i]
        else:  # an attention axis: the key's has its own letter
            key += letters[extra]
            extra += 1
    scores = ("".join(query[i] for i in batch_axes) + "".join(query[i] for i in attention_axes)
              + "".join(key[i] for i in attention_axes))
    return f"{key},{query}->{scores}", f"{scores},{key}->{query}", len(scores)


# -0.7 * the largest bfloat16: what Keras's dot_product_attention puts at masked scores
_LARGE_NEGATIVE = -0.7 * 3.38953e38


class MultiHeadAttention(Layer):
    """``keras.layers.MultiHeadAttention``.

    ``call(query, value, key=None, query_mask=None, value_mask=None, key_mask=None,
    attention_mask=None, return_attention_scores=False, training=None,
    use_causal_mask=False)``: query, key and value are projected to ``num_heads`` heads
    (``EinsumDense`` sub-layers ``query``, ``key``, ``value``), scores are
    ``query . key / sqrt(key_dim)`` over ``attention_axes`` (default: every axis between the
    batch and the features), softmax, dropout on the weights in training, the weighted sum
    of the values, and the ``attention_output`` projection back to the query's feature size
    (or ``output_shape``). Weights in Keras's order: query, key, (gate), value,
    attention_output, each kernel then bias.

    Masks (True keeps): ``query_mask`` / ``value_mask`` / ``key_mask`` are the Keras masks of
    the three inputs (what Keras reads from ``Embedding(mask_zero=True)``), ``attention_mask``
    is ``(batch, T, S)``; all are combined with the causal and ``sliding_window`` masks.

    TRAP (kept, to give Keras's numbers): Keras computes attention two ways. Without dropout,
    returned scores or attention over several axes it calls its fused
    ``dot_product_attention``: masked scores get -0.7 * 3.4e38, so a query step with nothing
    to attend to averages all values. Otherwise it uses its Softmax layer: masked scores get
    -1e9 and are zeroed after the softmax, so such a step gets zeros. ``flash_attention=True``
    is not available on TensorFlow (Keras raises too)."""

    supports_masking = True

    def __init__(self, num_heads, key_dim, value_dim=None, dropout=0.0, use_bias=True, output_shape=None,
                 attention_axes=None, sliding_window=None, flash_attention=None, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, use_gate=False, seed=None, **kwargs):
        if not isinstance(num_heads, int) or num_heads <= 0:
            raise ValueError(f"num_heads must be a positive integer, got {num_heads!r}")
        if not isinstance(key_dim, int) or key_dim <= 0:
            raise ValueError(f"key_dim must be a positive integer, got {key_dim!r}")
        if value_dim is not None and (not isinstance(value_dim, int) or value_dim <= 0):
            raise ValueError(f"value_dim must be a positive integer or None, got {value_dim!r}")
        super().__init__(**kwargs)
        for arg, value in (("kernel_regularizer", kernel_regularizer), ("bias_regularizer", bias_regularizer),
                           ("activity_regularizer", activity_regularizer), ("kernel_constraint", kernel_constraint),
                           ("bias_constraint", bias_constraint)):
            if value is not None:
                raise NotImplementedError(f"MultiHeadAttention({arg}=...) is not translated")
        if flash_attention:
            raise NotImplementedError("MultiHeadAttention(flash_attention=True) is not available on TensorFlow")
        self.num_heads = num_heads
        self.key_dim = key_dim
        self.value_dim = value_dim if value_dim else key_dim
        self.dropout = dropout
        self.use_bias = use_bias
        if output_shape:
            output_shape = (output_shape,) if isinstance(output_shape, int) else tuple(output_shape)
        self._output_shape = output_shape
        if isinstance(attention_axes, int):
            attention_axes = (attention_axes,)
        elif attention_axes and not isinstance(attention_axes, (list, tuple)):
            raise ValueError(f"attention_axes must be an int, list or tuple, got {attention_axes!r}")
        self.attention_axes = attention_axes
        if sliding_window is not None and (not isinstance(sliding_window, int) or sliding_window <= 0):
            raise ValueError(f"sliding_window must be None or a positive integer, got {sliding_window!r}")
        self.sliding_window = sliding_window
        self.use_gate = use_gate
        self.seed = seed
        self._kernel_initializer = kernel_initializer
        self._bias_initializer = bias_initializer
        self._inverse_sqrt_key_dim = 1.0 / math.sqrt(float(key_dim))
        self._query_dense = None

    def _projection(self, input_rank, bound_dims, last_dims, name, activation=None):
        equation, bias_axes, rank = _projection_equation(input_rank - 1, bound_dims, len(last_dims))
        return EinsumDense(equation, output_shape=_partial_shape(rank - 1, last_dims), activation=activation,
                           bias_axes=bias_axes if self.use_bias else None, kernel_initializer=self._kernel_initializer,
                           bias_initializer=self._bias_initializer, name=name, dtype=self.dtype_policy)

    def build(self, query_shape, value_shape=None, key_shape=None):
        """Make the projections for these input shapes (also done on the first call)."""
        if value_shape is None:
            return  # only the query's shape is known yet: the first call builds
        query_shape, value_shape = tuple(query_shape), tuple(value_shape)
        key_shape = value_shape if key_shape is None else tuple(key_shape)
        if value_shape[1:-1] != key_shape[1:-1]:
            raise ValueError(f"All dimensions of `value` and `key`, except the last one, must be equal: "
                             f"value_shape={value_shape}, key_shape={key_shape}")
        heads = self.num_heads
        # attribute order = Keras's weight order
        self._query_dense = self._projection(len(query_shape), 1, [heads, self.key_dim], "query")
        self._query_dense.build(query_shape)
        self._key_dense = self._projection(len(key_shape), 1, [heads, self.key_dim], "key")
        self._key_dense.build(key_shape)
        if self.use_gate:
            self._gate_dense = self._projection(len(query_shape), 1, [heads, self.value_dim], "gate",
                                                activation="sigmoid")
            self._gate_dense.build(query_shape)
        self._value_dense = self._projection(len(value_shape), 1, [heads, self.value_dim], "value")
        self._value_dense.build(value_shape)
        rank = len(value_shape) + 1  # of the projected tensors
        if self.attention_axes is None:
            self._axes = tuple(range(1, rank - 2))
        else:
            self._axes = tuple(a if a >= 0 else rank - 1 + a for a in self.attention_axes)
        self._dot_product_equation, self._combine_equation, scores_rank = _attention_equations(rank, self._axes)
        self._softmax = Softmax(axis=tuple(range(scores_rank - len(self._axes), scores_rank)), dtype=self.dtype_policy)
        self._dropout_layer = Dropout(rate=self.dropout, seed=self.seed, dtype=self.dtype_policy)
        self._output_dense = self._projection(len(query_shape), 2, self._output_shape or [query_shape[-1]],
                                              "attention_output")
        self._output_dense.build(tuple(query_shape[:-1]) + (heads, self.value_dim))
        self.built = True

    def call(self, query, value, key=None, query_mask=None, value_mask=None, key_mask=None, attention_mask=None,
             return_attention_scores=False, training=None, use_causal_mask=False):
        value = tf.convert_to_tensor(value)
        key = value if key is None else tf.convert_to_tensor(key)
        if self._query_dense is None:
            self.build(_shape(query), _shape(value), _shape(key))
        causal_only = (use_causal_mask and query_mask is None and value_mask is None and key_mask is None
                       and attention_mask is None and self.sliding_window is None)
        if not causal_only:
            attention_mask = _attention_mask(query, value, query_mask, value_mask, key_mask, attention_mask,
                                             use_causal_mask, self.sliding_window)
        if self.use_gate:
            gate = self._gate_dense(query)
        query = self._query_dense(query)  # (batch, T, heads, key_dim)
        key = self._key_dense(key)  # (batch, S, heads, key_dim)
        value = self._value_dense(value)  # (batch, S, heads, value_dim)
        output, scores = self._attend(query, key, value, attention_mask, training, return_attention_scores,
                                      causal_only)
        if self.use_gate:
            output = output * gate
        output = self._output_dense(output)
        if return_attention_scores:
            return output, scores
        return output

    def _attend(self, query, key, value, mask, training, return_scores, causal):
        """Scaled dot-product attention of projected ``(batch, ..., heads, dim)`` tensors:
        the output and (on Keras's einsum path) the attention weights."""
        if not (self.dropout > 0.0 or return_scores or query.shape.rank != 4):
            return _fused_attention(query, key, value, mask, self._inverse_sqrt_key_dim, causal), None
        # Keras's einsum path: scale the query, Softmax layer with the mask, dropout
        if causal:
            mask = _causal_mask(tf.shape(query)[1], tf.shape(value)[1])
        query = query * tf.cast(self._inverse_sqrt_key_dim, query.dtype)
        scores = tf.einsum(self._dot_product_equation, key, query)
        if mask is not None:
            for _ in range(scores.shape.rank - mask.shape.rank):
                mask = tf.expand_dims(mask, -2 * len(self._axes) - 1)  # the same for every head
        scores = self._softmax(scores, mask=mask)
        weights = self._dropout_layer(scores, training=training) if self.dropout > 0.0 else scores
        return tf.einsum(self._combine_equation, weights, value), scores


def _attention_mask(query, value, query_mask, value_mask, key_mask, attention_mask, use_causal_mask,
                    sliding_window):
    """The ``(batch, T, S)`` mask of multi-head attention: the inputs' Keras masks, the
    causal and sliding-window masks and ``attention_mask`` combined (None when none)."""
    masks = [] if attention_mask is None else [tf.cast(attention_mask, tf.bool)]
    if query_mask is not None:
        masks.append(tf.expand_dims(tf.cast(query_mask, tf.bool), -1))  # (batch, T, 1)
    for m in (value_mask, key_mask):
        if m is not None:
            masks.append(tf.expand_dims(tf.cast(m, tf.bool), -2))  # (batch, 1, S)
    q_len, v_len = tf.shape(query)[1], tf.shape(value)[1]
    if use_causal_mask:
        masks.append(_causal_mask(q_len, v_len))
    if sliding_window is not None:
        # a band: query step i sees key steps less than sliding_window away
        rows = tf.reshape(tf.range(q_len), (1, -1, 1))
        cols = tf.reshape(tf.range(v_len), (1, 1, -1))
        masks.append(tf.abs(rows - cols) < sliding_window)
    if not masks:
        return None
    mask = masks[0]
    for m in masks[1:]:
        mask = tf.logical_and(mask, m)
    return mask


def _fused_attention(query, key, value, mask, scale, causal):
    """Keras's ``dot_product_attention`` on ``(batch, T, heads, dim)`` tensors: the scores
    are scaled after the product and masked with a huge negative (so a query step with
    nothing to attend to averages all values)."""
    scores = tf.einsum("BTNH,BSNH->BNTS", query, key) * scale
    if causal:
        t, s = tf.shape(scores)[2], tf.shape(scores)[3]
        mask = tf.linalg.band_part(tf.ones((t, s), tf.bool), -1, 0)[None, None]
    elif mask is not None:
        for _ in range(4 - mask.shape.rank):
            mask = tf.expand_dims(mask, -3)  # (batch, 1, T, S): the same for every head
    if mask is not None:
        scores = tf.where(mask, scores, tf.constant(_LARGE_NEGATIVE, scores.dtype))
    weights = tf.nn.softmax(scores, axis=-1)
    return tf.einsum("BNTS,BSNH->BTNH", weights, value)


class GroupQueryAttention(Layer):
    """``keras.layers.GroupQueryAttention`` (Keras's ``GroupedQueryAttention``): multi-head
    attention on sequences ``(batch, T, features)`` with ``num_query_heads`` query heads
    sharing ``num_key_value_heads`` key/value heads (each key/value head is repeated for
    ``num_query_heads // num_key_value_heads`` query heads). Projections ``query``, ``key``,
    (``gate``), ``value``, ``attention_output`` as in Keras; the call and its masks are
    :class:`MultiHeadAttention`'s, with the same two computation paths."""

    supports_masking = True

    def __init__(self, head_dim, num_query_heads, num_key_value_heads, dropout=0.0, use_bias=True, sliding_window=None,
                 flash_attention=None, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, use_gate=False, seed=None, **kwargs):
        super().__init__(**kwargs)
        for arg, value in (("kernel_regularizer", kernel_regularizer), ("bias_regularizer", bias_regularizer),
                           ("activity_regularizer", activity_regularizer), ("kernel_constraint", kernel_constraint),
                           ("bias_constraint", bias_constraint)):
            if value is not None:
                raise NotImplementedError(f"GroupQueryAttention({arg}=...) is not translated")
        if flash_attention:
            raise NotImplementedError("GroupQueryAttention(flash_attention=True) is not available on TensorFlow")
        if num_query_heads % num_key_value_heads != 0:
            raise ValueError("`num_query_heads` must be divisible by `num_key_value_heads`")
        if sliding_window is not None and (not isinstance(sliding_window, int) or sliding_window <= 0):
            raise ValueError(f"sliding_window must be None or a positive integer, got {sliding_window!r}")
        self.head_dim = head_dim
        self.num_query_heads = num_query_heads
        self.num_key_value_heads = num_key_value_heads
        self.num_repeats = num_query_heads // num_key_value_heads
        self.dropout = dropout
        self.use_bias = use_bias
        self.use_gate = use_gate
        self.sliding_window = sliding_window
        self.seed = seed
        self._kernel_initializer = kernel_initializer
        self._bias_initializer = bias_initializer
        self._inverse_sqrt_head_dim = 1.0 / math.sqrt(float(head_dim))
        self._query_dense = None

    def _projection(self, equation, last_dims, bias_axes, name, activation=None):
        return EinsumDense(equation, output_shape=(None,) + last_dims, activation=activation,
                           bias_axes=bias_axes if self.use_bias else None, kernel_initializer=self._kernel_initializer,
                           bias_initializer=self._bias_initializer, name=name, dtype=self.dtype_policy)

    def build(self, query_shape, value_shape=None, key_shape=None):
        """Make the projections for these input shapes (also done on the first call)."""
        if value_shape is None:
            return  # only the query's shape is known yet: the first call builds
        key_shape = value_shape if key_shape is None else key_shape
        q_heads, kv_heads, dim = self.num_query_heads, self.num_key_value_heads, self.head_dim
        # b: batch, q/k: query/key steps, m: features, u: query heads, v: key/value heads, h: head_dim
        self._query_dense = self._projection("bqm,muh->bquh", (q_heads, dim), "uh", "query")
        self._query_dense.build(query_shape)
        self._key_dense = self._projection("bkm,mvh->bkvh", (kv_heads, dim), "vh", "key")
        self._key_dense.build(key_shape)
        if self.use_gate:
            self._gate_dense = self._projection("bqm,muh->bquh", (q_heads, dim), "uh", "gate", activation="sigmoid")
            self._gate_dense.build(query_shape)
        self._value_dense = self._projection("bkm,mvh->bkvh", (kv_heads, dim), "vh", "value")
        self._value_dense.build(value_shape)
        self._softmax = Softmax(axis=-1, dtype=self.dtype_policy)
        self._dropout_layer = Dropout(rate=self.dropout, seed=self.seed, dtype=self.dtype_policy)
        self._output_dense = self._projection("bquh,uhm->bqm", (query_shape[-1],), "m", "attention_output")
        self._output_dense.build((None, None, q_heads, dim))
        self.built = True

    def call(self, query, value, key=None, query_mask=None, value_mask=None, key_mask=None, attention_mask=None,
             return_attention_scores=False, training=None, use_causal_mask=False):
        value = tf.convert_to_tensor(value)
        key = value if key is None else tf.convert_to_tensor(key)
        if self._query_dense is None:
            self.build(_shape(query), _shape(value), _shape(key))
        causal = (use_causal_mask and query_mask is None and value_mask is None and key_mask is None
                  and attention_mask is None and self.sliding_window is None)
        if not causal:
            attention_mask = _attention_mask(query, value, query_mask, value_mask, key_mask, attention_mask,
                                             use_causal_mask, self.sliding_window)
        if self.use_gate:
            gate = self._gate_dense(query)
        query = self._query_dense(query)  # (batch, T, query heads, head_dim)
        # each key/value head serves num_repeats consecutive query heads
        key = tf.repeat(self._key_dense(key), self.num_repeats, axis=2)  # (batch, S, query heads, head_dim)
        value = tf.repeat(self._value_dense(value), self.num_repeats, axis=2)
        if not (self.dropout > 0.0 or return_attention_scores or query.shape.rank != 4):
            output, scores = _fused_attention(query, key, value, attention_mask, self._inverse_sqrt_head_dim,
                                              causal), None
        else:
            mask = _causal_mask(tf.shape(query)[1], tf.shape(value)[1]) if causal else attention_mask
            query = query * tf.cast(self._inverse_sqrt_head_dim, query.dtype)
            scores = tf.einsum("bquh,bkuh->buqk", query, key)  # (batch, heads, T, S)
            if mask is not None:
                for _ in range(scores.shape.rank - mask.shape.rank):
                    mask = tf.expand_dims(mask, -3)
            scores = self._softmax(scores, mask=mask)
            weights = self._dropout_layer(scores, training=training) if self.dropout > 0.0 else scores
            output = tf.einsum("buqk,bkuh->bquh", weights, value)
        if self.use_gate:
            output = output * gate
        output = self._output_dense(output)
        if return_attention_scores:
            return output, scores
        return output


def _shape(x):
    return tuple(tf.TensorShape(x.shape).as_list())
