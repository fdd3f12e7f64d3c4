"""The TensorFlow code that ``xlate to-tf`` writes into a translated training script.

This file is a *template*: the translator reads its text and copies the functions a
script needs (``_fit``, ``_adam``, ``_sparse_categorical_crossentropy``...) into the output,
each once, after the imports. The translator never imports this module (it must not import
TensorFlow); the tests do, to check every formula against Keras.

Each function follows Keras 3 (TensorFlow backend) step by step, so that the same weights
and batches give the same trajectory:

* losses: ``keras/src/losses/losses.py`` and ``keras/src/backend/tensorflow/nn.py``
  (float32 inputs, ranks aligned, crossentropy of softmax/sigmoid outputs computed from their
  logits as Keras does in a traced step, probabilities clipped to ``[1e-7, 1 - 1e-7]``,
  "sum_over_batch_size" reduction);
* metrics: ``keras/src/metrics/accuracy_metrics.py``, averaged over samples like
  ``keras.metrics.MeanMetricWrapper``;
* optimizers: ``keras/src/optimizers/{sgd,adam,rmsprop,base_optimizer}.py`` and the
  TensorFlow backend's weight decay (``variable -= variable * weight_decay * lr`` before the
  update), with the iteration counter Keras keeps;
* loops: ``keras/src/backend/tensorflow/trainer.py`` (validation split taken from the end
  before shuffling, loss averaged over samples, metrics reset every epoch).

Rules for this file: top-level functions only, each with a docstring; they may call one
another and use ``tf`` (the translated script imports it); nothing else at module level.
Importing this module does not import TensorFlow (the static commands never do); code that
wants to call these functions directly sets ``runtime.tf = tensorflow`` first.
"""

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # only read as text by the translator; the output has `import tensorflow as tf`
    import tensorflow as tf

# --------------------------------------------------------------------------------------
# losses


def _same_rank(x1, x2, expand_rank_1=True):
    """Keras's squeeze_or_expand_to_same_rank: align ranks that differ by a trailing 1."""
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


def _loss_inputs(y_true, y_pred):
    """What a Keras loss does first: both as float32, ranks aligned."""
    y_pred = tf.cast(y_pred, tf.float32)
    y_true = tf.cast(y_true, tf.float32)
    return _same_rank(y_true, y_pred)


def _reduce_loss(values, reduction="sum_over_batch_size"):
    """Keras's loss reduction: "sum_over_batch_size" (the default) averages every element."""
    if reduction is None or reduction == "none" or values.shape.rank == 0:
        return values
    loss = tf.reduce_sum(values)
    if reduction == "sum":
        return loss
    return tf.math.divide_no_nan(loss, tf.cast(tf.size(values), loss.dtype))


def _logits_behind(y_pred, from_logits, activation):
    """Keras (TensorFlow backend) computes the crossentropy of a softmax or sigmoid output
    from that activation's input, as if ``from_logits=True``; do the same in a traced step."""
    op = None if tf.executing_eagerly() else getattr(y_pred, "op", None)
    if op is not None and op.type == activation and len(op.inputs) == 1:
        return op.inputs[0], True
    return y_pred, from_logits


def _categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, reduction="sum_over_batch_size"):
    """keras.losses.CategoricalCrossentropy with TensorFlow ops (one-hot targets)."""
    y_true, y_pred = _loss_inputs(y_true, y_pred)
    if label_smoothing:
        num_classes = tf.cast(tf.shape(y_true)[-1], y_pred.dtype)
        y_true = y_true * (1.0 - label_smoothing) + (label_smoothing / num_classes)
    y_pred, from_logits = _logits_behind(y_pred, from_logits, "Softmax")
    if from_logits:
        losses = tf.nn.softmax_cross_entropy_with_logits(labels=y_true, logits=y_pred, axis=-1)
    else:
        # probabilities: renormalise, clip to [1e-7, 1 - 1e-7], then -sum(y * log(p))
        y_pred = y_pred / tf.reduce_sum(y_pred, axis=-1, keepdims=True)
        y_pred = tf.clip_by_value(y_pred, 1e-7, 1.0 - 1e-7)
        losses = -tf.reduce_sum(y_true * tf.math.log(y_pred), axis=-1)
    return _reduce_loss(losses, reduction)


def _sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, reduction="sum_over_batch_size"):
    """keras.losses.SparseCategoricalCrossentropy with TensorFlow ops (integer targets)."""
    y_true, y_pred = _loss_inputs(y_true, y_pred)
    if y_true.shape.rank == y_pred.shape.rank and y_true.shape[-1] == 1:
        y_true = tf.squeeze(y_true, axis=-1)
    y_pred, from_logits = _logits_behind(y_pred, from_logits, "Softmax")
    if not from_logits:
        # probabilities: clip to [1e-7, 1 - 1e-7]; their log is a valid logit
        y_pred = tf.math.log(tf.clip_by_value(y_pred, 1e-7, 1 - 1e-7))
    labels = tf.cast(y_true, tf.int64)
    losses = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=y_pred)
    return _reduce_loss(losses, reduction)


def _binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, reduction="sum_over_batch_size"):
    """keras.losses.BinaryCrossentropy with TensorFlow ops (mean over the last axis)."""
    y_true, y_pred = _loss_inputs(y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    y_pred, from_logits = _logits_behind(y_pred, from_logits, "Sigmoid")
    if from_logits:
        losses = tf.nn.sigmoid_cross_entropy_with_logits(labels=y_true, logits=y_pred)
    else:
        y_pred = tf.clip_by_value(y_pred, 1e-7, 1.0 - 1e-7)
        losses = -(y_true * tf.math.log(y_pred) + (1 - y_true) * tf.math.log(1 - y_pred))
    return _reduce_loss(tf.reduce_mean(losses, axis=-1), reduction)


def _crossentropy(y_true, y_pred, from_logits=False, reduction="sum_over_batch_size"):
    """Keras's loss="crossentropy": binary, sparse or categorical, picked from the shapes."""
    y_true, y_pred = tf.convert_to_tensor(y_true), tf.convert_to_tensor(y_pred)
    if y_pred.shape[-1] == 1:
        return _binary_crossentropy(y_true, y_pred, from_logits, reduction=reduction)
    if y_true.shape.rank < y_pred.shape.rank or (y_true.shape[-1] == 1 and y_pred.shape[-1] > 1):
        return _sparse_categorical_crossentropy(y_true, y_pred, from_logits, reduction=reduction)
    return _categorical_crossentropy(y_true, y_pred, from_logits, reduction=reduction)


def _mean_squared_error(y_true, y_pred, reduction="sum_over_batch_size"):
    """keras.losses.MeanSquaredError: mean of squares over the last axis, then reduced."""
    y_true, y_pred = _loss_inputs(y_true, y_pred)
    return _reduce_loss(tf.reduce_mean(tf.square(y_true - y_pred), axis=-1), reduction)


def _mean_absolute_error(y_true, y_pred, reduction="sum_over_batch_size"):
    """keras.losses.MeanAbsoluteError: mean of absolute errors over the last axis, then reduced."""
    y_true, y_pred = _loss_inputs(y_true, y_pred)
    return _reduce_loss(tf.reduce_mean(tf.abs(y_true - y_pred), axis=-1), reduction)


# --------------------------------------------------------------------------------------
# metrics: each returns one value per sample; the loops average them over all samples


def _binary_accuracy(y_true, y_pred, threshold=0.5):
    """keras.metrics.binary_accuracy: 1.0 where (y_pred > threshold) equals y_true."""
    y_pred = tf.convert_to_tensor(y_pred)
    y_true = tf.convert_to_tensor(y_true)
    y_true, y_pred = _same_rank(y_true, y_pred)
    y_pred = tf.cast(y_pred > tf.cast(threshold, y_pred.dtype), y_true.dtype)
    return tf.cast(tf.equal(y_true, y_pred), tf.float32)


def _sparse_categorical_accuracy(y_true, y_pred):
    """keras.metrics.sparse_categorical_accuracy: 1.0 where argmax(y_pred) equals y_true."""
    y_pred = tf.convert_to_tensor(y_pred)
    y_true = tf.cast(y_true, y_pred.dtype)
    if y_true.shape.rank == y_pred.shape.rank and y_true.shape[-1] == 1:
        y_true = tf.squeeze(y_true, axis=-1)
    y_pred = tf.cast(tf.argmax(y_pred, axis=-1, output_type=tf.int32), y_true.dtype)
    return tf.cast(tf.equal(y_true, y_pred), tf.float32)


def _categorical_accuracy(y_true, y_pred):
    """keras.metrics.categorical_accuracy: 1.0 where argmax(y_pred) equals argmax(y_true)."""
    y_true = tf.argmax(y_true, axis=-1, output_type=tf.int32)
    y_pred = tf.argmax(y_pred, axis=-1, output_type=tf.int32)
    return tf.cast(tf.equal(y_true, y_pred), tf.float32)


def _accuracy(y_true, y_pred):
    """Keras's metrics=["accuracy"]: binary, sparse or categorical accuracy, picked from the shapes."""
    y_true, y_pred = tf.convert_to_tensor(y_true), tf.convert_to_tensor(y_pred)
    if y_pred.shape[-1] == 1:
        return _binary_accuracy(y_true, y_pred)
    if y_true.shape.rank < y_pred.shape.rank or (y_true.shape[-1] == 1 and y_pred.shape[-1] > 1):
        return _sparse_categorical_accuracy(y_true, y_pred)
    return _categorical_accuracy(y_true, y_pred)


def _top_k_categorical_accuracy(y_true, y_pred, k=5):
    """keras.metrics.top_k_categorical_accuracy: 1.0 where the true class is among the k best."""
    y_true = tf.argmax(y_true, axis=-1, output_type=tf.int32)
    return tf.cast(tf.math.in_top_k(y_true, tf.cast(y_pred, tf.float32), k), tf.float32)


def _sparse_top_k_categorical_accuracy(y_true, y_pred, k=5):
    """keras.metrics.sparse_top_k_categorical_accuracy (integer targets)."""
    y_true = tf.reshape(tf.cast(y_true, tf.int32), [-1])
    return tf.cast(tf.math.in_top_k(y_true, tf.cast(y_pred, tf.float32), k), tf.float32)


def _mean_squared_error_metric(y_true, y_pred):
    """keras.metrics.mean_squared_error: per-sample mean of squares over the last axis."""
    y_true, y_pred = _loss_inputs(y_true, y_pred)
    return tf.reduce_mean(tf.square(y_true - y_pred), axis=-1)


def _mean_absolute_error_metric(y_true, y_pred):
    """keras.metrics.mean_absolute_error: per-sample mean of absolute errors over the last axis."""
    y_true, y_pred = _loss_inputs(y_true, y_pred)
    return tf.reduce_mean(tf.abs(y_true - y_pred), axis=-1)


def _auc(num_thresholds=200, from_logits=False):
    """keras.metrics.AUC (ROC curve, interpolation) as an (update, result) pair: the update
    counts a batch's true/false positives/negatives above each threshold (the counts add up
    over an epoch), the result is the area under the ROC curve they draw."""

    def update(y_true, y_pred):
        y_pred = tf.cast(y_pred, tf.float32)
        if from_logits:
            y_pred = tf.sigmoid(y_pred)
        y_pred, y_true = _same_rank(y_pred, tf.cast(y_true, tf.float32))
        y_pred = tf.reshape(tf.clip_by_value(y_pred, 0.0, 1.0), [-1])
        y_true = tf.reshape(tf.cast(tf.cast(y_true, tf.bool), tf.float32), [-1])
        # bucket i holds the predictions in (t[i], t[i+1]]; the counts above t[i] are suffix sums
        buckets = tf.cast(tf.nn.relu(tf.math.ceil(y_pred * (num_thresholds - 1)) - 1), tf.int32)
        tp = tf.reverse(tf.cumsum(tf.reverse(tf.math.unsorted_segment_sum(y_true, buckets, num_thresholds), [0])), [0])
        fp = tf.reverse(tf.cumsum(tf.reverse(tf.math.unsorted_segment_sum(1.0 - y_true, buckets, num_thresholds), [0])), [0])
        tn = tf.reduce_sum(1.0 - y_true) - fp
        fn = tf.reduce_sum(y_true) - tp
        return tf.stack([tp, fp, tn, fn])

    def result(counts):
        tp, fp, tn, fn = tf.unstack(tf.convert_to_tensor(counts, tf.float32))
        recall = tf.math.divide_no_nan(tp, tp + fn)
        fp_rate = tf.math.divide_no_nan(fp, fp + tn)
        heights = (recall[: num_thresholds - 1] + recall[1:]) / 2.0
        return tf.reduce_sum((fp_rate[: num_thresholds - 1] - fp_rate[1:]) * heights)

    return update, result


def _metric_sums(metrics, y_true, y_pred):
    """For each metric, one batch's statistics that add up over an epoch: the sum of its
    per-sample values and the number of samples (an (update, result) metric such as AUC
    gives its own statistics)."""
    sums = {}
    for name, metric in metrics.items():
        if isinstance(metric, tuple):
            sums[name] = tf.cast(metric[0](y_true, y_pred), tf.float32)
            continue
        values = tf.cast(metric(y_true, y_pred), tf.float32)
        if values.shape.rank > 1:
            values = tf.reduce_mean(values, axis=list(range(1, values.shape.rank)))
        count = tf.shape(values)[0] if values.shape.rank else 1
        sums[name] = tf.stack([tf.reduce_sum(values), tf.cast(count, tf.float32)])
    return sums


def _metric_result(metric, total):
    """A metric's value from its statistics summed over the epoch (Keras's Mean: total / count)."""
    if isinstance(metric, tuple):
        return float(metric[1](total))
    return float(total[0] / max(total[1], 1.0))


# --------------------------------------------------------------------------------------
# optimizers: each returns apply_gradients(gradients, variables), which updates the
# variables in place like keras.optimizers.X.apply_gradients and counts the step


def _slot(slots, variable):
    """The optimizer variable (zeros at first) that belongs to ``variable``."""
    key = id(variable)
    if key not in slots:
        with tf.init_scope():  # created once, outside any traced step
            slots[key] = tf.Variable(tf.zeros(variable.shape, variable.dtype), trainable=False)
    return slots[key]


def _square(gradient):
    """The square of a gradient as Keras computes it: an embedding's sparse gradient is squared
    slice by slice (a row looked up twice in a batch adds two squares), then made dense."""
    if isinstance(gradient, tf.IndexedSlices):
        squares = tf.IndexedSlices(tf.square(gradient.values), gradient.indices, gradient.dense_shape)
        return tf.convert_to_tensor(squares)
    return tf.square(gradient)


def _prepare_gradients(gradients, variables, learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm):
    """Keras's steps before an update: drop missing gradients, clip, then decay the weights."""
    pairs = [(g, v) for g, v in zip(gradients, variables) if g is not None]
    if not pairs:
        raise ValueError("No gradients provided for any variable.")
    gradients = [g for g, _ in pairs]
    variables = [v for _, v in pairs]
    if clipnorm and clipnorm > 0:
        gradients = [tf.clip_by_norm(g, clipnorm) for g in gradients]
    elif global_clipnorm and global_clipnorm > 0:
        norm = tf.sqrt(tf.reduce_sum(tf.stack([tf.reduce_sum(_square(g)) for g in gradients])))
        scale = global_clipnorm * tf.minimum(1.0 / norm, 1.0 / global_clipnorm) + (norm - norm)
        gradients = [g * scale for g in gradients]
    elif clipvalue and clipvalue > 0:
        gradients = [tf.clip_by_value(g, -clipvalue, clipvalue) for g in gradients]
    if weight_decay is not None:
        for variable in variables:
            lr = tf.cast(learning_rate, variable.dtype)
            wd = tf.cast(weight_decay, variable.dtype)
            variable.assign_sub(variable * wd * lr)
    return gradients, variables


def _optimizer(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm, update, slot_tables=()):
    """Keras's apply_gradients around one optimizer's ``update(variable, gradient, dense, lr,
    iterations)`` (``dense``: the gradient as a dense tensor): the learning rate and the
    iteration counter as variables, the gradients prepared, every variable updated, one step
    counted. ``apply_gradients.build(variables)`` makes the slots of ``slot_tables`` (the
    update's ``_slot`` tables) for ``variables`` at once, as Keras builds its optimizer before
    it traces a step (a variable made while a step is traced makes tf.function trace it again)."""
    learning_rate = tf.Variable(learning_rate, dtype=tf.float32, trainable=False, name="learning_rate")
    iterations = tf.Variable(0, dtype=tf.int64, trainable=False, name="iterations")

    def apply_gradients(gradients, variables):
        gradients, variables = _prepare_gradients(gradients, variables, learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm)
        for gradient, variable in zip(gradients, variables):
            lr = tf.cast(learning_rate, variable.dtype)
            gradient = tf.cast(gradient, variable.dtype)
            dense = tf.convert_to_tensor(gradient)  # (an embedding's gradient comes as IndexedSlices)
            update(variable, gradient, dense, lr, iterations)
        iterations.assign_add(1)

    def build(variables):
        for slots in slot_tables:
            for variable in variables:
                _slot(slots, variable)

    apply_gradients.build = build
    # the strategy whose scope the compile step ran in, read by _fit as Keras reads the model's
    apply_gradients.strategy = tf.distribute.get_strategy() if tf.distribute.has_strategy() else None
    return apply_gradients


def _sgd(learning_rate=0.01, momentum=0.0, nesterov=False, weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None):
    """keras.optimizers.SGD with TensorFlow ops (Keras 3's update, momentum and Nesterov)."""
    momentums = {}

    def update(variable, gradient, dense, lr, iterations):
        if momentum != 0:
            m = _slot(momentums, variable)
            mu = tf.cast(momentum, variable.dtype)
            m.assign(m * mu - dense * lr)
            if nesterov:
                variable.assign_add(m * mu - dense * lr)
            else:
                variable.assign_add(m)
        else:
            variable.assign_sub(dense * lr)

    return _optimizer(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm, update, [momentums] if momentum != 0 else [])


def _adam(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-07, amsgrad=False, weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None):
    """keras.optimizers.Adam (and AdamW: weight_decay set) with TensorFlow ops, as Keras 3 updates."""
    momentums, velocities, velocity_hats = {}, {}, {}

    def update(variable, gradient, dense, lr, iterations):
        local_step = tf.cast(iterations + 1, variable.dtype)
        beta_1_power = tf.pow(tf.cast(beta_1, variable.dtype), local_step)
        beta_2_power = tf.pow(tf.cast(beta_2, variable.dtype), local_step)
        m = _slot(momentums, variable)
        v = _slot(velocities, variable)
        # bias correction folded into the step size, epsilon added outside the sqrt
        alpha = lr * tf.sqrt(1 - beta_2_power) / (1 - beta_1_power)
        m.assign_add((dense - m) * (1 - beta_1))
        v.assign_add((_square(gradient) - v) * (1 - beta_2))
        if amsgrad:
            v_hat = _slot(velocity_hats, variable)
            v_hat.assign(tf.maximum(v_hat, v))
            v = v_hat
        variable.assign_sub((m * alpha) / (tf.sqrt(v) + epsilon))

    slot_tables = [momentums, velocities, velocity_hats] if amsgrad else [momentums, velocities]
    return _optimizer(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm, update, slot_tables)


def _rmsprop(learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-07, centered=False, weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None):
    """keras.optimizers.RMSprop with TensorFlow ops (Keras 3's update: epsilon inside the sqrt)."""
    velocities, momentums, average_gradients = {}, {}, {}

    def update(variable, gradient, dense, lr, iterations):
        velocity = _slot(velocities, variable)
        velocity.assign(rho * velocity + (1 - rho) * _square(gradient))
        if centered:
            average_gradient = _slot(average_gradients, variable)
            average_gradient.assign(rho * average_gradient + (1 - rho) * dense)
            denominator = velocity - tf.square(average_gradient) + epsilon
        else:
            denominator = velocity + epsilon
        increment = (lr * dense) / tf.sqrt(denominator)
        if momentum > 0:
            m = _slot(momentums, variable)
            m.assign(momentum * m + increment)
            variable.assign_sub(m)
        else:
            variable.assign_sub(increment)

    slot_tables = [velocities] + ([average_gradients] if centered else []) + ([momentums] if momentum > 0 else [])
    return _optimizer(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm, update, slot_tables)


# --------------------------------------------------------------------------------------
# loops


def _rank_adjusted(tensor, spec):
    """Keras's ``Functional._adjust_input_rank`` for one input: a tensor one axis short of its
    declared input whose last axis is 1 gets that axis (``fit(xs, ys)`` with ``xs`` of shape
    ``(6,)`` for ``input_shape=[1]``); one with an extra last axis of 1 loses it."""
    rank = len(spec.shape)
    if tensor.shape.rank == rank - 1 and spec.shape[-1] == 1:
        return tf.expand_dims(tensor, axis=-1)
    if rank and tensor.shape.rank == rank + 1 and tensor.shape[-1] == 1:
        return tf.squeeze(tensor, axis=-1)
    return tensor


def _model_call(model, x_batch, training):
    """The module called on a batch as Keras calls a model with declared inputs (its
    ``input_signature``): each input's rank adjusted to its declared one first."""
    signature = getattr(model, "input_signature", None)
    if signature:
        specs, inputs = tf.nest.flatten(signature[0]), tf.nest.flatten(x_batch)
        if len(specs) == len(inputs):
            x_batch = tf.nest.pack_sequence_as(x_batch, [_rank_adjusted(t, s) for t, s in zip(inputs, specs)])
    return model(x_batch, training=training)


def _as_float32(array):
    """Keras feeds floating-point arrays as float32 and leaves integer arrays as they are."""
    tensor = tf.convert_to_tensor(array)
    return tf.cast(tensor, tf.float32) if tensor.dtype.is_floating else tensor


def _batches(x, y=None, batch_size=None, shuffle=False):
    """Arrays as a tf.data pipeline of batches, in order unless shuffled (a tf.data.Dataset
    is used as it is, like Keras does)."""
    if isinstance(x, tf.data.Dataset):
        return x.map(lambda *data: tf.nest.map_structure(_as_float32, data if len(data) > 1 else data[0]))
    data = x if y is None else (x, y)
    dataset = tf.data.Dataset.from_tensor_slices(tf.nest.map_structure(_as_float32, data))
    if shuffle:
        dataset = dataset.shuffle(dataset.cardinality(), reshuffle_each_iteration=True)
    return dataset.batch(batch_size or 32)


def _trainable_variables(model, batches):
    """The module's trainable variables in Keras's order (a first call creates any missing)."""
    try:
        variables = model.ordered_variables()
    except ValueError:  # some variables are created on the first call
        first = next(iter(batches))
        _model_call(model, first[0] if isinstance(first, tuple) else first, False)
        variables = model.ordered_variables()
    return [v for v in variables if v.trainable]


def _strategy_of(model, variables):
    """The ``tf.distribute`` strategy the model trains under, as Keras's
    ``model.distribute_strategy``: the one mirroring its variables (the model made in
    ``with strategy.scope():``), else the one its compile step ran under; None for one device."""
    strategy = getattr(model.optimizer, "strategy", None)
    for variable in variables:
        if isinstance(variable, tf.distribute.DistributedValues):
            return variable.distribute_strategy
    return strategy


def _across_replicas(strategy, step, x_batch, y_batch):
    """``step(x, y) -> (loss, *rest)`` run by ``strategy`` on every replica's share of a
    distributed batch, as Keras's steps run: the loss comes back as the batch's mean (each
    replica's mean weighted by its number of samples, like Keras's loss tracker), everything
    else (gradients, metric statistics) summed over the replicas."""

    def replica(x_part, y_part):
        loss, *rest = step(x_part, y_part)
        n = tf.cast(tf.shape(tf.nest.flatten(x_part)[0])[0], loss.dtype)
        return (tf.math.multiply_no_nan(loss, n), n, *rest)

    def total(value):
        return None if value is None else strategy.reduce("SUM", value, axis=None)

    loss_sum, n, *rest = strategy.run(replica, args=(x_batch, y_batch))
    return (total(loss_sum) / total(n), *tf.nest.map_structure(total, rest))


def _batch_size(x_batch):
    """The number of samples in a batch (over every replica for a distributed one)."""
    first = tf.nest.flatten(x_batch)[0]
    parts = first.values if isinstance(first, tf.distribute.DistributedValues) else (first,)
    # an eager batch knows its size: no op per step
    return sum(part.shape[0] if part.shape[0] is not None else int(tf.shape(part)[0]) for part in parts)


def _run_batches(step, batches, metrics):
    """Run ``step`` on every (x, y) batch; return the logs Keras reports (the loss averaged
    over the samples, each metric over the epoch) and the number of steps."""
    seen, loss_total, totals, steps = 0, 0.0, {}, 0
    for x_batch, y_batch in batches:
        loss, sums = step(x_batch, y_batch)
        n = _batch_size(x_batch)
        seen += n
        loss_total += float(loss) * n
        for name, stats in sums.items():
            totals[name] = totals.get(name, 0.0) + stats.numpy()
        steps += 1
    logs = {"loss": loss_total / max(seen, 1)}
    for name, total in totals.items():
        logs[name] = _metric_result(metrics[name], total)
    return logs, steps


def _log_line(steps, seconds, logs):
    """The line Keras prints at the end of an epoch (verbose=2 style)."""
    parts = [f"{steps}/{steps}", f"{seconds:.0f}s", f"{1000 * seconds / max(steps, 1):.0f}ms/step"]
    parts += [f"{name}: {value:.4f}" for name, value in sorted(logs.items())]
    return " - ".join(parts)


def _step_function(model, objects, config, make):
    """The compiled step ``make()`` returns, made once for ``model`` and kept: Keras too keeps
    its ``train_function`` until ``compile`` runs again, so a second ``fit`` call (and every
    epoch) runs the traced graph instead of tracing again. One per ``objects`` (compared by
    identity: the strategy, the variables, the compiled optimizer, loss and metrics) and
    ``config`` (compared by value: the batches' spec). The table is kept out of tf.Module's
    tracking (a checkpoint or SavedModel holds the variables only) and a ``copy.deepcopy``
    of the model makes its own (a function is copied as it is: ``table.model`` is the original)."""
    table = vars(model).get("_xlate_steps")
    if table is None or table.model is not model:

        def table():
            """Holds ``model``'s compiled steps (``table.steps``)."""

        table.model, table.steps = model, {}
        vars(model)["_xlate_steps"] = table
    key = (tuple(id(o) for o in objects), config)
    if key not in table.steps:
        table.steps[key] = (make(), objects)  # the objects kept alive, so that their ids stay theirs
    return table.steps[key][0]


def _compiled(step, strategy, spec):
    """``step`` as a tf.function: traced once on the batches' spec (batch size unknown), as
    Keras traces its step on the dataset's; with a strategy, on the distributed batches."""
    if strategy is None and spec is not None:
        return tf.function(step, input_signature=list(spec))
    return tf.function(step, reduce_retracing=True)


def _test_step(model, strategy=None, spec=None):
    """One evaluation step: the compiled loss and metric sums of a batch, in inference mode
    (on every replica of ``strategy`` when there is one); made once per model (``_step_function``)."""

    def step(x_batch, y_batch):
        y_pred = _model_call(model, x_batch, False)
        return model.loss(y_batch, y_pred), _metric_sums(model.metrics, y_batch, y_pred)

    def test_batch(x_batch, y_batch):
        if strategy is None:
            return step(x_batch, y_batch)
        return _across_replicas(strategy, step, x_batch, y_batch)

    objects = (strategy, model.loss, model.metrics)
    return _step_function(model, objects, ("test", repr(spec)), lambda: _compiled(test_batch, strategy, spec))


def _distributed(strategy, batches):
    """Batches split over the strategy's replicas, as Keras feeds them (each global batch
    divided between the replicas); the batches themselves without a strategy."""
    return batches if strategy is None else strategy.experimental_distribute_dataset(batches)


def _evaluate(model, x=None, y=None, batch_size=None, verbose="auto", return_dict=False):
    """model.evaluate(...): the compiled loss and metrics over batches, in inference mode."""
    import time

    start = time.time()
    strategy = _strategy_of(model, model.variables)
    batches = _batches(x, y, batch_size)
    logs, steps = _run_batches(_test_step(model, strategy, batches.element_spec), _distributed(strategy, batches), model.metrics)
    if verbose:
        print(_log_line(steps, time.time() - start, logs))
    if return_dict:
        return dict(sorted(logs.items()))
    results = [logs["loss"]] + [logs[name] for name in model.metrics]
    return results[0] if len(results) == 1 else results


def _fit(model, x=None, y=None, batch_size=None, epochs=1, verbose="auto", validation_split=0.0, validation_data=None, shuffle=True, initial_epoch=0, validation_batch_size=None, validation_freq=1):
    """model.fit(...) as a TensorFlow training loop: batches, a tf.GradientTape step, the
    optimizer's update, and Keras's per-epoch logs; returns a History-like object."""
    if validation_split and validation_data is None:
        # Keras takes the validation samples from the end, before any shuffling
        split_at = int(tf.nest.flatten(x)[0].shape[0] * (1.0 - validation_split))
        validation_data = (tf.nest.map_structure(lambda a: a[split_at:], x), tf.nest.map_structure(lambda a: a[split_at:], y))
        x, y = tf.nest.map_structure(lambda a: a[:split_at], x), tf.nest.map_structure(lambda a: a[:split_at], y)
    batches = _batches(x, y, batch_size, shuffle)
    variables = _trainable_variables(model, batches)
    strategy = _strategy_of(model, variables)
    if strategy is not None:  # under a tf.distribute strategy, as Keras's fit runs
        with strategy.scope():
            return _fit_batches(model, variables, strategy, batches, batch_size, epochs, verbose, validation_data, initial_epoch, validation_batch_size, validation_freq)
    return _fit_batches(model, variables, strategy, batches, batch_size, epochs, verbose, validation_data, initial_epoch, validation_batch_size, validation_freq)


def _fit_batches(model, variables, strategy, batches, batch_size, epochs, verbose, validation_data, initial_epoch, validation_batch_size, validation_freq):
    """The epochs of ``_fit``: a tf.GradientTape step on every batch, on every replica of
    ``strategy`` when there is one (each replica's loss scaled by 1 / replicas as Keras
    scales it, the gradients summed over the replicas before the optimizer's update)."""
    import time
    from types import SimpleNamespace

    replicas = 1 if strategy is None else strategy.num_replicas_in_sync

    def step(x_batch, y_batch):
        with tf.GradientTape() as tape:
            y_pred = _model_call(model, x_batch, True)
            loss = model.loss(y_batch, y_pred)
            scaled = loss if replicas == 1 else loss / replicas
        gradients = tape.gradient(scaled, variables)
        return loss, gradients, _metric_sums(model.metrics, y_batch, y_pred)

    def train_batch(x_batch, y_batch):
        if strategy is None:
            loss, gradients, sums = step(x_batch, y_batch)
        else:
            loss, gradients, sums = _across_replicas(strategy, step, x_batch, y_batch)
        model.optimizer(gradients, variables)
        return loss, sums

    objects = (strategy, *variables, model.optimizer, model.loss, model.metrics)
    spec = batches.element_spec
    if hasattr(model.optimizer, "build"):
        model.optimizer.build(variables)
    train_step = _step_function(model, objects, ("train", repr(spec)), lambda: _compiled(train_batch, strategy, spec))
    batches = _distributed(strategy, batches)
    history = {}
    steps = 0
    for epoch in range(initial_epoch, epochs):
        if verbose:
            print(f"Epoch {epoch + 1}/{epochs}")
        start = time.time()
        logs, steps = _run_batches(train_step, batches, model.metrics)
        if validation_data is not None and (epoch + 1) % validation_freq == 0:
            if isinstance(validation_data, tf.data.Dataset):
                val_batches = _batches(validation_data)
            else:
                val_x, val_y = validation_data
                val_batches = _batches(val_x, val_y, validation_batch_size or batch_size)
            test_step = _test_step(model, strategy, val_batches.element_spec)
            val_logs, _ = _run_batches(test_step, _distributed(strategy, val_batches), model.metrics)
            logs.update({"val_" + name: value for name, value in val_logs.items()})
        for name, value in sorted(logs.items()):
            history.setdefault(name, []).append(value)
        if verbose:
            print(_log_line(steps, time.time() - start, logs))
    params = {"verbose": verbose, "epochs": epochs, "steps": steps}
    return SimpleNamespace(history=history, epoch=list(range(initial_epoch, epochs)), params=params)


def _predict(model, x, batch_size=None, verbose="auto"):
    """model.predict(x): the module called in inference mode batch by batch; NumPy output."""
    import time

    batches = _batches(x, None, batch_size)
    if isinstance(x, tf.data.Dataset) and isinstance(x.element_spec, tuple):
        batches = batches.map(lambda *data: data[0])  # (x, y) batches: only x is needed
    spec = batches.element_spec
    predict_step = _step_function(model, (), ("predict", repr(spec)), lambda: tf.function(
        lambda x_batch: _model_call(model, x_batch, False), input_signature=[spec]))
    start = time.time()
    outputs = [predict_step(x_batch) for x_batch in batches]
    if verbose:
        seconds = time.time() - start
        print(f"{len(outputs)}/{len(outputs)} - {seconds:.0f}s - {1000 * seconds / max(len(outputs), 1):.0f}ms/step")
    return tf.nest.map_structure(lambda *parts: tf.concat(parts, axis=0).numpy(), *outputs)

