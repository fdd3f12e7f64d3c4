"""Keras's training API on the runtime ``Model``: ``compile``, ``fit``, ``evaluate``,
``predict``, ``train_on_batch``... with Keras 3's semantics (``keras/src/trainers``).

``_TRAINING = _install_training(Model, Layer)`` adds the methods of :class:`_TrainingMethods`
to the runtime ``Model`` when a translated file
trains a model; a user's subclass overriding ``train_step``, ``test_step``, ``compile``,
``compute_loss`` or ``metrics`` keeps its methods, and ``fit`` calls them as Keras does.

What is reproduced: the batches (in order; ``shuffle=True`` shuffles with ``tf.data``),
``validation_split`` taken from the end before shuffling, ``sample_weight`` and
``class_weight``, the compiled loss of one or several outputs (lists or dicts of losses,
``loss_weights``, a ``{output}_loss`` tracker per output), ``model.losses`` (``add_loss``
losses and weight and activity regularization) added to it,
the loss tracker (weighted by batch size), compiled metrics (prefixed by the output name when
there are several outputs), the metrics reset each epoch, the callbacks' hooks and logs, the
``History``; ``evaluate`` results in Keras's order.
"""

import random
import types
import warnings

import tensorflow as tf
from tfr_base import Layer, Model
from tfr_callbacks import CallbackList
from tfr_losses import Loss, LossFunctionWrapper, _loss_binary_crossentropy, _loss_categorical_crossentropy, _loss_sparse_categorical_crossentropy, losses_get
from tfr_metrics import (
    BinaryAccuracy,
    BinaryCrossentropyMetric,
    CategoricalAccuracy,
    CategoricalCrossentropyMetric,
    Mean,
    MeanMetricWrapper,
    Metric,
    SparseCategoricalAccuracy,
    SparseCategoricalCrossentropyMetric,
    metrics_get,
)
from tfr_optimizers import LossScaleOptimizer, optimizers_get

# --- compiled losses and metrics -------------------------------------------------------


def _binary_or_sparse(y_true, y_pred):
    is_binary = y_pred.shape[-1] == 1
    is_sparse = y_true.shape.rank < y_pred.shape.rank or (y_true.shape[-1] == 1 and y_pred.shape[-1] > 1)
    return is_binary, is_sparse


def _compile_loss_object(identifier, y_true, y_pred):
    """Keras's ``get_loss``: a loss object for one output."""
    if identifier is None:
        return None
    if str(identifier).lower() in ("crossentropy", "ce"):
        is_binary, is_sparse = _binary_or_sparse(y_true, y_pred)
        fn = _loss_binary_crossentropy if is_binary else (
            _loss_sparse_categorical_crossentropy if is_sparse else _loss_categorical_crossentropy)
    else:
        fn = losses_get(identifier)
    if isinstance(fn, Loss):
        return fn
    if isinstance(identifier, str):
        name = identifier
    else:
        name = getattr(fn, "__name__", "loss")
        name = name[len("_loss_"):] if name.startswith("_loss_") else name
    return LossFunctionWrapper(fn, name=name)


def _compile_metric_object(identifier, y_true, y_pred):
    """Keras's ``get_metric``: a metric object for one output, named as Keras names it."""
    if str(identifier).lower() in ("accuracy", "acc"):
        is_binary, is_sparse = _binary_or_sparse(y_true, y_pred)
        cls = BinaryAccuracy if is_binary else (SparseCategoricalAccuracy if is_sparse else CategoricalAccuracy)
        return cls(name=str(identifier))
    if str(identifier).lower() in ("crossentropy", "ce"):
        is_binary, is_sparse = _binary_or_sparse(y_true, y_pred)
        cls = BinaryCrossentropyMetric if is_binary else (
            SparseCategoricalCrossentropyMetric if is_sparse else CategoricalCrossentropyMetric)
        metric = cls(name=str(identifier))
        metric._direction = "down"
        return metric
    obj = metrics_get(identifier)
    if not isinstance(obj, Metric):
        fn_name = getattr(obj, "__name__", "metric")
        for prefix in ("_metric_", "_loss_"):
            fn_name = fn_name[len(prefix):] if fn_name.startswith(prefix) else fn_name
        wrapped = MeanMetricWrapper(obj, name=fn_name)
        wrapped._direction = "down" if getattr(obj, "__name__", "").startswith("_loss_") else (
            "up" if "accuracy" in fn_name else None)
        obj = wrapped
    if isinstance(identifier, str):
        obj.name = identifier
    return obj


class _CompileMetrics:
    """Keras's ``CompileMetrics``: the compiled metrics of every output, one result dict."""

    name = "compile_metrics"

    def __init__(self, compiled):
        # made by compile, built on the first update (Keras's CompileMetrics is in
        # ``model.metrics`` from compile on, and builds itself in ``update_state``)
        self.compiled = compiled
        self.lists, self.weighted_lists, self.output_names = [], [], []
        self.built = False

    def set_lists(self, lists, weighted_lists, output_names):
        self.lists, self.weighted_lists, self.output_names = lists, weighted_lists, output_names
        self.built = True

    @property
    def metrics(self):
        return [m for ms in self.lists + self.weighted_lists for m in (ms or [])]

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Keras's ``CompileMetrics.update_state``: the structures of ``y_true`` / ``y_pred``
        (what a custom ``train_step`` passes when it loops over ``self.metrics``)."""
        self.compiled.update_metrics(y_true, y_pred, sample_weight)

    def update_flat(self, y_true, y_pred, sample_weight):
        for ms, yt, yp in zip(self.lists, y_true, y_pred):
            for m in ms or []:
                m.update_state(yt, yp)
        for ms, yt, yp, sw in zip(self.weighted_lists, y_true, y_pred, sample_weight):
            for m in ms or []:
                m.update_state(yt, yp, sw)

    def reset_state(self):
        for m in self.metrics:
            m.reset_state()

    def result(self):
        if not self.built:
            raise ValueError("Cannot get result() since the metric has not yet been built.")
        results, counters = {}, {}
        prefix = len(self.lists) > 1
        for weighted, lists in ((False, self.lists), (True, self.weighted_lists)):
            for ms, out in zip(lists, self.output_names):
                for m in ms or []:
                    name = f"{out}_{m.name}" if prefix and out else m.name
                    if name not in counters:
                        counters[name] = 1
                    elif not weighted:
                        index = counters[name]
                        counters[name] += 1
                        name = f"{name}_{index}"
                    else:
                        name = f"{out}_weighted_{m.name}" if prefix and out else f"weighted_{m.name}"
                        if name in counters:
                            index = counters[name]
                            counters[name] += 1
                            name = f"{name}_{index}"
                        else:
                            counters[name] = 1
                    results[name] = m.result()
        return results


class _Compiled:
    """What ``compile`` was given, built on the first batch (the outputs' shapes decide
    ``"accuracy"`` and ``"crossentropy"``) into per-output losses and metrics."""

    def __init__(self, loss, loss_weights, metrics, weighted_metrics, output_names):
        self.loss, self.loss_weights, self.metrics, self.weighted_metrics = loss, loss_weights, metrics, weighted_metrics
        self.model_output_names = output_names
        self.built = False
        self.loss_trackers = []
        self.compile_metrics = _CompileMetrics(self) if (metrics or weighted_metrics) else None

    def _flatten(self, y, names, what):
        if isinstance(y, dict):
            if names and set(y) >= set(n for n in names if n is not None):
                return [y.get(n) for n in names]
            return [y[k] for k in sorted(y)]
        if isinstance(y, (list, tuple)):
            return list(y)
        return [y]

    def _names(self, y_pred):
        if isinstance(y_pred, dict):
            names = self.model_output_names
            if names and set(names) == set(y_pred):
                return list(names)
            return sorted(y_pred)
        n = len(y_pred) if isinstance(y_pred, (list, tuple)) else 1
        names = self.model_output_names
        return list(names) if names and len(names) == n else [None] * n

    def _per_output(self, spec, names, default=None):
        n = len(names)
        if isinstance(spec, dict):
            if set(spec) <= set(names):
                return [spec.get(name, default) for name in names]
            raise ValueError(f"the keys of {spec} must be output names {names}")
        if isinstance(spec, (list, tuple)) and (n > 1 or len(spec) == 1):  # `loss=[fn]` for one output: fn
            if len(spec) != n:
                raise ValueError(f"expected one entry per output ({n}), got {spec}")
            return list(spec)
        return [spec] * n

    def build(self, y_true, y_pred):
        names = self._names(y_pred)
        self.output_names = names
        flat_pred = self._flatten(y_pred, names, "y_pred")
        flat_true = self._flatten(y_true, names, "y_true")
        if len(flat_true) == 1 and len(flat_pred) > 1:
            flat_true = flat_true * len(flat_pred)
        pairs = list(zip(flat_true, flat_pred))
        losses = self._per_output(self.loss, names)
        weights = self._per_output(self.loss_weights, names) if self.loss_weights is not None else [None] * len(names)
        if len(names) == 1 and isinstance(self.loss_weights, (list, tuple)):
            weights = [self.loss_weights[0]]
        self.flat_losses = [(_compile_loss_object(loss, yt, yp) if yt is not None else None, w)
                            for loss, w, (yt, yp) in zip(losses, weights, pairs)]
        live = [i for i, (fn, _) in enumerate(self.flat_losses) if fn is not None]
        # named as Keras's CompileLoss: by the output, else (a subclassed model's unnamed outputs) by the loss
        self.loss_trackers = [Mean(name=f"{self.flat_losses[i][0].name if names[i] is None else names[i]}_loss")
                              for i in live] if len(live) > 1 else []
        self._tracker_of = dict(zip(live, self.loss_trackers))

        def metric_lists(spec):
            if not spec:
                return [None] * len(names)
            if len(names) == 1:
                return [[_compile_metric_object(m, pairs[0][0], pairs[0][1]) for m in tf.nest.flatten(spec)]]
            per = self._per_output(spec, names) if isinstance(spec, dict) or (
                isinstance(spec, (list, tuple)) and len(spec) == len(names)) else [spec] * len(names)
            out = []
            for m, (yt, yp) in zip(per, pairs):
                if m is None:
                    out.append(None)
                else:
                    out.append([_compile_metric_object(x, yt, yp) for x in (m if isinstance(m, (list, tuple)) else [m])])
            return out

        if self.compile_metrics is not None:
            self.compile_metrics.set_lists(metric_lists(self.metrics), metric_lists(self.weighted_metrics), names)
        self.built = True

    def _flat_sample_weight(self, sample_weight, n):
        if sample_weight is None:
            return [None] * n
        if isinstance(sample_weight, dict):
            return [sample_weight.get(name) for name in self.output_names]
        if isinstance(sample_weight, (list, tuple)):
            return list(sample_weight)
        return [sample_weight] * n

    def compute(self, y_true, y_pred, sample_weight):
        if not self.built:
            self.build(y_true, y_pred)
        flat_pred = self._flatten(y_pred, self.output_names, "y_pred")
        flat_true = self._flatten(y_true, self.output_names, "y_true")
        if len(flat_true) == 1 and len(flat_pred) > 1:
            flat_true = flat_true * len(flat_pred)
        weights = self._flat_sample_weight(sample_weight, len(flat_pred))
        values = []
        for i, ((fn, w), yt, yp, sw) in enumerate(zip(self.flat_losses, flat_true, flat_pred, weights)):
            if fn is None:
                continue
            value = tf.cast(fn(yt, yp, sw), tf.float32)
            tracker = self._tracker_of.get(i)
            if tracker is not None:
                # Keras weights by the static batch size: unknown (so each batch counts once)
                # in fit and evaluate, whose steps are traced on the dataset's element spec
                tracker.update_state(_unscale_loss(value), sample_weight=tf.nest.flatten(yp)[0].shape[0])
            if w is not None:
                value = value * w
            values.append(value)
        if not values:
            return None
        total = values[0]
        for v in values[1:]:
            total = total + v
        return total

    def update_metrics(self, y_true, y_pred, sample_weight):
        if not self.built:
            self.build(y_true, y_pred)
        flat_pred = self._flatten(y_pred, self.output_names, "y_pred")
        flat_true = self._flatten(y_true, self.output_names, "y_true")
        if len(flat_true) == 1 and len(flat_pred) > 1:
            flat_true = flat_true * len(flat_pred)
        if self.compile_metrics is not None:
            self.compile_metrics.update_flat(flat_true, flat_pred, self._flat_sample_weight(sample_weight, len(flat_pred)))


# --- data ----------------------------------------------------------------------------------


def _unpack_data(data):
    """Keras's ``unpack_x_y_sample_weight``."""
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return data, None, None
    if len(data) == 1:
        return data[0], None, None
    if len(data) == 2:
        return data[0], data[1], None
    if len(data) == 3:
        return data[0], data[1], data[2]
    raise ValueError(f"Data is expected to be in format `x`, `(x,)`, `(x, y)`, or `(x, y, sample_weight)`, found: {data}")


def _as_tensors(value):
    """Arrays as Keras feeds them: floating point as float32, others as they are; lists as tuples."""
    if value is None:
        return None
    if isinstance(value, dict):
        return {k: _as_tensors(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return tuple(_as_tensors(v) for v in value)
    tensor = tf.convert_to_tensor(value)
    return tf.cast(tensor, tf.float32) if tensor.dtype.is_floating else tensor


def _class_weight_fn(class_weight):
    table = tf.constant([float(class_weight.get(c, 1.0)) for c in range(max(int(k) for k in class_weight) + 1)])

    def add_weights(*data):
        x, y, sw = _unpack_data(data)
        if sw is not None:
            raise ValueError("You cannot `class_weight` and `sample_weight` at the same time.")
        if isinstance(y, (tuple, dict)):
            raise ValueError("`class_weight` is only supported for Models with a single output.")
        if y.shape.rank is not None and y.shape.rank >= 2:
            if y.shape[-1] != 1:
                classes = tf.argmax(y, axis=-1)
            else:
                classes = tf.cast(tf.round(tf.squeeze(y, axis=-1)), tf.int64)
        else:
            classes = tf.cast(tf.round(tf.cast(y, tf.float32)), tf.int64)
        return x, y, tf.gather(table, classes)

    return add_weights


def _as_batch(batch):
    batch = tuple(batch) if isinstance(batch, list) else batch
    return tf.nest.map_structure(tf.convert_to_tensor, batch)


def _is_py_dataset(x):
    """A ``keras.utils.PyDataset`` (``Sequence``): batches by index, ``on_epoch_end`` after each epoch."""
    return hasattr(x, "__getitem__") and hasattr(x, "__len__") and callable(getattr(x, "on_epoch_end", None))


def _batch_spec(batch):
    """The ``output_signature`` of batches like ``batch``: every dimension but the last ones
    may vary (Keras's generator adapter: the first dimension unknown)."""
    def spec(value):
        value = tf.convert_to_tensor(value)
        return tf.TensorSpec([None] + value.shape.as_list()[1:], value.dtype)
    return tf.nest.map_structure(spec, tuple(batch) if isinstance(batch, list) else batch)


def _restored(first, rest):
    yield first
    yield from rest


def _peek_batches(x):
    """(the first batch, ``x``) of a generator (given back with that batch restored, as Keras's
    ``peek_and_restore``) or a PyDataset; (None, ``x``) for other data. The first batch makes
    the model's variables without taking a batch from the data."""
    if isinstance(x, types.GeneratorType):
        first = next(x)
        return first, _restored(first, x)
    if _is_py_dataset(x):
        return x[0], x
    return None, x


def _batches_dataset(x, shuffle, first):
    """Keras's generator and PyDataset adapters: a generator's batches, the same generator
    going on from epoch to epoch (each pass over the dataset asks it for more); a PyDataset's
    batches by index, in shuffled order when ``shuffle``, then its ``on_epoch_end``."""
    if isinstance(x, types.GeneratorType):
        def batches():
            for batch in x:
                yield tuple(batch) if isinstance(batch, list) else batch
    else:
        def batches():
            order = list(range(len(x)))
            if shuffle:
                random.shuffle(order)
            for i in order:
                batch = x[i]
                yield tuple(batch) if isinstance(batch, list) else batch
            x.on_epoch_end()
    return tf.data.Dataset.from_generator(batches, output_signature=_batch_spec(first))


def _make_dataset(x, y=None, sample_weight=None, batch_size=None, shuffle=False, class_weight=None, first=None):
    """The batches Keras makes of ``x, y, sample_weight`` (a ``tf.data.Dataset`` is used as it is;
    a generator's or a PyDataset's batches as they come)."""
    if isinstance(x, tf.data.Dataset):
        dataset = x
    elif isinstance(x, types.GeneratorType) or _is_py_dataset(x):
        if y is not None or sample_weight is not None or batch_size is not None:
            raise ValueError("a generator or PyDataset gives whole batches: `y`, `sample_weight` and `batch_size` "
                             "are not taken with it")
        if first is None:
            first, x = _peek_batches(x)
        dataset = _batches_dataset(x, shuffle, first)
    else:
        data = _as_tensors(x) if y is None and sample_weight is None else tuple(
            _as_tensors(v) for v in ((x, y) if sample_weight is None else (x, y, sample_weight)))
        if y is None and sample_weight is None and isinstance(data, tuple):
            data = (data,)  # Keras's pack_x_y_sample_weight: several inputs are one `x`, not (x, y)
        dataset = tf.data.Dataset.from_tensor_slices(data)
        if shuffle:
            dataset = dataset.shuffle(int(dataset.cardinality()), reshuffle_each_iteration=True)
        dataset = dataset.batch(batch_size or 32)
    if class_weight:
        dataset = dataset.map(_class_weight_fn(class_weight))
    return dataset


def _split_validation(x, y, sample_weight, validation_split):
    """Keras's ``train_validation_split``: the last ``validation_split`` of the samples."""
    if isinstance(x, tf.data.Dataset):
        raise ValueError("`validation_split` is only supported for Tensors or NumPy arrays")
    first = tf.nest.flatten(x)[0]
    n = int(first.shape[0])
    split_at = int(n * (1.0 - validation_split))

    def cut(value, part):
        if value is None:
            return None
        return tf.nest.map_structure(lambda a: a[:split_at] if part == 0 else a[split_at:], value)

    return (cut(x, 0), cut(y, 0), cut(sample_weight, 0)), (cut(x, 1), cut(y, 1), cut(sample_weight, 1))


def _pythonify(logs):
    """Keras's ``pythonify_logs``: sorted keys, nested dicts flattened, values as floats."""
    out = {}
    for k, v in sorted((logs or {}).items()):
        if isinstance(v, dict):
            out.update(_pythonify(v))
            continue
        try:
            out[k] = float(v)
        except (TypeError, ValueError):
            out[k] = v
    return out


def _log_line(steps, logs):
    return f"{steps}/{steps} - " + " - ".join(f"{k}: {v:.4f}" for k, v in logs.items() if isinstance(v, float))


# --- under a tf.distribute strategy ------------------------------------------------------


def _unscale_loss(value):
    """Keras's ``unscale_loss_for_distribution``: a replica's loss (scaled by 1 / replicas in
    the losses' reduction) back to the replica's mean, for the loss trackers."""
    replicas = tf.distribute.get_strategy().num_replicas_in_sync
    return value * tf.cast(replicas, value.dtype) if replicas > 1 else value


def _scale_loss(value):
    """Keras's ``scale_loss_for_distribution``: ``value / replicas`` under a strategy."""
    replicas = tf.distribute.get_strategy().num_replicas_in_sync
    return value * tf.cast(1.0 / replicas, value.dtype) if replicas > 1 else value


def _reduce_per_replica(values, strategy, reduction):
    """Keras's ``reduce_per_replica`` (TensorFlow trainer): each replica's step outputs as one
    value, the mean over the replicas for ``fit``/``evaluate`` (metric results), the
    concatenation in replica order for ``predict``."""
    multi_worker = isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy) and \
        getattr(strategy.extended, "_in_multi_worker_mode", lambda: False)()

    def reduce(v):
        if multi_worker:
            if reduction == "concat":
                return tf.concat(tf.nest.flatten(strategy.gather(v, axis=0)), axis=0)
            return strategy.reduce("MEAN", v, axis=0)
        if not isinstance(v, tf.distribute.DistributedValues):
            return v
        parts = strategy.experimental_local_results(v)
        if reduction == "concat":
            return tf.stack(parts) if parts[0].shape.rank == 0 else tf.concat(parts, axis=0)
        return tf.reduce_mean(parts, axis=0)

    return tf.nest.map_structure(reduce, values)


def _on_replicas(strategy, step, reduction):
    """``step(data)`` run by ``strategy`` on every replica's share of a distributed batch, its
    outputs reduced as Keras reduces them."""

    def run(data):
        return _reduce_per_replica(strategy.run(step, args=(data,)), strategy, reduction)

    return run


# --- the training methods ------------------------------------------------------------------


class _StepFunctions(dict):
    """A model's traced step functions. A copy of the model (``copy.deepcopy``) starts with
    none and traces its own: a traced function holds its graph, which cannot be copied, and
    would update the original's variables."""

    def __init__(self):
        super().__init__()
        self.last = {}  # kind -> the step function last made or run ("train": Keras's `train_function`)

    def __deepcopy__(self, memo):
        return _StepFunctions()


def _step_property(kind):
    """Keras's ``model.train_function`` (``test_function``, ``predict_function``): the step the
    last loop ran, None before (a Keras ``TensorBoard`` callback reads it to write the graph)."""

    def get(self):
        return self.__dict__.get("_xlate_functions", {}).last.get(kind) if "_xlate_functions" in self.__dict__ else None

    def set_(self, value):
        self.__dict__.setdefault("_xlate_functions", _StepFunctions()).last[kind] = value

    return property(get, set_)


class _TrainingMethods:
    """The methods ``_install_training`` gives the runtime ``Model``."""

    def compile(self, optimizer="rmsprop", loss=None, loss_weights=None, metrics=None, weighted_metrics=None,
                run_eagerly=False, steps_per_execution=1, jit_compile="auto", auto_scale_loss=True):
        optimizer = optimizers_get(optimizer)
        if auto_scale_loss and getattr(getattr(self, "dtype_policy", None), "name", None) == "mixed_float16" \
                and optimizer and not isinstance(optimizer, LossScaleOptimizer):
            optimizer = LossScaleOptimizer(optimizer, name="loss_scale_optimizer")  # as Keras's compile
        self.__dict__["optimizer"] = optimizer
        self.__dict__["loss"] = loss
        # kept out of tf.Module's tracking (checkpoints hold the model's variables only)
        self.__dict__["_xlate_compiled"] = _Compiled(loss, loss_weights, metrics, weighted_metrics,
                                                     getattr(self, "_output_names", None))
        self.__dict__["_loss_tracker"] = Mean(name="loss")
        self.__dict__["_xlate_functions"] = _StepFunctions()
        # Keras's ``distribute_strategy``: the strategy the model is compiled (and built) under
        self.__dict__["_xlate_strategy"] = tf.distribute.get_strategy() if tf.distribute.has_strategy() else None
        self.compiled = True
        self.stop_training = False
        self.run_eagerly = run_eagerly

    # -- steps

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        losses = []
        compiled = self.__dict__.get("_xlate_compiled")
        if compiled is not None and compiled.loss is not None:
            value = compiled.compute(y, y_pred, sample_weight)
            if value is not None:
                losses.append(value)
        for extra in self.losses:  # Keras's _aggregate_additional_loss (scaled under a strategy)
            losses.append(_scale_loss(tf.reduce_sum(tf.cast(extra, tf.float32))))
        if not losses:
            raise ValueError("No loss to compute. Provide a `loss` argument in `compile()`.")
        total = losses[0]
        for value in losses[1:]:
            total = total + value
        return total

    # Keras 3's shims for Keras 2 training steps (keras/src/backend/tensorflow/trainer.py)
    @property
    def compiled_metrics(self):
        model = self

        class _CompiledMetrics:
            def update_state(_, y, y_pred, sample_weight=None):
                for metric in model.metrics:
                    if isinstance(metric, Mean):  # as Keras: the loss tracker gets y_pred
                        metric.update_state(y_pred, sample_weight=sample_weight)
                    else:
                        metric.update_state(y, y_pred, sample_weight=sample_weight)

        return _CompiledMetrics()

    def compiled_loss(self, y, y_pred, sample_weight=None, regularization_losses=None):
        return self.compute_loss(x=None, y=y, y_pred=y_pred, sample_weight=sample_weight)

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        compiled = self.__dict__.get("_xlate_compiled")
        if compiled is not None and (compiled.metrics or compiled.weighted_metrics):
            compiled.update_metrics(y, y_pred, sample_weight)
        return self.get_metrics_result()

    def get_metrics_result(self):
        out = {}
        for metric in self.metrics:
            result = metric.result()
            if isinstance(result, dict):
                out.update(result)
            else:
                out[metric.name] = result
        return out

    def train_step(self, data):
        x, y, sample_weight = _unpack_data(data)
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight, training=True)
            self._loss_tracker.update_state(_unscale_loss(loss), sample_weight=tf.shape(tf.nest.flatten(x)[0])[0])
            if self.optimizer is not None:
                loss = self.optimizer.scale_loss(loss)
        variables = self.trainable_weights
        if variables:
            gradients = tape.gradient(loss, variables)
            self.optimizer.apply_gradients(zip(gradients, variables))
        else:  # as Keras: a model frozen after compile (a GAN's discriminator) trains nothing
            warnings.warn("The model does not have any trainable weights.", stacklevel=2)
        return self.compute_metrics(x, y, y_pred, sample_weight=sample_weight)

    def test_step(self, data):
        x, y, sample_weight = _unpack_data(data)
        y_pred = self(x, training=False)
        loss = self.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight, training=False)
        self._loss_tracker.update_state(_unscale_loss(loss), sample_weight=tf.shape(tf.nest.flatten(x)[0])[0])
        return self.compute_metrics(x, y, y_pred, sample_weight=sample_weight)

    def predict_step(self, data):
        x, _, _ = _unpack_data(data)
        return self(x, training=False)

    # -- metrics

    @property
    def metrics(self):
        out = []
        if self.__dict__.get("compiled"):
            out.append(self._loss_tracker)
            compiled = self._xlate_compiled
            if compiled.compile_metrics is not None:
                out.append(compiled.compile_metrics)
            out.extend(compiled.loss_trackers)
        for name, value in self.__dict__.items():
            if name in ("_loss_tracker",) or name.startswith("_xlate"):
                continue
            values = value if isinstance(value, (list, tuple)) else [value]
            for v in values:
                if isinstance(v, Metric) and all(v is not seen for seen in out):
                    out.append(v)
        return out

    @property
    def metrics_names(self):
        return [m.name for m in self.metrics]

    def _compiled_metric_objects(self):
        compiled = self.__dict__.get("_xlate_compiled")
        found = []
        if compiled is not None and compiled.compile_metrics is not None:
            found = compiled.compile_metrics.metrics
        return found + [m for m in self.metrics if isinstance(m, Metric)]

    def reset_metrics(self):
        for m in self.metrics:
            m.reset_state()

    def _metrics_or_logs(self, logs, flat=True):
        """Keras's ``_get_metrics_result_or_logs`` on a step's logs as the step gave them (a
        custom step's nested ``compile_metrics`` dict is one key): the metrics' results when
        the keys match, else the logs; ``flat``: pythonified (sorted, nested dicts in place)."""
        metric_logs = self.get_metrics_result()
        chosen = metric_logs if isinstance(logs, dict) and set(logs) == set(metric_logs) else logs
        return _pythonify(chosen) if flat else dict(chosen or {})

    def _flatten_in_order(self, logs):
        names = []
        for metric in self.metrics:
            if isinstance(metric, _CompileMetrics):
                names += [m.name for m in metric.metrics]  # unprefixed, as Keras lists them
            else:
                names.append(metric.name)
        results = [logs[n] for n in names if n in logs]
        results += [logs[k] for k in sorted(logs) if k not in names]
        return results[0] if len(results) == 1 else results

    # -- functions

    def _xlate_function(self, kind, spec=None, strategy=None):
        """The step function of ``kind``, traced as Keras traces it: on the dataset's element
        spec (an unknown batch dimension) for ``fit``/``evaluate``/``predict``, on the batch for
        ``train_on_batch``; run as it is with ``run_eagerly``. Under a ``strategy`` the step
        runs on every replica of a distributed batch (``strategy.run``) and its outputs are
        reduced as Keras's are."""
        functions = self.__dict__.setdefault("_xlate_functions", _StepFunctions())
        key = (kind, None if spec is None else repr(spec), None if strategy is None else id(strategy))
        if key not in functions:
            step = {"train": self.train_step, "test": self.test_step, "predict": self.predict_step}[kind]
            if strategy is not None:
                step = _on_replicas(strategy, step, "concat" if kind == "predict" else "mean")
            if getattr(self, "run_eagerly", False):
                functions[key] = step
            elif spec is None:
                functions[key] = tf.function(step, reduce_retracing=True, autograph=False)
            else:
                functions[key] = tf.function(step, input_signature=[spec], autograph=False)
        functions.last[kind] = functions[key]
        return functions[key]

    def _strategy(self):
        """Keras's ``distribute_strategy`` when it is not the default one: the strategy the model
        was compiled under, else the one mirroring its variables, else the one in scope."""
        strategy = self.__dict__.get("_xlate_strategy")
        if strategy is None:
            for variable in self.weights:
                if isinstance(variable, tf.distribute.DistributedValues):
                    return variable.distribute_strategy
        if strategy is None and tf.distribute.has_strategy():
            strategy = tf.distribute.get_strategy()
        return strategy

    def _distribute(self, dataset, strategy):
        """The dataset each of whose global batches is split over the replicas, as Keras feeds them."""
        return dataset if strategy is None else strategy.experimental_distribute_dataset(dataset)

    train_function = _step_property("train")
    test_function = _step_property("test")
    predict_function = _step_property("predict")

    def make_train_function(self, force=False):
        return self._xlate_function("train")

    def make_test_function(self, force=False):
        return self._xlate_function("test")

    def make_predict_function(self, force=False):
        return self._xlate_function("predict")

    def _ready(self, dataset, strategy=None, first=None):
        """Make the variables (a first call on one batch), the compiled losses and metrics
        (Keras's ``_symbolic_build``) and the optimizer's slots eagerly: a variable made while
        a step is traced makes tf.function trace the step a second time. Under a strategy, in
        its scope, so that every variable is mirrored or synchronised on read."""
        if strategy is not None:
            with strategy.scope():
                return self._ready_in_scope(dataset, build_compiled=True, first=first)
        return self._ready_in_scope(dataset, build_compiled=True, first=first)

    def _ready_in_scope(self, dataset, build_compiled=False, first=None):
        compiled = self.__dict__.get("_xlate_compiled")
        build_compiled = build_compiled and compiled is not None and not compiled.built
        if not self.built or not self.weights or build_compiled:
            x, y, _ = _unpack_data(next(iter(dataset)) if first is None else _as_batch(first))
            try:
                y_pred = self(x, training=False)
                if build_compiled and y is not None:
                    compiled.build(y, y_pred)
            except NotImplementedError:  # no call(): a model that only trains its parts (a VAE's train_step)
                if not self.weights:
                    raise
        optimizer = self.__dict__.get("optimizer")
        if optimizer is not None and hasattr(optimizer, "build") and not optimizer.built and self.trainable_weights:
            optimizer.build(self.trainable_weights)

    # -- loops

    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None, validation_split=0.0,
            validation_data=None, shuffle=True, class_weight=None, sample_weight=None, initial_epoch=0,
            steps_per_epoch=None, validation_steps=None, validation_batch_size=None, validation_freq=1):
        if validation_split and validation_data is None:
            (x, y, sample_weight), validation_data = _split_validation(x, y, sample_weight, validation_split)
        first, x = _peek_batches(x)
        dataset = _make_dataset(x, y, sample_weight, batch_size, shuffle, class_weight, first)
        if steps_per_epoch is not None:
            dataset = dataset.take(steps_per_epoch)
        val_dataset = None
        if validation_data is not None:
            if isinstance(validation_data, tf.data.Dataset):
                val_dataset = validation_data
            elif isinstance(validation_data, types.GeneratorType) or _is_py_dataset(validation_data):
                val_dataset = _make_dataset(validation_data)
            else:
                vx, vy, vsw = _unpack_data(validation_data)
                val_dataset = _make_dataset(vx, vy, vsw, validation_batch_size or batch_size)
            if validation_steps is not None:
                val_dataset = val_dataset.take(validation_steps)
        strategy = self._strategy()
        self._ready(dataset, strategy, first)
        verbose = 1 if verbose == "auto" else verbose
        steps = int(dataset.cardinality())
        steps = steps if steps >= 0 else steps_per_epoch  # a generator's batches are not counted beforehand
        callbacks = callbacks if isinstance(callbacks, CallbackList) else CallbackList(
            callbacks, add_history=True, model=self, verbose=verbose, epochs=epochs, steps=steps)
        dataset = self._distribute(dataset, strategy)
        train_function = self._xlate_function("train", dataset.element_spec, strategy)
        self.stop_training = False
        callbacks.on_train_begin()
        logs, training_logs = {}, None
        for epoch in range(initial_epoch, epochs):
            self.reset_metrics()
            callbacks.on_epoch_begin(epoch)
            if verbose:
                print(f"Epoch {epoch + 1}/{epochs}")
            seen = 0
            raw = {}
            for step, data in enumerate(dataset):
                callbacks.on_train_batch_begin(step)
                raw = train_function(data)
                logs = _pythonify(raw)
                callbacks.on_train_batch_end(step, logs)
                seen = step + 1
                if self.stop_training:
                    break
            epoch_logs = self._metrics_or_logs(raw, flat=False)
            if val_dataset is not None and (epoch + 1) % validation_freq == 0:
                val_logs = self._evaluate_dataset(self._distribute(val_dataset, strategy), callbacks, strategy)
                epoch_logs.update({f"val_{k}": v for k, v in val_logs.items()})
            epoch_logs = _pythonify(epoch_logs)  # Keras's CallbackList passes them sorted (a nested dict in place)
            if verbose:
                print(_log_line(seen, epoch_logs))
            callbacks.on_epoch_end(epoch, dict(epoch_logs))  # a copy, as Keras's CallbackList passes
            training_logs = epoch_logs
            if self.stop_training:
                break
        optimizer = self.__dict__.get("optimizer")
        if optimizer is not None and hasattr(optimizer, "finalize_variable_values") and epochs > 0:
            optimizer.finalize_variable_values(self.trainable_weights)  # EMA's averages, as Keras's fit ends
        callbacks.on_train_end(logs=training_logs)
        return callbacks._history

    def _evaluate_dataset(self, dataset, callbacks, strategy=None):
        test_function = self._xlate_function("test", dataset.element_spec, strategy)
        self.reset_metrics()
        callbacks.on_test_begin()
        raw = {}
        for step, data in enumerate(dataset):
            callbacks.on_test_batch_begin(step)
            raw = test_function(data)
            callbacks.on_test_batch_end(step, _pythonify(raw))
        logs = self._metrics_or_logs(raw)
        callbacks.on_test_end(logs)
        return logs

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None, steps=None, callbacks=None,
                 return_dict=False, **kwargs):
        first, x = _peek_batches(x)
        dataset = _make_dataset(x, y, sample_weight, batch_size, first=first)
        if steps is not None:
            dataset = dataset.take(steps)
        strategy = self._strategy()
        self._ready(dataset, strategy, first)
        steps = int(dataset.cardinality())
        callbacks = callbacks if isinstance(callbacks, CallbackList) else CallbackList(callbacks, model=self)
        logs = self._evaluate_dataset(self._distribute(dataset, strategy), callbacks, strategy)
        if verbose:
            print(_log_line(steps, logs))
        if return_dict:
            return logs
        return self._flatten_in_order(logs)

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        first, x = _peek_batches(x)
        dataset = _make_dataset(x, None, None, batch_size, first=first)
        if steps is not None:
            dataset = dataset.take(steps)
        strategy = self._strategy()
        dataset = self._distribute(dataset, strategy)
        predict_function = self._xlate_function("predict", dataset.element_spec, strategy)
        callbacks = callbacks if isinstance(callbacks, CallbackList) else CallbackList(callbacks, model=self)
        callbacks.on_predict_begin()
        outputs = []
        for step, data in enumerate(dataset):
            callbacks.on_predict_batch_begin(step)
            batch = predict_function(data)
            outputs.append(batch)
            callbacks.on_predict_batch_end(step, {"outputs": batch})
        callbacks.on_predict_end()
        return tf.nest.map_structure(lambda *parts: tf.concat(parts, axis=0).numpy(), *outputs)

    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
        data = (_as_tensors(x), _as_tensors(y), _as_tensors(sample_weight))
        if class_weight:
            data = _class_weight_fn(class_weight)(*data[:2])
        self._ready([data])
        self.reset_metrics()
        logs = _pythonify(self._xlate_function("train")(data))
        return logs if return_dict else self._flatten_in_order(logs)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        data = (_as_tensors(x), _as_tensors(y), _as_tensors(sample_weight))
        self.reset_metrics()
        logs = _pythonify(self._xlate_function("test")(data))
        return logs if return_dict else self._flatten_in_order(logs)

    def predict_on_batch(self, x):
        return tf.nest.map_structure(lambda t: t.numpy(), self._xlate_function("predict")((_as_tensors(x),)))

    # tf.keras 2's deprecated generator methods (Keras 3 has none): as tf.keras 2.x defines
    # them, ``fit``/``evaluate``/``predict`` on the generator with their own defaults (verbose
    # 1 for fit, 0 for the others). ``max_queue_size``, ``workers`` and ``use_multiprocessing``
    # only set how tf.keras 2 prefetched the batches (in order): the batches are the same.

    def fit_generator(self, generator, steps_per_epoch=None, epochs=1, verbose=1, callbacks=None, validation_data=None,
                      validation_steps=None, validation_freq=1, class_weight=None, max_queue_size=10, workers=1,
                      use_multiprocessing=False, shuffle=True, initial_epoch=0):
        return self.fit(generator, steps_per_epoch=steps_per_epoch, epochs=epochs, verbose=verbose, callbacks=callbacks,
                        validation_data=validation_data, validation_steps=validation_steps,
                        validation_freq=validation_freq, class_weight=class_weight, shuffle=shuffle,
                        initial_epoch=initial_epoch)

    def evaluate_generator(self, generator, steps=None, callbacks=None, max_queue_size=10, workers=1,
                           use_multiprocessing=False, verbose=0):
        return self.evaluate(generator, steps=steps, verbose=verbose, callbacks=callbacks)

    def predict_generator(self, generator, steps=None, callbacks=None, max_queue_size=10, workers=1,
                          use_multiprocessing=False, verbose=0):
        return self.predict(generator, steps=steps, verbose=verbose, callbacks=callbacks)


def _install_training(model_class, layer_class):
    """Give the runtime ``Model`` Keras's training methods (a subclass's own definitions take
    precedence, as they override Keras's). ``Layer`` has ``add_loss``/``losses`` itself."""
    for name, value in vars(_TrainingMethods).items():
        if not name.startswith("__") and name not in vars(model_class):
            setattr(model_class, name, value)
    return True


_TRAINING = _install_training(Model, Layer)
