"""``keras.callbacks`` for the TensorFlow training loop: the same hooks, called at the same
points with the same ``logs`` (plain floats), and the built-in callbacks' rules.

``fit`` calls ``on_train_begin``, then per epoch ``on_epoch_begin``, per batch
``on_train_batch_begin``/``on_train_batch_end`` (logs: the running metric results), the
validation's ``on_test_*`` hooks, ``on_epoch_end`` (logs: the epoch's metrics and ``val_``
metrics; callbacks may add to them, as ``ReduceLROnPlateau`` adds ``learning_rate``), and
``on_train_end``. The ``History`` is called last, so it records what the others added.
"""

import collections
import csv
import math
import os
import sys
import time as _time  # the runtime names loop counters `time` (tfr_recurrent.py): the module takes another name
import warnings

import tensorflow as tf


class Callback:
    """``keras.callbacks.Callback``: hook methods that do nothing until overridden."""

    def __init__(self):
        self.validation_data = None
        self._model = None
        self.params = {}

    def set_params(self, params):
        self.params = params

    def set_model(self, model):
        self._model = model

    @property
    def model(self):
        return self._model

    def on_batch_begin(self, batch, logs=None):
        """A backwards-compatible alias of ``on_train_batch_begin``."""

    def on_batch_end(self, batch, logs=None):
        """A backwards-compatible alias of ``on_train_batch_end``."""

    def on_epoch_begin(self, epoch, logs=None):
        pass

    def on_epoch_end(self, epoch, logs=None):
        pass

    def on_train_batch_begin(self, batch, logs=None):
        self.on_batch_begin(batch, logs=logs)

    def on_train_batch_end(self, batch, logs=None):
        self.on_batch_end(batch, logs=logs)

    def on_test_batch_begin(self, batch, logs=None):
        pass

    def on_test_batch_end(self, batch, logs=None):
        pass

    def on_predict_batch_begin(self, batch, logs=None):
        pass

    def on_predict_batch_end(self, batch, logs=None):
        pass

    def on_train_begin(self, logs=None):
        pass

    def on_train_end(self, logs=None):
        pass

    def on_test_begin(self, logs=None):
        pass

    def on_test_end(self, logs=None):
        pass

    def on_predict_begin(self, logs=None):
        pass

    def on_predict_end(self, logs=None):
        pass


class CallbackList(Callback):
    """``keras.callbacks.CallbackList``: calls each hook of every callback, in order."""

    def __init__(self, callbacks=None, add_history=False, add_progbar=False, model=None, **params):
        super().__init__()
        # flattened as Keras's: one callback (callbacks=EarlyStopping(...)) or nested lists
        self.callbacks = tf.nest.flatten(callbacks) if callbacks else []
        self._history = None
        if add_history:
            self._history = History()
            self.callbacks.append(self._history)
        if model is not None:
            self.set_model(model)
        if params:
            self.set_params(params)

    def set_model(self, model):
        super().set_model(model)
        for c in self.callbacks:
            c.set_model(model)

    def set_params(self, params):
        super().set_params(params)
        for c in self.callbacks:
            c.set_params(params)

    def _call(self, hook, *args):
        for c in self.callbacks:
            getattr(c, hook)(*args)

    def on_epoch_begin(self, epoch, logs=None):
        self._call("on_epoch_begin", epoch, logs)

    def on_epoch_end(self, epoch, logs=None):
        self._call("on_epoch_end", epoch, logs)

    def on_train_batch_begin(self, batch, logs=None):
        self._call("on_train_batch_begin", batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        self._call("on_train_batch_end", batch, logs)

    def on_test_batch_begin(self, batch, logs=None):
        self._call("on_test_batch_begin", batch, logs)

    def on_test_batch_end(self, batch, logs=None):
        self._call("on_test_batch_end", batch, logs)

    def on_predict_batch_begin(self, batch, logs=None):
        self._call("on_predict_batch_begin", batch, logs)

    def on_predict_batch_end(self, batch, logs=None):
        self._call("on_predict_batch_end", batch, logs)

    def on_train_begin(self, logs=None):
        self._call("on_train_begin", logs)

    def on_train_end(self, logs=None):
        self._call("on_train_end", logs)

    def on_test_begin(self, logs=None):
        self._call("on_test_begin", logs)

    def on_test_end(self, logs=None):
        self._call("on_test_end", logs)

    def on_predict_begin(self, logs=None):
        self._call("on_predict_begin", logs)

    def on_predict_end(self, logs=None):
        self._call("on_predict_end", logs)


class History(Callback):
    """``keras.callbacks.History``: ``history[key]`` lists each epoch's value; ``epoch`` the epochs."""

    def __init__(self):
        super().__init__()
        self.history = {}
        self.epoch = []

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for k, v in (logs or {}).items():
            self.history.setdefault(k, []).append(v)
        self.model.history = self


class LambdaCallback(Callback):
    """``keras.callbacks.LambdaCallback``: hooks given as functions."""

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_train_begin=None, on_train_end=None,
                 on_train_batch_begin=None, on_train_batch_end=None, **kwargs):
        super().__init__()
        given = dict(kwargs, on_epoch_begin=on_epoch_begin, on_epoch_end=on_epoch_end, on_train_begin=on_train_begin,
                     on_train_end=on_train_end, on_train_batch_begin=on_train_batch_begin,
                     on_train_batch_end=on_train_batch_end)
        for hook, fn in given.items():
            if fn is not None:
                setattr(self, hook, fn)


class _MonitorCallback(Callback):
    """Keras's ``MonitorCallback``: which way the monitored value improves, and by how much."""

    def __init__(self, monitor="val_loss", mode="auto", baseline=None, min_delta=0):
        super().__init__()
        if mode not in ("auto", "min", "max"):
            mode = "auto"
        self.monitor, self.mode, self.best, self.min_delta = monitor, mode, baseline, abs(min_delta)
        self.monitor_op = None

    def _set_monitor_op(self):
        if self.mode == "min":
            self.monitor_op = _less
        elif self.mode == "max":
            self.monitor_op = _greater
        else:
            name = self.monitor[4:] if self.monitor.startswith("val_") else self.monitor
            if name == "loss":
                self.monitor_op = _less
            for m in getattr(self.model, "_compiled_metric_objects", lambda: [])():
                if m.name == name and getattr(m, "_direction", None) is not None:
                    self.monitor_op = _greater if m._direction == "up" else _less
            if self.monitor_op is None:
                raise ValueError(f"{type(self).__name__} callback received monitor={self.monitor} but Keras isn't able "
                                 "to automatically determine whether that metric should be maximized or minimized. "
                                 "Pass `mode='max'` in order to do so.")
        if self.monitor_op is _less:
            self.min_delta *= -1

    def _is_improvement(self, value, reference):
        if reference is None:
            return True
        return self.monitor_op(value - self.min_delta, reference)


def _less(a, b):
    return bool(a < b)


def _greater(a, b):
    return bool(a > b)


class EarlyStopping(_MonitorCallback):
    """``keras.callbacks.EarlyStopping``, ``restore_best_weights`` and ``start_from_epoch`` included."""

    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto", baseline=None,
                 restore_best_weights=False, start_from_epoch=0):
        super().__init__(monitor, mode, min_delta=min_delta)
        self.patience, self.verbose, self.baseline = patience, verbose, baseline
        self.wait, self.stopped_epoch = 0, 0
        self.restore_best_weights, self.best_weights, self.start_from_epoch = restore_best_weights, None, start_from_epoch

    def on_train_begin(self, logs=None):
        self.wait, self.stopped_epoch, self.best, self.best_weights, self.best_epoch = 0, 0, None, None, 0

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            self._set_monitor_op()
        current = (logs or {}).get(self.monitor)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = self.model.get_weights()
            self.best_epoch = epoch
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print(f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)


class ReduceLROnPlateau(_MonitorCallback):
    """``keras.callbacks.ReduceLROnPlateau``: multiply the learning rate by ``factor`` after a plateau."""

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto", min_delta=1e-4, cooldown=0,
                 min_lr=0.0, **kwargs):
        super().__init__(monitor, mode, min_delta=min_delta)
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau does not support a factor >= 1.0. Received factor={factor}")
        self.factor, self.min_lr, self.patience, self.verbose, self.cooldown = factor, min_lr, patience, verbose, cooldown
        self.cooldown_counter, self.wait = 0, 0

    def on_train_begin(self, logs=None):
        self.best, self.cooldown_counter, self.wait = None, 0, 0

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            self._set_monitor_op()
        logs = logs if logs is not None else {}
        logs["learning_rate"] = float(tf.convert_to_tensor(self.model.optimizer.learning_rate).numpy())
        current = logs.get(self.monitor)
        if current is None:
            return
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.wait = 0
        if self._is_improvement(current, self.best):
            self.best = current
            self.wait = 0
        elif not self.cooldown_counter > 0:
            self.wait += 1
            if self.wait >= self.patience:
                old_lr = float(tf.convert_to_tensor(self.model.optimizer.learning_rate).numpy())
                if old_lr > float(tf.constant(self.min_lr, tf.float32).numpy()):
                    new_lr = max(old_lr * self.factor, self.min_lr)
                    self.model.optimizer.learning_rate = new_lr
                    if self.verbose > 0:
                        print(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new_lr}.")
                    self.cooldown_counter = self.cooldown
                    self.wait = 0


class LearningRateScheduler(Callback):
    """``keras.callbacks.LearningRateScheduler``: ``schedule(epoch, lr)`` (or ``schedule(epoch)``) each epoch."""

    def __init__(self, schedule, verbose=0):
        super().__init__()
        self.schedule, self.verbose = schedule, verbose

    def on_epoch_begin(self, epoch, logs=None):
        optimizer = self.model.optimizer
        try:
            lr = self.schedule(epoch, float(tf.convert_to_tensor(optimizer.learning_rate).numpy()))
        except TypeError:
            lr = self.schedule(epoch)
        if isinstance(lr, tf.Tensor):
            lr = float(lr.numpy())
        if not isinstance(lr, float) and not hasattr(lr, "dtype"):
            raise ValueError(f"The output of the `schedule` function should be a float. Got: {lr}")
        optimizer.learning_rate = lr
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to {lr}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = float(tf.convert_to_tensor(self.model.optimizer.learning_rate).numpy())


class TensorBoard(Callback):
    """``keras.callbacks.TensorBoard`` written with ``tf.summary``: the same event files in
    ``log_dir/train`` and ``log_dir/validation`` with the same tags and steps as Keras's.

    Written: ``epoch_<metric>`` (and ``epoch_learning_rate``) per epoch, ``evaluation_<metric>_vs_iterations``
    after each evaluation, ``batch_<metric>`` every ``update_freq`` batches (an ``int`` or
    ``"batch"``), ``epoch_steps_per_second``/``batch_steps_per_second`` with
    ``write_steps_per_second``, and with ``histogram_freq`` a histogram of every weight of every
    layer, tagged ``<model>/<layer>/<weight>/histogram``. With ``profile_batch`` (a batch, a
    ``(start, stop)`` pair or ``"start,stop"``, counted over the whole ``fit``), the TensorFlow
    profiler traces those batches into ``log_dir/train`` (``plugins/profile``) and the traced
    graphs are exported as ``batch_<stop>``, as Keras's TensorFlow backend does (the graph is the
    translated program's). Not written: the graph and the Keras model's configuration
    (``write_graph``), weight images (``write_images``) and the embeddings projector
    (``embeddings_freq``); the last two raise, the first is skipped.
    """

    def __init__(self, log_dir="logs", histogram_freq=0, write_graph=True, write_images=False,
                 write_steps_per_second=False, update_freq="epoch", profile_batch=0, embeddings_freq=0,
                 embeddings_metadata=None):
        super().__init__()
        if write_images or embeddings_freq:
            raise NotImplementedError("TensorBoard: write_images and embeddings_freq are not translated")
        self.log_dir = str(log_dir)
        self.histogram_freq, self.write_graph, self.write_images = histogram_freq, write_graph, write_images
        self.write_steps_per_second = write_steps_per_second
        self.update_freq = 1 if update_freq == "batch" else update_freq
        self.embeddings_freq, self.embeddings_metadata = embeddings_freq, embeddings_metadata
        self._global_train_batch = 0
        self._global_test_batch = 0
        self._previous_epoch_iterations = 0.0
        self._epoch_start_time = 0.0
        self._batch_start_time = 0.0
        self._writers = {}
        self._prev_summary_state = []
        self._train_dir = os.path.join(self.log_dir, "train")
        self._init_profile_batch(profile_batch)

    def _init_profile_batch(self, profile_batch):
        """Keras's: the range of batches to trace, validated as Keras validates it; a start after
        the first batch warms the profiler up once."""
        message = ("profile_batch must be a non-negative integer or 2-tuple of positive integers. A pair of "
                   "positive integers signifies a range of batches to profile. Found: " + str(profile_batch))
        if isinstance(profile_batch, str):
            profile_batch = [int(part) for part in str(profile_batch).split(",")]
        if isinstance(profile_batch, int):
            self._start_batch = self._stop_batch = profile_batch
        elif isinstance(profile_batch, (tuple, list)) and len(profile_batch) == 2:
            self._start_batch, self._stop_batch = profile_batch
        else:
            raise ValueError(message)
        if self._start_batch < 0 or self._stop_batch < self._start_batch:
            raise ValueError(message)
        self._profiler_started = False
        self._batch_trace_context = None
        if self._start_batch > 0:  # warm up and improve the profiling accuracy
            self._start_profiler(logdir="")
            self._stop_profiler(save=False)
        self._is_tracing = False
        self._should_trace = not (self._start_batch == 0 and self._stop_batch == 0)

    def _start_profiler(self, logdir):
        if self._profiler_started:
            return
        try:
            tf.profiler.experimental.start(logdir=logdir)
            self._profiler_started = True
        except Exception as e:  # profiler errors are not fatal, as in Keras
            print(f"Failed to start profiler: {e}", file=sys.stderr)

    def _stop_profiler(self, save=True):
        if not self._profiler_started:
            return
        try:
            tf.profiler.experimental.stop(save=save)
        except Exception as e:
            print(f"Failed to stop profiler: {e}", file=sys.stderr)
        finally:
            self._profiler_started = False

    def _start_trace(self):
        tf.summary.trace_on(graph=True, profiler=False)
        self._start_profiler(logdir=self._train_dir)
        self._is_tracing = True

    def _stop_trace(self, batch=None):
        if batch is None:
            batch = self._stop_batch
        with self._writer("train").as_default():
            tf.summary.trace_export(name=f"batch_{batch}", step=batch)
        self._stop_profiler()
        self._is_tracing = False

    def set_model(self, model):
        self._model = model
        self._train_dir = os.path.join(self.log_dir, "train")
        self._val_dir = os.path.join(self.log_dir, "validation")
        self._writers = {}

    def _writer(self, kind):
        if kind not in self._writers:
            self._writers[kind] = tf.summary.create_file_writer(self._train_dir if kind == "train" else self._val_dir)
        return self._writers[kind]

    def _push_writer(self, writer, step):
        """The default writer for batch-level summaries, recording every ``update_freq`` steps."""
        if self.update_freq == "epoch":
            return
        contexts = (writer.as_default(step), tf.summary.record_if(lambda: step % self.update_freq == 0))
        self._prev_summary_state.append(contexts)
        for context in contexts:
            context.__enter__()

    def _pop_writer(self):
        if self.update_freq == "epoch":
            return
        contexts = self._prev_summary_state.pop()
        contexts[1].__exit__(None, None, None)
        contexts[0].__exit__(None, None, None)

    def on_train_begin(self, logs=None):
        self._global_train_batch = 0
        self._previous_epoch_iterations = 0.0
        self._push_writer(self._writer("train"), self._global_train_batch)

    def on_train_end(self, logs=None):
        self._pop_writer()
        if self._is_tracing:
            self._stop_trace()
        for writer in self._writers.values():
            writer.close()

    def on_test_begin(self, logs=None):
        self._push_writer(self._writer("val"), self._global_test_batch)

    def on_test_end(self, logs=None):
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is not None and hasattr(optimizer, "iterations"):
            with self._writer("val").as_default():
                for name, value in (logs or {}).items():
                    tf.summary.scalar(f"evaluation_{name}_vs_iterations", value, step=optimizer.iterations)
        self._pop_writer()

    def on_train_batch_begin(self, batch, logs=None):
        self._global_train_batch += 1
        if self.update_freq != "epoch":
            self._pop_writer()
            self._push_writer(self._writer("train"), self._global_train_batch)
        if self.write_steps_per_second:
            self._batch_start_time = _time.time()
        if not self._should_trace:
            return
        if self._global_train_batch == self._start_batch:
            self._start_trace()
        if self._profiler_started:
            self._batch_trace_context = tf.profiler.experimental.Trace("Profiled batch", step_num=batch)
            self._batch_trace_context.__enter__()

    def on_train_batch_end(self, batch, logs=None):
        if self.write_steps_per_second:
            tf.summary.scalar("batch_steps_per_second", 1.0 / (_time.time() - self._batch_start_time),
                              step=self._global_train_batch)
        if isinstance(logs, dict):  # written only where a default writer records (update_freq)
            for name, value in logs.items():
                tf.summary.scalar(f"batch_{name}", value, step=self._global_train_batch)
        if not self._should_trace:
            return
        if self._is_tracing:
            if self._profiler_started and self._batch_trace_context is not None:
                self._batch_trace_context.__exit__(None, None, None)
                self._batch_trace_context = None
            if self._global_train_batch >= self._stop_batch:
                self._stop_trace()

    def on_test_batch_begin(self, batch, logs=None):
        self._global_test_batch += 1
        if self.update_freq != "epoch":
            self._pop_writer()
            self._push_writer(self._writer("val"), self._global_test_batch)

    def on_epoch_begin(self, epoch, logs=None):
        if self.write_steps_per_second:
            self._previous_epoch_iterations = float(self.model.optimizer.iterations.numpy())
            self._epoch_start_time = _time.time()

    def on_epoch_end(self, epoch, logs=None):
        self._log_epoch_metrics(epoch, logs)
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._log_weights(epoch)

    def _log_epoch_metrics(self, epoch, logs):
        if not logs:
            return
        train_logs = {k: v for k, v in logs.items() if not k.startswith("val_")}
        val_logs = {k: v for k, v in logs.items() if k.startswith("val_")}
        optimizer = getattr(self.model, "optimizer", None)
        optimizer = getattr(optimizer, "inner_optimizer", optimizer)
        if optimizer is not None and hasattr(optimizer, "learning_rate"):
            train_logs["learning_rate"] = float(tf.convert_to_tensor(optimizer.learning_rate).numpy())
        if self.write_steps_per_second:
            iterations = float(self.model.optimizer.iterations.numpy())
            train_logs["steps_per_second"] = (iterations - self._previous_epoch_iterations) / (
                _time.time() - self._epoch_start_time)
        if train_logs:
            with self._writer("train").as_default():
                for name, value in train_logs.items():
                    tf.summary.scalar(f"epoch_{name}", value, step=epoch)
        if val_logs:
            with self._writer("val").as_default():
                for name, value in val_logs.items():
                    tf.summary.scalar(f"epoch_{name[4:]}", value, step=epoch)

    def _log_weights(self, epoch):
        writer = self._writer("train")
        with writer.as_default():
            for layer in self.model.layers:
                for weight in layer.weights:
                    path = f"{self.model.name}/{weight.name.split(':')[0]}".replace(":", "_")
                    tf.summary.histogram(f"{path}/histogram", weight, step=epoch)
            writer.flush()


class TerminateOnNaN(Callback):
    """``keras.callbacks.TerminateOnNaN``: stop (or raise) when a batch's loss is NaN or infinite."""

    def __init__(self, raise_error=False):
        super().__init__()
        self.raise_error = raise_error

    def on_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and (math.isnan(loss) or math.isinf(loss)):
            if self.raise_error:
                raise RuntimeError(f"NaN or Inf found in loss at batch {batch}.")
            print(f"Batch {batch}: Invalid loss, terminating training")
            self.model.stop_training = True


class CSVLogger(Callback):
    """``keras.callbacks.CSVLogger``: one row per epoch, Keras's columns (``epoch`` then the sorted keys)."""

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        self.sep, self.filename, self.append = separator, os.fspath(filename), append
        self.writer, self.keys, self.append_header, self.csv_file = None, None, True, None

    def on_train_begin(self, logs=None):
        if self.append:
            if os.path.exists(self.filename):
                with open(self.filename) as f:
                    self.append_header = not bool(len(f.readline()))
            mode = "a"
        else:
            mode = "w"
        self.csv_file = open(self.filename, mode, newline="")
        self.writer, self.keys = None, None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs.keys())
            if self.keys and not any(k.startswith("val_") for k in self.keys):
                self.keys.extend([f"val_{k}" for k in self.keys])
        if not self.writer:
            sep = self.sep

            class _Dialect(csv.excel):
                delimiter = sep

            self.writer = csv.DictWriter(self.csv_file, fieldnames=["epoch"] + self.keys, dialect=_Dialect)
            if self.append_header:
                self.writer.writeheader()
        row = collections.OrderedDict({"epoch": epoch})
        row.update((k, logs.get(k, "NA")) for k in self.keys)
        self.writer.writerow(row)
        self.csv_file.flush()

    def on_train_end(self, logs=None):
        if self.csv_file is not None:
            self.csv_file.close()
        self.writer = None


class ModelCheckpoint(_MonitorCallback):
    """``keras.callbacks.ModelCheckpoint``: the model's ``save_weights`` (a TensorFlow
    checkpoint, not ``.weights.h5``) at the end of each epoch, or every ``save_freq`` batches
    (an integer, counted across epochs as Keras counts them), or only when the monitored value
    improves (``save_best_only``); without ``save_weights_only``, the model's ``save``
    (tfr_model_files.py: a TensorFlow checkpoint that the program's ``load_model`` reads back).
    ``filepath`` may hold ``{epoch}``, ``{batch}`` (with ``save_freq`` batches) and log keys, as
    in Keras."""

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False, save_weights_only=False,
                 mode="auto", save_freq="epoch", initial_value_threshold=None):
        super().__init__(monitor, mode, initial_value_threshold)
        if save_freq != "epoch" and not isinstance(save_freq, int):
            raise ValueError(f"Unrecognized save_freq: {save_freq}. Expected save_freq are 'epoch' or integer values")
        if save_weights_only and not os.fspath(filepath).endswith(".weights.h5"):
            # Keras 3's words: tf.keras 2's TensorFlow-checkpoint names (`"training_1/cp.ckpt"`) fail
            raise ValueError("When using `save_weights_only=True` in `ModelCheckpoint`, the filepath provided must end "
                             f"in `.weights.h5` (Keras weights format). Received: filepath={os.fspath(filepath)}")
        if not save_weights_only and not os.fspath(filepath).endswith((".keras", ".h5")):
            raise ValueError("The filepath provided must end in `.keras` (Keras model format). "
                             f"Received: filepath={os.fspath(filepath)}")
        self.filepath, self.verbose, self.save_best_only = os.fspath(filepath), verbose, save_best_only
        self.save_weights_only, self.save_freq = save_weights_only, save_freq
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen = None
        self._current_epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self._should_save_on_batch(batch):
            self._save_model(self._current_epoch, batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            self._set_monitor_op()
        if self.save_freq == "epoch":
            self._save_model(epoch, None, logs)

    def _should_save_on_batch(self, batch):
        if self.save_freq == "epoch":
            return False
        if self._last_batch_seen is None or batch <= self._last_batch_seen:
            added = batch + 1  # a new epoch: batches count from zero
        else:
            added = batch - self._last_batch_seen
        self._batches_seen_since_last_saving += added
        self._last_batch_seen = batch
        if self._batches_seen_since_last_saving >= self.save_freq:
            self._batches_seen_since_last_saving = 0
            return True
        return False

    def _save_model(self, epoch, batch, logs):
        logs = logs or {}
        if batch is None or "batch" in logs:
            filepath = self.filepath.format(epoch=epoch + 1, **logs)
        else:
            filepath = self.filepath.format(epoch=epoch + 1, batch=batch + 1, **logs)
        if self.save_best_only:
            current = logs.get(self.monitor)
            if current is None:
                warnings.warn(f"Can save best model only with {self.monitor} available.", stacklevel=2)
            else:
                best = "None" if self.best is None else f"{self.best:.5f}"
                if not self._is_improvement(current, self.best):
                    if self.verbose > 0:
                        print(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {best}")
                    return
                if self.verbose > 0:
                    print(f"\nEpoch {epoch + 1}: {self.monitor} improved from {best} to {current:.5f}, "
                          f"saving model to {filepath}")
                self.best = current
        elif self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: saving model to {filepath}")
        dirname = os.path.dirname(filepath)
        if dirname and not os.path.exists(dirname):
            os.makedirs(dirname)
        if self.save_weights_only:
            self.model.save_weights(filepath)
        else:
            self.model.save(filepath, overwrite=True)
