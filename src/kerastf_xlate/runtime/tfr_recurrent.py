"""Recurrent layers: the cells (SimpleRNNCell, GRUCell, LSTMCell, StackedRNNCells), RNN and
its SimpleRNN/GRU/LSTM, Bidirectional, TimeDistributed, Masking.

Keras 3's formulas and weight layout, step for step (``keras/src/layers/rnn/*.py`` and the
TensorFlow backend's ``rnn``): kernels with the gates side by side (LSTM ``i, f, c, o``; GRU
``z, r, h``, with a ``(2, 3 * units)`` bias when ``reset_after``), a ``tf.while_loop`` over
time (a Python loop with ``unroll=True``), and Keras's masking: at a masked step the states
keep their previous value and the output repeats the previous output (zeros before the
first unmasked step; zeros at every masked step with ``zero_output_for_mask``, which
``Bidirectional`` sets for ``return_sequences``). Dropout masks are drawn once per call, as
Keras does, from the cell's ``SeedGenerator`` in Keras's order (the same numbers for the same
integer seed).
"""

import copy

import tensorflow as tf
from tfr_activations import activations_get
from tfr_base import Layer, _call_spec, _set_keras_mask, initializers_get
from tfr_constraints import constraints_get
from tfr_core import _no_regularizer
from tfr_random import SeedGenerator, _random_dropout
from tfr_regularizers import regularizers_get

# --- cells -------------------------------------------------------------------------------


class _DropoutRNNCell:
    """Keras's ``DropoutRNNCell``: one dropout mask (or ``dropout_mask_count`` of them) per
    layer call, drawn on the first request and kept until the layer resets it."""

    def _rnn_make_dropout_mask(self, like, rate):
        count = getattr(self, "dropout_mask_count", None)
        ones = tf.ones_like(like)
        if count is None:
            return _random_dropout(ones, rate=rate, seed=self.seed_generator)
        return [_random_dropout(ones, rate=rate, seed=self.seed_generator) for _ in range(count)]

    # the masks (a list of tensors for GRU/LSTM) are kept in __dict__, out of tf.Module's
    # tracking: a tracked list stays a dependency of the cell after the reset, and its graph
    # tensors (drawn in a traced step) then break copy.deepcopy (load_model) and checkpoints

    def get_dropout_mask(self, step_input):
        if self.__dict__.get("_dropout_mask") is None and self.dropout > 0:
            self.__dict__["_dropout_mask"] = self._rnn_make_dropout_mask(step_input, self.dropout)
        return self.__dict__.get("_dropout_mask")

    def get_recurrent_dropout_mask(self, step_input):
        if self.__dict__.get("_recurrent_dropout_mask") is None and self.recurrent_dropout > 0:
            self.__dict__["_recurrent_dropout_mask"] = self._rnn_make_dropout_mask(step_input, self.recurrent_dropout)
        return self.__dict__.get("_recurrent_dropout_mask")

    def reset_dropout_mask(self):
        self.__dict__["_dropout_mask"] = None

    def reset_recurrent_dropout_mask(self):
        self.__dict__["_recurrent_dropout_mask"] = None


def _rnn_cell_weights(cell, kernel_shape, recurrent_shape, bias_shape, bias_initializer):
    cell.kernel = cell.add_weight(shape=kernel_shape, initializer=cell.kernel_initializer,
                                  regularizer=cell.kernel_regularizer, constraint=cell.kernel_constraint, name="kernel")
    cell.recurrent_kernel = cell.add_weight(shape=recurrent_shape, initializer=cell.recurrent_initializer,
                                            regularizer=cell.recurrent_regularizer, constraint=cell.recurrent_constraint, name="recurrent_kernel")
    cell.bias = cell.add_weight(shape=bias_shape, initializer=bias_initializer, regularizer=cell.bias_regularizer, constraint=cell.bias_constraint,
                                name="bias") if cell.use_bias else None


class _RNNCellBase(Layer, _DropoutRNNCell):
    """What SimpleRNNCell, GRUCell and LSTMCell share: arguments, initializers, dropout."""

    def _rnn_init(self, units, activation, use_bias, kernel_initializer, recurrent_initializer, bias_initializer,
                  dropout, recurrent_dropout, seed, regularizers):
        if units <= 0:
            raise ValueError(f"Received an invalid value for argument `units`, expected a positive integer, "
                             f"got {units}.")
        for name in ("kernel", "recurrent", "bias"):
            setattr(self, f"{name}_regularizer", regularizers_get(regularizers.pop(f"{name}_regularizer")))
            setattr(self, f"{name}_constraint", constraints_get(regularizers.pop(f"{name}_constraint")))
        _no_regularizer(self, **regularizers)  # nothing left: a guard for a new argument
        self.units = int(units)
        self.activation = activations_get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers_get(kernel_initializer)
        self.recurrent_initializer = initializers_get(recurrent_initializer)
        self.bias_initializer = initializers_get(bias_initializer)
        self.dropout = min(1.0, max(0.0, dropout))
        self.recurrent_dropout = min(1.0, max(0.0, recurrent_dropout))
        self.seed = seed
        self.seed_generator = SeedGenerator(seed=seed)
        self.output_size = self.units

    def get_initial_state(self, batch_size=None):
        sizes = self.state_size if isinstance(self.state_size, (list, tuple)) else [self.state_size]
        return [tf.zeros((batch_size, d), dtype=self.compute_dtype) for d in sizes]  # Keras: the compute dtype


class SimpleRNNCell(_RNNCellBase):
    """``keras.layers.SimpleRNNCell``: ``h = activation(x @ kernel + bias + h_prev @ recurrent_kernel)``."""

    def __init__(self, units, activation="tanh", use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros", kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        self._rnn_init(units, activation, use_bias, kernel_initializer, recurrent_initializer, bias_initializer,
                       dropout, recurrent_dropout, seed,
                       dict(kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
                            bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
                            recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint))
        self.state_size = self.units

    def build(self, input_shape):
        _rnn_cell_weights(self, (input_shape[-1], self.units), (self.units, self.units), (self.units,),
                          self.bias_initializer)
        self.built = True

    def call(self, sequence, states, training=False):
        prev_output = states[0] if isinstance(states, (list, tuple)) else states
        dp_mask = self.get_dropout_mask(sequence)
        rec_dp_mask = self.get_recurrent_dropout_mask(prev_output)
        if training and dp_mask is not None:
            sequence = sequence * dp_mask
        h = tf.matmul(sequence, self.kernel)
        if self.bias is not None:
            h = h + self.bias
        if training and rec_dp_mask is not None:
            prev_output = prev_output * rec_dp_mask
        output = self.activation(h + tf.matmul(prev_output, self.recurrent_kernel))
        return output, [output] if isinstance(states, (list, tuple)) else output


class GRUCell(_RNNCellBase):
    """``keras.layers.GRUCell``: update ``z``, reset ``r`` and candidate ``h`` side by side in the
    kernels; ``reset_after=True`` (the default) applies the reset gate after the recurrent
    matmul and has a ``(2, 3 * units)`` bias (input row, recurrent row)."""

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0, recurrent_dropout=0.0,
                 reset_after=True, seed=None, implementation=2, **kwargs):
        super().__init__(**kwargs)
        self._rnn_init(units, activation, use_bias, kernel_initializer, recurrent_initializer, bias_initializer,
                       dropout, recurrent_dropout, seed,
                       dict(kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
                            bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
                            recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint))
        self.recurrent_activation = activations_get(recurrent_activation)
        self.implementation = 1 if self.recurrent_dropout != 0.0 else implementation
        if self.implementation == 1:
            self.dropout_mask_count = 3
        self.reset_after = reset_after
        self.state_size = self.units

    def build(self, input_shape):
        bias_shape = (2, 3 * self.units) if self.reset_after else (3 * self.units,)
        _rnn_cell_weights(self, (input_shape[-1], 3 * self.units), (self.units, 3 * self.units), bias_shape,
                          self.bias_initializer)
        self.built = True

    def call(self, inputs, states, training=False):
        nested = isinstance(states, (list, tuple))
        h_tm1 = states[0] if nested else states
        u = self.units
        input_bias = recurrent_bias = None
        if self.use_bias:
            if self.reset_after:
                input_bias, recurrent_bias = tf.unstack(self.bias)  # one read of the variable
            else:
                input_bias = self.bias
        dropping = training and 0.0 < self.dropout < 1.0
        if self.implementation == 1:
            dp = self.get_dropout_mask(inputs) if dropping else None
            x_z = tf.matmul(inputs * dp[0] if dp else inputs, self.kernel[:, :u])
            x_r = tf.matmul(inputs * dp[1] if dp else inputs, self.kernel[:, u:2 * u])
            x_h = tf.matmul(inputs * dp[2] if dp else inputs, self.kernel[:, 2 * u:])
            if self.use_bias:
                x_z += input_bias[:u]
                x_r += input_bias[u:2 * u]
                x_h += input_bias[2 * u:]
            rdp = self.get_recurrent_dropout_mask(h_tm1) if training and 0.0 < self.recurrent_dropout < 1.0 else None
            h_z, h_r, h_h = (h_tm1 * rdp[0], h_tm1 * rdp[1], h_tm1 * rdp[2]) if rdp else (h_tm1, h_tm1, h_tm1)
            recurrent_z = tf.matmul(h_z, self.recurrent_kernel[:, :u])
            recurrent_r = tf.matmul(h_r, self.recurrent_kernel[:, u:2 * u])
            if self.reset_after and self.use_bias:
                recurrent_z += recurrent_bias[:u]
                recurrent_r += recurrent_bias[u:2 * u]
            z = self.recurrent_activation(x_z + recurrent_z)
            r = self.recurrent_activation(x_r + recurrent_r)
            if self.reset_after:
                recurrent_h = tf.matmul(h_h, self.recurrent_kernel[:, 2 * u:])
                if self.use_bias:
                    recurrent_h += recurrent_bias[2 * u:]
                recurrent_h = r * recurrent_h
            else:
                recurrent_h = tf.matmul(r * h_h, self.recurrent_kernel[:, 2 * u:])
        else:
            if dropping:
                inputs = inputs * self.get_dropout_mask(inputs)
            matrix_x = tf.matmul(inputs, self.kernel)
            if self.use_bias:
                matrix_x = tf.nn.bias_add(matrix_x, input_bias)  # Keras's ops.add of a vector: the same sums
            x_z, x_r, x_h = tf.split(matrix_x, 3, axis=-1)  # one op, as Keras splits (not three slices)
            if self.reset_after:
                matrix_inner = tf.matmul(h_tm1, self.recurrent_kernel)
                if self.use_bias:
                    matrix_inner += recurrent_bias
            else:
                matrix_inner = tf.matmul(h_tm1, self.recurrent_kernel[:, :2 * u])
            z = self.recurrent_activation(x_z + matrix_inner[:, :u])
            r = self.recurrent_activation(x_r + matrix_inner[:, u:2 * u])
            if self.reset_after:
                recurrent_h = r * matrix_inner[:, 2 * u:]
            else:
                recurrent_h = tf.matmul(r * h_tm1, self.recurrent_kernel[:, 2 * u:])
        hh = self.activation(x_h + recurrent_h)
        h = z * h_tm1 + (1 - z) * hh
        return h, [h] if nested else h


class LSTMCell(_RNNCellBase):
    """``keras.layers.LSTMCell``: gates ``i, f, c, o`` side by side in the kernels;
    ``unit_forget_bias`` starts the forget gate's bias at one."""

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, implementation=2, **kwargs):
        super().__init__(**kwargs)
        self._rnn_init(units, activation, use_bias, kernel_initializer, recurrent_initializer, bias_initializer,
                       dropout, recurrent_dropout, seed,
                       dict(kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
                            bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
                            recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint))
        self.recurrent_activation = activations_get(recurrent_activation)
        self.implementation = 1 if self.recurrent_dropout != 0.0 else implementation
        if self.implementation == 1:
            self.dropout_mask_count = 4
        self.unit_forget_bias = unit_forget_bias
        self.state_size = [self.units, self.units]

    def build(self, input_shape):
        u, init = self.units, self.bias_initializer
        if self.unit_forget_bias:
            def bias_initializer(shape, dtype=None):
                return tf.concat([init((u,), dtype=dtype), tf.ones((u,), dtype=dtype), init((2 * u,), dtype=dtype)], 0)
        else:
            bias_initializer = init
        _rnn_cell_weights(self, (input_shape[-1], 4 * u), (u, 4 * u), (4 * u,), bias_initializer)
        self.built = True

    def call(self, inputs, states, training=False):
        h_tm1, c_tm1 = states[0], states[1]
        u = self.units
        if self.implementation == 1:
            dp = self.get_dropout_mask(inputs) if training and 0.0 < self.dropout < 1.0 else None
            xs = [tf.matmul(inputs * dp[k] if dp else inputs, self.kernel[:, k * u:(k + 1) * u]) for k in range(4)]
            if self.use_bias:
                xs = [x + self.bias[k * u:(k + 1) * u] for k, x in enumerate(xs)]
            rdp = self.get_recurrent_dropout_mask(h_tm1) if training and 0.0 < self.recurrent_dropout < 1.0 else None
            hs = [h_tm1 * rdp[k] if rdp else h_tm1 for k in range(4)]
            ra, rk = self.recurrent_activation, self.recurrent_kernel
            i = ra(xs[0] + tf.matmul(hs[0], rk[:, :u]))
            f = ra(xs[1] + tf.matmul(hs[1], rk[:, u:2 * u]))
            c = f * c_tm1 + i * self.activation(xs[2] + tf.matmul(hs[2], rk[:, 2 * u:3 * u]))
            o = ra(xs[3] + tf.matmul(hs[3], rk[:, 3 * u:]))
        else:
            if training and 0.0 < self.dropout < 1.0:
                inputs = inputs * self.get_dropout_mask(inputs)
            z = tf.matmul(inputs, self.kernel) + tf.matmul(h_tm1, self.recurrent_kernel)
            if self.use_bias:
                z = tf.nn.bias_add(z, self.bias)
            z0, z1, z2, z3 = tf.split(z, 4, axis=1)  # one op per step, as Keras's cell (four slices were four)
            i = self.recurrent_activation(z0)
            f = self.recurrent_activation(z1)
            c = f * c_tm1 + i * self.activation(z2)
            o = self.recurrent_activation(z3)
        h = o * self.activation(c)
        return h, [h, c]


class StackedRNNCells(Layer):
    """``keras.layers.StackedRNNCells``: cells applied one after the other at each step; the
    state is the list of each cell's state."""

    def __init__(self, cells, **kwargs):
        super().__init__(**kwargs)
        for cell in cells:
            if not hasattr(cell, "call") or not hasattr(cell, "state_size"):
                raise ValueError(f"All cells must have a `call` method and a `state_size` attribute. Received: {cell}")
        self.cells = cells

    @property
    def state_size(self):
        return [c.state_size for c in self.cells]

    @property
    def output_size(self):
        return _rnn_output_size(self.cells[-1])

    def get_initial_state(self, batch_size=None):
        return [_rnn_initial_state(cell, batch_size, self.compute_dtype) for cell in self.cells]

    def build(self, input_shape):
        for cell in self.cells:
            if _is_rnn_layer(cell) and not cell.built:
                cell._build_for(_RNNShape(input_shape))
            input_shape = (input_shape[0], _rnn_output_size(cell))
        self.built = True

    def call(self, inputs, states, training=False, **kwargs):
        new_states = []
        for cell, state in zip(self.cells, states):
            state_is_list = isinstance(state, (list, tuple))
            state = list(state) if state_is_list else [state]
            cell_kwargs = dict(kwargs)
            if _is_rnn_layer(cell) and _call_spec(type(cell)).takes_training:
                cell_kwargs["training"] = training
            inputs, state = cell(inputs, state, **cell_kwargs)
            if len(state) == 1 and not state_is_list:
                state = state[0]
            new_states.append(state)
        if len(new_states) == 1:
            new_states = new_states[0]
        return inputs, new_states


class _RNNShape:
    """A static shape given to ``Layer._build_for`` (which reads ``.shape``)."""

    def __init__(self, shape):
        self.shape = tf.TensorShape(list(shape))


def _is_rnn_layer(value):
    return getattr(type(value), "_xlate_layer", False)


def _rnn_output_size(cell):
    size = getattr(cell, "output_size", None)
    if size is not None:
        return size
    return cell.state_size[0] if isinstance(cell.state_size, (list, tuple)) else cell.state_size


def _rnn_initial_state(cell, batch_size, dtype):
    fn = getattr(cell, "get_initial_state", None)
    if fn is not None:
        return fn(batch_size=batch_size)
    if isinstance(cell.state_size, int):
        return tf.zeros((batch_size, cell.state_size), dtype=dtype)
    return [tf.zeros((batch_size, d), dtype=dtype) for d in cell.state_size]


def _rnn_config_dropout_masks(cell, step_input, state):
    """Draw the cells' dropout masks before the loop, in Keras's order (``RNN._maybe_config_dropout_masks``)."""
    first = state[0] if isinstance(state, (list, tuple)) else state
    if isinstance(cell, _DropoutRNNCell):
        cell.get_dropout_mask(step_input)
        cell.get_recurrent_dropout_mask(first)
    if isinstance(cell, StackedRNNCells):
        for c, s in zip(cell.cells, state):
            _rnn_config_dropout_masks(c, step_input, s)
            step_input = tf.zeros([tf.shape(step_input)[0], _rnn_output_size(c)], step_input.dtype)


def _rnn_reset_dropout_masks(cell):
    if isinstance(cell, _DropoutRNNCell):
        cell.reset_dropout_mask()
        cell.reset_recurrent_dropout_mask()
    if isinstance(cell, StackedRNNCells):
        for c in cell.cells:
            _rnn_reset_dropout_masks(c)


# --- the loop over time ------------------------------------------------------------------


def _rnn_where(mask_t, new, old):
    """``new`` where the step's mask (batch,) is set, else ``old``."""
    for _ in range(new.shape.rank - 1):
        mask_t = mask_t[..., None]
    return tf.where(mask_t, new, old)


def _rnn_loop(step, inputs, initial_states, go_backwards=False, mask=None, unroll=False,
              zero_output_for_mask=False, return_all_outputs=True, output_size=None):
    """Keras's ``backend.rnn`` (TensorFlow backend) for batch-major ``inputs``:
    ``(last_output, outputs, states)``, ``outputs`` in the order of the steps taken (reversed
    with ``go_backwards``)."""
    inputs = tf.transpose(inputs, [1, 0] + list(range(2, inputs.shape.rank)))
    time_steps = inputs.shape[0]
    if mask is not None:
        mask = tf.cast(mask, tf.bool)
        if mask.shape.rank == 3:
            mask = mask[:, :, 0]
        mask = tf.transpose(mask, [1, 0])
    states = tuple(initial_states)
    if unroll:
        if not time_steps:
            raise ValueError("Unrolling requires a fixed number of timesteps.")
        steps = tf.unstack(inputs)
        masks = tf.unstack(mask) if mask is not None else None
        if go_backwards:
            steps.reverse()
            if masks is not None:
                masks.reverse()
        outputs = []
        for t in range(time_steps):
            output, new_states = step(steps[t], states)
            if masks is not None:
                output = _rnn_where(masks[t], output, outputs[-1] if outputs else tf.zeros_like(output))
                flat = [_rnn_where(masks[t], n, s) for n, s in zip(tf.nest.flatten(new_states), tf.nest.flatten(states))]
                new_states = tf.nest.pack_sequence_as(states, flat)
            states = tuple(new_states)
            outputs = outputs + [output] if return_all_outputs else [output]
        last_output = outputs[-1]
        outputs = tf.stack(outputs)
        if masks is not None and zero_output_for_mask:
            # Keras zeroes with the mask in input order, also when the steps ran backwards
            last_output = _rnn_where(masks[-1], last_output, tf.zeros_like(last_output))
            step_mask = mask
            for _ in range(outputs.shape.rank - 2):
                step_mask = step_mask[..., None]
            outputs = tf.where(step_mask, outputs, tf.zeros_like(outputs))
    else:
        n = tf.shape(inputs)[0] if time_steps is None else time_steps
        if go_backwards:
            inputs = tf.reverse(inputs, [0])
            if mask is not None:
                mask = tf.reverse(mask, [0])
        input_ta = tf.TensorArray(inputs.dtype, size=n).unstack(inputs)
        mask_ta = tf.TensorArray(tf.bool, size=n).unstack(mask) if mask is not None else None
        if output_size is None:
            output_size = step(inputs[0], states)[0].shape[1:]
        # one sample's output shape: (units,), or (rows, cols, filters) for a convolutional cell
        output_shape = [output_size] if isinstance(output_size, int) else list(output_size)
        zero_output = tf.zeros([tf.shape(inputs)[1]] + output_shape, inputs.dtype)
        output_ta = tf.TensorArray(inputs.dtype, size=n if return_all_outputs else 1,
                                   element_shape=tf.TensorShape([inputs.shape[1]] + output_shape))
        flat_states = tuple(tf.nest.flatten(states))
        # the previous output is carried only where a mask needs it (as Keras's loop): a loop
        # variable costs every step
        carried = (zero_output,) if mask_ta is not None else ()

        def body(time, ta, *rest):
            prev, flat = rest[:len(carried)], rest[len(carried):]
            old = tf.nest.pack_sequence_as(states, list(flat))
            output, new_states = step(input_ta.read(time), old)
            flat_new = tf.nest.flatten(new_states)
            if mask_ta is not None:
                m = mask_ta.read(time)
                output = _rnn_where(m, output, zero_output if zero_output_for_mask else prev[0])
                flat_new = [_rnn_where(m, a, b) for a, b in zip(flat_new, flat)]
            ta = ta.write(time if return_all_outputs else 0, output)
            return (time + 1, ta) + ((output,) if carried else ()) + tuple(flat_new)

        final = tf.while_loop(lambda time, *_: time < n, body, (tf.constant(0), output_ta) + carried + flat_states,
                              maximum_iterations=n, parallel_iterations=32, swap_memory=True)
        outputs = final[1].stack()
        last_output = outputs[-1]
        states = tf.nest.pack_sequence_as(states, list(final[2 + len(carried):]))
    outputs = tf.transpose(outputs, [1, 0] + list(range(2, outputs.shape.rank)))
    return last_output, outputs, list(states)


# --- recurrent layers --------------------------------------------------------------------


class RNN(Layer):
    """``keras.layers.RNN``: a cell applied over the time axis (``return_sequences``,
    ``return_state``, ``go_backwards``, ``stateful``, ``unroll``, masks, ``initial_state``)."""

    def __init__(self, cell, return_sequences=False, return_state=False, go_backwards=False, stateful=False,
                 unroll=False, zero_output_for_mask=False, **kwargs):
        if isinstance(cell, (list, tuple)):
            cell = StackedRNNCells(cell)
        if not hasattr(cell, "call") or not hasattr(cell, "state_size"):
            raise ValueError(f"Argument `cell` should have a `call` method and a `state_size` attribute. "
                             f"Received: cell={cell}")
        super().__init__(**kwargs)
        self.zero_output_for_mask = zero_output_for_mask
        self.cell = cell
        self.return_sequences = return_sequences
        self.return_state = return_state
        self.go_backwards = go_backwards
        self.stateful = stateful
        self.unroll = unroll
        self.supports_masking = True
        self.states = None
        state_size = cell.state_size
        self.single_state = isinstance(state_size, int)
        self.state_size = [state_size] if self.single_state else list(state_size)

    def build(self, sequences_shape, initial_state_shape=None):
        if isinstance(sequences_shape, list) and sequences_shape and isinstance(sequences_shape[0], (tuple, list)):
            sequences_shape = sequences_shape[0]
        step_shape = (sequences_shape[0],) + tuple(sequences_shape[2:])
        if _is_rnn_layer(self.cell) and not self.cell.built:
            self.cell._build_for(_RNNShape(step_shape))
        if self.stateful:
            if sequences_shape[0] is None:
                raise ValueError("When using `stateful=True` in a RNN, the batch size must be static. Found dynamic "
                                 f"batch size: sequence.shape={sequences_shape}")
            self.states = tf.nest.map_structure(
                lambda value: tf.Variable(value, trainable=False, name="rnn_state"),
                self.get_initial_state(sequences_shape[0]))
        self.built = True

    def get_initial_state(self, batch_size):
        state = _rnn_initial_state(self.cell, batch_size, self.dtype)
        return list(state) if isinstance(state, (list, tuple)) else [state]

    def reset_state(self):
        if self.states is not None:
            for v in tf.nest.flatten(self.states):
                v.assign(tf.zeros_like(v))

    def reset_states(self):
        self.reset_state()

    def compute_mask(self, inputs, mask):
        mask = tf.nest.flatten(mask)[0] if mask is not None else None
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask] + [None for _ in self.state_size]
        return output_mask

    def inner_loop(self, sequences, initial_state, mask, training=False):
        cell_kwargs = {"training": training} if _is_rnn_layer(self.cell) and _call_spec(
            type(self.cell)).takes_training else {}

        def step(inputs, states):
            output, new_states = self.cell(inputs, states, **cell_kwargs)
            if not isinstance(new_states, (list, tuple)):
                new_states = [new_states]
            return output, new_states

        size = getattr(self.cell, "output_size", None)
        return _rnn_loop(step, sequences, initial_state, go_backwards=self.go_backwards, mask=mask,
                         unroll=self.unroll, zero_output_for_mask=self.zero_output_for_mask,
                         return_all_outputs=self.return_sequences,
                         output_size=size if isinstance(size, (int, tuple)) else None)

    def call(self, sequences, initial_state=None, mask=None, training=False):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        if self.unroll and sequences.shape[1] is None:
            raise ValueError("Cannot unroll a RNN if the time dimension is undefined.")
        if initial_state is None:
            if self.stateful:
                initial_state = tf.nest.map_structure(tf.convert_to_tensor, self.states)
            else:
                initial_state = self.get_initial_state(tf.shape(sequences)[0])
        if not isinstance(initial_state, (list, tuple)):
            initial_state = [initial_state]
        # Keras's RNN.call: the states in the cell's compute dtype (float16 under mixed_float16)
        initial_state = tf.nest.map_structure(lambda x: tf.convert_to_tensor(x, dtype=self.cell.compute_dtype),
                                              list(initial_state))
        _rnn_config_dropout_masks(self.cell, sequences[:, 0, :], initial_state)
        try:
            last_output, outputs, states = self.inner_loop(sequences, initial_state, mask, training=training)
        finally:
            _rnn_reset_dropout_masks(self.cell)
        if self.stateful:
            for variable, state in zip(tf.nest.flatten(self.states), tf.nest.flatten(states)):
                variable.assign(state)
        output = outputs if self.return_sequences else last_output
        if self.return_state:
            return (output, *states)
        return output


def _rnn_cell_kwargs(kwargs):
    return {"dtype": kwargs.get("dtype"), "trainable": kwargs.get("trainable", True)}


class SimpleRNN(RNN):
    """``keras.layers.SimpleRNN``: an RNN of a SimpleRNNCell named ``simple_rnn_cell``."""

    def __init__(self, units, activation="tanh", use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros", kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0, recurrent_dropout=0.0,
                 return_sequences=False, return_state=False, go_backwards=False, stateful=False, unroll=False,
                 seed=None, **kwargs):
        cell = SimpleRNNCell(units, activation=activation, use_bias=use_bias, kernel_initializer=kernel_initializer,
                             recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
                             kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
                             bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
                             recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint,
                             dropout=dropout, recurrent_dropout=recurrent_dropout, seed=seed,
                             name="simple_rnn_cell", **_rnn_cell_kwargs(kwargs))
        # Keras's SimpleRNN takes activity_regularizer and drops it (no activity loss): so here
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll, **kwargs)

    @property
    def units(self):
        return self.cell.units


class GRU(RNN):
    """``keras.layers.GRU``: an RNN of a GRUCell named ``gru_cell`` (Keras's cuDNN path, taken
    on GPU only, computes the same function)."""

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
                 dropout=0.0, recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, unroll=False, reset_after=True, use_cudnn="auto", **kwargs):
        cell = GRUCell(units, activation=activation, recurrent_activation=recurrent_activation, use_bias=use_bias,
                       kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
                       bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
                       recurrent_regularizer=recurrent_regularizer, bias_regularizer=bias_regularizer,
                       kernel_constraint=kernel_constraint, recurrent_constraint=recurrent_constraint,
                       bias_constraint=bias_constraint, dropout=dropout, recurrent_dropout=recurrent_dropout,
                       reset_after=reset_after, seed=seed, implementation=kwargs.pop("implementation", 2),
                       name="gru_cell", **_rnn_cell_kwargs(kwargs))
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll,
                         activity_regularizer=activity_regularizer, **kwargs)
        if use_cudnn not in ("auto", True, False):
            raise ValueError(f"Invalid valid received for argument `use_cudnn`. Expected one of "
                             f"{{'auto', True, False}}. Received: use_cudnn={use_cudnn}")
        self.use_cudnn = use_cudnn

    @property
    def units(self):
        return self.cell.units

    @property
    def reset_after(self):
        return self.cell.reset_after


class LSTM(RNN):
    """``keras.layers.LSTM``: an RNN of an LSTMCell named ``lstm_cell`` (Keras's cuDNN path,
    taken on GPU only, computes the same function); the states are ``[h, c]``."""

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
                 dropout=0.0, recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, unroll=False, use_cudnn="auto", **kwargs):
        cell = LSTMCell(units, activation=activation, recurrent_activation=recurrent_activation, use_bias=use_bias,
                        kernel_initializer=kernel_initializer, unit_forget_bias=unit_forget_bias,
                        recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
                        kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
                        bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
                        recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint, dropout=dropout,
                        recurrent_dropout=recurrent_dropout, seed=seed,
                        implementation=kwargs.pop("implementation", 2), name="lstm_cell", **_rnn_cell_kwargs(kwargs))
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll,
                         activity_regularizer=activity_regularizer, **kwargs)
        if use_cudnn not in ("auto", True, False):
            raise ValueError(f"Invalid valid received for argument `use_cudnn`. Expected one of "
                             f"{{'auto', True, False}}. Received: use_cudnn={use_cudnn}")
        self.use_cudnn = use_cudnn

    @property
    def units(self):
        return self.cell.units


# --- wrappers ----------------------------------------------------------------------------


def _rnn_clone(layer, name, **changes):
    """A fresh copy of an unbuilt layer (Keras clones through ``get_config``)."""
    if getattr(layer, "built", False) and layer.weights:
        raise NotImplementedError("Bidirectional of a layer that already has weights is not translated: Keras "
                                  "makes new weights for its copies; pass a layer that was not called yet")
    clone = copy.deepcopy(layer)
    clone._keras_name = name
    for key, value in changes.items():
        setattr(clone, key, value)
    return clone


def _rnn_strip(name, prefix):
    return name[len(prefix):] if name.startswith(prefix) else name


class Bidirectional(Layer):
    """``keras.layers.Bidirectional``: a copy of the layer forwards (``forward_<name>``) and one
    with ``go_backwards`` (``backward_<name>``, or ``backward_layer``), the backward outputs
    reversed back and merged (``concat``, ``sum``, ``mul``, ``ave`` or ``None`` for both).
    Weights: the forward layer's, then the backward layer's."""

    def __init__(self, layer, merge_mode="concat", weights=None, backward_layer=None, **kwargs):
        if merge_mode not in ("sum", "mul", "ave", "concat", None):
            raise ValueError(f"Invalid merge mode. Received: {merge_mode}. Merge mode should be one of "
                             '{"sum", "mul", "ave", "concat", None}')
        if weights:
            raise NotImplementedError("Bidirectional(weights=...) is not translated: use set_weights() after a call")
        super().__init__(**kwargs)
        self.forward_layer = _rnn_clone(layer, "forward_" + _rnn_strip(layer.name, "forward_"))
        if backward_layer is None:
            self.backward_layer = _rnn_clone(layer, "backward_" + _rnn_strip(layer.name, "backward_"),
                                             go_backwards=True)
        else:
            self.backward_layer = backward_layer
        if self.forward_layer.go_backwards == self.backward_layer.go_backwards:
            raise ValueError("Forward layer and backward layer should have different `go_backwards` value.")
        for attr in ("stateful", "return_sequences", "return_state"):
            if getattr(self.forward_layer, attr) != getattr(self.backward_layer, attr):
                raise ValueError(f'Forward layer and backward layer are expected to have the same value for '
                                 f'attribute "{attr}"')
        for sub in (self.forward_layer, self.backward_layer):
            if getattr(sub, "zero_output_for_mask", None) is not None:
                sub.zero_output_for_mask = sub.return_sequences
        self.merge_mode = merge_mode
        self.stateful = layer.stateful
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        self.supports_masking = True

    @property
    def states(self):
        if self.forward_layer.states and self.backward_layer.states:
            return tuple(self.forward_layer.states + self.backward_layer.states)
        return None

    def reset_state(self):
        if not self.stateful:
            raise AttributeError("Layer must be stateful.")
        self.forward_layer.reset_state()
        self.backward_layer.reset_state()

    def reset_states(self):
        self.reset_state()

    def call(self, sequences, initial_state=None, mask=None, training=None):
        kwargs = {}
        if _call_spec(type(self.forward_layer)).takes_training:
            kwargs["training"] = training
        if _call_spec(type(self.forward_layer)).takes_mask:
            kwargs["mask"] = mask
        forward_state = backward_state = None
        if initial_state is not None:
            half = len(initial_state) // 2
            forward_state, backward_state = initial_state[:half], initial_state[half:]
        y = self.forward_layer(sequences, initial_state=forward_state, **kwargs)
        y_rev = self.backward_layer(sequences, initial_state=backward_state, **kwargs)
        states = ()
        if self.return_state:
            states = tuple(y[1:]) + tuple(y_rev[1:])
            y, y_rev = y[0], y_rev[0]
        if self.return_sequences:
            y_rev = tf.reverse(y_rev, [1])
        if self.merge_mode == "concat":
            output = tf.concat([y, y_rev], axis=-1)
        elif self.merge_mode == "sum":
            output = y + y_rev
        elif self.merge_mode == "ave":
            output = (y + y_rev) / 2
        elif self.merge_mode == "mul":
            output = y * y_rev
        else:
            output = (y, y_rev)
        if self.return_state:
            return (output + states) if self.merge_mode is None else (output,) + states
        return output

    def compute_mask(self, inputs, mask):
        if isinstance(mask, list):
            mask = mask[0]
        if self.return_sequences:
            output_mask = (mask, mask) if not self.merge_mode else mask
        else:
            output_mask = (None, None) if not self.merge_mode else None
        if self.return_state and self.states is not None:
            state_mask = tuple(None for _ in self.states)
            return (output_mask,) + state_mask * 2
        return output_mask


class TimeDistributed(Layer):
    """``keras.layers.TimeDistributed``: the inner layer applied to each time step (a Python
    loop over a known number of steps, as Keras; ``tf.vectorized_map`` otherwise), with the
    step's mask where the inner layer takes one. The output carries the input's mask."""

    def __init__(self, layer, **kwargs):
        super().__init__(**kwargs)
        self.layer = layer
        self.supports_masking = True

    def build(self, input_shape):
        if not isinstance(input_shape, (tuple, list)) or len(input_shape) < 3:
            raise ValueError(f"`TimeDistributed` Layer should be passed an `input_shape` with at least 3 "
                             f"dimensions, received: {input_shape}")
        if _is_rnn_layer(self.layer) and not self.layer.built:
            self.layer._build_for(_RNNShape((input_shape[0],) + tuple(input_shape[2:])))
        self.built = True

    def call(self, inputs, training=None, mask=None):
        spec = _call_spec(type(self.layer))
        perm = [1, 0] + list(range(2, inputs.shape.rank))
        inputs = tf.transpose(inputs, perm)
        if mask is not None:
            mask = tf.transpose(mask, [1, 0] + list(range(2, mask.shape.rank)))

        def step(i):
            kwargs = {}
            if spec.takes_mask and mask is not None:
                kwargs["mask"] = mask[i]
            if spec.takes_training:
                kwargs["training"] = training
            return self.layer.call(inputs[i], **kwargs)

        if inputs.shape[0] is not None:
            outputs = tf.stack([step(i) for i in range(inputs.shape[0])])
        else:
            outputs = tf.vectorized_map(step, tf.range(tf.shape(inputs)[0]))
        return tf.transpose(outputs, [1, 0] + list(range(2, outputs.shape.rank)))


class Masking(Layer):
    """``keras.layers.Masking``: steps whose features all equal ``mask_value`` are zeroed and
    masked (the output's Keras mask is ``any(inputs != mask_value, axis=-1)``)."""

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        self.mask_value = mask_value
        self.supports_masking = True

    def compute_mask(self, inputs, mask=None):
        return tf.reduce_any(tf.not_equal(inputs, tf.cast(self.mask_value, inputs.dtype)), axis=-1)

    def call(self, inputs):
        keep = tf.reduce_any(tf.not_equal(inputs, tf.cast(self.mask_value, inputs.dtype)), axis=-1, keepdims=True)
        outputs = tf.where(keep, inputs, tf.zeros_like(inputs))
        _set_keras_mask(outputs, tf.squeeze(keep, axis=-1))
        return outputs
