"""Lookup and text preprocessing layers: StringLookup, IntegerLookup, Hashing, HashedCrossing,
Discretization, TextVectorization, on ``tf.lookup`` / ``tf.strings``.

Their state is not weights: Keras's ``get_weights()`` is ``[]`` for all of them, and so it is
here, so ``set_weights(keras_model.get_weights())`` of a model holding them lines up. The
state moves the way Keras itself moves it:

- the constructor's ``vocabulary=`` / ``idf_weights=`` / ``bin_boundaries=`` (a list, or for
  the lookups a vocabulary file path), e.g. ``StringLookup(vocabulary=keras_layer.get_vocabulary())``;
- ``set_vocabulary(vocabulary, idf_weights=None)`` / ``get_vocabulary()`` /
  ``vocabulary_size()``, as on the Keras layers (``include_special_tokens`` too); with
  ``output_mode="tf_idf"`` pass Keras's padded weights (``keras_layer.idf_weights``) with the
  full vocabulary (special tokens included, as ``get_vocabulary()`` returns it);
- ``adapt(data, steps=None)`` on arrays, lists, tensors, ``tf.data`` datasets or iterables of
  batches, computed as Keras computes it (token counts sorted by count then token, both
  high to low; Keras's IDF formula; Discretization's quantile summaries).

Indices follow Keras: the mask token (when given, in ``int`` mode) is 0, then
``num_oov_indices`` OOV indices (several are chosen by hashing:
``tf.strings.to_hash_bucket_fast``, or ``..._strong`` with ``salt``; integers by ``floormod``
unless ``oov_method="farmhash"``), then the vocabulary. Outputs: ``int`` (int64), ``one_hot``
/ ``multi_hot`` / ``count`` (int64 for the lookups, float32 for Hashing/Discretization) and
``tf_idf`` (float32), over the last axis as Keras's ``bincount``. ``sparse=True`` outputs
are not translated.
"""

import math

import tensorflow as tf
from tfr_base import Layer, _graph_frame

# --- shared helpers ------------------------------------------------------------------------


def _lk_list(values, encoding=None):
    """A Python list from a list, tuple, array or tensor (tensors' strings decoded)."""
    if isinstance(values, (list, tuple)):
        out = list(values)
    elif tf.is_tensor(values) or isinstance(values, tf.Variable):
        out = values.numpy().tolist()
    elif hasattr(values, "tolist"):
        out = values.tolist()
    else:
        out = list(values)
    if encoding is not None:
        out = [v.decode(encoding) if isinstance(v, bytes) else v for v in out]
    return out


def _lk_tensor(inputs, dtype=None):
    """The input as a dense, ragged or sparse tensor, cast to ``dtype`` when given."""
    if not isinstance(inputs, (tf.Tensor, tf.RaggedTensor, tf.SparseTensor)):
        inputs = tf.convert_to_tensor(inputs)
    if dtype is not None and inputs.dtype != dtype:
        inputs = tf.cast(inputs, dtype)
    return inputs


def _lk_encode(inputs, output_mode, depth, dtype):
    """Keras's ``encode_categorical_inputs`` on TensorFlow: indices to ``int`` /
    ``one_hot`` / ``multi_hot`` / ``count``. Multi-hot and count of inputs up to rank 2 are
    a ``bincount`` over the last axis (a rank-1 input gives ONE vector); deeper inputs are
    reduced over axis 1, as Keras's fallback does."""
    dtype = tf.as_dtype(dtype)
    if output_mode == "int":
        return tf.cast(inputs, dtype)
    rank = inputs.shape.rank
    if rank == 0:
        inputs = tf.expand_dims(inputs, -1)
        rank = 1
    if rank <= 2 and output_mode in ("multi_hot", "count"):
        counts = tf.math.bincount(tf.cast(inputs, tf.int64) if isinstance(inputs, tf.Tensor) else inputs,
                                  minlength=depth, maxlength=depth, dtype=dtype, axis=-1,
                                  binary_output=output_mode == "multi_hot")
        return tf.cast(counts, dtype)
    if output_mode == "one_hot":
        if rank > 1 and inputs.shape[-1] == 1:
            inputs = tf.squeeze(inputs, -1)
        return tf.one_hot(tf.cast(inputs, tf.int64), depth, dtype=dtype)
    encoded = tf.one_hot(tf.cast(inputs, tf.int64), depth, dtype=dtype)
    axis = 1 if rank > 1 else 0
    if output_mode == "multi_hot":
        return tf.reduce_max(encoded, axis=axis)
    return tf.reduce_sum(encoded, axis=axis)


def _lk_batches(data, steps, dtype):
    """The batches ``adapt(data, steps)`` reads, as Keras reads them: a dataset or an
    iterable of batches one by one; an array, list or tensor as one batch (a rank-1 one as a
    column: one token per row)."""
    if isinstance(data, tf.data.Dataset):
        yield from (data.take(steps) if steps is not None else data)
        return
    if hasattr(data, "__iter__") and not (isinstance(data, (list, tuple, str, bytes)) or hasattr(data, "__array__")
                                          or tf.is_tensor(data)):
        for i, batch in enumerate(data):
            if steps is not None and i >= steps:
                break
            yield batch
        return
    data = _lk_tensor(data, dtype)
    if data.shape.rank == 1:
        data = tf.expand_dims(data, -1)
    yield data


def _lk_check_mode(layer, output_mode, allowed):
    if output_mode not in allowed:
        raise ValueError(f"{type(layer).__name__}: invalid output_mode {output_mode!r}, expected one of {allowed}")


def _lk_no_sparse(layer, sparse):
    if sparse:
        raise NotImplementedError(f"{type(layer).__name__}(sparse=True) is not translated (SparseTensor outputs)")


# --- vocabulary lookups ----------------------------------------------------------------------


class _LkCounts:
    """What ``adapt`` accumulates: token counts, document counts, documents. A plain object:
    a ``tf.Module`` wraps dict attributes for checkpoint tracking, which makes every insert
    slow (minutes on a real corpus) and tracks nothing useful here."""

    def __init__(self):
        self.tokens = {}
        self.documents = {}
        self.num_documents = 0


class _IndexLookup(Layer):
    """What StringLookup and IntegerLookup share (Keras's ``IndexLookup``): a
    ``tf.lookup.StaticHashTable`` from tokens to indices (or back, with ``invert``), the
    special indices, the encodings, ``adapt`` and the vocabulary methods."""

    _encoding = None  # strings from tensors are decoded with it (StringLookup)

    def _lk_setup(self, max_tokens, num_oov_indices, mask_token, oov_token, vocabulary_dtype, vocabulary,
                  idf_weights, invert, output_mode, sparse, pad_to_max_tokens, oov_method, salt):
        if max_tokens is not None and max_tokens <= 1:
            raise ValueError(f"If set, `max_tokens` must be greater than 1. Received: max_tokens={max_tokens}")
        if pad_to_max_tokens and max_tokens is None:
            raise ValueError(f"If pad_to_max_tokens is True, must set `max_tokens`. Received: max_tokens={max_tokens}")
        if num_oov_indices < 0:
            raise ValueError(f"`num_oov_indices` must be >= 0. Received: num_oov_indices={num_oov_indices}")
        if oov_method not in ("floormod", "farmhash"):
            raise ValueError(f"invalid oov_method {oov_method!r}")
        vocabulary_dtype = tf.as_dtype(vocabulary_dtype)
        if salt is not None:
            if vocabulary_dtype.is_integer and oov_method != "farmhash":
                raise ValueError(f"`salt` can only be used when `oov_method='farmhash'`. Received: oov_method={oov_method}")
            if isinstance(salt, (tuple, list)) and len(salt) == 2:
                salt = list(salt)
            elif isinstance(salt, int):
                salt = [salt, salt]
            else:
                raise ValueError(f"`salt` must be a tuple of 2 integers or an integer. Received: salt={salt}")
        output_mode = {"binary": "multi_hot", "tf-idf": "tf_idf"}.get(output_mode, output_mode)
        _lk_check_mode(self, output_mode, ("int", "one_hot", "multi_hot", "count", "tf_idf"))
        if invert and output_mode != "int":
            raise ValueError(f"`output_mode` must be 'int' when `invert` is true. Received: output_mode={output_mode}")
        if sparse and output_mode == "int":
            raise ValueError("`sparse` may only be true if `output_mode` is not 'int'")
        _lk_no_sparse(self, sparse)
        if idf_weights is not None and output_mode != "tf_idf":
            raise ValueError("`idf_weights` should only be set if `output_mode` is 'tf_idf'")
        self.invert = invert
        self.max_tokens = max_tokens
        self.num_oov_indices = num_oov_indices
        self.mask_token = mask_token
        self.oov_token = oov_token
        self.output_mode = output_mode
        self.sparse = sparse
        self.pad_to_max_tokens = pad_to_max_tokens
        self.vocabulary_dtype = vocabulary_dtype.name
        self.oov_method = oov_method
        self.salt = salt
        self._vocab_dtype = vocabulary_dtype
        if invert:
            self._key_dtype, self._value_dtype = tf.int64, vocabulary_dtype
            mask_key, mask_value = 0, mask_token
            self._default_value = oov_token
        else:
            self._key_dtype, self._value_dtype = vocabulary_dtype, tf.int64
            mask_key = mask_token
            # outside int mode the mask maps to an index no encoding counts
            mask_value = 0 if output_mode == "int" else tf.int64.max
            self._default_value = self._oov_start_index() if num_oov_indices == 1 else -1
        if mask_token is not None:
            self._mask_key = tf.constant(mask_key, self._key_dtype)
            self._mask_value = tf.constant(mask_value, self._value_dtype)
        self._tokens = None  # the vocabulary without special tokens (None: from a file, or none yet)
        self._table = None  # None: no vocabulary yet (every lookup gives the default)
        self._frozen_vocab_size = None
        self._has_input_vocabulary = vocabulary is not None
        self.idf_weights = None
        if output_mode == "tf_idf":
            if self._has_input_vocabulary and idf_weights is None:
                raise ValueError("When specifying the `vocabulary` argument, in TF-IDF output mode, the "
                                 "`idf_weights` argument must also be provided.")
            if idf_weights is not None:
                self.idf_weights = tf.constant(_lk_list(idf_weights), tf.float32)
        self.reset_state()
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)

    # -- special indices

    def _oov_start_index(self):
        return 1 if self.mask_token is not None and self.output_mode == "int" else 0

    def _token_start_index(self):
        return self._oov_start_index() + self.num_oov_indices

    # -- the vocabulary

    def _make_table(self, tokens):
        """The table for ``tokens`` (indices from the first non-special index on)."""
        with tf.init_scope():
            start = self._token_start_index()
            indices = tf.range(start, start + len(tokens), dtype=tf.int64)
            tokens = tf.constant(tokens, self._vocab_dtype) if tokens else tf.zeros([0], self._vocab_dtype)
            keys, values = (indices, tokens) if self.invert else (tokens, indices)
            initializer = tf.lookup.KeyValueTensorInitializer(keys, values, self._key_dtype, self._value_dtype)
            return tf.lookup.StaticHashTable(initializer, self._default_value)

    def _make_file_table(self, path):
        """A table read from a vocabulary file, one token per line."""
        whole_line, line_number = tf.lookup.TextFileIndex.WHOLE_LINE, tf.lookup.TextFileIndex.LINE_NUMBER
        with tf.init_scope():
            initializer = tf.lookup.TextFileInitializer(
                filename=path, key_dtype=self._key_dtype, key_index=line_number if self.invert else whole_line,
                value_dtype=self._value_dtype, value_index=whole_line if self.invert else line_number,
                value_index_offset=self._token_start_index())
            return tf.lookup.StaticHashTable(initializer, self._default_value)

    def set_vocabulary(self, vocabulary, idf_weights=None):
        """Set the vocabulary (a list, array, tensor, or a file path) and, with
        ``output_mode="tf_idf"``, its IDF weights, as Keras's ``set_vocabulary``: special
        tokens at the start of the list are recognised and dropped."""
        if self.output_mode == "tf_idf":
            if idf_weights is None:
                raise ValueError("`idf_weights` must be set if output_mode is 'tf_idf'.")
        elif idf_weights is not None:
            raise ValueError("`idf_weights` should only be set if output_mode is 'tf_idf'")
        if isinstance(vocabulary, str):
            if not tf.io.gfile.exists(vocabulary):
                raise ValueError(f"Vocabulary file {vocabulary} does not exist.")
            if self.output_mode == "tf_idf":
                raise ValueError("output_mode 'tf_idf' does not support loading a vocabulary from file.")
            self._table = self._make_file_table(vocabulary)
            self._tokens = None
            self._frozen_vocab_size = self.vocabulary_size()
            return
        vocabulary = _lk_list(vocabulary, self._encoding)
        if not vocabulary:
            raise ValueError(f"Cannot set an empty vocabulary. Received: vocabulary={vocabulary}")
        oov_start, token_start = self._oov_start_index(), self._token_start_index()
        specials = [self.mask_token] * oov_start + [self.oov_token] * self.num_oov_indices
        found_specials = vocabulary[:token_start] == specials
        tokens = vocabulary[token_start:] if found_specials else vocabulary
        if len(set(tokens)) != len(tokens):
            repeated = sorted({t for t in tokens if tokens.count(t) > 1}, key=str)
            raise ValueError(f"The passed vocabulary has at least one repeated term. The repeated terms are: {repeated}")
        if self.mask_token is not None and self.mask_token in tokens:
            raise ValueError(f"Found reserved mask token {self.mask_token!r} at an unexpected location in "
                             f"`vocabulary`; special tokens may only start it, in this order: {specials}")
        if self.oov_token is not None and self.invert and self.oov_token in tokens:
            raise ValueError(f"Found reserved OOV token {self.oov_token!r} at an unexpected location in "
                             f"`vocabulary`; special tokens may only start it, in this order: {specials}")
        if self.max_tokens is not None and token_start + len(tokens) > self.max_tokens:
            raise ValueError(f"Attempted to set a vocabulary larger than the maximum vocab size. Received "
                             f"vocabulary size is {token_start + len(tokens)}; `max_tokens` is {self.max_tokens}.")
        self._tokens = tuple(tokens)
        self._table = self._make_table(tokens)
        self._frozen_vocab_size = self.vocabulary_size()
        if self.output_mode == "tf_idf":
            weights = [float(w) for w in _lk_list(idf_weights)]
            if len(weights) != len(vocabulary):
                raise ValueError(f"`idf_weights` must be the same length as vocabulary. len(idf_weights) is "
                                 f"{len(weights)}; len(vocabulary) is {len(vocabulary)}")
            weights = tf.constant(weights, tf.float64)
            # the special indices get the mean weight unless the list gave them their own
            front = 0 if found_specials else token_start
            back = self.max_tokens - front - len(vocabulary) if self.pad_to_max_tokens and self.max_tokens else 0
            weights = tf.concat([tf.fill([front], tf.reduce_mean(weights)), weights, tf.zeros([back], tf.float64)], 0)
            self.idf_weights = tf.cast(weights, tf.float32)

    def _vocabulary_tokens(self):
        """The tokens in index order (without special tokens)."""
        if self._tokens is not None:
            return list(self._tokens)
        if self._table is None:
            return []
        keys, values = self._table.export()
        tokens, indices = (values, keys) if self.invert else (keys, values)
        by_index = dict(zip(indices.numpy().tolist(), tokens.numpy().tolist()))
        start = self._token_start_index()
        return [by_index.get(i, self.oov_token) for i in range(start, start + len(by_index))]

    def get_vocabulary(self, include_special_tokens=True):
        """The vocabulary by index, as Keras's ``get_vocabulary``."""
        vocabulary = [self.oov_token] * self._token_start_index() + self._vocabulary_tokens()
        if self.mask_token is not None and self.output_mode == "int":
            vocabulary[0] = self.mask_token
        if not include_special_tokens:
            vocabulary = vocabulary[self._token_start_index():]
        return [v.decode(self._encoding) if isinstance(v, bytes) and self._encoding else v for v in vocabulary]

    def vocabulary_size(self):
        """The number of indices, special ones included."""
        size = 0 if self._table is None else self._table.size()
        if tf.is_tensor(size) and tf.executing_eagerly():
            size = int(size)
        elif tf.is_tensor(size) and _graph_frame() is not None:
            # a model's building code (a graph function's run, traced): Keras ran it eagerly and
            # got the number (`Embedding(lookup.vocabulary_size(), 8)`); the table is made eagerly
            with tf.init_scope():
                size = int(self._table.size())
        return size + self._token_start_index()

    # -- adapt

    def reset_state(self):
        self._adapt_counts = _LkCounts()

    def update_state(self, data):
        if self._has_input_vocabulary:
            raise ValueError(f"Cannot adapt layer '{self.name}' after setting a static vocabulary via the "
                             "`vocabulary` argument or `set_vocabulary()` method.")
        data = _lk_tensor(data, self._vocab_dtype)
        if isinstance(data, tf.Tensor):
            if data.shape.rank == 0:
                data = tf.expand_dims(data, 0)
            if data.shape.rank == 1:  # one document
                data = tf.expand_dims(data, 0)
        counts = self._adapt_counts
        flat = data.flat_values if isinstance(data, tf.RaggedTensor) else tf.reshape(data, [-1])
        self._count(flat, counts.tokens)
        if self.output_mode == "tf_idf":
            rows = data.to_list() if isinstance(data, tf.RaggedTensor) else None
            if rows is None:
                rows = tf.reshape(data, [tf.shape(data)[0], -1]).numpy().tolist()
            for row in rows:
                for token in set(row):
                    counts.documents[token] = counts.documents.get(token, 0) + 1
            counts.num_documents += len(rows)

    @staticmethod
    def _count(flat, counts):
        tokens, _, n = tf.unique_with_counts(flat, out_idx=tf.int64)
        for token, c in zip(tokens.numpy().tolist(), n.numpy().tolist()):
            counts[token] = counts.get(token, 0) + c

    def finalize_state(self):
        adapted = self._adapt_counts
        if self._has_input_vocabulary or not adapted.tokens:
            if self._table is not None:
                self._frozen_vocab_size = self.vocabulary_size()
            return
        counts = dict(adapted.tokens)
        for special in (self.mask_token, self.oov_token):
            if special is not None:
                counts.pop(special.encode("utf-8") if isinstance(special, str) else special, None)
        # most frequent first, ties broken by the token, high to low (Keras's lexsort, reversed)
        tokens = [t for t, _ in sorted(counts.items(), key=lambda item: (item[1], item[0]), reverse=True)]
        if self.max_tokens:
            tokens = tokens[:self.max_tokens - self._token_start_index()]
        if self.output_mode == "tf_idf":
            document_counts = tf.constant([adapted.documents.get(t, 0) for t in tokens], tf.int64)
            idf = tf.math.log(1 + tf.constant(adapted.num_documents, tf.int64) / (1 + document_counts))
            idf = tf.cast(idf, tf.float32)
            idf = tf.pad(idf, [[self._token_start_index(), 0]], constant_values=tf.reduce_mean(idf))
            if self.pad_to_max_tokens and self.max_tokens is not None:
                idf = tf.pad(idf, [[0, self.max_tokens - int(tf.size(idf))]])
            self.idf_weights = idf
        self._tokens = tuple(tokens)  # as the data holds them (bytes for strings); decoded by get_vocabulary
        self._table = self._make_table(list(tokens))
        self.reset_state()
        self._frozen_vocab_size = self.vocabulary_size()

    def adapt(self, data, steps=None):
        """Learn the vocabulary (and IDF weights) from data, as Keras's ``adapt``."""
        self.reset_state()
        for batch in _lk_batches(data, steps, self._vocab_dtype):
            self.update_state(batch)
        self.finalize_state()

    # -- calling

    def _lookup_dense(self, inputs):
        if self._table is None:
            lookups = tf.fill(tf.shape(inputs), tf.constant(self._default_value, self._value_dtype))
        else:
            lookups = self._table.lookup(inputs)
        if self.mask_token is not None:
            lookups = tf.where(tf.equal(inputs, self._mask_key), self._mask_value, lookups)
        if self.invert:
            return lookups
        if self.num_oov_indices == 0:
            tf.debugging.assert_equal(
                tf.reduce_any(tf.equal(lookups, -1)), False,
                message="When `num_oov_indices=0` all inputs should be in vocabulary; consider num_oov_indices=1.")
        elif self.num_oov_indices > 1:
            if self._key_dtype.is_integer and self.oov_method != "farmhash":
                oov = tf.math.floormod(inputs, self.num_oov_indices)
            else:
                strings = tf.strings.as_string(inputs) if self._key_dtype.is_integer else inputs
                if self.salt is not None:
                    oov = tf.strings.to_hash_bucket_strong(strings, self.num_oov_indices, key=self.salt)
                else:
                    oov = tf.strings.to_hash_bucket_fast(strings, self.num_oov_indices)
            oov = oov + self._oov_start_index()
            lookups = tf.where(tf.equal(lookups, self._default_value), oov, lookups)
        return lookups

    def call(self, inputs):
        if self.output_mode != "int" and not self.pad_to_max_tokens and self._frozen_vocab_size is None:
            raise RuntimeError(f"When using `output_mode={self.output_mode}` and `pad_to_max_tokens=False`, you "
                               "must set the layer's vocabulary before calling it (`vocabulary=` or `adapt`).")
        inputs = _lk_tensor(inputs, self._key_dtype)
        scalar = inputs.shape.rank == 0
        if scalar:
            inputs = tf.expand_dims(inputs, -1)
        if isinstance(inputs, tf.SparseTensor):
            if self.output_mode != "int":
                raise NotImplementedError(f"{type(self).__name__}: sparse inputs are only translated in 'int' mode")
            return tf.SparseTensor(inputs.indices, self._lookup_dense(inputs.values), inputs.dense_shape)
        if isinstance(inputs, tf.RaggedTensor):
            lookups = tf.ragged.map_flat_values(self._lookup_dense, inputs)
        else:
            lookups = self._lookup_dense(inputs)
        if self.output_mode == "int":
            return tf.squeeze(lookups, -1) if scalar else lookups
        depth = self.max_tokens if self.pad_to_max_tokens else self._frozen_vocab_size
        mode = "count" if self.output_mode == "tf_idf" else self.output_mode
        outputs = _lk_encode(lookups, mode, depth, tf.int64)
        if self.output_mode == "tf_idf":
            if self.idf_weights is None:
                raise ValueError("When `output_mode` is 'tf_idf', `idf_weights` must be provided.")
            outputs = tf.cast(outputs, tf.float32) * self.idf_weights
        return outputs


class StringLookup(_IndexLookup):
    """``keras.layers.StringLookup``: strings to indices (``invert=True``: indices to
    strings) through a ``tf.lookup.StaticHashTable``; see the module docstring for indices,
    OOV hashing, output modes and how the vocabulary moves from Keras."""

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token="[UNK]", vocabulary=None,
                 idf_weights=None, invert=False, output_mode="int", pad_to_max_tokens=False, sparse=False,
                 encoding="utf-8", name=None, salt=None, **kwargs):
        super().__init__(name=name, **kwargs)
        self.encoding = encoding
        self._encoding = encoding
        self._lk_setup(max_tokens, num_oov_indices, mask_token, oov_token, tf.string, vocabulary, idf_weights,
                       invert, output_mode, sparse, pad_to_max_tokens, "floormod", salt)


class IntegerLookup(_IndexLookup):
    """``keras.layers.IntegerLookup``: int64 tokens to indices (``invert=True``: back);
    several OOV indices by ``floormod`` of the token (or ``oov_method="farmhash"``: a hash of
    its decimal string, salted with ``salt``)."""

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token=-1, vocabulary=None,
                 vocabulary_dtype="int64", idf_weights=None, invert=False, output_mode="int", sparse=False,
                 pad_to_max_tokens=False, oov_method="floormod", salt=None, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        if vocabulary_dtype != "int64":
            raise ValueError(f"Only `vocabulary_dtype='int64'` is supported. Received: vocabulary_dtype={vocabulary_dtype}")
        self._lk_setup(max_tokens, num_oov_indices, mask_token, oov_token, tf.int64, vocabulary, idf_weights,
                       invert, output_mode, sparse, pad_to_max_tokens, oov_method, salt)


# --- hashing -------------------------------------------------------------------------------


class Hashing(Layer):
    """``keras.layers.Hashing``: values to ``num_bins`` bins by FarmHash64
    (``tf.strings.to_hash_bucket_fast``) or, with ``salt``, keyed SipHash64
    (``tf.strings.to_hash_bucket_strong``) of their strings (integers and floats, truncated
    to integers, via their decimal string). With ``mask_value`` it is bin 0 and the others
    hash into bins 1..num_bins-1."""

    def __init__(self, num_bins, mask_value=None, salt=None, output_mode="int", sparse=False, **kwargs):
        if kwargs.get("dtype") is None:
            kwargs["dtype"] = "int64" if output_mode == "int" else "float32"
        super().__init__(**kwargs)
        if num_bins is None or num_bins <= 0:
            raise ValueError(f"The `num_bins` for `Hashing` cannot be `None` or non-positive. Received: {num_bins}")
        if output_mode == "int" and self.dtype not in ("int32", "int64"):
            raise ValueError(f'When `output_mode="int"`, `dtype` should be int32 or int64. Received: {self.dtype}')
        _lk_check_mode(self, output_mode, ("int", "one_hot", "multi_hot", "count"))
        if sparse and output_mode == "int":
            raise ValueError("`sparse` may only be true if `output_mode` is not 'int'")
        _lk_no_sparse(self, sparse)
        self.num_bins = num_bins
        self.mask_value = mask_value
        self.strong_hash = salt is not None
        self.output_mode = output_mode
        self.sparse = sparse
        self.salt = None
        if salt is not None:
            if isinstance(salt, (tuple, list)) and len(salt) == 2:
                self.salt = list(salt)
            elif isinstance(salt, int):
                self.salt = [salt, salt]
            else:
                raise ValueError(f"`salt` must be a tuple of 2 integers or an integer. Received: salt={salt}")

    def _hash(self, values):
        bins = self.num_bins
        mask = None
        if self.mask_value is not None and bins > 1:
            bins -= 1
            mask = tf.equal(values, self.mask_value)
        if values.dtype.is_floating:
            values = tf.cast(values, tf.int64)
        if values.dtype != tf.string:
            values = tf.strings.as_string(values)
        if self.strong_hash:
            values = tf.strings.to_hash_bucket_strong(values, bins, key=self.salt)
        else:
            values = tf.strings.to_hash_bucket_fast(values, bins)
        if mask is not None:
            values = tf.where(mask, tf.zeros_like(values), values + 1)
        return values

    def call(self, inputs):
        inputs = _lk_tensor(inputs)
        if self.output_mode == "one_hot" and inputs.shape.rank and inputs.shape[-1] == 1:
            inputs = tf.squeeze(inputs, -1)
        if isinstance(inputs, tf.SparseTensor):
            if self.output_mode != "int":
                raise NotImplementedError("Hashing: sparse inputs are only translated in 'int' mode")
            return tf.SparseTensor(inputs.indices, tf.cast(self._hash(inputs.values), self.dtype), inputs.dense_shape)
        if isinstance(inputs, tf.RaggedTensor):
            bins = tf.ragged.map_flat_values(self._hash, inputs)
        else:
            bins = self._hash(inputs)
        return _lk_encode(bins, self.output_mode, self.num_bins, self.dtype)


class HashedCrossing(Layer):
    """``keras.layers.HashedCrossing``: the hash of the combination of 2 or more integer or
    string features (``tf.sparse.cross_hashed``), into ``num_bins`` bins; each input has
    shape ``()``, ``(batch,)`` or ``(batch, 1)``."""

    def __init__(self, num_bins, output_mode="int", sparse=False, name=None, dtype=None, **kwargs):
        if output_mode == "int" and dtype is None:
            dtype = "int64"
        super().__init__(name=name, dtype=dtype, **kwargs)
        _lk_check_mode(self, output_mode, ("int", "one_hot"))
        _lk_no_sparse(self, sparse)
        self.num_bins = num_bins
        self.output_mode = output_mode
        self.sparse = sparse

    def call(self, inputs):
        if not isinstance(inputs, (list, tuple)) or len(inputs) < 2:
            raise ValueError(f"`HashedCrossing` should be called on a list or tuple of at least two inputs. "
                             f"Received: inputs={inputs}")
        inputs = [_lk_tensor(x) for x in inputs]
        shape = tuple(inputs[0].shape)
        rank = len(shape)
        if rank > 2 or (rank == 2 and shape[-1] != 1):
            raise ValueError(f"All `HashedCrossing` inputs should have shape `()`, `(batch_size)` or "
                             f"`(batch_size, 1)`. Received: inputs={inputs}")
        if any(tuple(x.shape) != shape for x in inputs[1:]):
            raise ValueError(f"All `HashedCrossing` inputs should have equal shape. Received: inputs={inputs}")
        if any(not isinstance(x, tf.Tensor) for x in inputs):
            raise ValueError("All `HashedCrossing` inputs should be dense tensors.")
        if not all(x.dtype.is_integer or x.dtype == tf.string for x in inputs):
            raise ValueError("All `HashedCrossing` inputs should have an integer or string dtype.")
        columns = [tf.reshape(x, [-1, 1]) if rank < 2 else x for x in inputs]
        crossed = tf.sparse.to_dense(tf.sparse.cross_hashed(columns, self.num_bins))
        if rank == 1:
            crossed = tf.reshape(crossed, [-1])
        elif rank == 0:
            crossed = tf.reshape(crossed, [])
        return _lk_encode(crossed, self.output_mode, self.num_bins, self.dtype)


# --- discretization --------------------------------------------------------------------------


def _lk_interp(x, xp, fp):
    """``np.interp`` in float64: piecewise-linear through (xp, fp), constant beyond the ends."""
    n = int(tf.size(xp))
    if n == 1:
        return tf.fill(tf.shape(x), fp[0])
    j = tf.clip_by_value(tf.searchsorted(xp, x, side="right") - 1, 0, n - 2)
    x0, x1 = tf.gather(xp, j), tf.gather(xp, j + 1)
    f0, f1 = tf.gather(fp, j), tf.gather(fp, j + 1)
    y = (f1 - f0) / (x1 - x0) * (x - x0) + f0
    y = tf.where(tf.equal(x, x1), f1, y)
    return tf.where(x <= xp[0], fp[0], tf.where(x >= xp[-1], fp[-1], y))


def _lk_summarize(values, epsilon):
    """Keras's quantile summary of a batch: about 1/epsilon sorted values, with weights."""
    values = tf.sort(tf.reshape(values, [-1]))
    elements = int(tf.size(values))
    step = max(elements / (1.0 / epsilon), 1)
    points = values[int(step - 1)::int(step)]
    return tf.stack([points, tf.ones_like(points) * step])


def _lk_compress(summary, epsilon):
    """Keras's ``compress_summary``: at most 1/epsilon points, re-interpolated by weight."""
    if int(summary.shape[1]) * epsilon < 1:
        return summary
    count = math.ceil(1.0 / epsilon)
    percents = epsilon + tf.range(count, dtype=tf.float64) * epsilon
    cum_weights = tf.cumsum(summary[1])
    cum_percents = tf.cast(cum_weights / cum_weights[-1], tf.float64)
    points = _lk_interp(percents, cum_percents, tf.cast(summary[0], tf.float64))
    cum = _lk_interp(percents, cum_percents, tf.cast(cum_weights, tf.float64))
    weights = cum - tf.concat([[0.0], cum[:-1]], 0)
    return tf.cast(tf.stack([points, weights]), tf.float32)


class Discretization(Layer):
    """``keras.layers.Discretization``: the bucket index of each value
    (``tf.raw_ops.Bucketize`` over ``bin_boundaries``: ``b[i-1] <= x < b[i]`` gives ``i``),
    as int32 or encoded (one_hot / multi_hot / count, float32). ``adapt`` computes
    ``num_bins`` quantile boundaries with Keras's summary algorithm (float32 summaries with
    float64 interpolation; boundaries can differ from Keras's in the last float32 bits —
    ``Discretization(bin_boundaries=keras_layer.bin_boundaries)`` moves them exactly)."""

    def __init__(self, bin_boundaries=None, num_bins=None, epsilon=0.01, output_mode="int", sparse=False, dtype=None,
                 name=None):
        super().__init__(name=name, dtype=dtype)
        _lk_check_mode(self, output_mode, ("int", "one_hot", "multi_hot", "count"))
        if sparse and output_mode == "int":
            raise ValueError("`sparse=True` may only be used if `output_mode` is not 'int'")
        _lk_no_sparse(self, sparse)
        if num_bins is not None and num_bins < 0:
            raise ValueError(f"`num_bins` must be greater than or equal to 0. Received: `num_bins={num_bins}`")
        if num_bins is not None and bin_boundaries is not None:
            raise ValueError("Both `num_bins` and `bin_boundaries` should not be set.")
        if num_bins is None and bin_boundaries is None:
            raise ValueError("You need to set either `num_bins` or `bin_boundaries`.")
        self.bin_boundaries = bin_boundaries
        self.num_bins = num_bins
        self.epsilon = epsilon
        self.output_mode = output_mode
        self.sparse = sparse
        self.reset_state()

    def reset_state(self):
        self._summary = tf.zeros([2, 0], tf.float32)

    def update_state(self, data):
        data = tf.cast(_lk_tensor(data), tf.float32)
        summary = _lk_summarize(data, self.epsilon)
        merged = tf.concat([summary, self._summary], axis=1)
        merged = tf.gather(merged, tf.argsort(merged[0], stable=True), axis=1)
        self._summary = _lk_compress(merged, self.epsilon)

    def finalize_state(self):
        if self.num_bins is None:
            return
        self.bin_boundaries = _lk_compress(self._summary, 1.0 / self.num_bins)[0, :-1].numpy().tolist()

    def adapt(self, data, steps=None):
        """Quantile boundaries of the data for ``num_bins`` bins, as Keras's ``adapt``."""
        if self.num_bins is None:
            raise ValueError("Cannot adapt a Discretization layer that has been initialized with `bin_boundaries`, "
                             "use `num_bins` instead.")
        self.reset_state()
        if isinstance(data, tf.data.Dataset):
            for batch in (data.take(steps) if steps is not None else data):
                self.update_state(batch)
        elif hasattr(data, "__iter__") and not (hasattr(data, "__array__") or tf.is_tensor(data)):
            for i, batch in enumerate(data):
                if steps is not None and i >= steps:
                    break
                self.update_state(batch)
        else:
            self.update_state(data)
        self.finalize_state()

    def call(self, inputs):
        if self.bin_boundaries is None:
            raise ValueError("You need to either pass the `bin_boundaries` argument at construction time or call "
                             "`adapt(dataset)` before you can start using the `Discretization` layer.")
        x = _lk_tensor(inputs)
        # Keras converts float inputs to float32 and widens what Bucketize does not take
        if x.dtype.is_floating and x.dtype != tf.float32:
            x = tf.cast(x, tf.float32)
        elif x.dtype in (tf.bool, tf.int8, tf.int16, tf.uint8, tf.uint16):
            x = tf.cast(x, tf.int32)
        elif x.dtype == tf.uint32:
            x = tf.cast(x, tf.int64)
        boundaries = [float(b) for b in self.bin_boundaries]
        if isinstance(x, tf.RaggedTensor):
            indices = tf.ragged.map_flat_values(lambda v: tf.raw_ops.Bucketize(input=v, boundaries=boundaries), x)
        else:
            indices = tf.raw_ops.Bucketize(input=x, boundaries=boundaries)
        dtype = "int32" if self.output_mode == "int" else self.dtype
        return _lk_encode(indices, self.output_mode, len(boundaries) + 1, dtype)


# --- text ------------------------------------------------------------------------------------

_LK_PUNCTUATION = r"[!\"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~]"  # Python's string.punctuation


class TextVectorization(Layer):
    """``keras.layers.TextVectorization``: standardize (``tf.strings.lower``, which lowers
    ASCII letters only, and/or stripping ASCII punctuation, or a callable on the string
    tensor), split (whitespace, characters, or a callable), optional n-grams joined by
    spaces, then a :class:`StringLookup` with the empty string as mask token (index 0; OOV
    is 1 in ``int`` mode). In ``int`` mode rows are padded with 0 (or cut) to
    ``output_sequence_length``, or to the longest row; ``ragged=True`` keeps them ragged."""

    def __init__(self, max_tokens=None, standardize="lower_and_strip_punctuation", split="whitespace", ngrams=None,
                 output_mode="int", output_sequence_length=None, pad_to_max_tokens=False, vocabulary=None,
                 idf_weights=None, sparse=False, ragged=False, encoding="utf-8", name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        if not (standardize is None or callable(standardize)
                or standardize in ("lower_and_strip_punctuation", "lower", "strip_punctuation")):
            raise ValueError(f"TextVectorization: invalid standardize {standardize!r}")
        if not (split is None or callable(split) or split in ("whitespace", "character")):
            raise ValueError(f"TextVectorization: invalid split {split!r}")
        output_mode = {"binary": "multi_hot", "tf-idf": "tf_idf"}.get(output_mode, output_mode)
        _lk_check_mode(self, output_mode, ("int", "one_hot", "multi_hot", "count", "tf_idf"))
        if not (ngrams is None or isinstance(ngrams, int)
                or isinstance(ngrams, tuple) and all(isinstance(n, int) for n in ngrams)):
            raise ValueError(f"`ngrams` must be None, an integer, or a tuple of integers. Received: ngrams={ngrams}")
        if output_mode == "int" and not (output_sequence_length is None or isinstance(output_sequence_length, int)):
            raise ValueError("`output_sequence_length` must be either None or an integer when `output_mode` is 'int'.")
        if output_mode != "int" and output_sequence_length is not None:
            raise ValueError("`output_sequence_length` must not be set if `output_mode` is not 'int'.")
        if ragged and output_mode != "int":
            raise ValueError("`ragged` must not be true if `output_mode` is not 'int'.")
        self._standardize = standardize
        self._split = split
        self._ngrams_arg = ngrams
        self._ngrams = tuple(range(1, ngrams + 1)) if isinstance(ngrams, int) else ngrams
        self._ragged = ragged
        self._output_mode = output_mode
        self._output_sequence_length = output_sequence_length
        self._encoding = encoding
        self._lookup_layer = StringLookup(max_tokens=max_tokens, vocabulary=vocabulary, idf_weights=idf_weights,
                                          pad_to_max_tokens=pad_to_max_tokens, mask_token="", output_mode=output_mode,
                                          sparse=sparse, encoding=encoding)

    @property
    def compute_dtype(self):
        """Keras's: a layer of strings under any policy (its outputs are int64 or float32)."""
        return "string"

    @property
    def variable_dtype(self):
        return "string"

    def _preprocess(self, inputs):
        inputs = _lk_tensor(inputs, tf.string)
        if self._standardize in ("lower", "lower_and_strip_punctuation"):
            inputs = tf.strings.lower(inputs)
        if self._standardize in ("strip_punctuation", "lower_and_strip_punctuation"):
            inputs = tf.strings.regex_replace(inputs, _LK_PUNCTUATION, "")
        if callable(self._standardize):
            inputs = self._standardize(inputs)
        if self._split is not None:
            if inputs.shape.rank > 1:
                if inputs.shape[-1] != 1:
                    raise ValueError("When using `TextVectorization` to tokenize strings, the input rank must be 1 "
                                     f"or the last shape dimension must be 1. Received: inputs.shape={inputs.shape}")
                inputs = tf.squeeze(inputs, axis=-1)
            if self._split == "whitespace":
                inputs = tf.strings.split(inputs)
            elif self._split == "character":
                inputs = tf.strings.unicode_split(inputs, "UTF-8")
            else:
                inputs = self._split(inputs)
        if self._ngrams is not None:
            inputs = tf.strings.ngrams(inputs, ngram_width=self._ngrams, separator=" ")
        return inputs

    # -- state, delegated to the StringLookup

    def adapt(self, data, batch_size=None, steps=None):
        """Learn the vocabulary of the standardized, split tokens, as Keras's ``adapt``."""
        self.reset_state()
        for batch in _lk_batches(data, steps, tf.string):
            self.update_state(batch)
        self.finalize_state()

    def update_state(self, data):
        self._lookup_layer.update_state(self._preprocess(data))

    def finalize_state(self):
        self._lookup_layer.finalize_state()

    def reset_state(self):
        self._lookup_layer.reset_state()

    def get_vocabulary(self, include_special_tokens=True):
        return self._lookup_layer.get_vocabulary(include_special_tokens)

    def vocabulary_size(self):
        return self._lookup_layer.vocabulary_size()

    def set_vocabulary(self, vocabulary, idf_weights=None):
        self._lookup_layer.set_vocabulary(vocabulary, idf_weights=idf_weights)

    # -- calling

    def call(self, inputs):
        lookups = self._lookup_layer.call(self._preprocess(inputs))
        length = self._output_sequence_length
        if self._output_mode != "int":
            return lookups
        if isinstance(lookups, tf.RaggedTensor) and not self._ragged:
            shape = lookups.shape.as_list()
            shape[-1] = length
            return lookups.to_tensor(default_value=0, shape=shape)
        if length is not None:
            lookups = lookups[..., :length]
            if not self._ragged:
                missing = length - tf.shape(lookups)[-1]
                paddings = tf.concat([tf.zeros([tf.rank(lookups) - 1, 2], tf.int32), [[0, missing]]], axis=0)
                lookups = tf.pad(lookups, paddings)
                static = lookups.shape.as_list()
                static[-1] = length
                lookups = tf.ensure_shape(lookups, static)
        return lookups
