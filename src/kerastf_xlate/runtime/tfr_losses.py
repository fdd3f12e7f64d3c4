"""``keras.losses`` in TensorFlow: the functions, the classes, Keras's reductions.

A loss object (:class:`Loss`) converts both arguments to float32, computes per-sample values
with ``call``, multiplies them by ``sample_weight`` (ranks aligned as Keras aligns them) and
reduces: ``"sum_over_batch_size"`` (the default) and ``"mean"`` divide the sum by the number
of values, ``"mean_with_sample_weight"`` by the sum of the weights, ``"sum"`` does not divide,
``None``/``"none"`` keeps the values. A user's ``Loss`` subclass keeps its ``call``.

The crossentropy of a softmax or sigmoid output is computed from that activation's input
inside a traced step, as Keras's TensorFlow backend does (it reads ``_keras_logits``).
"""

import tensorflow as tf


def _loss_same_rank(x1, x2, expand_rank_1=True):
    """Keras's ``squeeze_or_expand_to_same_rank``: align ranks that differ by a trailing 1."""
    r1, r2 = x1.shape.rank, x2.shape.rank
    if r1 == r2:
        return x1, x2
    if r1 == r2 + 1 and x1.shape[-1] == 1:
        if r2 == 1 and expand_rank_1:
            x2 = tf.expand_dims(x2, axis=-1)
        else:
            x1 = tf.squeeze(x1, axis=-1)
    if r2 == r1 + 1 and x2.shape[-1] == 1:
        if r1 == 1 and expand_rank_1:
            x1 = tf.expand_dims(x1, axis=-1)
        else:
            x2 = tf.squeeze(x2, axis=-1)
    return x1, x2


def _loss_pair(y_true, y_pred):
    y_pred = tf.convert_to_tensor(y_pred)
    if not y_pred.dtype.is_floating:
        y_pred = tf.cast(y_pred, tf.float32)
    y_true = tf.cast(tf.convert_to_tensor(y_true), y_pred.dtype)
    return y_true, y_pred


def _loss_logits_behind(y_pred, from_logits, activation):
    """The activation's input when ``y_pred`` is a traced softmax/sigmoid (Keras's ``_keras_logits``)."""
    if from_logits or tf.executing_eagerly():
        return y_pred, from_logits
    op = getattr(y_pred, "op", None)
    if op is not None and op.type == activation and len(op.inputs) == 1:
        return op.inputs[0], True
    return y_pred, from_logits


def _loss_reduce(values, sample_weight=None, reduction="sum_over_batch_size"):
    """Keras's ``reduce_weighted_values``: weight, then reduce."""
    values = tf.convert_to_tensor(values)
    if sample_weight is not None:
        sample_weight = tf.cast(tf.convert_to_tensor(sample_weight), values.dtype)
        values, sample_weight = _loss_same_rank(values, sample_weight)
        values = values * sample_weight
    if reduction is None or reduction == "none" or values.shape.rank == 0 or tuple(values.shape) == (0,):
        return values
    loss = tf.reduce_sum(values)
    if reduction in ("sum_over_batch_size", "mean", "mean_with_sample_weight"):
        if reduction == "mean_with_sample_weight" and sample_weight is not None:
            divisor = tf.cast(tf.reduce_sum(sample_weight), loss.dtype)
        else:
            divisor = tf.cast(tf.reduce_prod(tf.shape(values)), loss.dtype)
        loss = tf.math.divide_no_nan(loss, divisor)
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        if replicas > 1:
            loss = loss * (1.0 / replicas)
    return loss


# --- loss functions: one value per sample ------------------------------------------------


def _loss_mean_squared_error(y_true, y_pred):
    y_true, y_pred = _loss_same_rank(*_loss_pair(y_true, y_pred))
    return tf.reduce_mean(tf.square(y_true - y_pred), axis=-1)


def _loss_mean_absolute_error(y_true, y_pred):
    y_true, y_pred = _loss_same_rank(*_loss_pair(y_true, y_pred))
    return tf.reduce_mean(tf.abs(y_true - y_pred), axis=-1)


def _loss_mean_absolute_percentage_error(y_true, y_pred):
    y_true, y_pred = _loss_same_rank(*_loss_pair(y_true, y_pred))
    diff = tf.abs((y_true - y_pred) / tf.maximum(tf.abs(y_true), 1e-7))
    return 100.0 * tf.reduce_mean(diff, axis=-1)


def _loss_mean_squared_logarithmic_error(y_true, y_pred):
    y_true, y_pred = _loss_same_rank(*_loss_pair(y_true, y_pred))
    first = tf.math.log(tf.maximum(y_pred, 1e-7) + 1.0)
    second = tf.math.log(tf.maximum(y_true, 1e-7) + 1.0)
    return tf.reduce_mean(tf.square(first - second), axis=-1)


def _loss_huber(y_true, y_pred, delta=1.0):
    y_true, y_pred = _loss_same_rank(*_loss_pair(y_true, y_pred))
    delta = tf.cast(delta, y_pred.dtype)
    error = y_pred - y_true
    abs_error = tf.abs(error)
    return tf.reduce_mean(tf.where(abs_error <= delta, 0.5 * tf.square(error), delta * abs_error - 0.5 * tf.square(delta)),
                          axis=-1)


def _loss_log_cosh(y_true, y_pred):
    y_true, y_pred = _loss_same_rank(*_loss_pair(y_true, y_pred))
    x = y_pred - y_true
    return tf.reduce_mean(x + tf.nn.softplus(x * -2.0) - tf.math.log(2.0), axis=-1)


def _hinge_labels(y_true):
    binary = tf.reduce_all((y_true == 0) | (y_true == 1))
    return tf.where(binary, 2.0 * y_true - 1.0, y_true)


def _loss_hinge(y_true, y_pred):
    y_true, y_pred = _loss_pair(y_true, y_pred)
    y_true = _hinge_labels(y_true)
    return tf.reduce_mean(tf.maximum(1.0 - y_true * y_pred, 0.0), axis=-1)


def _loss_squared_hinge(y_true, y_pred):
    y_true, y_pred = _loss_pair(y_true, y_pred)
    y_true = _hinge_labels(y_true)
    return tf.reduce_mean(tf.square(tf.maximum(1.0 - y_true * y_pred, 0.0)), axis=-1)


def _loss_categorical_hinge(y_true, y_pred):
    y_true, y_pred = _loss_pair(y_true, y_pred)
    pos = tf.reduce_sum(y_true * y_pred, axis=-1)
    neg = tf.reduce_max((1.0 - y_true) * y_pred, axis=-1)
    return tf.maximum(neg - pos + 1.0, 0.0)


def _loss_kl_divergence(y_true, y_pred):
    y_true, y_pred = _loss_pair(y_true, y_pred)
    y_true = tf.clip_by_value(y_true, 1e-7, 1.0)
    y_pred = tf.clip_by_value(y_pred, 1e-7, 1.0)
    return tf.reduce_sum(y_true * tf.math.log(y_true / y_pred), axis=-1)


def _loss_poisson(y_true, y_pred):
    y_true, y_pred = _loss_pair(y_true, y_pred)
    return tf.reduce_mean(y_pred - y_true * tf.math.log(y_pred + 1e-7), axis=-1)


def _loss_cosine_similarity(y_true, y_pred, axis=-1):
    y_true, y_pred = _loss_same_rank(*_loss_pair(y_true, y_pred))
    y_pred = tf.math.l2_normalize(y_pred, axis=axis)
    y_true = tf.math.l2_normalize(y_true, axis=axis)
    return -tf.reduce_sum(y_true * y_pred, axis=axis)


def _loss_categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    y_true, y_pred = _loss_pair(y_true, y_pred)
    if label_smoothing:
        num_classes = tf.cast(tf.shape(y_true)[-1], y_pred.dtype)
        y_true = y_true * (1.0 - label_smoothing) + (label_smoothing / num_classes)
    y_pred, from_logits = _loss_logits_behind(y_pred, from_logits, "Softmax")
    if from_logits:
        return tf.nn.softmax_cross_entropy_with_logits(labels=y_true, logits=y_pred, axis=axis)
    y_pred = y_pred / tf.reduce_sum(y_pred, axis=axis, keepdims=True)
    y_pred = tf.clip_by_value(y_pred, 1e-7, 1.0 - 1e-7)
    return -tf.reduce_sum(y_true * tf.math.log(y_pred), axis=axis)


def _loss_sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None, axis=-1):
    if ignore_class is not None or axis != -1:
        raise NotImplementedError("sparse_categorical_crossentropy: ignore_class and axis are not translated")
    y_pred = tf.convert_to_tensor(y_pred)
    y_true = tf.convert_to_tensor(y_true)
    if y_true.shape.rank == y_pred.shape.rank and y_true.shape[-1] == 1:
        y_true = tf.squeeze(y_true, axis=-1)
    y_pred, from_logits = _loss_logits_behind(y_pred, from_logits, "Softmax")
    if not from_logits:
        y_pred = tf.math.log(tf.clip_by_value(y_pred, 1e-7, 1 - 1e-7))
    return tf.nn.sparse_softmax_cross_entropy_with_logits(labels=tf.cast(y_true, tf.int64), logits=y_pred)


def _bce_values(y_true, y_pred, from_logits):
    y_pred, from_logits = _loss_logits_behind(y_pred, from_logits, "Sigmoid")
    if from_logits:
        return tf.nn.sigmoid_cross_entropy_with_logits(labels=y_true, logits=y_pred)
    y_pred = tf.clip_by_value(y_pred, 1e-7, 1.0 - 1e-7)
    return -(y_true * tf.math.log(y_pred) + (1 - y_true) * tf.math.log(1 - y_pred))


def _loss_binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    y_true, y_pred = _loss_pair(y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    return tf.reduce_mean(_bce_values(y_true, y_pred, from_logits), axis=axis)


def _loss_binary_focal_crossentropy(y_true, y_pred, apply_class_balancing=False, alpha=0.25, gamma=2.0,
                                    from_logits=False, label_smoothing=0.0, axis=-1):
    y_true, y_pred = _loss_pair(y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        y_pred = tf.sigmoid(y_pred)
    y_clipped = tf.clip_by_value(y_pred, 1e-7, 1.0 - 1e-7)
    bce = -(y_true * tf.math.log(y_clipped) + (1 - y_true) * tf.math.log(1 - y_clipped))
    p_t = y_true * y_pred + (1 - y_true) * (1 - y_pred)
    focal = tf.pow(1.0 - p_t, gamma) * bce
    if apply_class_balancing:
        focal = (y_true * alpha + (1 - y_true) * (1 - alpha)) * focal
    return tf.reduce_mean(focal, axis=axis)


# --- loss objects --------------------------------------------------------------------------


class Loss:
    """``keras.losses.Loss``: ``__call__`` weights and reduces what ``call`` returns."""

    def __init__(self, name=None, reduction="sum_over_batch_size", dtype=None):
        allowed = {"sum_over_batch_size", "sum", None, "none", "mean", "mean_with_sample_weight"}
        if reduction not in allowed:
            raise ValueError(f"Invalid value for argument `reduction`. Expected one of {allowed}. "
                             f"Received: reduction={reduction}")
        self.name = name or _loss_snake(type(self).__name__)
        self.reduction = reduction
        self.dtype = dtype or "float32"

    def __call__(self, y_true, y_pred, sample_weight=None):
        dtype = tf.as_dtype(self.dtype)
        y_pred = tf.nest.map_structure(lambda x: tf.cast(tf.convert_to_tensor(x), dtype), y_pred)
        y_true = tf.nest.map_structure(lambda x: tf.cast(tf.convert_to_tensor(x), dtype), y_true)
        return _loss_reduce(self.call(y_true, y_pred), sample_weight, self.reduction)

    def call(self, y_true, y_pred):
        raise NotImplementedError

    def get_config(self):
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _loss_snake(name):
    out = ""
    for i, ch in enumerate(name):
        if ch.isupper() and i and not name[i - 1].isupper():
            out += "_"
        out += ch.lower()
    return out


class LossFunctionWrapper(Loss):
    """``keras.losses.LossFunctionWrapper``: a loss function with its arguments as a loss object."""

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, dtype=None, **kwargs):
        super().__init__(name=name or getattr(fn, "__name__", "loss"), reduction=reduction, dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true, y_pred):
        y_true, y_pred = _loss_same_rank(y_true, y_pred)
        return self.fn(y_true, y_pred, **self._fn_kwargs)


def _wrapper_class(fn, default_name, params=()):
    """A ``LossFunctionWrapper`` subclass with Keras's signature ``(params..., reduction, name, dtype)``."""

    def __init__(self, *args, reduction="sum_over_batch_size", name=default_name, dtype=None, **kwargs):
        names = [p for p, _ in params]
        values = dict(params)
        for p, a in zip(names, args):
            values[p] = a
        for k, v in kwargs.items():
            if k not in values:
                raise TypeError(f"unexpected argument {k!r}")
            values[k] = v
        LossFunctionWrapper.__init__(self, fn, reduction=reduction, name=name, dtype=dtype, **values)

    return __init__


class MeanSquaredError(LossFunctionWrapper):
    """``keras.losses.MeanSquaredError``."""
    __init__ = _wrapper_class(_loss_mean_squared_error, "mean_squared_error")


class MeanAbsoluteError(LossFunctionWrapper):
    """``keras.losses.MeanAbsoluteError``."""
    __init__ = _wrapper_class(_loss_mean_absolute_error, "mean_absolute_error")


class MeanAbsolutePercentageError(LossFunctionWrapper):
    """``keras.losses.MeanAbsolutePercentageError``."""
    __init__ = _wrapper_class(_loss_mean_absolute_percentage_error, "mean_absolute_percentage_error")


class MeanSquaredLogarithmicError(LossFunctionWrapper):
    """``keras.losses.MeanSquaredLogarithmicError``."""
    __init__ = _wrapper_class(_loss_mean_squared_logarithmic_error, "mean_squared_logarithmic_error")


class Huber(LossFunctionWrapper):
    """``keras.losses.Huber``."""
    __init__ = _wrapper_class(_loss_huber, "huber_loss", (("delta", 1.0),))


class LogCosh(LossFunctionWrapper):
    """``keras.losses.LogCosh``."""
    __init__ = _wrapper_class(_loss_log_cosh, "log_cosh")


class Hinge(LossFunctionWrapper):
    """``keras.losses.Hinge``."""
    __init__ = _wrapper_class(_loss_hinge, "hinge")


class SquaredHinge(LossFunctionWrapper):
    """``keras.losses.SquaredHinge``."""
    __init__ = _wrapper_class(_loss_squared_hinge, "squared_hinge")


class CategoricalHinge(LossFunctionWrapper):
    """``keras.losses.CategoricalHinge``."""
    __init__ = _wrapper_class(_loss_categorical_hinge, "categorical_hinge")


class KLDivergence(LossFunctionWrapper):
    """``keras.losses.KLDivergence``."""
    __init__ = _wrapper_class(_loss_kl_divergence, "kl_divergence")


class Poisson(LossFunctionWrapper):
    """``keras.losses.Poisson``."""
    __init__ = _wrapper_class(_loss_poisson, "poisson")


class CosineSimilarity(LossFunctionWrapper):
    """``keras.losses.CosineSimilarity``."""
    __init__ = _wrapper_class(_loss_cosine_similarity, "cosine_similarity", (("axis", -1),))


class BinaryCrossentropy(LossFunctionWrapper):
    """``keras.losses.BinaryCrossentropy``."""
    __init__ = _wrapper_class(_loss_binary_crossentropy, "binary_crossentropy",
                              (("from_logits", False), ("label_smoothing", 0.0), ("axis", -1)))


class BinaryFocalCrossentropy(LossFunctionWrapper):
    """``keras.losses.BinaryFocalCrossentropy``."""
    __init__ = _wrapper_class(_loss_binary_focal_crossentropy, "binary_focal_crossentropy",
                              (("apply_class_balancing", False), ("alpha", 0.25), ("gamma", 2.0), ("from_logits", False),
                               ("label_smoothing", 0.0), ("axis", -1)))


class CategoricalCrossentropy(LossFunctionWrapper):
    """``keras.losses.CategoricalCrossentropy``."""
    __init__ = _wrapper_class(_loss_categorical_crossentropy, "categorical_crossentropy",
                              (("from_logits", False), ("label_smoothing", 0.0), ("axis", -1)))


class SparseCategoricalCrossentropy(LossFunctionWrapper):
    """``keras.losses.SparseCategoricalCrossentropy``."""
    __init__ = _wrapper_class(_loss_sparse_categorical_crossentropy, "sparse_categorical_crossentropy",
                              (("from_logits", False), ("ignore_class", None)))


_LOSS_FUNCTIONS = {
    "mean_squared_error": _loss_mean_squared_error, "mse": _loss_mean_squared_error,
    "mean_absolute_error": _loss_mean_absolute_error, "mae": _loss_mean_absolute_error,
    "mean_absolute_percentage_error": _loss_mean_absolute_percentage_error, "mape": _loss_mean_absolute_percentage_error,
    "mean_squared_logarithmic_error": _loss_mean_squared_logarithmic_error, "msle": _loss_mean_squared_logarithmic_error,
    "huber": _loss_huber, "log_cosh": _loss_log_cosh, "logcosh": _loss_log_cosh, "hinge": _loss_hinge,
    "squared_hinge": _loss_squared_hinge, "categorical_hinge": _loss_categorical_hinge,
    "kl_divergence": _loss_kl_divergence, "kld": _loss_kl_divergence, "poisson": _loss_poisson,
    "cosine_similarity": _loss_cosine_similarity, "binary_crossentropy": _loss_binary_crossentropy,
    "binary_focal_crossentropy": _loss_binary_focal_crossentropy,
    "categorical_crossentropy": _loss_categorical_crossentropy,
    "sparse_categorical_crossentropy": _loss_sparse_categorical_crossentropy,
    # Keras 3's upper-case and short aliases (keras/src/losses/__init__.py)
    "MSE": _loss_mean_squared_error, "MAE": _loss_mean_absolute_error, "MAPE": _loss_mean_absolute_percentage_error,
    "MSLE": _loss_mean_squared_logarithmic_error, "KLD": _loss_kl_divergence, "bce": _loss_binary_crossentropy,
    "BCE": _loss_binary_crossentropy,
}


def losses_get(identifier):
    """``keras.losses.get``: a loss function or object from a name, or the value itself."""
    if identifier is None or isinstance(identifier, Loss) or (callable(identifier) and not isinstance(identifier, str)):
        return identifier
    if isinstance(identifier, str) and identifier in _LOSS_FUNCTIONS:
        return _LOSS_FUNCTIONS[identifier]  # the function, as Keras's get gives it
    raise ValueError(f"Could not interpret loss identifier: {identifier}")
