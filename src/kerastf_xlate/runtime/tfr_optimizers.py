"""``keras.optimizers`` in TensorFlow: Keras 3's update formulas, step for step.

Each optimizer keeps what Keras's keeps: the iteration count (int64), the learning rate (a
float32 variable, or a schedule called with the iteration count), one slot variable per
trained variable and kind. ``apply_gradients`` does what Keras's ``apply`` does: drop missing
gradients, clip (``clipnorm``, else ``global_clipnorm``, else ``clipvalue``), decay the weights
(``w -= w * weight_decay * lr``), run ``update_step`` for every variable, apply variable
constraints, count the step. An embedding's ``tf.IndexedSlices`` gradient is squared slice by
slice (a row looked up twice adds two squares) before being made dense, as Keras's TensorFlow
backend does.
"""

import warnings

import tensorflow as tf
from tfr_schedules import LearningRateSchedule


def _dense(gradient):
    return tf.convert_to_tensor(gradient)


def _grad_square(gradient):
    """A gradient's square as Keras's TensorFlow backend computes it (slice by slice for
    ``tf.IndexedSlices``)."""
    if isinstance(gradient, tf.IndexedSlices):
        return tf.convert_to_tensor(tf.IndexedSlices(tf.square(gradient.values), gradient.indices, gradient.dense_shape))
    return tf.square(gradient)


class Optimizer(tf.Module):
    """``keras.optimizers.Optimizer``: the shared steps around each optimizer's ``update_step``."""

    _slot_names = ()
    _clip_after_sum = False

    def __init__(self, learning_rate=0.001, weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        if kwargs.pop("decay", None) is not None:  # Keras 3 warns and ignores it (tf.keras 2's decay)
            warnings.warn("Argument `decay` is no longer supported and will be ignored.", stacklevel=2)
        if kwargs:
            raise ValueError(f"Argument(s) not recognized: {kwargs}")
        if gradient_accumulation_steps:
            raise NotImplementedError("gradient_accumulation_steps is not translated")
        if sum(x is not None and x > 0 for x in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError("Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set.")
        if use_ema:
            if ema_momentum > 1 or ema_momentum < 0:
                raise ValueError(f"`ema_momentum` must be in the range [0, 1]. Received: ema_momentum={ema_momentum}")
            if ema_overwrite_frequency and (not isinstance(ema_overwrite_frequency, int) or ema_overwrite_frequency < 1):
                raise ValueError("`ema_overwrite_frequency` must be an integer >= 1 or None. Received: "
                                 f"ema_overwrite_frequency={ema_overwrite_frequency}")
        self._keras_name = name or _optimizer_snake(type(self).__name__)
        super().__init__(name=self._keras_name)
        self.weight_decay, self.clipnorm, self.clipvalue, self.global_clipnorm = weight_decay, clipnorm, clipvalue, global_clipnorm
        self.use_ema, self.ema_momentum, self.ema_overwrite_frequency = use_ema, ema_momentum, ema_overwrite_frequency
        self.loss_scale_factor = loss_scale_factor
        with tf.init_scope():
            # under a tf.distribute strategy, updated once per step whatever the replicas
            self._iterations = tf.Variable(0, dtype=tf.int64, trainable=False, name="iteration",
                                           aggregation=tf.VariableAggregation.ONLY_FIRST_REPLICA)
            if isinstance(learning_rate, LearningRateSchedule) or (callable(learning_rate) and not isinstance(learning_rate, (int, float))):
                self._learning_rate = learning_rate
            else:
                # Keras 3 takes a Python float only; Keras 2 (whose programs are translated too) took any
                # number, so only what is no number at all raises, with Keras 3's words (a Keras 2
                # optimizer subclass's `super().__init__(name)` gives its name as the learning rate)
                try:
                    value = None if isinstance(learning_rate, (bool, str)) else float(learning_rate)
                except (TypeError, ValueError):
                    value = None
                if value is None:
                    raise ValueError("Argument `learning_rate` should be float, or an instance of LearningRateSchedule, "
                                     "or a callable (that takes in the current iteration value and returns the "
                                     "corresponding learning rate value). Received instead: "
                                     f"learning_rate={learning_rate}")
                self._learning_rate = tf.Variable(value, dtype=tf.float32, trainable=False,
                                                  name="learning_rate",
                                                  aggregation=tf.VariableAggregation.ONLY_FIRST_REPLICA)
        self.__dict__["_slots"] = {}  # kind -> {variable ref: slot variable} (not tracked: the keys are refs)
        self._exclude_ids, self._exclude_names = set(), []
        self.__dict__["_built_variables"] = []  # what build() was given, in order (EMA's list)
        self.built = False

    # -- state

    @property
    def iterations(self):
        return self._iterations

    @property
    def learning_rate(self):
        lr = self._learning_rate
        if isinstance(lr, tf.Variable):
            return lr
        if isinstance(lr, LearningRateSchedule):
            return lr(self._iterations)
        return lr()

    @learning_rate.setter
    def learning_rate(self, value):
        if isinstance(value, LearningRateSchedule) or (callable(value) and not isinstance(value, (int, float, tf.Variable))):
            self._learning_rate = value
            return
        if not isinstance(self._learning_rate, tf.Variable):
            raise TypeError("This optimizer was created with a `LearningRateSchedule` object as its `learning_rate` "
                            "constructor argument, hence its learning rate is not settable.")
        self._learning_rate.assign(value)

    @property
    def name(self):
        return self._keras_name

    @property
    def variables(self):
        out = [self._iterations]
        if isinstance(self._learning_rate, tf.Variable):
            out.append(self._learning_rate)
        for kind in self._slot_names + (("average",) if self.use_ema else ()):
            out.extend(self._slots.get(kind, {}).values())
        return out

    def _slot(self, kind, variable, initial=0.0, shape=None):
        slots = self._slots.setdefault(kind, {})
        # a mirrored variable's copy on one device (in a strategy's update) finds its container's slot
        container = getattr(variable, "_distributed_container", None)
        key = (container() if container is not None else variable).ref()
        if key not in slots:
            shape = variable.shape if shape is None else shape
            with tf.init_scope():  # made once, outside any traced step
                slots[key] = tf.Variable(tf.fill(shape, tf.cast(initial, variable.dtype)), trainable=False,
                                         name=f"{kind}")
        return slots[key]

    def build(self, var_list):
        """Make the slot variables of ``var_list`` now (Keras builds on the first apply)."""
        self.__dict__["_built_variables"] = list(var_list)
        for variable in var_list:
            self._build_slots(variable)
            if self.use_ema:
                self._slot("average", variable)
        self.built = True

    def _build_slots(self, variable):
        for kind in self._slot_names:
            self._slot(kind, variable, self._slot_initial(kind))

    def _slot_initial(self, kind):
        return 0.0

    def exclude_from_weight_decay(self, var_list=None, var_names=None):
        self._exclude_ids.update(id(v) for v in var_list or [])
        self._exclude_names.extend(var_names or [])

    def _use_weight_decay(self, variable):
        if id(variable) in self._exclude_ids:
            return False
        return not any(name in variable.name for name in self._exclude_names)

    # -- applying gradients

    def apply_gradients(self, grads_and_vars):
        grads, variables = zip(*list(grads_and_vars))
        self.apply(list(grads), list(variables))
        return self._iterations

    def apply(self, grads, trainable_variables=None):
        if len(grads) == 0:  # as Keras's apply: no gradients at all is a no-op
            return
        if trainable_variables is None:
            raise ValueError("pass the variables with the gradients")
        pairs = [(g, v) for g, v in zip(grads, trainable_variables) if g is not None]
        if not pairs:
            raise ValueError("No gradients provided for any variable.")
        grads = [g for g, _ in pairs]
        variables = [v for _, v in pairs]
        if not self.built:
            self.build(variables)
        for v in variables:
            self._build_slots(v)
        if self.loss_scale_factor is not None:
            grads = [g / self.loss_scale_factor for g in grads]
        # clipped on each replica, before the replicas' gradients are summed, as Keras does
        # (tf.keras 2's OptimizerV2 clips the sums: ``_clip_after_sum``)
        if not self._clip_after_sum:
            grads = self._clip_gradients(grads)
        context = tf.distribute.get_replica_context()
        replicated = tf.distribute.has_strategy() and context is not None
        if replicated:
            # a replica of a tf.distribute strategy (Keras's TensorFlow optimizer): the gradients
            # summed over the replicas, then every copy of each variable updated with the sum
            grads = context.all_reduce(tf.distribute.ReduceOp.SUM, grads)
        if self._clip_after_sum:
            grads = self._clip_gradients(grads)
        if replicated:
            context.merge_call(self._updates, args=(grads, variables))
        else:
            self._updates(None, grads, variables)

    def _updates(self, strategy, grads, variables):
        """Weight decay, ``update_step`` for every variable, constraints, the moving averages,
        the step count: on one device, or on every copy of a strategy's mirrored variables."""

        def update(variable, fn, *args):
            if strategy is None:
                fn(variable, *args)
            else:
                strategy.extended.update(variable, fn, args=args, group=False)

        if self.weight_decay is not None:
            for variable in variables:
                if self._use_weight_decay(variable):
                    update(variable, self._decay)
        learning_rate = self.learning_rate
        self._before_updates(variables)
        for grad, variable in zip(grads, variables):
            update(variable, self._update_one, grad, learning_rate)
        for variable in variables:
            constraint = getattr(variable, "_xlate_constraint", None)
            if constraint is not None:
                update(variable, lambda v, c=constraint: v.assign(c(v)))
        if self.use_ema:
            self._update_moving_averages(update)
        self._iterations.assign_add(1)

    def _decay(self, variable):
        lr = tf.cast(self.learning_rate, variable.dtype)
        wd = tf.cast(self.weight_decay, variable.dtype)
        variable.assign_sub(variable * wd * lr)

    def _update_one(self, variable, gradient, learning_rate):
        self.update_step(gradient, variable, learning_rate)

    def _update_moving_averages(self, update):
        """Keras's EMA: ``average = m * average + (1 - m) * variable`` over the variables the
        optimizer was built with (``m`` is 0 on the first step), and every
        ``ema_overwrite_frequency`` steps the variables set to their averages."""
        built = self._built_variables
        not_first_step = tf.not_equal(self._iterations, 0)
        for variable in built:
            average = self._slot("average", variable)

            def step(v, a=average):
                momentum = tf.cast(not_first_step, v.dtype) * self.ema_momentum
                a.assign(momentum * a + (1 - momentum) * v)

            update(variable, step)
        if self.ema_overwrite_frequency:
            overwrite = (self._iterations + 1) % self.ema_overwrite_frequency == 0

            def assign_averages():
                for variable in built:
                    update(variable, lambda v: v.assign(self._slot("average", v)))
                return tf.constant(True)

            tf.cond(overwrite, assign_averages, lambda: tf.constant(False))

    def scale_loss(self, loss):
        """Keras's ``scale_loss``: the loss times ``loss_scale_factor`` (the gradients are divided
        by it again in ``apply``)."""
        return loss * self.loss_scale_factor if self.loss_scale_factor is not None else loss

    def finalize_variable_values(self, var_list):
        """With ``use_ema``, the variables set to their moving averages (Keras does it at the end
        of ``fit``)."""
        if self.use_ema:
            for variable in var_list:
                variable.assign(self._slot("average", variable))

    def _before_updates(self, variables):
        """What an optimizer does once per step before the per-variable updates."""

    def _clip_gradients(self, grads):
        if self.clipnorm and self.clipnorm > 0:
            return [tf.clip_by_norm(g, self.clipnorm) for g in grads]
        if self.global_clipnorm and self.global_clipnorm > 0:
            norm = tf.sqrt(tf.add_n([tf.reduce_sum(_grad_square(g)) for g in grads]))
            scale = self.global_clipnorm * tf.minimum(1.0 / norm, 1.0 / self.global_clipnorm) + (norm - norm)
            return [g * scale for g in grads]
        if self.clipvalue and self.clipvalue > 0:
            # an IndexedSlices gradient is clipped slice by slice (tf.clip_by_value keeps it sparse)
            return [tf.clip_by_value(g, -self.clipvalue, self.clipvalue) for g in grads]
        return grads

    def update_step(self, gradient, variable, learning_rate):
        raise NotImplementedError(f"{type(self).__name__}.update_step")

    def get_config(self):
        lr = self._learning_rate
        return {"name": self.name, "learning_rate": float(lr.numpy()) if isinstance(lr, tf.Variable) else lr,
                "weight_decay": self.weight_decay, "clipnorm": self.clipnorm, "clipvalue": self.clipvalue,
                "global_clipnorm": self.global_clipnorm}


def _optimizer_snake(name):
    out = ""
    for i, ch in enumerate(name):
        if ch.isupper() and i and not name[i - 1].isupper():
            out += "_"
        out += ch.lower()
    return out


class SGD(Optimizer):
    """``keras.optimizers.SGD``: plain, momentum and Nesterov updates."""

    _slot_names = ("momentum",)

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, name="SGD", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        if not 0 <= momentum <= 1:
            raise ValueError("`momentum` must be a float between [0, 1].")
        self.momentum, self.nesterov = momentum, nesterov
        if not momentum:
            self._slot_names = ()

    def update_step(self, gradient, variable, learning_rate):
        lr = tf.cast(learning_rate, variable.dtype)
        gradient = _dense(tf.cast(gradient, variable.dtype)) if not isinstance(gradient, tf.IndexedSlices) else _dense(gradient)
        if self.momentum != 0:
            m = self._slot("momentum", variable)
            mu = tf.cast(self.momentum, variable.dtype)
            m.assign(m * mu - gradient * lr)
            if self.nesterov:
                variable.assign_add(m * mu - gradient * lr)
            else:
                variable.assign_add(m)
        else:
            variable.assign_sub(gradient * lr)


class Adam(Optimizer):
    """``keras.optimizers.Adam``: bias correction folded into the step size, epsilon outside the root."""

    _slot_names = ("momentum", "velocity", "velocity_hat")

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False, name="adam", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta_1, self.beta_2, self.epsilon, self.amsgrad = beta_1, beta_2, epsilon, amsgrad
        if not amsgrad:
            self._slot_names = ("momentum", "velocity")

    def update_step(self, gradient, variable, learning_rate):
        lr = tf.cast(learning_rate, variable.dtype)
        step = tf.cast(self._iterations + 1, variable.dtype)
        beta_1_power = tf.pow(tf.cast(self.beta_1, variable.dtype), step)
        beta_2_power = tf.pow(tf.cast(self.beta_2, variable.dtype), step)
        m = self._slot("momentum", variable)
        v = self._slot("velocity", variable)
        alpha = lr * tf.sqrt(1 - beta_2_power) / (1 - beta_1_power)
        m.assign_add((_dense(gradient) - m) * (1 - self.beta_1))
        v.assign_add((_grad_square(gradient) - v) * (1 - self.beta_2))
        if self.amsgrad:
            v_hat = self._slot("velocity_hat", variable)
            v_hat.assign(tf.maximum(v_hat, v))
            v = v_hat
        variable.assign_sub((m * alpha) / (tf.sqrt(v) + self.epsilon))


class LegacyAdam(Adam):
    """tf.keras 2's ``keras.optimizers.legacy.Adam`` (OptimizerV2): the same update as Keras 3's
    Adam for a dense gradient (TensorFlow's ApplyAdam kernel: ``alpha = lr * sqrt(1 - beta_2^t) /
    (1 - beta_1^t)``, ``m += (g - m) * (1 - beta_1)``, ``v += (g^2 - v) * (1 - beta_2)``, ``var -=
    m * alpha / (sqrt(v) + epsilon)``, amsgrad on ``max(v_hat, v)``); a ``tf.IndexedSlices``
    gradient has its repeated rows summed before it is squared (OptimizerV2 deduplicates the
    indices), where Keras 3 squares slice by slice. Its default name is ``Adam``. The
    translation takes only these arguments (no ``decay``, ``lr`` or clipping: tf.keras 2 applied
    them its own way)."""

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False, name="Adam"):
        super().__init__(learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon, amsgrad=amsgrad,
                         name=name)

    def update_step(self, gradient, variable, learning_rate):
        super().update_step(_dense(gradient), variable, learning_rate)


class LegacySGD(SGD):
    """tf.keras 2's ``keras.optimizers.legacy.SGD`` (OptimizerV2): Keras 3's SGD for a dense
    gradient (TensorFlow's ApplyKerasMomentum kernel: ``accum = accum * momentum - lr * g``,
    ``var += accum``, Nesterov ``var += accum * momentum - lr * g``). With momentum, a
    ``tf.IndexedSlices`` gradient (an embedding's) updates only the rows it holds, repeated rows
    summed first (SparseApplyKerasMomentum), where Keras 3 decays every row's momentum. Its
    default name is ``SGD``."""

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, name="SGD"):
        super().__init__(learning_rate=learning_rate, momentum=momentum, nesterov=nesterov, name=name)

    def update_step(self, gradient, variable, learning_rate):
        if not (isinstance(gradient, tf.IndexedSlices) and self.momentum != 0):
            super().update_step(_dense(gradient), variable, learning_rate)
            return
        lr = tf.cast(learning_rate, variable.dtype)
        mu = tf.cast(self.momentum, variable.dtype)
        indices, position = tf.unique(gradient.indices)
        rows = tf.math.unsorted_segment_sum(gradient.values, position, tf.shape(indices)[0])
        m = self._slot("momentum", variable)
        accum = tf.gather(m, indices) * mu - rows * lr
        m.scatter_update(tf.IndexedSlices(accum, indices))
        step = accum * mu - rows * lr if self.nesterov else accum
        variable.scatter_add(tf.IndexedSlices(step, indices))


class AdamW(Adam):
    """``keras.optimizers.AdamW``: Adam with decoupled weight decay (default 0.004)."""

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False,
                 name="adamw", **kwargs):
        if weight_decay is None:
            raise ValueError("Argument `weight_decay` must be a float. Received: weight_decay=None")
        super().__init__(learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon, amsgrad=amsgrad,
                         name=name, weight_decay=weight_decay, **kwargs)


def _hyper(value, iterations, dtype):
    """A tf.keras 2 optimizer hyperparameter's value this step (OptimizerV2's ``_get_hyper``): a
    schedule called with the iteration count, a function of no argument called, cast to
    ``dtype``."""
    if isinstance(value, LearningRateSchedule):
        value = value(iterations)
    elif callable(value):
        value = value()
    return tf.cast(value, dtype)


def _addons_regexes(patterns, kind):
    if patterns:
        raise NotImplementedError(f"{kind} (regexes on tf.keras 2's variable names) is not translated")


class _AddonsDecay:
    """TensorFlow Addons' ``DecoupledWeightDecayExtension`` on a tf.keras 2 (OptimizerV2)
    optimizer: before each variable's update ``var -= weight_decay * var``. The decay is not
    multiplied by the learning rate (Keras 3's AdamW multiplies it), and ``weight_decay`` may
    be a schedule (called with the iteration count) or a function of no argument, as the
    learning rate may. A ``tf.IndexedSlices`` gradient (an embedding's) decays only the rows it
    holds, once each. Clipping (``clipnorm``, ``clipvalue``, ``global_clipnorm``) acts on the
    gradients summed over a strategy's replicas, as OptimizerV2's does.
    ``apply_gradients(..., decay_var_list=...)`` and ``minimize(..., decay_var_list=...)``
    decay only those variables."""

    _clip_after_sum = True

    def _addons_init(self, weight_decay, exclude_from_weight_decay):
        _addons_regexes(exclude_from_weight_decay, "exclude_from_weight_decay")
        self.__dict__["_addons_weight_decay"] = weight_decay  # not tracked: a float, schedule or function
        self.__dict__["_decay_refs"] = None

    def apply_gradients(self, grads_and_vars, name=None, decay_var_list=None, **kwargs):
        pairs = list(grads_and_vars)
        self.__dict__["_decay_refs"] = {v.ref() for v in decay_var_list} if decay_var_list else None
        return super().apply_gradients(pairs)

    def minimize(self, loss, var_list, grad_loss=None, name=None, decay_var_list=None, tape=None):
        if not callable(var_list) and tape is None and not callable(loss):
            raise ValueError("`tape` is required when a `Tensor` loss is passed.")
        tape = tape if tape is not None else tf.GradientTape()
        if callable(loss):
            with tape:
                if not callable(var_list):
                    tape.watch(var_list)
                loss = loss()
        var_list = var_list() if callable(var_list) else var_list
        grads = tape.gradient(loss, var_list, grad_loss)
        return self.apply_gradients(zip(grads, var_list), decay_var_list=decay_var_list)

    def _before_updates(self, variables):
        super()._before_updates(variables)
        self.__dict__["_wd_t"] = _hyper(self._addons_weight_decay, self._iterations, tf.float32)

    def _decay(self, variable):  # tfa decays in each variable's own update (_update_one)
        pass

    def _update_one(self, variable, gradient, learning_rate):
        refs = self._decay_refs
        container = getattr(variable, "_distributed_container", None)
        key = (container() if container is not None else variable).ref()
        if refs is None or key in refs:
            wd = tf.cast(self._wd_t, variable.dtype)
            if isinstance(gradient, tf.IndexedSlices):
                rows, _ = tf.unique(gradient.indices)
                variable.scatter_add(tf.IndexedSlices(-wd * tf.gather(variable, rows), rows))
            else:
                variable.assign_sub(wd * variable)
        self.update_step(gradient, variable, learning_rate)

    def get_config(self):
        config = super().get_config()
        config.update(weight_decay=self._addons_weight_decay, exclude_from_weight_decay=None)
        return config


class AddonsAdamW(_AddonsDecay, LegacyAdam):
    """TensorFlow Addons' ``tfa.optimizers.AdamW``: tf.keras 2's Adam (the ``LegacyAdam``
    update) with tfa's decoupled weight decay (``_AddonsDecay``). Its default name is ``AdamW``."""

    def __init__(self, weight_decay, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False,
                 name="AdamW", clipnorm=None, clipvalue=None, global_clipnorm=None, exclude_from_weight_decay=None):
        self._addons_init(weight_decay, exclude_from_weight_decay)
        Adam.__init__(self, learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon,
                      amsgrad=amsgrad, name=name, clipnorm=clipnorm, clipvalue=clipvalue, global_clipnorm=global_clipnorm)

    def get_config(self):
        config = super().get_config()
        config.update(beta_1=self.beta_1, beta_2=self.beta_2, epsilon=self.epsilon, amsgrad=self.amsgrad)
        return config


class AddonsSGDW(_AddonsDecay, LegacySGD):
    """TensorFlow Addons' ``tfa.optimizers.SGDW``: tf.keras 2's SGD (the ``LegacySGD`` update,
    momentum and Nesterov) with tfa's decoupled weight decay (``_AddonsDecay``). Its default
    name is ``SGDW``."""

    def __init__(self, weight_decay, learning_rate=0.001, momentum=0.0, nesterov=False, name="SGDW", clipnorm=None,
                 clipvalue=None, global_clipnorm=None, exclude_from_weight_decay=None):
        self._addons_init(weight_decay, exclude_from_weight_decay)
        SGD.__init__(self, learning_rate=learning_rate, momentum=momentum, nesterov=nesterov, name=name,
                     clipnorm=clipnorm, clipvalue=clipvalue, global_clipnorm=global_clipnorm)


class AddonsLAMB(Optimizer):
    """TensorFlow Addons' ``tfa.optimizers.LAMB`` (on tf.keras 2's OptimizerV2), step for step:
    ``m = m * beta_1 + g * (1 - beta_1)``, ``v = v * beta_2 + g * g * (1 - beta_2)``, ``update =
    m_hat / (sqrt(v_hat) + epsilon) + weight_decay * var`` (the decay inside the update, unlike
    Keras 3's Lamb), ``var -= ratio * lr * update`` with the trust ratio ``|var| / |update|``
    (1 where either norm is 0). A ``tf.IndexedSlices`` gradient has its repeated rows summed
    first (OptimizerV2 deduplicates). ``weight_decay_rate`` is tfa's older name of
    ``weight_decay``; ``epsilon=None`` is 1e-7. Clipping acts on the gradients summed over a
    strategy's replicas, as OptimizerV2's does. Its default name is ``LAMB``."""

    _slot_names = ("m", "v")
    _clip_after_sum = True

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-6, weight_decay=0.0,
                 exclude_from_weight_decay=None, exclude_from_layer_adaptation=None, name="LAMB",
                 clipnorm=None, clipvalue=None, global_clipnorm=None, weight_decay_rate=None):
        _addons_regexes(exclude_from_weight_decay, "exclude_from_weight_decay")
        _addons_regexes(exclude_from_layer_adaptation, "exclude_from_layer_adaptation")
        super().__init__(learning_rate=learning_rate, name=name, clipnorm=clipnorm, clipvalue=clipvalue,
                         global_clipnorm=global_clipnorm)
        if weight_decay_rate is not None:
            weight_decay = weight_decay_rate
        self.beta_1, self.beta_2 = beta_1, beta_2
        self.epsilon = epsilon or 1e-7
        self.__dict__["_addons_weight_decay"] = weight_decay

    def update_step(self, gradient, variable, learning_rate):
        dtype = variable.dtype
        lr = tf.cast(learning_rate, dtype)
        step = tf.cast(self._iterations + 1, dtype)
        beta_1, beta_2 = _hyper(self.beta_1, self._iterations, dtype), _hyper(self.beta_2, self._iterations, dtype)
        wd = _hyper(self._addons_weight_decay, self._iterations, dtype)
        g = _dense(gradient)
        m, v = self._slot("m", variable), self._slot("v", variable)
        m_t = m * beta_1 + g * (1 - beta_1)
        m.assign(m_t)
        v_t = v * beta_2 + (g * g) * (1 - beta_2)
        v.assign(v_t)
        m_t_hat = m_t / (1.0 - tf.pow(beta_1, step))
        v_t_hat = v_t / (1.0 - tf.pow(beta_2, step))
        update = m_t_hat / (tf.sqrt(v_t_hat) + tf.cast(self.epsilon, dtype))
        update += wd * variable
        w_norm = tf.norm(variable, ord=2)
        g_norm = tf.norm(update, ord=2)
        ratio = tf.where(tf.greater(w_norm, 0), tf.where(tf.greater(g_norm, 0), w_norm / g_norm, 1.0), 1.0)
        variable.assign(variable - ratio * lr * update)

    def get_config(self):
        config = super().get_config()
        config.update(weight_decay=self._addons_weight_decay, beta_1=self.beta_1, beta_2=self.beta_2,
                      epsilon=self.epsilon, exclude_from_weight_decay=None, exclude_from_layer_adaptation=None)
        return config


class RMSprop(Optimizer):
    """``keras.optimizers.RMSprop``: epsilon inside the root; centered and momentum variants."""

    _slot_names = ("velocity", "momentum", "average_gradient")

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False, name="rmsprop", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.rho, self.momentum, self.epsilon, self.centered = rho, momentum, epsilon, centered

    def update_step(self, gradient, variable, learning_rate):
        lr = tf.cast(learning_rate, variable.dtype)
        rho = self.rho
        velocity = self._slot("velocity", variable)
        velocity.assign(rho * velocity + (1 - rho) * _grad_square(gradient))
        dense = _dense(gradient)
        if self.centered:
            average = self._slot("average_gradient", variable)
            average.assign(rho * average + (1 - rho) * dense)
            denominator = velocity - tf.square(average) + self.epsilon
        else:
            denominator = velocity + self.epsilon
        increment = (lr * dense) / tf.sqrt(denominator)
        if self.momentum > 0:
            m = self._slot("momentum", variable)
            m.assign(self.momentum * m + increment)
            variable.assign_sub(m)
        else:
            variable.assign_sub(increment)


class Adagrad(Optimizer):
    """``keras.optimizers.Adagrad``: squares accumulated from ``initial_accumulator_value``."""

    _slot_names = ("accumulator",)

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7, name="adagrad", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.initial_accumulator_value, self.epsilon = initial_accumulator_value, epsilon

    def _slot_initial(self, kind):
        return self.initial_accumulator_value

    def update_step(self, gradient, variable, learning_rate):
        lr = tf.cast(learning_rate, variable.dtype)
        accumulator = self._slot("accumulator", variable, self.initial_accumulator_value)
        accumulator.assign_add(_grad_square(gradient))
        variable.assign_sub(lr * _dense(gradient) / tf.sqrt(accumulator + self.epsilon))


class Adadelta(Optimizer):
    """``keras.optimizers.Adadelta``: running averages of squared gradients and updates."""

    _slot_names = ("accumulated_grad", "accumulated_delta_var")

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7, name="adadelta", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.rho, self.epsilon = rho, epsilon

    def update_step(self, gradient, variable, learning_rate):
        lr = tf.cast(learning_rate, variable.dtype)
        grad = _dense(gradient)
        rho = self.rho
        accumulated_grad = self._slot("accumulated_grad", variable)
        accumulated_delta = self._slot("accumulated_delta_var", variable)
        accumulated_grad.assign(rho * accumulated_grad + (1 - rho) * _grad_square(gradient))
        ratio = tf.sqrt(accumulated_delta + self.epsilon) / tf.sqrt(accumulated_grad + self.epsilon)
        delta = -(ratio * grad)
        # Keras squares the update slice by slice for an IndexedSlices gradient
        accumulated_delta.assign(rho * accumulated_delta + (1 - rho) * tf.square(ratio) * _grad_square(gradient))
        variable.assign_add(lr * delta)


class Adamax(Optimizer):
    """``keras.optimizers.Adamax``: Adam with the infinity norm."""

    _slot_names = ("m", "u")

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, name="adamax", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon

    def update_step(self, gradient, variable, learning_rate):
        lr = tf.cast(learning_rate, variable.dtype)
        grad = _dense(gradient)
        step = tf.cast(self._iterations + 1, variable.dtype)
        beta_1_power = tf.pow(tf.cast(self.beta_1, variable.dtype), step)
        m = self._slot("m", variable)
        u = self._slot("u", variable)
        m.assign_add((grad - m) * (1 - self.beta_1))
        if isinstance(gradient, tf.IndexedSlices):  # absolute values slice by slice, then summed
            magnitude = tf.convert_to_tensor(tf.IndexedSlices(tf.abs(gradient.values), gradient.indices,
                                                              gradient.dense_shape))
        else:
            magnitude = tf.abs(grad)
        u.assign(tf.maximum(self.beta_2 * u, magnitude))
        variable.assign_sub((lr * m) / ((1 - beta_1_power) * (u + self.epsilon)))


class Nadam(Optimizer):
    """``keras.optimizers.Nadam``: Adam with Nesterov momentum and Keras's momentum schedule."""

    _slot_names = ("momentum", "velocity")

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, name="nadam", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon
        with tf.init_scope():
            self._u_product = tf.Variable(1.0, dtype=tf.float32, trainable=False, name="u_product")

    def _before_updates(self, variables):
        step = tf.cast(self._iterations + 1, self._u_product.dtype)
        self._u_product.assign(self._u_product * self.beta_1 * (1.0 - 0.5 * tf.pow(0.96, step)))

    def update_step(self, gradient, variable, learning_rate):
        dtype = variable.dtype
        lr = tf.cast(learning_rate, dtype)
        grad = _dense(tf.cast(gradient, dtype))
        local_step = tf.cast(self._iterations + 1, dtype)
        next_step = tf.cast(self._iterations + 2, dtype)
        decay = tf.cast(0.96, dtype)
        beta_1 = tf.cast(self.beta_1, dtype)
        beta_2 = tf.cast(self.beta_2, dtype)
        u_t = beta_1 * (1.0 - 0.5 * tf.pow(decay, local_step))
        u_t_1 = beta_1 * (1.0 - 0.5 * tf.pow(decay, next_step))
        u_product_t = tf.cast(self._u_product, dtype)
        u_product_t_1 = u_product_t * u_t_1
        beta_2_power = tf.pow(beta_2, local_step)
        m = self._slot("momentum", variable)
        v = self._slot("velocity", variable)
        m.assign_add((grad - m) * (1 - beta_1))
        v.assign_add((_grad_square(gradient) - v) * (1 - beta_2))
        m_hat = (u_t_1 * m) / (1 - u_product_t_1) + ((1 - u_t) * grad) / (1 - u_product_t)
        v_hat = v / (1 - beta_2_power)
        variable.assign_sub((m_hat * lr) / (tf.sqrt(v_hat) + self.epsilon))


class Lion(Optimizer):
    """``keras.optimizers.Lion``: the sign of an interpolated momentum."""

    _slot_names = ("momentum",)

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.99, name="lion", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        if beta_1 <= 0 or beta_1 > 1:
            raise ValueError(f"Argument for `beta_1` must be in range [0, 1]. Received: beta_1={beta_1}.")
        self.beta_1, self.beta_2 = beta_1, beta_2

    def update_step(self, gradient, variable, learning_rate):
        lr = tf.cast(learning_rate, variable.dtype)
        grad = _dense(gradient)
        beta_1 = tf.cast(self.beta_1, variable.dtype)
        beta_2 = tf.cast(self.beta_2, variable.dtype)
        m = self._slot("momentum", variable)
        variable.assign_sub(lr * tf.sign(m * beta_1 + grad * (1.0 - beta_1)))
        m.assign(m * beta_2 + grad * (1.0 - beta_2))


class Ftrl(Optimizer):
    """``keras.optimizers.Ftrl``: follow-the-regularized-leader with L1, L2 and shrinkage."""

    _slot_names = ("accumulator", "linear")

    def __init__(self, learning_rate=0.001, learning_rate_power=-0.5, initial_accumulator_value=0.1,
                 l1_regularization_strength=0.0, l2_regularization_strength=0.0,
                 l2_shrinkage_regularization_strength=0.0, beta=0.0, name="ftrl", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        for arg, value in (("initial_accumulator_value", initial_accumulator_value),
                           ("l1_regularization_strength", l1_regularization_strength),
                           ("l2_regularization_strength", l2_regularization_strength),
                           ("l2_shrinkage_regularization_strength", l2_shrinkage_regularization_strength)):
            if value < 0.0:
                raise ValueError(f"`{arg}` needs to be positive or zero. Received: {arg}={value}.")
        if learning_rate_power > 0.0:
            raise ValueError(f"`learning_rate_power` needs to be negative or zero. Received: "
                             f"learning_rate_power={learning_rate_power}.")
        self.learning_rate_power, self.initial_accumulator_value = learning_rate_power, initial_accumulator_value
        self.l1_regularization_strength = l1_regularization_strength
        self.l2_regularization_strength = l2_regularization_strength
        self.l2_shrinkage_regularization_strength = l2_shrinkage_regularization_strength
        self.beta = beta

    def _slot_initial(self, kind):
        return self.initial_accumulator_value if kind == "accumulator" else 0.0

    def update_step(self, gradient, variable, learning_rate):
        lr = tf.cast(learning_rate, variable.dtype)
        accum = self._slot("accumulator", variable, self.initial_accumulator_value)
        linear = self._slot("linear", variable)
        lr_power = self.learning_rate_power
        l2_reg = self.l2_regularization_strength + self.beta / (2.0 * lr)
        grad_to_use = _dense(gradient) + 2 * self.l2_shrinkage_regularization_strength * variable
        new_accum = accum + _grad_square(gradient)
        linear.assign_add(grad_to_use - (tf.pow(new_accum, -lr_power) - tf.pow(accum, -lr_power)) / lr * variable)
        quadratic = tf.pow(new_accum, -lr_power) / lr + 2 * l2_reg
        l1 = self.l1_regularization_strength
        linear_clipped = tf.clip_by_value(linear, -l1, l1)
        variable.assign((linear_clipped - linear) / quadratic)
        accum.assign(new_accum)


class Adafactor(Optimizer):
    """``keras.optimizers.Adafactor``: second moments factored over the last two axes (rows
    ``r``, columns ``c``) for variables of rank 2 or more, relative step sizes, update clipping."""

    _slot_names = ("r", "c", "velocity")

    def __init__(self, learning_rate=0.001, beta_2_decay=-0.8, epsilon_1=1e-30, epsilon_2=1e-3, clip_threshold=1.0,
                 relative_step=True, name="adafactor", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta_2_decay, self.epsilon_1, self.epsilon_2 = beta_2_decay, epsilon_1, epsilon_2
        self.clip_threshold, self.relative_step = clip_threshold, relative_step

    def _build_slots(self, variable):
        shape = tuple(variable.shape)
        factored = len(shape) >= 2
        self._slot("r", variable, shape=shape[:-1] if factored else ())
        self._slot("c", variable, shape=shape[:-2] + shape[-1:] if factored else ())
        self._slot("velocity", variable)

    def update_step(self, gradient, variable, learning_rate):
        dtype = variable.dtype
        lr = tf.cast(learning_rate, dtype)
        grad = _dense(tf.cast(gradient, dtype)) if not isinstance(gradient, tf.IndexedSlices) else _dense(gradient)
        local_step = tf.cast(self._iterations + 1, dtype)
        if isinstance(self._learning_rate, tf.Variable) and self.relative_step:
            lr = tf.minimum(lr, 1 / tf.sqrt(local_step))
        r, c, v = self._slot("r", variable), self._slot("c", variable), self._slot("velocity", variable)
        rho_t = tf.minimum(lr, 1 / tf.sqrt(local_step))
        alpha_t = tf.maximum(tf.cast(self.epsilon_2, dtype), _rms(variable)) * rho_t
        regulated_grad_square = _grad_square(gradient) + self.epsilon_1
        beta_2_t = 1 - tf.pow(local_step, self.beta_2_decay)
        if len(variable.shape) >= 2:
            r.assign(beta_2_t * r + (1 - beta_2_t) * tf.reduce_mean(regulated_grad_square, axis=-1))
            c.assign(beta_2_t * c + (1 - beta_2_t) * tf.reduce_mean(regulated_grad_square, axis=-2))
            v.assign(tf.expand_dims(r / tf.reduce_mean(r, axis=-1, keepdims=True), axis=-1) * tf.expand_dims(c, -2))
        else:
            v.assign(beta_2_t * v + (1 - beta_2_t) * regulated_grad_square)
        if isinstance(gradient, tf.IndexedSlices):
            # Keras divides slice by slice and takes the root mean square over the slices (a row
            # seen twice counts twice) divided by the variable's size
            values = gradient.values / tf.gather(tf.sqrt(v), gradient.indices)
            rms = tf.sqrt(tf.reduce_sum(tf.square(values)) / tf.cast(tf.size(variable), dtype))
            u_t = _dense(tf.IndexedSlices(values, gradient.indices, gradient.dense_shape))
        else:
            u_t = grad / tf.sqrt(v)
            rms = _rms(u_t)
        u_t_hat = u_t / tf.maximum(tf.cast(1.0, dtype), rms / self.clip_threshold)
        variable.assign_sub(alpha_t * u_t_hat)


def _rms(x):
    return tf.sqrt(tf.reduce_mean(tf.square(x)))


class LossScaleOptimizer(Optimizer):
    """``keras.optimizers.LossScaleOptimizer``: dynamic loss scaling around an inner optimizer.
    ``scale_loss`` multiplies the loss by the scale; ``apply`` divides the gradients by it and
    applies them when they are all finite (the scale doubles after ``dynamic_growth_steps``
    such steps), else skips the step and halves the scale. On one device (a strategy with
    several replicas raises)."""

    def __init__(self, inner_optimizer, initial_scale=2.0 ** 15, dynamic_growth_steps=2000, name=None, **kwargs):
        if not kwargs.pop("dynamic", True):
            raise ValueError("LossScaleOptimizer no longer supports `dynamic=False`. Instead, simply set "
                             "`loss_scale_factor` directly on the `inner_optimizer`.")
        defaults = {"weight_decay": None, "clipnorm": None, "global_clipnorm": None, "clipvalue": None,
                    "use_ema": False, "ema_momentum": 0.99, "ema_overwrite_frequency": None,
                    "loss_scale_factor": None, "gradient_accumulation_steps": None}
        for arg, default in defaults.items():
            if arg in kwargs and kwargs.pop(arg) != default:
                raise ValueError(f"LossScaleOptimizer does not support `{arg}`. Instead, set `{arg}` on the "
                                 "`inner_optimizer`.")
        if kwargs:
            raise ValueError(f"LossScaleOptimizer does not support arguments: `{'`, `'.join(kwargs)}`.")
        super().__init__(learning_rate=0.0, name=name or "loss_scale_optimizer")
        self.inner_optimizer = inner_optimizer
        self.initial_scale, self.dynamic_growth_steps = initial_scale, dynamic_growth_steps
        self.inner_optimizer.loss_scale_factor = None

    def build(self, var_list):
        with tf.init_scope():
            self.step_counter = tf.Variable(0, dtype=tf.int64, trainable=False, name="step_counter")
            self.dynamic_scale = tf.Variable(float(self.initial_scale), dtype=tf.float32, trainable=False,
                                             name="dynamic_scale")
        self.inner_optimizer.build(var_list)
        self.built = True

    @property
    def variables(self):
        own = [self.step_counter, self.dynamic_scale] if self.built else []
        return own + self.inner_optimizer.variables

    @property
    def learning_rate(self):
        return self.inner_optimizer.learning_rate

    @learning_rate.setter
    def learning_rate(self, value):
        self.inner_optimizer.learning_rate = value

    @property
    def iterations(self):
        return self.inner_optimizer.iterations

    def scale_loss(self, loss):
        return loss * (self.dynamic_scale if self.built else self.initial_scale)

    def finalize_variable_values(self, var_list):
        self.inner_optimizer.finalize_variable_values(var_list)

    def apply_gradients(self, grads_and_vars):
        grads, variables = zip(*list(grads_and_vars))
        self.apply(list(grads), list(variables))
        return self.iterations

    def apply(self, grads, trainable_variables=None):
        if tf.distribute.has_strategy() and tf.distribute.get_strategy().num_replicas_in_sync > 1:
            raise NotImplementedError("LossScaleOptimizer under a strategy with several replicas is not translated")
        if not self.built:
            self.build(trainable_variables)
        finite = tf.reduce_all([tf.reduce_all(tf.math.is_finite(tf.convert_to_tensor(g))) for g in grads
                                if g is not None])

        def finite_step():
            scale = self.dynamic_scale
            self.inner_optimizer.apply([g if g is None else g / scale for g in grads], trainable_variables)

            def upscale():
                self.step_counter.assign(0)
                self.dynamic_scale.assign(self.dynamic_scale * 2.0)
                return tf.constant(True)

            def increment():
                self.step_counter.assign_add(1)
                return tf.constant(True)

            return tf.cond(tf.equal(self.step_counter, self.dynamic_growth_steps - 1), upscale, increment)

        def skip_step():
            self.step_counter.assign(0)
            self.dynamic_scale.assign(self.dynamic_scale * 0.5)
            return tf.constant(False)

        tf.cond(finite, finite_step, skip_step)

    def get_config(self):
        return {"name": self.name, "inner_optimizer": self.inner_optimizer.get_config(),
                "initial_scale": self.initial_scale, "dynamic_growth_steps": self.dynamic_growth_steps}


_OPTIMIZERS = {"sgd": SGD, "adam": Adam, "adamw": AdamW, "rmsprop": RMSprop, "adagrad": Adagrad, "adadelta": Adadelta,
               "adamax": Adamax, "nadam": Nadam, "lion": Lion, "ftrl": Ftrl, "adafactor": Adafactor}


def optimizers_get(identifier):
    """``keras.optimizers.get``: an optimizer from its name, or the optimizer itself."""
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str) and identifier.lower() in _OPTIMIZERS:
        return _OPTIMIZERS[identifier.lower()]()
    raise ValueError(f"Could not interpret optimizer identifier: {identifier}")
