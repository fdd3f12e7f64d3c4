"""``keras.optimizers.schedules`` in TensorFlow: the same formulas, in float32.

A schedule is called with the optimizer's iteration count (before the step is counted, as
Keras's ``optimizer.learning_rate`` reads it) and returns the learning rate of that step.
A user's ``LearningRateSchedule`` subclass keeps its ``__call__(self, step)``; ``step`` is an
int64 tensor here as in Keras's TensorFlow backend.
"""

import math

import tensorflow as tf


class LearningRateSchedule:
    """``keras.optimizers.schedules.LearningRateSchedule``: the base of schedules."""

    def __call__(self, step):
        raise NotImplementedError(f"Learning rate schedule '{type(self).__name__}' must override `__call__(self, step)`.")

    def get_config(self):
        raise NotImplementedError(f"Learning rate schedule '{type(self).__name__}' must override `get_config()`.")

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class ExponentialDecay(LearningRateSchedule):
    """``initial_learning_rate * decay_rate ** (step / decay_steps)`` (floored when ``staircase``)."""

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False, name="ExponentialDecay"):
        self.initial_learning_rate, self.decay_steps, self.decay_rate = initial_learning_rate, decay_steps, decay_rate
        self.staircase, self.name = staircase, name

    def __call__(self, step):
        lr = tf.convert_to_tensor(self.initial_learning_rate)
        p = tf.cast(step, lr.dtype) / tf.cast(self.decay_steps, lr.dtype)
        if self.staircase:
            p = tf.floor(p)
        return lr * tf.pow(tf.cast(self.decay_rate, lr.dtype), p)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "decay_rate": self.decay_rate, "staircase": self.staircase, "name": self.name}


class PiecewiseConstantDecay(LearningRateSchedule):
    """``values[i]`` for ``boundaries[i-1] < step <= boundaries[i]``."""

    def __init__(self, boundaries, values, name="PiecewiseConstant"):
        if len(boundaries) != len(values) - 1:
            raise ValueError("The length of boundaries should be 1 less than the length of values.")
        self.boundaries, self.values, self.name = boundaries, values, name

    def __call__(self, step):
        step = tf.convert_to_tensor(step)
        boundaries = [tf.cast(tf.convert_to_tensor(b), step.dtype) for b in self.boundaries]
        values = [tf.convert_to_tensor(v) for v in self.values]
        dtype = values[0].dtype
        result = tf.cast(step <= boundaries[0], dtype) * values[0]
        result += tf.cast(step > boundaries[-1], dtype) * values[-1]
        for low, high, value in zip(boundaries[:-1], boundaries[1:], values[1:-1]):
            result += tf.cast((step > low) & (step <= high), dtype) * value
        return result

    def get_config(self):
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


class PolynomialDecay(LearningRateSchedule):
    """From ``initial_learning_rate`` to ``end_learning_rate`` along ``(1 - step/decay_steps) ** power``."""

    def __init__(self, initial_learning_rate, decay_steps, end_learning_rate=0.0001, power=1.0, cycle=False,
                 name="PolynomialDecay"):
        self.initial_learning_rate, self.decay_steps, self.end_learning_rate = initial_learning_rate, decay_steps, end_learning_rate
        self.power, self.cycle, self.name = power, cycle, name

    def __call__(self, step):
        lr = tf.convert_to_tensor(self.initial_learning_rate)
        dtype = lr.dtype
        end = tf.cast(self.end_learning_rate, dtype)
        step = tf.cast(step, dtype)
        decay_steps = tf.cast(self.decay_steps, dtype)
        if self.cycle:
            multiplier = tf.where(tf.equal(step, 0), tf.constant(1.0, dtype), tf.math.ceil(step / self.decay_steps))
            decay_steps = decay_steps * multiplier
        else:
            step = tf.minimum(step, decay_steps)
        p = step / decay_steps
        return (lr - end) * tf.pow(1 - p, tf.cast(self.power, dtype)) + end

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "end_learning_rate": self.end_learning_rate, "power": self.power, "cycle": self.cycle, "name": self.name}


class InverseTimeDecay(LearningRateSchedule):
    """``initial_learning_rate / (1 + decay_rate * step / decay_steps)``."""

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False, name="InverseTimeDecay"):
        self.initial_learning_rate, self.decay_steps, self.decay_rate = initial_learning_rate, decay_steps, decay_rate
        self.staircase, self.name = staircase, name

    def __call__(self, step):
        lr = tf.convert_to_tensor(self.initial_learning_rate)
        p = tf.cast(step, lr.dtype) / tf.cast(self.decay_steps, lr.dtype)
        if self.staircase:
            p = tf.floor(p)
        return lr / (1 + tf.cast(self.decay_rate, lr.dtype) * p)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "decay_rate": self.decay_rate, "staircase": self.staircase, "name": self.name}


class CosineDecay(LearningRateSchedule):
    """Cosine decay to ``alpha * lr`` over ``decay_steps``, after an optional linear warmup."""

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, name="CosineDecay", warmup_target=None,
                 warmup_steps=0):
        self.initial_learning_rate, self.decay_steps, self.alpha = initial_learning_rate, decay_steps, alpha
        self.name, self.warmup_target, self.warmup_steps = name, warmup_target, warmup_steps

    def _decay(self, step, decay_steps, decay_from, dtype):
        completed = step / decay_steps
        cosine = 0.5 * (1.0 + tf.cos(tf.constant(math.pi, dtype) * completed))
        return decay_from * ((1 - self.alpha) * cosine + self.alpha)

    def __call__(self, step):
        lr = tf.convert_to_tensor(self.initial_learning_rate)
        dtype = lr.dtype
        decay_steps = tf.cast(self.decay_steps, dtype)
        step = tf.cast(step, dtype)
        if self.warmup_target is None:
            return self._decay(tf.minimum(step, decay_steps), decay_steps, lr, dtype)
        target = tf.cast(self.warmup_target, dtype)
        warmup_steps = tf.cast(self.warmup_steps, dtype)
        step = tf.minimum(step, decay_steps + warmup_steps)
        return tf.cond(step < warmup_steps,
                       lambda: (target - lr) * (step / warmup_steps) + lr,
                       lambda: self._decay(step - warmup_steps, decay_steps, target, dtype))

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "alpha": self.alpha, "name": self.name, "warmup_target": self.warmup_target,
                "warmup_steps": self.warmup_steps}


class CosineDecayRestarts(LearningRateSchedule):
    """Cosine decay with warm restarts (SGDR): periods growing by ``t_mul``, peaks scaled by ``m_mul``."""

    def __init__(self, initial_learning_rate, first_decay_steps, t_mul=2.0, m_mul=1.0, alpha=0.0, name="SGDRDecay"):
        self.initial_learning_rate, self.first_decay_steps = initial_learning_rate, first_decay_steps
        self._t_mul, self._m_mul, self.alpha, self.name = t_mul, m_mul, alpha, name

    def __call__(self, step):
        lr = tf.convert_to_tensor(self.initial_learning_rate)
        dtype = lr.dtype
        first = tf.cast(self.first_decay_steps, dtype)
        alpha = tf.cast(self.alpha, dtype)
        t_mul = tf.cast(self._t_mul, dtype)
        m_mul = tf.cast(self._m_mul, dtype)
        completed = tf.cast(step, dtype) / first

        def geometric():
            i_restart = tf.floor(tf.math.log(1.0 - completed * (1.0 - t_mul)) / tf.math.log(t_mul))
            sum_r = (1.0 - tf.pow(t_mul, i_restart)) / (1.0 - t_mul)
            return i_restart, (completed - sum_r) / tf.pow(t_mul, i_restart)

        def linear():
            i_restart = tf.floor(completed)
            return i_restart, completed - i_restart

        i_restart, completed = tf.cond(tf.equal(t_mul, 1.0), linear, geometric)
        cosine = 0.5 * tf.pow(m_mul, i_restart) * (1.0 + tf.cos(tf.constant(math.pi, dtype) * completed))
        return lr * ((1 - alpha) * cosine + alpha)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "first_decay_steps": self.first_decay_steps,
                "t_mul": self._t_mul, "m_mul": self._m_mul, "alpha": self.alpha, "name": self.name}
