"""``keras.metrics`` in TensorFlow: stateful metrics with Keras's update and result formulas.

A :class:`Metric` holds float32 variables (``add_variable``/``add_weight``), ``update_state``
adds a batch, ``result`` reads them, ``reset_state`` zeroes them (Keras's default) and a call
does both. ``Mean`` weights values by ``sample_weight``; ``MeanMetricWrapper`` averages a
per-sample function over all the samples seen, as every function metric of ``compile`` is.
A user's ``Metric`` subclass keeps its methods. Metrics named like a loss class get the
suffix ``Metric`` (``keras.metrics.MeanSquaredError`` is ``MeanSquaredErrorMetric``).
"""

import tensorflow as tf
from tfr_base import _standardize_shape, initializers_get
from tfr_losses import (
    _loss_binary_crossentropy,
    _loss_categorical_crossentropy,
    _loss_mean_absolute_error,
    _loss_mean_absolute_percentage_error,
    _loss_mean_squared_error,
    _loss_mean_squared_logarithmic_error,
    _loss_same_rank,
    _loss_snake,
    _loss_sparse_categorical_crossentropy,
)

_METRIC_AGGREGATION = {"sum": tf.VariableAggregation.SUM, "mean": tf.VariableAggregation.MEAN,
                       "only_first_replica": tf.VariableAggregation.ONLY_FIRST_REPLICA,
                       "none": tf.VariableAggregation.NONE}


class Metric:
    """``keras.metrics.Metric``: variables, ``update_state``, ``result``, ``reset_state``."""

    _xlate_metric = True

    def __init__(self, dtype=None, name=None):
        self.name = name or _loss_snake(type(self).__name__)
        self.dtype = dtype or "float32"
        self._metric_variables = []

    def add_variable(self, shape, initializer, dtype=None, aggregation="sum", name=None):
        """Keras 3's ``Metric.add_variable``: ``shape`` and ``initializer`` first (a Keras 2
        metric's ``add_weight("total", initializer="zeros")`` gives the name as the shape, and
        Keras 3 refuses it: so does this, with Keras's words)."""
        shape = _standardize_shape(shape)
        if initializer is None:
            raise ValueError("Attempt to convert a value (None) with an unsupported type (<class 'NoneType'>) to a "
                             "Tensor.")
        init = initializers_get(initializer)
        dtype = tf.as_dtype(dtype or self.dtype)
        # synchronised on read, as Keras's: under a tf.distribute strategy each replica adds to
        # its own copy, and reading outside the replicas aggregates them (a sum by default)
        with tf.init_scope():
            variable = tf.Variable(init(tuple(shape), dtype=dtype), trainable=False, dtype=dtype,
                                   name=f"{self.name}/{name}" if name else self.name,
                                   synchronization=tf.VariableSynchronization.ON_READ,
                                   aggregation=_METRIC_AGGREGATION[str(aggregation).lower()])
        self._metric_variables.append(variable)
        return variable

    def add_weight(self, shape=(), initializer=None, dtype=None, name=None):
        return self.add_variable(shape=shape, initializer=initializer, dtype=dtype, name=name)

    @property
    def variables(self):
        out = list(self.__dict__.get("_metric_variables", []))
        for value in self.__dict__.values():
            if getattr(type(value), "_xlate_metric", False) and value is not self:
                out.extend(value.variables)
        return out

    def reset_state(self):
        for v in self.variables:
            v.assign(tf.zeros(v.shape, v.dtype))

    def update_state(self, *args, **kwargs):
        raise NotImplementedError

    def result(self):
        raise NotImplementedError

    def __call__(self, *args, **kwargs):
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


def _samplewise(values, sample_weight, dtype, reduce_fn=tf.reduce_mean):
    """Keras's ``reduce_to_samplewise_values``: per-sample values and weights."""
    values = tf.cast(values, dtype)
    if sample_weight is not None:
        sample_weight = tf.cast(tf.convert_to_tensor(sample_weight), dtype)
        values, sample_weight = _loss_same_rank(values, sample_weight)
        weight_ndim, values_ndim = sample_weight.shape.rank, values.shape.rank
        if values_ndim > weight_ndim:
            values = reduce_fn(values, axis=list(range(weight_ndim, values_ndim)))
        sample_weight = tf.broadcast_to(sample_weight, tf.shape(values))
        values = values * sample_weight
        if weight_ndim > 1:
            sample_weight = reduce_fn(sample_weight, axis=list(range(1, weight_ndim)))
    if values.shape.rank > 1:
        values = reduce_fn(values, axis=list(range(1, values.shape.rank)))
    return values, sample_weight


class Sum(Metric):
    """``keras.metrics.Sum``."""

    def __init__(self, name="sum", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(shape=(), name="total", initializer="zeros")

    def update_state(self, values, sample_weight=None):
        values, _ = _samplewise(values, sample_weight, self.dtype, tf.reduce_sum)
        self.total.assign_add(tf.reduce_sum(values))

    def result(self):
        return tf.identity(self.total)


class Mean(Metric):
    """``keras.metrics.Mean``: the (weighted) mean of all the values seen."""

    def __init__(self, name="mean", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(shape=(), name="total", initializer="zeros")
        self.count = self.add_variable(shape=(), name="count", initializer="zeros")

    def update_state(self, values, sample_weight=None):
        values, sample_weight = _samplewise(values, sample_weight, self.dtype)
        self.total.assign_add(tf.reduce_sum(values))
        if sample_weight is not None:
            n = tf.reduce_sum(sample_weight)
        elif values.shape.rank >= 1:
            n = tf.shape(values)[0]
        else:
            n = 1
        self.count.assign_add(tf.cast(n, self.dtype))

    def result(self):
        return tf.math.divide_no_nan(self.total, self.count)


class MeanMetricWrapper(Mean):
    """``keras.metrics.MeanMetricWrapper``: a per-sample function averaged over the samples."""

    _direction = None

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        super().__init__(name=name or getattr(fn, "__name__", "mean"), dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs

    def update_state(self, y_true, y_pred, sample_weight=None):
        return super().update_state(self._fn(y_true, y_pred, **self._fn_kwargs), sample_weight=sample_weight)


def _metric_binary_accuracy(y_true, y_pred, threshold=0.5):
    y_pred = tf.convert_to_tensor(y_pred)
    y_true = tf.convert_to_tensor(y_true)
    y_true, y_pred = _loss_same_rank(y_true, y_pred)
    y_pred = tf.cast(y_pred > tf.cast(threshold, y_pred.dtype), y_true.dtype)
    return tf.cast(tf.equal(y_true, y_pred), tf.float32)


def _metric_sparse_categorical_accuracy(y_true, y_pred):
    y_pred = tf.convert_to_tensor(y_pred)
    y_true = tf.cast(y_true, y_pred.dtype)
    if y_true.shape.rank == y_pred.shape.rank and y_true.shape[-1] == 1:
        y_true = tf.squeeze(y_true, axis=-1)
    y_pred = tf.cast(tf.argmax(y_pred, axis=-1), y_true.dtype)
    return tf.cast(tf.equal(y_true, y_pred), tf.float32)


def _metric_categorical_accuracy(y_true, y_pred):
    return _metric_sparse_categorical_accuracy(tf.argmax(y_true, axis=-1), y_pred)


def _metric_accuracy(y_true, y_pred):
    y_pred = tf.convert_to_tensor(y_pred)
    y_true = tf.cast(y_true, y_pred.dtype)
    y_true, y_pred = _loss_same_rank(y_true, y_pred)
    return tf.cast(tf.equal(y_true, y_pred), tf.float32)


def _metric_top_k_categorical_accuracy(y_true, y_pred, k=5):
    y_true = tf.argmax(y_true, axis=-1, output_type=tf.int32)
    return tf.cast(tf.math.in_top_k(y_true, tf.cast(y_pred, tf.float32), k), tf.float32)


def _metric_sparse_top_k_categorical_accuracy(y_true, y_pred, k=5):
    y_true = tf.reshape(tf.cast(y_true, tf.int32), [-1])
    return tf.cast(tf.math.in_top_k(y_true, tf.cast(y_pred, tf.float32), k), tf.float32)


def _metric_auto_accuracy(y_true, y_pred):
    """``metrics=["accuracy"]``: binary, sparse or categorical accuracy, picked from the shapes as Keras does."""
    y_true, y_pred = tf.convert_to_tensor(y_true), tf.convert_to_tensor(y_pred)
    if y_pred.shape[-1] == 1:
        return _metric_binary_accuracy(y_true, y_pred)
    if y_true.shape.rank < y_pred.shape.rank or (y_true.shape[-1] == 1 and y_pred.shape[-1] > 1):
        return _metric_sparse_categorical_accuracy(y_true, y_pred)
    return _metric_categorical_accuracy(y_true, y_pred)


def _metric_auto_crossentropy(y_true, y_pred):
    y_true, y_pred = tf.convert_to_tensor(y_true), tf.convert_to_tensor(y_pred)
    if y_pred.shape[-1] == 1:
        return _loss_binary_crossentropy(y_true, y_pred)
    if y_true.shape.rank < y_pred.shape.rank or (y_true.shape[-1] == 1 and y_pred.shape[-1] > 1):
        return _loss_sparse_categorical_crossentropy(y_true, y_pred)
    return _loss_categorical_crossentropy(y_true, y_pred)


def _metric_class(fn, default_name, params=()):
    def __init__(self, *args, name=default_name, dtype=None, **kwargs):
        values = dict(params)
        for p, a in zip([p for p, _ in params], args):
            values[p] = a
        for k, v in kwargs.items():
            if k not in values:
                raise TypeError(f"unexpected argument {k!r}")
            values[k] = v
        MeanMetricWrapper.__init__(self, fn, name=name, dtype=dtype, **values)

    return __init__


class Accuracy(MeanMetricWrapper):
    """``keras.metrics.Accuracy``: exact equality."""
    _direction = "up"
    __init__ = _metric_class(_metric_accuracy, "accuracy")


class BinaryAccuracy(MeanMetricWrapper):
    """``keras.metrics.BinaryAccuracy``."""
    _direction = "up"
    __init__ = _metric_class(_metric_binary_accuracy, "binary_accuracy", (("threshold", 0.5),))


class CategoricalAccuracy(MeanMetricWrapper):
    """``keras.metrics.CategoricalAccuracy``."""
    _direction = "up"
    __init__ = _metric_class(_metric_categorical_accuracy, "categorical_accuracy")


class SparseCategoricalAccuracy(MeanMetricWrapper):
    """``keras.metrics.SparseCategoricalAccuracy``."""
    _direction = "up"
    __init__ = _metric_class(_metric_sparse_categorical_accuracy, "sparse_categorical_accuracy")


class TopKCategoricalAccuracy(MeanMetricWrapper):
    """``keras.metrics.TopKCategoricalAccuracy``."""
    _direction = "up"
    __init__ = _metric_class(_metric_top_k_categorical_accuracy, "top_k_categorical_accuracy", (("k", 5),))


class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    """``keras.metrics.SparseTopKCategoricalAccuracy``."""
    _direction = "up"
    __init__ = _metric_class(_metric_sparse_top_k_categorical_accuracy, "sparse_top_k_categorical_accuracy",
                             (("k", 5),))


class MeanSquaredErrorMetric(MeanMetricWrapper):
    """``keras.metrics.MeanSquaredError``."""
    _direction = "down"
    __init__ = _metric_class(_loss_mean_squared_error, "mean_squared_error")


class MeanAbsoluteErrorMetric(MeanMetricWrapper):
    """``keras.metrics.MeanAbsoluteError``."""
    _direction = "down"
    __init__ = _metric_class(_loss_mean_absolute_error, "mean_absolute_error")


class BinaryCrossentropyMetric(MeanMetricWrapper):
    """``keras.metrics.BinaryCrossentropy``."""
    _direction = "down"
    __init__ = _metric_class(_loss_binary_crossentropy, "binary_crossentropy",
                             (("from_logits", False), ("label_smoothing", 0.0)))


class CategoricalCrossentropyMetric(MeanMetricWrapper):
    """``keras.metrics.CategoricalCrossentropy``."""
    _direction = "down"
    __init__ = _metric_class(_loss_categorical_crossentropy, "categorical_crossentropy",
                             (("from_logits", False), ("label_smoothing", 0.0)))


class SparseCategoricalCrossentropyMetric(MeanMetricWrapper):
    """``keras.metrics.SparseCategoricalCrossentropy``."""
    _direction = "down"
    __init__ = _metric_class(_loss_sparse_categorical_crossentropy, "sparse_categorical_crossentropy",
                             (("from_logits", False),))


class RootMeanSquaredError(Mean):
    """``keras.metrics.RootMeanSquaredError``: the root of the mean of squared errors."""

    _direction = "down"

    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = tf.cast(y_pred, self.dtype)
        y_true = tf.cast(y_true, self.dtype)
        y_true, y_pred = _loss_same_rank(y_true, y_pred)
        return super().update_state(tf.square(y_true - y_pred), sample_weight=sample_weight)

    def result(self):
        return tf.sqrt(tf.math.divide_no_nan(self.total, self.count))


class _ConfusionCounts(Metric):
    """Precision and Recall at one threshold (Keras's default 0.5), without top_k or class_id."""

    _direction = "up"

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        if top_k is not None or class_id is not None or isinstance(thresholds, (list, tuple)):
            raise NotImplementedError("top_k, class_id and several thresholds are not translated")
        self.thresholds = 0.5 if thresholds is None else thresholds
        self.true_positives = self.add_variable(shape=(1,), name="true_positives", initializer="zeros")
        self.other = self.add_variable(shape=(1,), name="false_positives" if self._counts_fp else "false_negatives", initializer="zeros")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = tf.cast(y_pred, tf.float32)
        y_true = tf.cast(tf.cast(y_true, tf.bool), tf.float32)
        y_pred, y_true = _loss_same_rank(y_pred, y_true)
        predicted = tf.cast(y_pred > self.thresholds, tf.float32)
        weight = tf.ones_like(y_pred) if sample_weight is None else tf.broadcast_to(
            _loss_same_rank(y_pred, tf.cast(sample_weight, tf.float32))[1], tf.shape(y_pred))
        self.true_positives.assign_add([tf.reduce_sum(y_true * predicted * weight)])
        if self._counts_fp:
            self.other.assign_add([tf.reduce_sum((1 - y_true) * predicted * weight)])
        else:
            self.other.assign_add([tf.reduce_sum(y_true * (1 - predicted) * weight)])

    def result(self):
        return tf.math.divide_no_nan(self.true_positives, self.true_positives + self.other)[0]


class Precision(_ConfusionCounts):
    """``keras.metrics.Precision``: tp / (tp + fp)."""

    _counts_fp = True

    def __init__(self, thresholds=None, top_k=None, class_id=None, name="precision", dtype=None):
        super().__init__(thresholds, top_k, class_id, name, dtype)


class Recall(_ConfusionCounts):
    """``keras.metrics.Recall``: tp / (tp + fn)."""

    _counts_fp = False

    def __init__(self, thresholds=None, top_k=None, class_id=None, name="recall", dtype=None):
        super().__init__(thresholds, top_k, class_id, name, dtype)


class AUC(Metric):
    """``keras.metrics.AUC`` (ROC or PR curve, interpolation, evenly spaced thresholds): Keras's
    bucketed counts of true/false positives/negatives per threshold, then the area (the PR
    curve's with Keras's closed form of Davis & Goadrich's interpolation)."""

    _direction = "up"

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation", name="auc", dtype=None,
                 thresholds=None, multi_label=False, num_labels=None, label_weights=None, from_logits=False):
        super().__init__(name=name, dtype=dtype)
        curve = curve.upper() if isinstance(curve, str) else curve
        if curve not in ("ROC", "PR") or summation_method != "interpolation" or thresholds is not None or multi_label \
                or label_weights is not None:
            raise NotImplementedError("AUC: only the interpolated ROC and PR curves over evenly spaced thresholds are "
                                      "translated")
        self.num_thresholds, self.from_logits, self.curve = num_thresholds, from_logits, curve
        self.true_positives = self.add_variable(shape=(num_thresholds,), name="true_positives", initializer="zeros")
        self.false_positives = self.add_variable(shape=(num_thresholds,), name="false_positives", initializer="zeros")
        self.true_negatives = self.add_variable(shape=(num_thresholds,), name="true_negatives", initializer="zeros")
        self.false_negatives = self.add_variable(shape=(num_thresholds,), name="false_negatives", initializer="zeros")

    def update_state(self, y_true, y_pred, sample_weight=None):
        n = self.num_thresholds
        y_pred = tf.cast(y_pred, tf.float32)
        if self.from_logits:
            y_pred = tf.sigmoid(y_pred)
        y_pred, y_true = _loss_same_rank(y_pred, tf.cast(y_true, tf.float32))
        weight = tf.ones_like(y_pred) if sample_weight is None else tf.broadcast_to(
            _loss_same_rank(y_pred, tf.cast(sample_weight, tf.float32))[1], tf.shape(y_pred))
        y_pred = tf.reshape(tf.clip_by_value(y_pred, 0.0, 1.0), [-1])
        y_true = tf.reshape(tf.cast(tf.cast(y_true, tf.bool), tf.float32), [-1])
        weight = tf.reshape(weight, [-1])
        # bucket i holds the predictions in (t[i], t[i+1]]; the counts above t[i] are suffix sums
        buckets = tf.cast(tf.nn.relu(tf.math.ceil(y_pred * (n - 1)) - 1), tf.int32)

        def above(values):
            return tf.reverse(tf.cumsum(tf.reverse(tf.math.unsorted_segment_sum(values, buckets, n), [0])), [0])

        tp = above(y_true * weight)
        fp = above((1.0 - y_true) * weight)
        self.true_positives.assign_add(tp)
        self.false_positives.assign_add(fp)
        self.true_negatives.assign_add(tf.reduce_sum((1.0 - y_true) * weight) - fp)
        self.false_negatives.assign_add(tf.reduce_sum(y_true * weight) - tp)

    def result(self):
        n = self.num_thresholds
        tp, fp, tn, fn = self.true_positives, self.false_positives, self.true_negatives, self.false_negatives
        if self.curve == "PR":  # keras AUC.interpolate_pr_auc
            dtp = tp[: n - 1] - tp[1:]
            p = tp + fp
            dp = p[: n - 1] - p[1:]
            slope = tf.math.divide_no_nan(dtp, tf.maximum(dp, 0.0))
            intercept = tp[1:] - slope * p[1:]
            ratio = tf.where(tf.logical_and(p[: n - 1] > 0, p[1:] > 0),
                             tf.math.divide_no_nan(p[: n - 1], tf.maximum(p[1:], 0.0)), tf.ones_like(p[1:]))
            increments = tf.math.divide_no_nan(slope * (dtp + intercept * tf.math.log(ratio)),
                                               tf.maximum(tp[1:] + fn[1:], 0.0))
            return tf.reduce_sum(increments)
        recall = tf.math.divide_no_nan(tp, tp + fn)
        fp_rate = tf.math.divide_no_nan(fp, fp + tn)
        heights = (recall[: n - 1] + recall[1:]) / 2.0
        return tf.reduce_sum((fp_rate[: n - 1] - fp_rate[1:]) * heights)


class _ConfusionMatrixConditionCount(Metric):
    """Keras's count of one confusion-matrix condition (true/false positives/negatives) at one
    threshold or a list of thresholds (``y_pred > threshold`` is a positive prediction;
    evenly spaced thresholds from 0 to 1 counted by Keras's bucketed method)."""

    _condition = None

    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.thresholds = [0.5] if thresholds is None else (
            list(thresholds) if isinstance(thresholds, (list, tuple)) else [thresholds])
        n = len(self.thresholds)
        self._evenly = n >= 3 and all(abs(t - i / (n - 1)) <= 1e-7 + 1e-5 * abs(i / (n - 1))
                                      for i, t in enumerate(self.thresholds))
        self.accumulator = self.add_variable(shape=(n,), name="accumulator", initializer="zeros")

    def update_state(self, y_true, y_pred, sample_weight=None):
        counts = _threshold_counts(y_true, y_pred, self.thresholds, self._evenly, sample_weight)
        self.accumulator.assign_add(counts[self._condition])

    def result(self):
        return self.accumulator[0] if len(self.thresholds) == 1 else tf.identity(self.accumulator)

    def get_config(self):
        return {**super().get_config(), "thresholds": self.init_thresholds}


def _threshold_counts(y_true, y_pred, thresholds, evenly, sample_weight):
    """Keras's ``update_confusion_matrix_variables``: the weighted true/false positives and
    negatives at each threshold, every element of ``y_pred`` a prediction."""
    y_pred = tf.cast(y_pred, tf.float32)
    y_pred, y_true = _loss_same_rank(y_pred, tf.cast(y_true, tf.float32))
    weight = tf.ones_like(y_pred) if sample_weight is None else tf.broadcast_to(
        _loss_same_rank(y_pred, tf.cast(sample_weight, tf.float32))[1], tf.shape(y_pred))
    y_true = tf.reshape(tf.cast(tf.cast(y_true, tf.bool), tf.float32), [-1])
    weight = tf.reshape(weight, [-1])
    positives, negatives = y_true * weight, (1.0 - y_true) * weight
    n = len(thresholds)
    if evenly:
        y_pred = tf.reshape(tf.clip_by_value(y_pred, 0.0, 1.0), [-1])
        # bucket i holds the predictions in (t[i], t[i+1]] (a prediction of 0 is in none)
        buckets = tf.cast(tf.math.ceil(y_pred * (n - 1)) - 1, tf.int32)

        def above(values):
            return tf.reverse(tf.cumsum(tf.reverse(tf.math.unsorted_segment_sum(values, buckets, n), [0])), [0])

        tp, fp = above(positives), above(negatives)
    else:
        predicted = tf.cast(tf.reshape(y_pred, [1, -1]) > tf.reshape(tf.constant(thresholds, tf.float32), [-1, 1]),
                            tf.float32)
        tp = tf.reduce_sum(predicted * positives, axis=1)
        fp = tf.reduce_sum(predicted * negatives, axis=1)
    fn = tf.reduce_sum(positives) - tp
    tn = tf.reduce_sum(negatives) - fp
    return {"tp": tp, "fp": fp, "tn": tn, "fn": fn}


class TruePositives(_ConfusionMatrixConditionCount):
    """``keras.metrics.TruePositives``."""

    _condition = "tp"

    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(thresholds, name or "true_positives", dtype)


class FalsePositives(_ConfusionMatrixConditionCount):
    """``keras.metrics.FalsePositives``."""

    _condition = "fp"
    _direction = "down"

    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(thresholds, name or "false_positives", dtype)


class TrueNegatives(_ConfusionMatrixConditionCount):
    """``keras.metrics.TrueNegatives``."""

    _condition = "tn"

    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(thresholds, name or "true_negatives", dtype)


class FalseNegatives(_ConfusionMatrixConditionCount):
    """``keras.metrics.FalseNegatives``."""

    _condition = "fn"
    _direction = "down"

    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(thresholds, name or "false_negatives", dtype)


class IoU(Metric):
    """``keras.metrics.IoU``: a confusion matrix of class ids (integers by default, as Keras's:
    float weights are truncated), then ``tp / (tp + fp + fn)`` averaged over the target classes
    present."""

    _direction = "up"

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None, ignore_class=None, sparse_y_true=True,
                 sparse_y_pred=True, axis=-1):
        super().__init__(name=name, dtype=dtype or "int32")
        if max(target_class_ids) >= num_classes:
            raise ValueError(f"Target class id {max(target_class_ids)} is out of range, which is "
                             f"[0, {num_classes}).")
        self.num_classes, self.ignore_class = num_classes, ignore_class
        self.sparse_y_true, self.sparse_y_pred, self.axis = sparse_y_true, sparse_y_pred, axis
        self.target_class_ids = list(target_class_ids)
        self.total_cm = self.add_variable(shape=(num_classes, num_classes), name="total_confusion_matrix", initializer="zeros")

    def update_state(self, y_true, y_pred, sample_weight=None):
        dtype = tf.as_dtype(self.dtype)
        if not self.sparse_y_true:
            y_true = tf.argmax(y_true, axis=self.axis)
        if not self.sparse_y_pred:
            y_pred = tf.argmax(y_pred, axis=self.axis)
        y_true = tf.cast(y_true, dtype)
        y_pred = tf.cast(y_pred, dtype)
        if y_pred.shape.rank > 1:
            y_pred = tf.reshape(y_pred, [-1])
        if y_true.shape.rank > 1:
            y_true = tf.reshape(y_true, [-1])
        sample_weight = tf.cast(1 if sample_weight is None else sample_weight, dtype)
        if sample_weight.shape.rank > 1:
            sample_weight = tf.reshape(sample_weight, [-1])
        sample_weight = tf.broadcast_to(sample_weight, tf.shape(y_true))
        n = tf.cast(self.num_classes, dtype)
        in_bounds = (y_true >= 0) & (y_true < n) & (y_pred >= 0) & (y_pred < n)
        if self.ignore_class is not None:
            in_bounds = in_bounds & tf.not_equal(y_true, tf.cast(self.ignore_class, dtype))
        y_true = tf.where(in_bounds, y_true, tf.zeros_like(y_true))
        y_pred = tf.where(in_bounds, y_pred, tf.zeros_like(y_pred))
        sample_weight = tf.where(in_bounds, sample_weight, tf.zeros_like(sample_weight))
        indices = tf.cast(tf.stack([y_true, y_pred], axis=1), tf.int64)
        current = tf.scatter_nd(indices, sample_weight, [self.num_classes, self.num_classes])
        self.total_cm.assign_add(current)

    def result(self):
        cm = self.total_cm
        true_positives = tf.linalg.diag_part(cm)
        denominator = tf.reduce_sum(cm, axis=0) + tf.reduce_sum(cm, axis=1) - true_positives
        ids = tf.constant(self.target_class_ids, tf.int32)
        true_positives = tf.cast(tf.gather(true_positives, ids), tf.float32)
        denominator = tf.cast(tf.gather(denominator, ids), tf.float32)
        valid = tf.cast(denominator > 1e-9, tf.float32)
        iou = tf.where(valid > 0, true_positives / (denominator + 1e-7), 0.0)
        return tf.reduce_sum(iou, axis=self.axis) / (tf.reduce_sum(valid) + 1e-7)


class BinaryIoU(IoU):
    """``keras.metrics.BinaryIoU``: predictions ``>= threshold`` are class 1."""

    def __init__(self, target_class_ids=(0, 1), threshold=0.5, name=None, dtype=None):
        super().__init__(num_classes=2, target_class_ids=target_class_ids, name=name, dtype=dtype)
        self.threshold = threshold

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = tf.cast(tf.cast(y_pred, tf.float32) >= self.threshold, tf.as_dtype(self.dtype))
        return super().update_state(tf.cast(y_true, tf.as_dtype(self.dtype)), y_pred, sample_weight)


class MeanIoU(IoU):
    """``keras.metrics.MeanIoU``: the IoU averaged over every class."""

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None, sparse_y_true=True, sparse_y_pred=True,
                 axis=-1):
        super().__init__(num_classes, list(range(num_classes)), name=name, dtype=dtype, ignore_class=ignore_class,
                         sparse_y_true=sparse_y_true, sparse_y_pred=sparse_y_pred, axis=axis)


class OneHotIoU(IoU):
    """``keras.metrics.OneHotIoU``: one-hot labels."""

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None, ignore_class=None, sparse_y_pred=False,
                 axis=-1):
        super().__init__(num_classes, target_class_ids, name=name, dtype=dtype, ignore_class=ignore_class,
                         sparse_y_true=False, sparse_y_pred=sparse_y_pred, axis=axis)


class OneHotMeanIoU(MeanIoU):
    """``keras.metrics.OneHotMeanIoU``: one-hot labels, every class."""

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None, sparse_y_pred=False, axis=-1):
        super().__init__(num_classes, name=name, dtype=dtype, ignore_class=ignore_class, sparse_y_true=False,
                         sparse_y_pred=sparse_y_pred, axis=axis)


_METRIC_FUNCTIONS = {
    "binary_accuracy": _metric_binary_accuracy, "categorical_accuracy": _metric_categorical_accuracy,
    "sparse_categorical_accuracy": _metric_sparse_categorical_accuracy,
    "top_k_categorical_accuracy": _metric_top_k_categorical_accuracy,
    "sparse_top_k_categorical_accuracy": _metric_sparse_top_k_categorical_accuracy,
    "mse": _loss_mean_squared_error, "mean_squared_error": _loss_mean_squared_error,
    "mae": _loss_mean_absolute_error, "mean_absolute_error": _loss_mean_absolute_error,
    "binary_crossentropy": _loss_binary_crossentropy, "categorical_crossentropy": _loss_categorical_crossentropy,
    "sparse_categorical_crossentropy": _loss_sparse_categorical_crossentropy,
    "mean_absolute_percentage_error": _loss_mean_absolute_percentage_error,
    "mean_squared_logarithmic_error": _loss_mean_squared_logarithmic_error,
    # Keras 3's upper-case and short aliases (keras/src/metrics/__init__.py)
    "MSE": _loss_mean_squared_error, "MAE": _loss_mean_absolute_error, "mape": _loss_mean_absolute_percentage_error,
    "MAPE": _loss_mean_absolute_percentage_error, "msle": _loss_mean_squared_logarithmic_error,
    "MSLE": _loss_mean_squared_logarithmic_error, "bce": _loss_binary_crossentropy, "BCE": _loss_binary_crossentropy,
}


def _metric_class_names(table, classes):
    """``keras.metrics.get`` also takes the classes' names, as written and in snake case."""
    for cls in classes:
        keras_name = cls.__name__[:-len("Metric")] if cls.__name__.endswith("Metric") else cls.__name__
        table.setdefault(keras_name, cls)
        table.setdefault(_loss_snake(keras_name), cls)
    return table


_METRIC_CLASSES = _metric_class_names(
    {"AUC": AUC, "auc": AUC, "Precision": Precision, "precision": Precision, "Recall": Recall, "recall": Recall,
     "RootMeanSquaredError": RootMeanSquaredError},
    (Mean, Sum, Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy, TopKCategoricalAccuracy,
     SparseTopKCategoricalAccuracy, RootMeanSquaredError, TruePositives, FalsePositives, TrueNegatives, FalseNegatives,
     MeanSquaredErrorMetric, MeanAbsoluteErrorMetric, BinaryCrossentropyMetric, CategoricalCrossentropyMetric,
     SparseCategoricalCrossentropyMetric))


def metrics_get(identifier):
    """``keras.metrics.get``: a metric function or object from a name, or the value itself."""
    if isinstance(identifier, str):
        if identifier in _METRIC_FUNCTIONS:
            return _METRIC_FUNCTIONS[identifier]
        if identifier in _METRIC_CLASSES:
            return _METRIC_CLASSES[identifier]()
        raise ValueError(f"Could not interpret metric identifier: {identifier}")
    return identifier
