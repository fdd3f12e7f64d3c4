"""Keras's model-building semantics in plain TensorFlow: the base of translated programs.

``xlate to-tf`` copies what a translated file needs from this directory into the file (this
directory is not a package: the static commands read it as text and never import it). The
classes mirror what a Keras program relies on and what still means something without Keras:

- :class:`Layer`: a ``tf.Module`` that builds on its first call (``build(input_shape)``),
  creates weights with ``add_weight``, tracks sub-layers in assignment order (lists and
  dicts too, and layers appended to a list attribute later), passes the ``training`` flag
  down as Keras's call context does, lists its weights in Keras's ``get_weights()`` order,
  and follows its dtype policy (tfr_dtype.py: inputs cast to the compute dtype, variables in
  the variable dtype, read in the compute dtype while a mixed-precision layer runs).
- :class:`Model`: a :class:`Layer` with ``summary``, ``layers``, ``get_layer``,
  ``count_params``, ``save_weights``/``load_weights`` (``load_weights`` also reads Keras's
  weights files, tfr_saving.py); given a *graph function* (the statements of a functional
  Keras model, from its ``Input`` to its outputs) it runs that
  function once at construction (traced, so unknown dimensions stay unknown) to make its
  layers, and again on every call, where ``Input(...)`` gives the call's inputs and each
  layer construction gives back the layer made at that position of the first run.
- :class:`Sequential`: a :class:`Model` applying its layers in order.
- :func:`Input` / :class:`InputLayer`: an input of a graph function, or the declared input
  of a ``Sequential``.
"""

import collections
import copy
import functools
import inspect
import re
import sys
import threading
import types
import warnings

import tensorflow as tf
from tfr_constraints import constraints_get
from tfr_dtype import _AutocastScope, _dtype_policies_get, _standardize_dtype
from tfr_initializers import _INITIALIZERS
from tfr_regularizers import regularizers_get
from tfr_saving import _load_keras_weights

# --- the call context: which graph function runs, and the training flag -------------------


class _Frame:
    """One running call: of a graph function (``graph`` is set) or of any layer."""

    def __init__(self, graph=None, mode=None, training=None):
        self.graph = graph  # the Model whose graph function runs
        self.mode = mode  # "record" (construction) or "replay" (a call)
        self.reuse = mode == "replay"  # give back the layers of an earlier run instead of making new ones
        self.training = training
        self.made = []  # record: layers made by the graph function, in order
        self.cursor = 0  # replay: the next made layer to give back
        self.inputs = []  # record: placeholders of the Inputs; replay: the call's inputs by Input order
        self.input_specs = []  # record: (shape, dtype, name) of each Input
        self.nodes = []  # record: (layer, input tensors, output tensors) of each top-level call
        self.input_cursor = 0  # replay: the next Input to give back
        self.input_layers = None  # record, building a model: the InputLayer of each Input (kept across traces)
        self.depth = 0  # layer calls under way inside this graph function
        self.given = False  # Inputs give back ``inputs`` even while recording (a replay of another model's graph)
        self.partial = None  # a _Partial: this run replays only the nodes a sub-model needs
        self.sources = None  # id(model) -> [model, wanted items, final]: the other models' tensors it reads
        self.source_values = {}  # this run: id(model) -> {item: tensor}
        self.source_inputs = {}  # this run: (id(model), Input #k) -> tensor
        self.source_models = frozenset()  # ids of the models the graph function takes to read their tensors
        self.source_keys = []  # record: per Input, (id(model), k) when it is another model's Input #k, else None
        self.source_positions = {}  # replay: (id(model), k) -> Input # of this model (absent: not taken)
        self.source_models_seen = {}  # record: id(model) -> model, for the keys above
        self.node_outputs = {}  # this run: (id(model), node #i) -> what a replay of that node gave
        self.declared_values = {}  # this run: id(declared input) -> its tensor as an Input of this graph


def _shared_state():
    """State shared by every copy of these classes in the process: a translated program can
    span several files, each holding its own copy, and a graph function of one file runs
    layers of another."""
    state = sys.modules.get("_xlate_tf_state")
    if state is None:
        state = types.ModuleType("_xlate_tf_state")
        state.local = threading.local()
        state.uids = collections.defaultdict(int)
        state.uid_lock = threading.Lock()
        state = sys.modules.setdefault("_xlate_tf_state", state)
    return state


_STATE = _shared_state()


def _stack():
    stack = getattr(_STATE.local, "stack", None)
    if stack is None:
        stack = _STATE.local.stack = []
    return stack


def _is_layer(value):
    """A layer of these classes, from this file's copy or another's."""
    return getattr(type(value), "_xlate_layer", False)


def _graph_frame():
    """The innermost running graph function's frame, if layers are made directly in it."""
    for frame in reversed(_stack()):
        if frame.graph is not None:
            return frame if frame.depth == 0 else None
    return None


class _CallContext:
    """Keras's ``CallContext``: one object per outermost layer call, shared by every call
    nested in it. Each layer call writes the ``training`` value it resolved into it, so a
    later sibling with no explicit ``training`` inherits the last value written (Keras 3
    behaves so: ``self.bn(x, training=False)`` then ``self.dropout(x)`` runs the dropout in
    inference even when the model is called with ``training=True``)."""

    training = None


def _resolve_training(spec, kwargs):
    """``Layer._resolve_and_populate_arg`` of Keras for ``training``: the value passed (even
    ``None``), else the context's if not ``None``, else the ``call`` signature's default;
    stashed in the context; given to ``call`` only if it takes it and the value is not None."""
    context = _STATE.local.context
    graph = _graph_frame()
    if graph is not None and graph.training is not None:
        # a graph function passes its call's flag to its layers, also over a flag written at
        # the call (`base(x, training=False)`): Keras 3's Functional gives every operation of
        # its graph the flag it is called with when that is not None (`operation_fn`,
        # keras-team/keras#20285), so `fit` trains an unfrozen base's BatchNormalization
        kwargs["training"] = graph.training
    if "training" in kwargs:
        training = kwargs["training"]
    elif context.training is not None:
        training = context.training
    else:
        training = spec.training_default
    context.training = training
    if spec.takes_training and training is not None:
        kwargs["training"] = training
    else:
        kwargs.pop("training", None)
    return graph


# --- names -------------------------------------------------------------------------------

def _snake(name):
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def _unique_name(prefix):
    """Keras's automatic layer names: ``dense``, ``dense_1``, ... per process."""
    with _STATE.uid_lock:
        n = _STATE.uids[prefix]
        _STATE.uids[prefix] += 1
    return prefix if n == 0 else f"{prefix}_{n}"


def _identifier(name):
    """A ``tf.Module`` name (a Python identifier) for a Keras layer name."""
    name = re.sub(r"\W", "_", name)
    return name if name and not name[0].isdigit() else "_" + name


# --- layers ------------------------------------------------------------------------------


def _guarded_init(init):
    """``__init__`` that does nothing on a layer given back by a graph function's replay."""
    if getattr(init, "_xlate_guarded", False):
        return init

    @functools.wraps(init)
    def __init__(self, *args, **kwargs):
        if self.__dict__.pop("_xlate_reused", False):
            return
        if "_xlate_arguments" not in self.__dict__:  # the most derived constructor's: get_config's arguments
            self.__dict__["_xlate_arguments"] = _Arguments(init, args, kwargs)
        # layers made inside a layer's constructor belong to it, not to the graph function
        stack = _stack()
        frames = [frame for frame in stack if frame.graph is not None]
        for frame in frames:
            frame.depth += 1
        try:
            # tensors a constructor makes outlive the construction trace: make them eagerly
            with tf.init_scope():
                init(self, *args, **kwargs)
        finally:
            for frame in frames:
                frame.depth -= 1

    __init__._xlate_guarded = True
    return __init__


class _Arguments:
    """The arguments a layer's constructor was given (a plain object, so ``tf.Module`` does not
    walk the layers or variables among them)."""

    def __init__(self, init, args, kwargs):
        self.init, self.args, self.kwargs = init, args, kwargs

    def bound(self, layer):
        """Every parameter of the constructor, as given or defaulted; ``**kwargs`` spread."""
        bound = inspect.signature(self.init).bind(layer, *self.args, **self.kwargs)
        bound.apply_defaults()
        out = {}
        for i, (name, value) in enumerate(bound.arguments.items()):
            kind = bound.signature.parameters[name].kind
            if i == 0:
                continue  # self
            if kind is inspect.Parameter.VAR_KEYWORD:
                out.update(value)
            elif kind is inspect.Parameter.VAR_POSITIONAL:
                if value:
                    raise NotImplementedError(f"get_config: {type(layer).__name__} was given *{name}, which a config "
                                              "cannot name")
            else:
                out[name] = value
        return out


def _marking_build(build):
    """``build`` that marks the layer built, as Keras's ``build_wrapper`` does: a parent that
    builds its sub-layers by hand (``self.block.build(shape)``) does not have them built again
    (with new weights) on their first call."""
    if getattr(build, "_xlate_marks", False):
        return build

    @functools.wraps(build)
    def wrapper(self, *args, **kwargs):
        result = build(self, *args, **kwargs)
        self.built = True
        return result

    wrapper._xlate_marks = True
    return wrapper


def _adapting_once(adapt):
    """``adapt`` called while a graph function runs (a builder adapting its layer before
    calling it): once, eagerly, when the model is made, as Keras adapts it once before the
    model exists. A call of the model replays the graph function and gets the same, adapted
    layer back: adapting it again there would recompute its state from the data on every call
    (and overwrite weights set since), so it does nothing."""
    if getattr(adapt, "_xlate_once", False):
        return adapt

    @functools.wraps(adapt)
    def wrapper(self, *args, **kwargs):
        frame = _graph_frame()
        if frame is None:
            return adapt(self, *args, **kwargs)
        if frame.reuse:
            return None
        with tf.init_scope():
            return adapt(self, *args, **kwargs)

    wrapper._xlate_once = True
    return wrapper


def eagerly(compute):
    """A TensorFlow op on Python values whose result the program reads in Python while a
    model's graph is built (``[x for x in tf.linspace(0.0, rate, n)]``): Keras ran those
    statements once, eagerly, and the op gave an eager tensor; the graph function runs them
    while it is traced, so the op runs outside the trace (``tf.init_scope``) and gives that
    same eager tensor, which Python iterates and converts."""
    with tf.init_scope():
        return compute()


class _Fresh:
    """A graph function's default argument that the graph changes in place (``groups.pop(0)``
    on a builder's configuration list). Keras ran the graph's statements once; the graph
    function runs again at tf.function's second trace and at every call of the model. The first
    run takes the object itself, as Keras's one run did (the program sees it changed after the
    model statement, as it did); every later run takes a copy of it as it was before the first."""

    __slots__ = ("value", "before", "taken")
    _xlate_fresh = True  # (read by _run_graph_function: the class is written out only where `fresh` is)

    def __init__(self, value, name):
        self.value = value
        try:
            self.before = copy.deepcopy(value)
        except Exception as exc:  # the graph cannot run again on what it changes
            raise TypeError(f"xlate: `{name}`, which the model's graph changes in place, cannot be copied for the "
                            f"graph's later runs ({type(exc).__name__}: {exc})") from exc
        self.taken = False

    def take(self):
        if not self.taken:
            self.taken = True
            return self.value
        return copy.deepcopy(self.before)


def fresh(value, name="value"):
    """Mark a graph function's default argument the graph changes in place (:class:`_Fresh`)."""
    return _Fresh(value, name)


def _check_name(name, type_too=False):
    """Keras 3's check of a layer's or a weight's name (``Operation.__init__``,
    ``Variable.__init__``): a string without ``/`` (Keras 2 allowed ``"block/conv"``)."""
    if not isinstance(name, str) or "/" in name:
        raise ValueError("Argument `name` must be a string and cannot contain character `/`. "
                         f"Received: name={name}" + (f" (of type {type(name)})" if type_too else ""))


_LAYER_KWARGS = {"input_shape", "input_dim", "batch_input_shape", "batch_size", "input_length",
                 "activity_regularizer", "weights"}


class Layer(tf.Module):
    """The base of every translated layer: Keras ``Layer`` semantics on a ``tf.Module``."""

    _xlate_layer = True
    _xlate_hooks = None  # tfr_submodels.py, when the program has a model on part of another's graph

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        _STATE.__dict__.setdefault("layer_bases", set()).add(Layer)  # where variable autocasting is installed
        if "__init__" in cls.__dict__:
            cls.__init__ = _guarded_init(cls.__dict__["__init__"])
        if "build" in cls.__dict__:
            cls.build = _marking_build(cls.__dict__["build"])
        if "adapt" in cls.__dict__:
            cls.adapt = _adapting_once(cls.__dict__["adapt"])

    def __repr__(self):
        """Keras's ``<Dense name=dense, built=True>``; a model made from a graph is Keras's
        ``Functional``."""
        cls = type(self)
        kind = "Functional" if cls.__dict__.get("_xlate_base") and self.__dict__.get("_graph") is not None else cls.__name__
        return f"<{kind} name={getattr(self, 'name', None)}, built={getattr(self, 'built', False)}>"

    def __new__(cls, *args, **kwargs):
        frame = _graph_frame()
        if frame is not None and frame.reuse:
            if frame.cursor >= len(frame.made):
                raise RuntimeError(f"{frame.graph.name}: the graph function made more layers than on its first run")
            layer = frame.made[frame.cursor]
            frame.cursor += 1
            if type(layer) is not cls:
                raise RuntimeError(f"{frame.graph.name}: the graph function made a {cls.__name__} where its first "
                                   f"run made a {type(layer).__name__}")
            layer.__dict__["_xlate_reused"] = True
            return layer
        layer = super().__new__(cls)
        if frame is not None:
            frame.made.append(layer)
        return layer

    def __init__(self, *, trainable=True, name=None, dtype=None, autocast=True, **kwargs):
        unknown = set(kwargs) - _LAYER_KWARGS
        if unknown:
            raise TypeError(f"{type(self).__name__}: unexpected keyword arguments {sorted(unknown)}")
        if self.__dict__.pop("_xlate_reused", False):
            return
        if name is not None:
            _check_name(name, type_too=True)
        self.activity_regularizer = regularizers_get(kwargs.get("activity_regularizer"))
        keras_name = name or _unique_name(_snake(type(self).__name__))
        super().__init__(name=_identifier(keras_name))
        self._keras_name = keras_name
        self._layers = []
        self._own_trainable = []
        self._own_non_trainable = []
        self._trainable = trainable
        self.built = False
        self._dtype_policy = _dtype_policies_get(dtype)
        self.autocast = autocast
        shape = kwargs.get("batch_input_shape")
        if shape is None and kwargs.get("input_shape") is not None:
            shape = (kwargs.get("batch_size"),) + tuple(kwargs["input_shape"])
        if shape is None and kwargs.get("input_dim") is not None:
            shape = (kwargs.get("batch_size"), kwargs["input_dim"])
        self._declared_input_shape = shape

    # -- naming and tracking

    @property
    def name(self):
        return self.__dict__.get("_keras_name") or super().name

    def __setattr__(self, attr, value):
        tracking = not attr.startswith("_xlate") and "_layers" in self.__dict__
        if tracking:
            for layer in _layers_in(value):
                self._xlate_track(layer)
        super().__setattr__(attr, value)
        if tracking and isinstance(value, list) and attr not in _UNWATCHED:
            _watch_list(self.__dict__.get(attr), self)

    def _xlate_track(self, layer):
        if layer is not self and all(layer is not seen for seen in self._layers):
            self._layers.append(layer)

    def _xlate_untrack(self, layer):
        self._layers[:] = [seen for seen in self._layers if seen is not layer]

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        self._trainable = bool(value)
        for layer in self._layers:
            if _is_layer(layer):
                layer.trainable = value

    # -- dtypes: Keras's dtype policy (tfr_dtype.py)

    @property
    def dtype_policy(self):
        return self._dtype_policy

    @dtype_policy.setter
    def dtype_policy(self, value):
        self._dtype_policy = _dtype_policies_get(value)

    @property
    def dtype(self):
        """The variables' dtype (Keras's alias of ``variable_dtype``)."""
        return self._dtype_policy.variable_dtype

    @property
    def variable_dtype(self):
        return self._dtype_policy.variable_dtype

    @property
    def compute_dtype(self):
        return self._dtype_policy.compute_dtype

    @property
    def input_dtype(self):
        return self._dtype_policy.compute_dtype

    @property
    def quantization_mode(self):
        return None

    @property
    def input_spec(self):
        """Keras's ``input_spec``: kept as a record (Keras checks inputs against it)."""
        return self.__dict__.get("_xlate_input_spec")

    @input_spec.setter
    def input_spec(self, value):
        self._xlate_input_spec = value

    # -- weights

    def add_weight(self, *args, shape=None, initializer=None, dtype=None, trainable=True, autocast=True,
                   regularizer=None, constraint=None, aggregation="none", overwrite_with_gradient=False, name=None):
        """A ``tf.Variable`` of this layer, as Keras's ``add_weight`` makes it (in the variable
        dtype of the layer's policy unless ``dtype`` is given; with ``autocast``, read in the
        compute dtype while a layer with mixed dtypes runs). Keras's positional arguments are
        ``shape``, ``initializer``, ``dtype``; a name first (Keras 2's order) raises its error."""
        if args:
            if len(args) > 3:
                raise TypeError(f"add_weight() takes at most 3 positional arguments but {len(args)} were given.")
            if isinstance(args[0], str):
                raise ValueError("`name` must be passed as a keyword argument. "
                                 f"Received: add_weight('{args[0]}', ...). Use: add_weight(shape=..., name='{args[0]}').")
            for given, label in ((shape, "shape"), (initializer, "initializer"), (dtype, "dtype"))[: len(args)]:
                if given is not None:
                    raise ValueError(f"`{label}` was passed both positionally and as a keyword argument.")
            shape = args[0]
            initializer = args[1] if len(args) > 1 else initializer
            dtype = args[2] if len(args) > 2 else dtype
        if name is not None:
            _check_name(name)
        dtype = tf.as_dtype(self.variable_dtype if dtype is None else _standardize_dtype(dtype))
        if initializer is None:
            initializer = "glorot_uniform" if dtype.is_floating else "zeros"
        init = initializers_get(initializer)
        shape = tuple(int(d) for d in _standardize_shape(() if shape is None else shape))
        with tf.init_scope():
            variable = tf.Variable(init(shape, dtype=dtype), trainable=trainable, dtype=dtype,
                                   name=f"{self.name}/{name}" if name else self.name)
        variable._xlate_autocast = bool(autocast)
        variable.path = f"{self.name}/{name}" if name else self.name  # Keras's variable path (a callback's log names)
        variable._xlate_initializer = init  # fills a clone's copy afresh (tfr_cloning.py)
        variable.regularizer = regularizers_get(regularizer)  # evaluated by ``losses``, as Keras's variable's
        variable._xlate_constraint = constraints_get(constraint)  # applied by the optimizer after each update
        (self._own_trainable if trainable else self._own_non_trainable).append(variable)
        return variable

    def add_variable(self, shape, initializer, dtype=None, trainable=True, autocast=True, regularizer=None,
                     constraint=None, name=None):
        """Keras's alias of :meth:`add_weight` (shape and initializer first)."""
        return self.add_weight(shape=shape, initializer=initializer, dtype=dtype, trainable=trainable, autocast=autocast,
                               regularizer=regularizer, constraint=constraint, name=name)

    @property
    def weights(self):
        """The variables in the order of Keras's ``layer.weights``: own trainable, own
        non-trainable, then each sub-layer's in tracking order, without repeats."""
        out, seen = [], set()
        for v in self._own_trainable + self._own_non_trainable:
            if id(v) not in seen:
                seen.add(id(v))
                out.append(v)
        for layer in self._weight_layers():
            for v in layer.weights:
                if id(v) not in seen:
                    seen.add(id(v))
                    out.append(v)
        return out

    def _weight_layers(self):
        return self._layers

    @property
    def trainable_weights(self):
        if not self.trainable:
            return []
        return [v for v in self.weights if v.trainable and self._variable_trainable(v)]

    @property
    def non_trainable_weights(self):
        trainable = {id(v) for v in self.trainable_weights}
        return [v for v in self.weights if id(v) not in trainable]

    def _variable_trainable(self, variable):
        """False when the variable belongs to a frozen (``trainable = False``) sub-layer."""
        for layer in self._layers:
            if _is_layer(layer) and any(v is variable for v in layer.weights):
                return layer.trainable and layer._variable_trainable(variable)
        return True

    @property
    def trainable_variables(self):
        return self.trainable_weights

    @property
    def non_trainable_variables(self):
        return self.non_trainable_weights

    @property
    def variables(self):
        return self.weights

    def ordered_variables(self):
        """The variables in the order of the Keras model's ``get_weights()``."""
        if not self.built:
            raise ValueError(f"{self.name}: call the model once first: its variables are created on the first call")
        return self.weights

    def get_weights(self):
        return [v.numpy() for v in self.weights]

    def set_weights(self, weights):
        """Load weights given in Keras's order, e.g. ``keras_model.get_weights()``."""
        variables = self.weights
        if len(weights) != len(variables):  # Keras's words (Layer.set_weights)
            raise ValueError(f"You called `set_weights(weights)` on layer '{self.name}' with a weight list of length "
                             f"{len(weights)}, but the layer was expecting {len(variables)} weights.")
        for variable, value in zip(variables, weights):
            if tuple(variable.shape) != tuple(value.shape):
                raise ValueError(f"Layer {self.name} weight shape {tuple(variable.shape)} is not compatible with "
                                 f"provided weight shape {tuple(value.shape)}.")
            variable.assign(value)

    def count_params(self):
        return sum(int(tf.size(v)) for v in self.weights)

    # -- losses: Keras 3's ``add_loss`` / ``losses`` (``keras/src/layers/layer.py``)

    def add_loss(self, loss):
        """A scalar loss of this call (cleared when the next outermost layer call starts). A
        value that is not a tensor (a callable, a Python number) raises Keras 3's ValueError."""
        losses = tf.nest.flatten(loss)
        for x in losses:
            if not tf.is_tensor(x):
                raise ValueError(
                    "`add_loss()` can only be called from inside `build()` or "
                    f"`call()`, on a tensor input. Received invalid value: {x}"
                )
        self.__dict__.setdefault("_xlate_losses", []).extend(losses)

    @property
    def losses(self):
        """Keras's ``layer.losses``: this layer's ``add_loss`` losses of the last call, each
        sub-layer's (in Keras's ``_flatten_layers`` order), then the weight regularizers'
        penalties over ``trainable_weights``, computed from the current values."""
        out = list(self.__dict__.get("_xlate_losses", [])) + self._xlate_standing_losses()
        for layer in _flatten_sublayers(self):
            if _is_keras_layer(layer):
                out.extend(layer._get_own_losses())
            else:
                out.extend(layer.__dict__.get("_xlate_losses", []))
                if _is_layer(layer):
                    out.extend(layer._xlate_standing_losses())
        for variable in self.trainable_weights:
            regularizer = getattr(variable, "regularizer", None)
            if regularizer is not None:
                out.append(regularizer(variable))
        return out

    def _xlate_standing_losses(self):
        """Losses computed whenever ``losses`` is read, not recorded by a call (tf.keras 2's
        callable losses: ``hub.KerasLayer``'s regularization losses, tfr_hub.py)."""
        return []

    def _xlate_clear_losses(self):
        self.__dict__["_xlate_losses"] = []
        for layer in self.__dict__.get("_layers", []):
            if _is_keras_layer(layer):
                layer._clear_losses()
            elif hasattr(layer, "_xlate_clear_losses"):
                layer._xlate_clear_losses()

    def _xlate_activity_losses(self, outputs):
        """Keras's ``Layer.__call__``: ``activity_regularizer(output)`` per output tensor,
        divided by the batch size (``divide_no_nan``) unless the output is a scalar."""
        for output in tf.nest.flatten(outputs):
            if tf.is_tensor(output):
                loss = self.activity_regularizer(output)
                if output.shape.rank != 0:
                    loss = tf.math.divide_no_nan(loss, tf.cast(tf.shape(output)[0], loss.dtype))
                self.add_loss(loss)

    # -- Keras's ``layer.input`` / ``layer.output``: the tensors of its first call on symbolic
    #    inputs (Keras's first inbound node), as symbols with Keras's shape and dtype

    @property
    def input(self):
        return self._xlate_first_node_io("node_in", 0, "input")

    @property
    def output(self):
        return self._xlate_first_node_io("node", 1, "output")

    def _xlate_first_node_io(self, item, which, what):
        node = self.__dict__.get("_xlate_node")
        frame = _graph_frame()
        if node is not None and frame is not None and id(node[0]) in frame.source_models:
            # inside a graph function: this run's tensors of the layer's first node
            return Layer._xlate_hooks.source_values(frame, node[0], (item, node[1]))
        return _first_call_symbols(self, which, what)

    # -- calling

    def build(self, input_shape):
        """Create the weights for inputs of this shape (called once, before the first call)."""
        self.built = True

    def call(self, inputs, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} has no call()")

    def __call__(self, *args, **kwargs):
        partial = _partial_frame()
        if partial is not None:  # a replay of part of a model's graph (docs/design.md)
            return partial.partial.call(partial, self, args, kwargs)
        if args:
            args = (tf.nest.map_structure(_as_tensor, args[0]),) + args[1:]
        spec = _call_spec(type(self))
        entry = getattr(_STATE.local, "context", None) is None
        if entry:
            _STATE.local.context = _CallContext()
            self._xlate_clear_losses()  # as Keras's entry layer clears its tree's losses
        stack = _stack()
        try:
            graph = _resolve_training(spec, kwargs)
            if "mask" in kwargs and kwargs["mask"] is None and not spec.takes_mask:
                kwargs.pop("mask")
            record = graph is not None and graph.mode == "record"
            node_args, node_kwargs = args, dict(kwargs)  # a graph node records the call as written
            if spec.convert_inputs and self.__dict__.get("_graph") is None:
                args, kwargs = _convert_inputs(self, args, kwargs)
            if spec.convert_inputs:
                _check_positional(args)
            first_arg, previous_mask = _masks_for_call(self, args, kwargs)
            for frame in stack:
                frame.depth += frame.graph is not None
            stack.append(_Frame())
            try:
                if not self.built:
                    self._build_for(args[0] if args else kwargs.get("inputs"))
                scope = _autocast_scope_for(self)
                if scope is None:
                    outputs = self.call(*args, **kwargs)
                else:
                    outer = getattr(_STATE.local, "autocast", None)
                    _STATE.local.autocast = scope
                    try:
                        outputs = self.call(*args, **kwargs)
                    finally:
                        _STATE.local.autocast = outer
                if getattr(self, "activity_regularizer", None) is not None and not record:
                    self._xlate_activity_losses(outputs)  # a graph function's construction run records no loss
                if _supports_masking(self):
                    _set_output_masks(self, first_arg, outputs, previous_mask)
            finally:
                stack.pop()
                for frame in stack:
                    frame.depth -= frame.graph is not None
        finally:
            if entry:
                _STATE.local.context = None
        if "_xlate_io" not in self.__dict__ and not tf.executing_eagerly():
            # the first symbolic call's shapes: Keras's ``layer.input``/``output`` shapes (plot_model)
            self.__dict__["_xlate_io"] = _io_shapes(node_args[:1], outputs)
        if record:
            flat_in = tf.nest.flatten((node_args, node_kwargs))
            passed = {_key(t) for t in flat_in if hasattr(t, "op")}
            if any(hasattr(t, "op") and _key(t) in passed for t in tf.nest.flatten(outputs)):
                # a layer giving back its input (Dropout in inference, Identity) makes a new
                # tensor, as a Keras layer makes a new KerasTensor: the graph stays acyclic
                outputs = tf.nest.map_structure(
                    lambda t: tf.identity(t) if hasattr(t, "op") and _key(t) in passed else t, outputs)
            graph.nodes.append((self, flat_in, tf.nest.flatten(outputs)))
        return outputs

    def _build_for(self, inputs):
        if type(self).build not in (Layer.build, Model.build):
            shapes = tf.nest.map_structure(lambda t: tuple(tf.TensorShape(t.shape).as_list()) if hasattr(t, "shape") else None,
                                           inputs)
            with tf.init_scope():  # what build() makes outlives the trace it may run in (as variables do)
                self.build(shapes)
        self.built = True

    def get_config(self):
        """Keras's base config (``name``, ``trainable``, ``dtype`` as Keras's policy dict) and, for
        a class that has no ``get_config`` of its own, its constructor's arguments as given and
        defaulted, the objects themselves (docs/design.md, "Keras's configuration
        serialization in a program")."""
        config = {"name": self.name, "trainable": self.trainable,
                  "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": self._dtype_policy.name},
                            "registered_name": None}}
        mro = [c for c in type(self).__mro__ if c is not Layer and issubclass(c, Layer) and not c.__dict__.get("_xlate_base")]
        overriding = [i for i, c in enumerate(mro) if "get_config" in c.__dict__]
        if overriding:  # called by super() from a subclass's get_config: Keras's base keys
            below = [c for c in mro[overriding[-1] + 1:] if "__init__" in c.__dict__]
            if below:
                raise NotImplementedError(f"get_config: the config {below[0].__name__} adds below "
                                          f"{mro[overriding[-1]].__name__}.get_config is not translated")
            return config
        arguments = self.__dict__.get("_xlate_arguments")
        if arguments is None or type(self).__dict__.get("_xlate_base"):  # a functional model, a Sequential
            return config
        for key, value in arguments.bound(self).items():
            config.setdefault(key, value)
        # a built-in layer's config gives its shape arguments as Keras's get_config does, normalized
        # (kernel_size=5 -> (5, 5), data_format None -> "channels_last"), not as given
        owner = next((c for c in type(self).__mro__
                      if arguments.init in (c.__dict__.get("__init__"), getattr(c.__dict__.get("__init__"), "__wrapped__", None))),
                     None)
        for key in getattr(owner, "_xlate_config_attrs", ()):
            if key in config and key in self.__dict__:
                config[key] = self.__dict__[key]
        return config

    @classmethod
    def from_config(cls, config):
        """Keras's ``Layer.from_config``: the class called with the config."""
        return cls(**config)

    def compute_output_shape(self, *input_shapes, **named_shapes):
        """The output shape for inputs of these shapes (one per positional input; a list or
        dict of shapes for a layer taking several), ``None`` for unknown dimensions: the call
        traced on symbolic inputs, as Keras's default ``compute_output_spec`` does. A layer
        not built yet is built for these shapes. The trace is dropped: no loss, node or state
        update of it remains. A shape may be given by keyword, as Keras allows
        (``model.compute_output_shape(input_shape=(16, 28, 28, 1))``): after the positional ones."""
        input_shapes = input_shapes + tuple(named_shapes.values())
        if not input_shapes:
            raise TypeError("compute_output_shape() needs the input shape")
        layers = [self] + _flatten_sublayers(self)
        losses = [layer.__dict__.get("_xlate_losses") for layer in layers]
        local = _STATE.local
        saved = (getattr(local, "stack", None), getattr(local, "context", None))
        local.stack, local.context = [], _CallContext()  # outside any graph function, not an outermost call
        dtype = tf.as_dtype(self.input_dtype) if "float" in self.input_dtype else tf.float32
        found = []

        def trace():
            placeholders = [tf.nest.map_structure(lambda shape: tf.compat.v1.placeholder(dtype, shape),
                                                  _as_shape_structure(shape), check_types=False) for shape in input_shapes]
            found[:] = [tf.nest.map_structure(lambda t: tuple(t.shape.as_list()), self(*placeholders))]

        try:
            _trace_once(trace)
        finally:
            local.stack, local.context = saved
            for layer, kept in zip(layers, losses):
                if kept is None:
                    layer.__dict__.pop("_xlate_losses", None)
                else:
                    layer.__dict__["_xlate_losses"] = kept
        return found[0]

    def compute_mask(self, inputs, mask=None):
        """The Keras mask of the outputs (Keras's default: the input's mask, passed through
        when the layer ``supports_masking``)."""
        return mask

    compute_mask._xlate_default = True


# --- dtype policies: Keras's input casting and variable autocasting (tfr_dtype.py) ----------

# Keras layers whose ``__call__`` leaves inputs as they are (``_convert_input_args = False``):
# the preprocessing layers, which cast (or not) in their own ``call``
_KEEPS_INPUTS = {"_ImageAugmentation", "StringLookup", "IntegerLookup", "Hashing", "HashedCrossing", "Discretization",
                 "TextVectorization", "CategoryEncoding", "Rescaling", "Resizing", "CenterCrop", "Normalization",
                 "_IndexLookup", "Pipeline"}


def _adjust_rank(x, shape):
    """Keras's ``Functional._adjust_input_rank``: an input one axis short of its ``Input``
    whose last dimension is 1 gets that axis (``(n, 28, 28)`` for ``Input((28, 28, 1))``),
    one with an extra last axis of size 1 loses it; any other input is left as it is."""
    x_shape = getattr(x, "shape", None)
    if shape is None or x_shape is None:
        return x
    x_shape = tf.TensorShape(x_shape)
    if x_shape.rank is None or x_shape.rank == len(shape):
        return x
    if x_shape.rank == len(shape) + 1 and x_shape[-1] == 1:
        return tf.squeeze(x, axis=-1)
    if x_shape.rank == len(shape) - 1 and shape[-1] == 1:
        return tf.expand_dims(x, axis=-1)
    return x


def _to_dtype(x, dtype):
    """``keras.ops.convert_to_tensor(x, dtype)`` of the TensorFlow backend: an array is
    converted (through its own dtype, then cast, for an integer or bool ``dtype``, which
    TensorFlow will not convert floats to), a tensor of another dtype is cast."""
    if dtype is None:
        return tf.convert_to_tensor(x)
    dtype = tf.as_dtype(dtype)
    if not tf.is_tensor(x):
        if dtype == tf.bool or dtype.is_integer:
            return tf.cast(tf.convert_to_tensor(x), dtype)
        return tf.convert_to_tensor(x, dtype=dtype)
    if x.dtype != dtype:
        return tf.cast(x, dtype)
    return x


def _convert_inputs(layer, args, kwargs):
    """Keras's ``Layer.__call__`` step 1: arrays become tensors, and floating tensors are cast
    to the layer's input dtype (its compute dtype) when it ``autocast``s; masks stay."""
    dtype = layer.input_dtype
    if not kwargs and len(args) == 1 and tf.is_tensor(args[0]) and args[0].dtype.name == dtype:
        return args, kwargs  # Keras's shortcut for the common case
    policy = layer._dtype_policy

    def convert(x):
        y = policy.convert_input(x, layer.autocast, dtype)
        if y is not x:
            mask = _keras_mask(x)
            if mask is not None:
                _set_keras_mask(y, mask)
        return y

    return tf.nest.map_structure(convert, args), tf.nest.map_structure(convert, kwargs)


def _autocast_scope_for(layer):
    """The autocast scope ``layer.call`` runs in, as Keras's ``Layer.__call__`` step 7 picks it:
    None to keep the current one."""
    current = getattr(_STATE.local, "autocast", None)
    compute, variable = layer.compute_dtype, layer.variable_dtype
    if current is not None:
        if not layer.autocast or "float" not in compute:
            return _AutocastScope(None) if current.dtype is not None else None
        if current.dtype is None or current.dtype.name != compute:
            scope = _AutocastScope(compute)
        else:
            return None
    elif compute != variable:
        scope = _AutocastScope(compute)
    else:
        return None
    _install_autocast()
    return scope


def _install_autocast():
    """Variables read through layers' attributes honour the autocast scope from now on. Only
    programs that run a layer with mixed dtypes pay for the attribute hook."""
    for base in _STATE.__dict__.get("layer_bases", ()):
        if base.__dict__.get("__getattribute__") is not _autocast_getattribute:
            base.__getattribute__ = _autocast_getattribute


def _autocast_getattribute(self, name):
    """A layer's attribute; a float variable made with ``add_weight(autocast=True)`` comes back
    cast to the innermost autocast scope's dtype (Keras casts a variable's value so)."""
    value = object.__getattribute__(self, name)
    if isinstance(value, tf.Variable) and getattr(value, "_xlate_autocast", False):
        scope = getattr(_STATE.local, "autocast", None)
        if scope is not None and scope.dtype is not None and value.dtype.is_floating and value.dtype != scope.dtype:
            return tf.cast(value, scope.dtype)
    return value


# --- lists of layers on attributes: tracked when they grow, as Keras's ``TrackedList`` --------

_UNWATCHED = {"_layers", "_own_trainable", "_own_non_trainable"}
# Keras's ``TrackedList``: these methods track what they add and untrack what they take out
# (item assignment and ``+=`` do neither there: ``+=`` re-assigns the attribute, which tracks)
_GROWING = ("append", "extend", "insert")
_SHRINKING = ("remove", "pop", "clear", "__delitem__")


def _watch_list(stored, owner):
    """Layers later put in a list held by an attribute (``self.blocks = []`` then
    ``self.blocks.append(block)``) are tracked by ``owner`` then, in Keras's order, and layers
    taken out are untracked (Keras wraps the list so). ``stored`` is the list as the attribute
    holds it (TensorFlow's trackable wrapper); its class becomes a subclass that tells the
    owner."""
    if not isinstance(stored, list) or not hasattr(stored, "__dict__"):
        return
    owners = stored.__dict__.setdefault("_xlate_owners", [])
    if all(o is not owner for o in owners):
        owners.append(owner)
    base = type(stored)
    if getattr(base, "_xlate_watched", False):
        return
    watched = _STATE.__dict__.setdefault("watched_lists", {})
    if base not in watched:
        methods = {n: _list_hook(base, n) for n in _GROWING + _SHRINKING if hasattr(base, n)}
        watched[base] = type(base.__name__, (base,), {"_xlate_watched": True, **methods})
    stored.__class__ = watched[base]


def _list_hook(base, name):
    method = getattr(base, name)

    def hook(self, *args):
        if name in _GROWING:
            result = method(self, *args)
            added = list(args[-1]) if name == "extend" else [args[-1]]
            for layer in _layers_in(added):
                for owner in self.__dict__.get("_xlate_owners", ()):
                    owner._xlate_track(layer)
            return result
        if name == "remove":
            taken = [args[0]]
        elif name == "pop":
            taken = [self[args[0] if args else -1]]
        elif name == "clear":
            taken = list(self)
        else:
            taken = [self[args[0]]]
        result = method(self, *args)
        for layer in _layers_in(taken):
            for owner in self.__dict__.get("_xlate_owners", ()):
                owner._xlate_untrack(layer)
        return result

    hook.__name__ = name
    return hook


def _as_shape_structure(shape):
    """A shape (a tuple, list or ``TensorShape`` of ints and None) as a ``TensorShape``, or a
    list/tuple/dict of shapes with each shape so."""
    if isinstance(shape, tf.TensorShape):
        return shape
    if isinstance(shape, dict):
        return {k: _as_shape_structure(v) for k, v in shape.items()}
    if isinstance(shape, (list, tuple)) and all(d is None or isinstance(d, int) for d in shape):
        return tf.TensorShape(list(shape))
    if isinstance(shape, (list, tuple)):
        return type(shape)(_as_shape_structure(s) for s in shape) if isinstance(shape, list) else \
            tuple(_as_shape_structure(s) for s in shape)
    raise ValueError(f"not a shape: {shape!r}")


def _flatten_sublayers(layer):
    """Keras's ``_flatten_layers(include_self=False)``: depth first, each layer's sub-layers
    pushed to the front of the queue in reverse (``deque.extendleft``)."""
    out, seen = [], set()
    queue = collections.deque(layer.__dict__.get("_layers", []))
    while queue:
        current = queue.popleft()
        if id(current) in seen:
            continue
        seen.add(id(current))
        out.append(current)
        queue.extendleft(getattr(current, "_layers", []))
    return out


def _standardize_shape(shape):
    """Keras's ``standardize_shape`` (a variable's shape: a layer's or a metric's weight), its errors
    word for word."""
    if not isinstance(shape, tuple):
        if shape is None:
            raise ValueError("Undefined shapes are not supported.")
        if not hasattr(shape, "__iter__"):
            raise ValueError(f"Cannot convert '{shape}' to a shape.")
        if isinstance(shape, tf.TensorShape):
            shape = shape.as_list()
    out = []
    for d in shape:
        if d is None:
            out.append(d)
            continue
        if isinstance(d, (str, float)):
            raise ValueError(f"Cannot convert '{shape}' to a shape. Found invalid dimension '{d}' of type '{type(d)}'. ")
        try:
            d = int(d)
        except Exception as e:
            raise ValueError(f"Cannot convert '{shape}' to a shape. Found invalid dimension '{d}' of type "
                             f"'{type(d)}'. ") from e
        if d < 0:
            raise ValueError(f"Cannot convert '{shape}' to a shape. Negative dimensions are not allowed.")
        out.append(d)
    return tuple(out)


def _check_positional(args):
    """Keras's ``Layer.__call__`` step 2: only tensors (or None) may be passed positionally
    (``layer(x, True)`` raises; ``training=`` and other values go as keywords), except to the
    layers that take raw data (``_KEEPS_INPUTS``: lookups, preprocessing)."""
    if len(args) == 1 and tf.is_tensor(args[0]):
        return  # the common call, as Keras skips its conversion for it
    for arg in tf.nest.flatten(args):
        # a tensor, a variable, or a symbolic tensor of the runtime: each has a shape and a dtype
        if arg is not None and not (hasattr(arg, "shape") and hasattr(arg, "dtype")):
            raise ValueError("Only input tensors may be passed as positional arguments. The following argument value "
                             f"should be passed as a keyword argument: {arg} (of type {type(arg)})")


def _as_tensor(value):
    """NumPy arrays become tensors, as Keras converts a layer's inputs."""
    if hasattr(value, "__array__") and not tf.is_tensor(value) and not isinstance(value, tf.Variable):
        return tf.convert_to_tensor(value)
    return value


def _layers_in(value):
    """The layers an attribute value holds (itself, or the layers in a list, tuple or dict)."""
    if _is_layer(value) or _is_keras_layer(value):
        return [value]
    if isinstance(value, (list, tuple)):
        return [layer for item in value for layer in _layers_in(item)]
    if isinstance(value, dict):
        return [layer for item in value.values() for layer in _layers_in(item)]
    return []


def _is_keras_layer(value):
    """A Keras layer kept as it is inside a translated program (it has its own weights)."""
    return type(value).__module__.startswith("keras") and hasattr(value, "weights") and callable(value)


# --- Keras masks: a boolean tensor carried on a tensor as its ``_keras_mask`` attribute ------


def _keras_mask(value):
    """The Keras mask a tensor carries (``None`` if none), as Keras's ``get_keras_mask``."""
    return getattr(value, "_keras_mask", None)


def _set_keras_mask(value, mask):
    try:
        value._keras_mask = mask
    except AttributeError:  # not a tensor (a Python number, ...): it carries no mask
        pass


def _supports_masking(layer):
    """Keras's ``supports_masking``: as set by the layer, else whether it overrides ``compute_mask``."""
    value = getattr(layer, "supports_masking", None)
    if value is None:
        return not getattr(type(layer).compute_mask, "_xlate_default", False)
    return bool(value)


def _is_tensor_like(value):
    return tf.is_tensor(value) or isinstance(value, tf.Variable) or hasattr(value, "__array__")


def _masks_for_call(layer, args, kwargs):
    """Keras's mask plumbing before a call (``Layer.__call__`` step 6): the first argument and
    the mask the outputs' masks derive from; ``kwargs`` gets ``mask=`` (the only tensor
    argument's Keras mask) or ``<name>_mask=`` (with several tensor arguments) where ``call``
    takes them and they were not given."""
    spec = _call_spec(type(layer))
    first_arg = args[0] if args else kwargs.get(spec.first_name)
    if spec.takes_mask or spec.named_masks:
        try:
            bound = spec.signature.bind(None, *args, **kwargs).arguments
        except TypeError:
            bound = {}
        names = [n for n in bound if n != spec.self_name]
        tensors = {}
        for name in names:
            value = bound[name]
            flat = [v for v in tf.nest.flatten(value) if v is not None]
            if flat and all(_is_tensor_like(v) for v in flat) and name not in ("mask", "training"):
                tensors[name] = value
        if len(tensors) == 1 and spec.takes_mask and kwargs.get("mask") is None:
            mask = tf.nest.map_structure(_keras_mask, next(iter(tensors.values())))
            if any(m is not None for m in tf.nest.flatten(mask)):
                kwargs["mask"] = mask
        elif len(tensors) > 1:
            for name, value in tensors.items():
                if f"{name}_mask" in spec.named_masks and kwargs.get(f"{name}_mask") is None:
                    mask = tf.nest.map_structure(_keras_mask, value)
                    if any(m is not None for m in tf.nest.flatten(mask)):
                        kwargs[f"{name}_mask"] = mask
    if kwargs.get("mask") is not None:
        return first_arg, kwargs["mask"]
    return first_arg, tf.nest.map_structure(_keras_mask, first_arg)


def _set_output_masks(layer, inputs, outputs, previous_mask):
    """Keras's ``_set_mask_metadata``: the outputs carry ``compute_mask(inputs, mask)``
    unless every output already carries one."""
    flat = tf.nest.flatten(outputs)
    if all(_keras_mask(t) is not None for t in flat):
        return
    masks = layer.compute_mask(inputs, previous_mask)
    if masks is None:
        return
    for tensor, mask in zip(flat, tf.nest.flatten(masks)):
        if _keras_mask(tensor) is None and mask is not None:
            _set_keras_mask(tensor, mask)


class _CallSpec:
    def __init__(self, cls):
        try:
            params = inspect.signature(cls.call).parameters
        except (TypeError, ValueError):
            params = {}
        self.convert_inputs = not any(c.__name__ in _KEEPS_INPUTS for c in cls.__mro__)
        self.takes_training = "training" in params or any(p.kind is p.VAR_KEYWORD for p in params.values())
        default = params["training"].default if "training" in params else None
        self.training_default = None if default is inspect.Parameter.empty else default
        self.takes_mask = "mask" in params
        self.named_masks = frozenset(p for p in params if p.endswith("_mask") and p != "mask")
        self.signature = inspect.signature(cls.call) if params else None
        names = list(params)
        self.self_name = names[0] if names else None
        self.first_name = names[1] if len(names) > 1 else None


@functools.cache
def _call_spec(cls):
    return _CallSpec(cls)


# --- inputs ------------------------------------------------------------------------------


class _DeclaredInput:
    """The declared input of a model outside a graph function (``Sequential([Input(...), ...])``)."""

    _xlate_input = True

    trainable = True

    def __init__(self, shape, dtype="float32", name=None):
        self.shape = tuple(shape)
        self.dtype = dtype
        self.name = name
        self._policy = _dtype_policies_get(None)  # Keras's InputLayer is a layer of the global policy
        if name is None:
            # Keras names an InputLayer for it: later automatic names count it (the name is kept
            # apart: a Sequential's functional graph, tfr_submodels, names its InputLayer so)
            self._xlate_auto_name = _unique_name("input_layer")

    # what Keras's InputLayer has as a layer of ``model.layers``: no weights, the global policy
    # when it was made (its ``dtype`` is the input's), built
    sparse = ragged = False
    autocast = built = True

    @property
    def dtype_policy(self):
        return self._policy

    @property
    def compute_dtype(self):
        return self._policy.compute_dtype

    input_dtype = compute_dtype

    @property
    def variable_dtype(self):
        return self._policy.variable_dtype

    @property
    def batch_shape(self):
        return self.shape

    @property
    def weights(self):
        return []

    trainable_weights = non_trainable_weights = variables = weights

    @property
    def output(self):
        """The Input's symbol (Keras's InputLayer ``output``); inside a graph function, this
        run's tensor for that Input of its model."""
        source = self.__dict__.get("_xlate_source")
        frame = _graph_frame()
        if source is not None and frame is not None and id(source[0]) in frame.source_models:
            return Layer._xlate_hooks.source_input(frame, source[0], source[1])
        return _CallSymbol(self.shape, str(self.dtype), self.name)

    @property
    def input(self):
        """Keras's InputLayer has no input tensors: its node's are an empty list."""
        return []

    def get_weights(self):
        return []

    def count_params(self):
        return 0

    def get_config(self):
        """Keras's ``InputLayer.get_config``."""
        return {"batch_shape": tuple(self.shape), "dtype": _standardize_dtype(self.dtype), "sparse": False,
                "ragged": False, "name": self.name, "optional": False}

    def __repr__(self):
        return f"<InputLayer name={self.name}, built=True>"


def _shape_tuple(shape):
    """An Input's ``shape`` as a tuple; Keras's error for one that is not a sequence
    (``Input(shape=(WINDOW_SIZE))`` is an int: ``standardize_shape``)."""
    if shape is None:
        return ()
    if not hasattr(shape, "__iter__"):
        raise ValueError(f"Cannot convert '{shape}' to a shape.")
    return tuple(shape)


def Input(shape=None, batch_size=None, dtype=None, name=None, batch_shape=None, tensor=None, sparse=None,
          ragged=None, optional=False):
    """An input of a graph function: the call's input when the model runs; outside a graph
    function, a declared input (a ``Sequential``'s, or one its caller gives a builder).

    ``Input(tensor=declared)`` in a graph function declares a declared input again as an Input
    of this model, sharing its InputLayer (docs/design.md, "Inputs made outside the graph"):
    Keras builds every model made from one ``keras.Input(...)`` on the same InputLayer."""
    if tensor is not None:
        if getattr(type(tensor), "_xlate_input", False):
            return _declared_again(tensor)
        return tensor
    if sparse or ragged:
        raise NotImplementedError("sparse and ragged inputs are not translated")
    if batch_shape is None:
        batch_shape = (batch_size,) + _shape_tuple(shape)
    dtype = dtype or "float32"
    frame = _graph_frame()
    if frame is None:
        return _DeclaredInput(batch_shape, dtype, name)
    return _graph_input(frame, tuple(batch_shape), dtype, name)


def _declared_again(declared):
    """A declared input given to ``Input(tensor=)``: outside a graph function itself (Keras's
    ``Input(tensor=t)`` gives ``t`` back); inside one, an Input of that model of the same
    shape, dtype and name, whose InputLayer is one per declared input (made once, with the
    name Keras gave it when it was declared)."""
    frame = _graph_frame()
    if frame is None:
        return declared
    layer = declared.__dict__.get("_xlate_input_layer")
    if layer is None:
        name = declared.name or declared.__dict__.get("_xlate_auto_name") or "input_layer"
        layer = InputLayer(batch_shape=declared.shape, dtype=declared.dtype, name=name)
        layer._policy = declared._policy  # Keras's InputLayer has the policy of when it was declared
        declared._xlate_input_layer = layer
    value = _graph_input(frame, tuple(declared.shape), declared.dtype, declared.name, layer)
    frame.declared_values[id(declared)] = value  # get_source_inputs(declared) in this run
    return value


def _graph_input(frame, batch_shape, dtype, name, layer=None):
    """This run's tensor for the next Input of the running graph function: on the first
    run a placeholder (the Input recorded, with its InputLayer: ``layer`` or a new one), on a
    call the call's input."""
    if frame.mode == "record" and not frame.given:
        if frame.input_layers is not None and len(frame.input_layers) <= len(frame.inputs):
            # Keras's InputLayer of this Input (in ``model.layers``), named once: a second
            # trace gives back the first's
            frame.input_layers.append(layer if layer is not None else
                                      InputLayer(batch_shape=batch_shape, dtype=dtype,
                                                 name=name or _unique_name("input_layer")))
        frame.input_specs.append((tuple(batch_shape), dtype, name))
        placeholder = tf.compat.v1.placeholder(tf.as_dtype(dtype), list(batch_shape), name=_identifier(name or "input"))
        frame.inputs.append(placeholder)
        frame.source_keys.append(None)
        return placeholder
    while frame.source_positions and frame.input_cursor in frame.source_positions.values():
        frame.input_cursor += 1  # another model's Input, given back by _source_input
    if frame.input_cursor >= len(frame.inputs):
        raise RuntimeError(f"{frame.graph.name}: the graph function made more Inputs than on its first run")
    frame.input_cursor += 1
    value = frame.inputs[frame.input_cursor - 1]
    return value.make() if hasattr(value, "make") else value  # tfr_submodels._StandIn


class InputLayer(_DeclaredInput):
    """``keras.layers.InputLayer``: a declared input (the first entry of a ``Sequential``)."""

    def __init__(self, shape=None, batch_size=None, dtype=None, name=None, batch_shape=None, input_shape=None,
                 **kwargs):
        shape = input_shape if shape is None else shape
        if batch_shape is None:
            batch_shape = (batch_size,) + _shape_tuple(shape)
        super().__init__(batch_shape, dtype or "float32", name)


# --- models ------------------------------------------------------------------------------


class Model(Layer):
    """Keras ``Model``: a subclass base, or, given a graph function, a functional model.

    ``Model(graph)`` runs ``graph()`` (which returns ``(inputs, outputs)``, or ``(inputs,
    outputs, traced)`` with the names the program reads after the model statement) once,
    traced, to make the model's layers and variables, then on every call with the call's
    inputs."""

    _xlate_base = True  # get_config: a base class, as Layer is

    def __init__(self, graph=None, *, name=None, trainable=True, **kwargs):
        if _is_layer(graph):
            # `super().__init__(self, name=name)`: Keras's Layer takes keywords only
            given = (name is not None) + len(kwargs)
            raise TypeError("Layer.__init__() takes 1 positional argument but 2 " + (
                f"positional arguments (and {given} keyword-only argument{'s' * (given > 1)}) were given" if given
                else "were given"))
        if graph is not None and name is None and type(self) is Model:
            # Keras's name of a plain Functional: functional, functional_1... (a subclass's is its own)
            name = _unique_name("functional")
        super().__init__(name=name, trainable=trainable, **kwargs)
        self._graph = graph
        if graph is not None:
            self._build_graph()

    # -- functional models

    def _build_graph(self):
        frame = _Frame(graph=self, mode="record", training=False)
        frame.input_layers = []
        frame.sources = {}

        def trace():
            # tf.function traces twice when the first trace creates variables: the second
            # run gives back the layers of the first and records anew
            frame.reuse, frame.cursor = bool(frame.made), 0
            frame.inputs, frame.input_specs, frame.nodes = [], [], []
            frame.source_values, frame.source_inputs, frame.source_keys = {}, {}, []
            frame.node_outputs, frame.declared_values = {}, {}
            _stack().append(frame)
            try:
                inputs, outputs, traced = _run_graph_function(self._graph)
            finally:
                _stack().pop()
            frame.structure = (inputs, outputs)
            frame.traced = traced  # for tfr_submodels: where each traced tensor comes from
            # the values of the names the program reads after the model statement; its graph
            # tensors become symbols a later graph function takes (docs/design.md, "Several
            # models on one graph")
            self._traced = {}
            for key, value in traced.items():
                self._traced[key] = tf.nest.map_structure(
                    lambda v, key=key: _GraphSymbol(self, key, v, frame.inputs) if isinstance(v, tf.Tensor) else v, value)
            return outputs

        _trace_once(trace)
        if any(not entry[2] for entry in frame.sources.values()):
            # the first run found which tensors of other models the graph reads (as
            # placeholders); the second replays each of those models once for all of them
            for entry in frame.sources.values():
                entry[2] = True
            Layer._xlate_hooks.given_items(self, frame)  # inputs that are tensors inside another graph
            _trace_once(trace)
        inputs, outputs = frame.structure
        flat_inputs = tf.nest.flatten(inputs)
        if frame.sources:
            Layer._xlate_hooks.drop_untaken(self, frame, flat_inputs, outputs)
        position = {id(t): i for i, t in enumerate(flat_inputs)}
        if any(id(p) not in position for p in frame.inputs) or len(flat_inputs) != len(frame.inputs):
            raise ValueError(f"{self.name}: the model's inputs must be the Inputs its graph function creates")
        self._made = frame.made
        self._input_structure = tf.nest.map_structure(lambda t: 0, inputs)  # no graph tensors kept: deepcopy
        self._input_order = [position[id(p)] for p in frame.inputs]  # Input #k -> position in the flat inputs
        self._input_specs = frame.input_specs
        self._xlate_source_positions = {key: k for k, key in enumerate(frame.source_keys) if key is not None}
        if self._xlate_source_positions or frame.sources:
            self._xlate_source_models = dict(frame.source_models_seen)
            self._xlate_source_models.update({key: entry[0] for key, entry in frame.sources.items()})
        # ``model.layers``: with an InputLayer for each Input, where Keras's depth order puts it;
        # without them, the layers in the order of the weights (the inputs change no depth)
        self._graph_layers_and_inputs = _keras_order(frame.nodes, frame.inputs, tf.nest.flatten(outputs),
                                                     frame.input_layers)
        self._graph_layers = [layer for layer in self._graph_layers_and_inputs if not isinstance(layer, _DeclaredInput)]
        names = [layer.name for layer in self._graph_layers_and_inputs]
        for name in names:  # Keras's map_graph, in its words (serialized nodes name their operations)
            if names.count(name) != 1:
                raise ValueError(f'The name "{name}" is used {names.count(name)} times in the model. All operation '
                                 "names should be unique.")
        self._xlate_edges = _graph_edges(frame.nodes, frame.inputs, frame.input_layers, self._graph_layers_and_inputs)
        # the name of the layer making each output (Keras's output_names, read by compile)
        made_by = {id(t): layer.name for layer, _, outs in frame.nodes for t in outs}
        self._output_names = [made_by.get(id(t)) for t in tf.nest.flatten(outputs)]
        self._output_shapes = [tuple(t.shape.as_list()) for t in tf.nest.flatten(outputs)]
        for layer in self._made:
            if all(layer is not seen for seen in self._layers):
                self._layers.append(layer)
        if frame.sources:
            # a model on part of other models' graphs: Keras's Functional tracks every layer of its graph
            self._xlate_sources = frame.sources
            for layer in self._graph_layers:
                if all(layer is not seen for seen in self._layers):
                    self._layers.append(layer)
        if Layer._xlate_hooks is not None:  # what a later model on part of this graph needs
            Layer._xlate_hooks.record_nodes(self, frame, inputs, outputs)
        self.built = True

    @property
    def input_signature(self):
        """The declared inputs, in the form ``tf.function(input_signature=)`` takes for ``__call__``."""
        specs = [tf.TensorSpec(shape, tf.as_dtype(dtype), name=name) for shape, dtype, name in self._input_specs]
        ordered = [None] * len(specs)
        for k, pos in enumerate(self._input_order):
            ordered[pos] = specs[k]
        return [tf.nest.pack_sequence_as(self._input_structure, ordered)]

    def call(self, inputs, training=None):
        if self._graph is None:
            raise NotImplementedError(f"{type(self).__name__} has no call()")
        flat = tf.nest.flatten(inputs)
        expected = len(self._input_order)
        if len(flat) != expected:
            raise ValueError(f"{self.name} expects {expected} input(s), got {len(flat)}")
        frame = _Frame(graph=self, mode="replay", training=training)
        frame.made = self._made
        frame.sources = self.__dict__.get("_xlate_sources")
        frame.source_positions = self.__dict__.get("_xlate_source_positions", {})
        # Keras's Functional._standardize_inputs: each to its Input's dtype (int64 arrays to a
        # float32 Input's float32)
        # and its rank adjusted to the Input's (_adjust_rank)
        frame.inputs = [_adjust_rank(_to_dtype(flat[pos], self._input_specs[k][1]), self._input_specs[k][0])
                        for k, pos in enumerate(self._input_order)]
        _stack().append(frame)
        try:
            _, outputs, _ = _run_graph_function(self._graph)
        finally:
            _stack().pop()
        # Keras's Functional.call ends in unpack_singleton: `outputs=[x]` gives the tensor
        if isinstance(outputs, (list, tuple)) and len(outputs) == 1:
            return outputs[0]
        return outputs

    @property
    def input_shape(self):
        """Keras's ``input_shape`` of a functional model: its Inputs' shapes, one tuple for one."""
        if self._graph is None:
            raise AttributeError(f"{type(self).__name__} has no input_shape: it is not a functional model")
        shapes = [None] * len(self._input_specs)
        for k, pos in enumerate(self._input_order):
            shapes[pos] = tuple(self._input_specs[k][0])
        return shapes[0] if len(shapes) == 1 else shapes

    @property
    def output_shape(self):
        """Keras's ``output_shape`` of a functional model: its outputs' shapes, one tuple for one."""
        if self._graph is None:
            raise AttributeError(f"{type(self).__name__} has no output_shape: it is not a functional model")
        shapes = list(self._output_shapes)
        return shapes[0] if len(shapes) == 1 else shapes

    @property
    def output_names(self):
        """Keras's ``output_names`` of a functional model: the name of the layer making each
        output, in the order of the flat outputs. A Sequential or subclassed model has none
        unless it sets its own (which ``compile`` then reads, as Keras's does)."""
        names = self.__dict__.get("_output_names")
        if names is None:
            raise AttributeError(f"'{type(self).__name__}' object has no attribute 'output_names'")
        if any(n is None for n in names):  # Keras names such an output after its operation (`multiply`)
            raise NotImplementedError(f"{self.name}: an output made by a TensorFlow operation, not a layer, has no "
                                      "Keras output name in the translation")
        return list(names)

    @output_names.setter
    def output_names(self, value):
        self._output_names = list(value)

    def traced(self, *names):
        """What the names of a functional model's graph held when the model was built, for
        the statements after it: a graph tensor is a symbol (its shape and dtype, and an
        input of a later graph function that takes it), anything else itself."""
        values = tuple(self._traced[name] for name in names)
        return values[0] if len(values) == 1 else values

    def _weight_layers(self):
        if self._graph is not None:
            return self._graph_layers
        return self._layers

    # -- Keras model API that means something without Keras

    @property
    def layers(self):
        if self._graph is not None:
            return list(self._graph_layers_and_inputs)
        return [layer for layer in self._layers if _is_layer(layer) or _is_keras_layer(layer)]

    def get_layer(self, name=None, index=None):
        """Keras 3's ``Model.get_layer``, its errors word for word."""
        if index is not None and name is not None:
            raise ValueError(f"Provide only a layer name or a layer index. Received: index={index}, name={name}.")
        layers = self.layers
        if index is not None:
            if len(layers) <= index:
                raise ValueError(f"Was asked to retrieve layer at index {index} but model only has {len(layers)} layers.")
            return layers[index]
        if name is not None:
            for layer in layers:
                if layer.name == name:
                    return layer
            raise ValueError(f"No such layer: {name}. Existing layers are: {list(layer.name for layer in layers)}.")
        raise ValueError("Provide either a layer name or layer index at `get_layer`.")

    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False, show_trainable=False,
                layer_range=None):
        """Keras's ``summary``, in plain lines: one per layer (its name, class and parameter
        count), then the totals. The layout arguments (``line_length``, ``positions``,
        ``expand_nested``, ``show_trainable``) are taken and change nothing here;
        ``layer_range`` (two layer names) shows the layers from the first to the second."""
        print_fn = print if print_fn is None else print_fn
        shown = list(self.layers)
        if layer_range is not None:
            if len(layer_range) != 2:
                raise ValueError(f"layer_range must be a list or tuple of length 2. Received: layer_range = {layer_range} "
                                 f"of length {len(layer_range)}")
            names = [layer.name for layer in shown]
            first = next((i for i, n in enumerate(names) if layer_range[0] in n), None)
            last = next((i for i in range(len(names) - 1, -1, -1) if layer_range[1] in names[i]), None)
            if first is None or last is None:
                raise ValueError(f"Passed layer_names do not match the layer names in the model. Received: {layer_range}")
            shown = shown[first:last + 1]
        print_fn(f'Model: "{self.name}"')
        for layer in shown:
            params = sum(int(tf.size(v)) for v in layer.weights)
            print_fn(f"{layer.name:<40} {type(layer).__name__:<28} {params}")
        total = self.count_params()
        trainable = sum(int(tf.size(v)) for v in self.trainable_weights)
        print_fn(f"Total params: {total}\nTrainable params: {trainable}\nNon-trainable params: {total - trainable}")

    def save_weights(self, filepath, overwrite=True, max_shard_size=None):
        """Write the weights with ``tf.train.Checkpoint`` (not Keras's ``.weights.h5`` format).
        ``overwrite`` as Keras's (a Keras ``ModelCheckpoint`` passes it); Keras asks before
        replacing a file when it is False, which a translated model does not do: it refuses."""
        path = str(filepath)
        # Keras 3 writes `.weights.h5` only and refuses other names first, in its words (tf.keras
        # 2's TensorFlow-checkpoint names, `"my_checkpoint"`, fail there and here alike)
        if max_shard_size is None and not path.endswith(".weights.h5"):
            raise ValueError(f"The filename must end in `.weights.h5`. Received: filepath={path}")
        if max_shard_size is not None and not path.endswith(("weights.h5", "weights.json")):
            raise ValueError("The filename must end in `.weights.json` when `max_shard_size` is specified. "
                             f"Received: filepath={path}")
        if not overwrite and tf.io.gfile.exists(f"{path}.index"):
            raise FileExistsError(f"save_weights(overwrite=False): {path} exists")
        if max_shard_size is not None:
            raise NotImplementedError("save_weights(max_shard_size=...) writes Keras's sharded files: not translated")
        tf.train.Checkpoint(model=self).write(path)

    def load_weights(self, filepath, skip_mismatch=False, **kwargs):
        """Read weights written by :meth:`save_weights` (a ``tf.train.Checkpoint``), or a file
        Keras writes (``.weights.h5``, ``.keras``, legacy ``.h5``), as Keras reads it into the
        same model (tfr_saving.py; h5py is needed for those)."""
        path = str(filepath)
        if not tf.io.gfile.exists(path) and not tf.io.gfile.exists(f"{path}.index") \
                and path.endswith((".h5", ".hdf5", ".keras")):
            # Keras opens a file of those names (h5py, zipfile): a missing one is a FileNotFoundError
            raise FileNotFoundError(2, "No such file or directory", path)
        if tf.io.gfile.exists(f"{path}.index") or not tf.io.gfile.exists(path):
            if skip_mismatch or kwargs:
                raise NotImplementedError("load_weights of a TensorFlow checkpoint takes no skip_mismatch, by_name "
                                          "or objects_to_skip")
            tf.train.Checkpoint(model=self).read(path).expect_partial()
            return
        _load_keras_weights(self, path, skip_mismatch=skip_mismatch, **kwargs)

    def _build_for(self, inputs):
        if self._graph is None and "_xlate_first_call" not in self.__dict__:
            # what Keras's serving signature of a subclassed model takes: the first call's shapes
            self._xlate_first_call = tf.nest.map_structure(
                lambda t: tf.TensorSpec(tf.TensorShape(t.shape), tf.as_dtype(self.input_dtype)) if hasattr(t, "shape")
                else None, inputs)
        super()._build_for(inputs)

    def _serving_specs(self):
        if self._graph is not None:
            return tf.nest.map_structure(lambda s: tf.TensorSpec(s.shape, s.dtype), self.input_signature[0])
        return self.__dict__.get("_xlate_first_call")

    @property
    def _default_save_signature(self):
        """What ``tf.saved_model.save(model, path)`` exports, as for a Keras model: a
        ``serving_default`` signature with one argument ``inputs`` (the model's Inputs, a
        Sequential's declared input or first call, a subclassed model's first call, batch size
        included, as Keras records them), giving the model's outputs in inference. ``None`` (no
        signature) for a model never called, as Keras."""
        specs = self._serving_specs()
        if specs is None or None in tf.nest.flatten(specs):
            return None

        @tf.function(input_signature=(specs,))
        def serving_default(inputs):
            return self(inputs)

        return serving_default

    def build(self, input_shape):
        """Create the variables for inputs of this shape (``model.build((None, 28, 28, 1))``).

        A subclassed model (no graph function) is Keras 3's: its ``build`` is the base Layer's,
        which creates nothing and marks the model built (with Keras's warning when a sub-layer
        is still unbuilt); the sub-layers are built by the first call. tf.keras 2 called the
        model there; Keras 3 does not (a sub-layer whose ``build`` raises raises at the first
        call, not here)."""
        if self._graph is None and not isinstance(self, Sequential):
            if any(not getattr(layer, "built", True) for layer in self._layers):
                warnings.warn(
                    f"`build()` was called on layer '{self.name}', however the layer does not have a `build()` "
                    "method implemented and it looks like it has unbuilt state. This will cause the layer to be "
                    "marked as built, despite not being actually built, which may cause failures down the line. "
                    "Make sure to implement a proper `build()` method.", stacklevel=2)
            self.built = True
            return
        if self.built and type(self).build is Model.build:
            return
        if input_shape and isinstance(input_shape[0], (list, tuple)):
            self([tf.zeros([1 if d is None else d for d in s]) for s in input_shape])
        else:
            self(tf.zeros([1 if d is None else d for d in input_shape]))


class Sequential(Model):
    """Keras ``Sequential``: layers applied in order."""

    _xlate_base = True
    def __init__(self, layers=None, *, name=None, trainable=True, **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        self._input_spec = None
        for layer in layers or []:
            self._add(layer)
        self._maybe_build_from_first()
        if self._input_spec is not None:
            self._build_from_spec()

    def add(self, layer):
        frame = _graph_frame()
        if frame is not None and frame.reuse and any(made is self for made in frame.made):
            # a replay of the graph function that made this Sequential (a builder's
            # `block = Sequential(); block.add(...)`): its first run added the layers
            return
        self._add(layer)
        self._maybe_build_from_first()
        if self._input_spec is not None:
            self._build_from_spec()

    def _maybe_build_from_first(self):
        """Keras's ``Sequential._maybe_rebuild``: with more than one layer, a first layer that
        has an ``input_shape`` (a functional model, a built Sequential: a backbone in
        ``Sequential([ResNet50V2(include_top=False), Dense(8)])``) declares the input, in its
        compute dtype, and the Sequential is built for it (its weights exist before any call)."""
        if self._input_spec is not None or len(self._layers) < 2:
            return
        try:
            shape = self._layers[0].input_shape
        except AttributeError:
            return
        if not isinstance(shape, tuple) or any(isinstance(d, (list, tuple)) for d in shape):
            return  # several inputs: Keras does not build then
        self._input_spec = _DeclaredInput(shape, getattr(self._layers[0], "compute_dtype", "float32"))

    def _add(self, layer):
        if getattr(type(layer), "_xlate_input", False):
            if self._layers:
                raise ValueError("an Input can only be the first entry of a Sequential")
            self._input_spec = layer
            return
        shape = getattr(layer, "_declared_input_shape", None)
        if shape is not None and self._input_spec is None and not self._layers:
            # Keras makes the InputLayer of a first layer's `input_shape` before adding the layer
            self._input_spec = _DeclaredInput(shape, getattr(layer, "dtype", "float32"))
        name = getattr(layer, "name", None)
        spec = self._input_spec
        taken = [other.name for other in self._layers if other is not layer]
        if spec is not None:
            taken.append(spec.name or getattr(spec, "_xlate_auto_name", None))
        if name is not None and name in taken:  # Keras's Sequential.add, word for word
            raise ValueError(f"All layers added to a Sequential model should have unique names. Name '{name}' is "
                             "already the name of a layer in this model. Update the `name` argument to pass a unique "
                             "name.")
        self._layers.append(layer)

    def pop(self):
        # a new list: a tracked list changed in place can no longer be saved (checkpoint, SavedModel)
        layer, self._layers = self._layers[-1], list(self._layers[:-1])
        return layer

    @property
    def input_dtype(self):
        """Keras's ``Sequential.input_dtype``: its declared input's dtype, else its compute dtype."""
        spec = self.__dict__.get("_input_spec")
        return _standardize_dtype(spec.dtype) if spec is not None else self.compute_dtype

    def build(self, input_shape=None):
        """``model.build(shape)``: Keras builds a Sequential for this shape (its ``input_shape``)."""
        if self.built:
            return
        if self._input_spec is None and input_shape and not isinstance(input_shape[0], (list, tuple)):
            self._built_shape = tuple(input_shape)
        super().build(input_shape)

    def _build_for(self, inputs):
        if self._input_spec is None and "_built_shape" not in self.__dict__ and hasattr(inputs, "shape"):
            # Keras builds a Sequential without a declared input for its first call's shape
            self._built_shape = tuple(tf.TensorShape(inputs.shape).as_list())
        self.built = True

    def _serving_specs(self):
        spec = self._input_spec
        if spec is not None:
            return tf.TensorSpec(list(spec.shape), tf.as_dtype(spec.dtype))
        shape = self.__dict__.get("_built_shape")
        return None if shape is None else tf.TensorSpec(list(shape), tf.as_dtype(self.input_dtype))

    @property
    def input_shape(self):
        """Keras's ``input_shape``: the declared input's shape, else the first call's."""
        if self._input_spec is not None:
            return tuple(self._input_spec.shape)
        shape = self.__dict__.get("_built_shape")
        if shape is None:
            raise AttributeError(f"Sequential model '{self.name}' has no defined input shape yet.")
        return shape

    @property
    def output_shape(self):
        """Keras's ``output_shape``: the layers' output shape for :attr:`input_shape`."""
        if self._input_spec is None and self.__dict__.get("_built_shape") is None:
            raise AttributeError(f"Sequential model '{self.name}' has no defined output shape yet.")
        return self.compute_output_shape(self.input_shape)

    def _build_from_spec(self):
        spec = self._input_spec
        signature = tf.TensorSpec(list(spec.shape), tf.as_dtype(spec.dtype))

        def trace():
            return self(tf.compat.v1.placeholder(signature.dtype, signature.shape), training=False)

        # built on its own, outside any running graph function (Keras builds a Sequential made
        # inside a functional graph, `generator = build_generator(z_dim)` between layer calls, on
        # its own KerasTensors): that build is no node of the running graph
        local = _STATE.local
        saved = (getattr(local, "stack", None), getattr(local, "context", None))
        local.stack, local.context = [], _CallContext()
        try:
            _trace_once(trace)
        finally:
            local.stack, local.context = saved

    @property
    def input_signature(self):
        if self._input_spec is None:
            return None
        return [tf.TensorSpec(list(self._input_spec.shape), tf.as_dtype(self._input_spec.dtype))]

    def call(self, inputs, training=None):
        x = inputs
        if self._input_spec is not None:  # Keras calls its functional model: the input's rank adjusted
            x = _adjust_rank(x, tuple(self._input_spec.shape))
        for layer in self._layers:  # Keras passes the flag on only when it is set
            x = layer(x) if training is None else layer(x, training=training)
        return x

    @property
    def layers(self):
        return list(self._layers)

    def _weight_layers(self):
        return self._layers


class _GraphSymbol:
    """A graph tensor of a functional model, named after its model statement (Keras's
    ``KerasTensor`` there): it has a shape and a dtype, and a later graph function that takes
    it as a default argument gets, on each run, the tensor it stands for: the run's own input
    for an ``Input`` of the model, else the value computed from the run's inputs by the
    model's graph function (whose layers it shares)."""

    def __init__(self, model, key, tensor, inputs):
        self.model, self.key = model, key
        self.shape, self.dtype = tensor.shape, tensor.dtype
        self.name = key
        ids = [i for i, t in enumerate(inputs) if t is tensor]
        self.input_index = ids[0] if ids else None  # the model's Input #k, or None

    def __repr__(self):
        return f"<symbol {self.key!r} of {self.model.name}: shape={self.shape}, dtype={self.dtype.name}>"


def symbolic_run(graph, *names):
    """Run a graph function that builds no model (it returns a dict of the names read after
    it) once on symbolic tensors, as Keras calls layers on KerasTensors outside a model: its
    layers are made and built, and what the names held comes back, graph tensors as symbols
    (their shape, dtype and name)."""
    holder = types.SimpleNamespace(name=graph.__name__)
    frame = _Frame(graph=holder, mode="record")
    found = {}

    def trace():
        frame.reuse, frame.cursor = bool(frame.made), 0
        frame.inputs, frame.input_specs, frame.nodes = [], [], []
        _stack().append(frame)
        try:
            values = graph()
        finally:
            _stack().pop()
        found.clear()
        for key in names:
            found[key] = tf.nest.map_structure(
                lambda v, key=key: _GraphSymbol(holder, key, v, []) if isinstance(v, tf.Tensor) else v, values[key])

    _trace_once(trace)
    values = tuple(found[key] for key in names)
    return values[0] if len(values) == 1 else values if values else None


def _run_graph_function(graph):
    """Run a graph function: ``(inputs, outputs)`` or ``(inputs, outputs, traced)``. Its
    default arguments that are symbols of other models' graphs get their tensors for this
    run: an ``Input`` symbol becomes an ``Input`` of this graph, the other symbols are
    computed by their model's graph function from those inputs."""
    params = inspect.signature(graph).parameters.values()
    symbols = {p.name: p.default for p in params if _symbol_leaves(p.default)}
    models = [p.default for p in params if _is_layer(p.default)]
    if Layer._xlate_hooks is not None:  # a Sequential's graph is its functional one (tfr_submodels)
        models = [Layer._xlate_hooks.functional_of(m) for m in models]
    models = [m for m in models if m.__dict__.get("_graph") is not None]
    if models and Layer._xlate_hooks is not None:  # a model on part of these models' graphs reads their tensors
        _graph_frame().source_models = frozenset(id(m) for m in Layer._xlate_hooks.with_their_sources(models))
    # what the graph changes in place: the object on the first run, a copy of it as it was on the others
    given = {p.name: p.default.take() for p in params if getattr(type(p.default), "_xlate_fresh", False)}
    if symbols:
        inputs = {}  # (model, Input #k) -> this run's tensor
        for value in symbols.values():
            for sym in _symbol_leaves(value):
                key = (id(sym.model), sym.input_index)
                if sym.input_index is not None and key not in inputs:
                    shape, dtype, input_name = sym.model._input_specs[sym.input_index]
                    inputs[key] = Input(batch_shape=shape, dtype=dtype, name=input_name)
        # a structure holding only Inputs is those Inputs; any other symbol (or a structure,
        # which is what one name of a model's graph held) is computed by its model's graph
        computed = {name: value for name, value in symbols.items()
                    if any(sym.input_index is None for sym in _symbol_leaves(value))}
        for name, value in symbols.items():
            if name not in computed:
                given[name] = _map_symbols(value, lambda sym: inputs[(id(sym.model), sym.input_index)])
        runs = {}
        for value in computed.values():
            sym = next(s for s in _symbol_leaves(value) if s.input_index is None)
            runs.setdefault(id(sym.model), (sym.model, set()))[1].add(sym.key)
        values = {}
        readers = {id(m) for m in models}
        if Layer._xlate_hooks is not None:
            for model in models:
                if id(model) not in runs:  # its Inputs are this run's when the graph reads its tensors
                    Layer._xlate_hooks.partial_traced(_graph_frame(), model, inputs, ())
        for model, keys in runs.values():
            items = model.__dict__.get("_xlate_traced_items", {})
            replayable = all(key in items and None not in items[key][1] for key in keys)
            some = any((id(model), k) not in inputs for k in range(len(model._input_specs)))
            if (some or id(model) in readers and replayable) and Layer._xlate_hooks is not None:
                # a model taking only some of that model's Inputs, or reading tensors of its
                # layers (``model.layers[4].output``): a replay of its nodes, as far as they
                # need, each once (docs/design.md, "A later model on some of an earlier graph's
                # Inputs")
                values[id(model)] = Layer._xlate_hooks.partial_traced(_graph_frame(), model, inputs, keys)
            else:
                values[id(model)] = _inline_run(model, inputs)
        for name, value in computed.items():
            names = {(id(s.model), s.key) for s in _symbol_leaves(value) if s.input_index is None}
            if len(names) != 1:
                raise NotImplementedError(f"{name}: a structure of several models' graph names is not followed")
            sym = next(s for s in _symbol_leaves(value) if s.input_index is None)
            given[name] = values[id(sym.model)][sym.key]
    result = graph(**given)
    return result if len(result) == 3 else (result[0], result[1], {})


def _symbol_leaves(value):
    """The graph symbols a default argument holds: itself, or those of a list, tuple or dict."""
    if isinstance(value, _GraphSymbol):
        return [value]
    if isinstance(value, (list, tuple)):
        return [s for v in value for s in _symbol_leaves(v)]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _symbol_leaves(v)]
    return []


def _map_symbols(value, fn):
    if isinstance(value, _GraphSymbol):
        return fn(value)
    if isinstance(value, (list, tuple)):
        return type(value)(_map_symbols(v, fn) for v in value)
    if isinstance(value, dict):
        return {k: _map_symbols(v, fn) for k, v in value.items()}
    return value


def _inline_run(model, inputs):
    """Run ``model``'s graph function inside the graph function now running, on the tensors
    this run has for the model's Inputs, giving back the model's layers: what its names hold."""
    outer = _graph_frame()
    missing = [k for k in range(len(model._input_specs)) if (id(model), k) not in inputs]
    if outer is None or missing:
        raise ValueError(f"a graph tensor of {model.name} is used by a model that does not take all of "
                         f"{model.name}'s inputs")
    frame = _Frame(graph=outer.graph, mode=outer.mode, training=outer.training)
    frame.reuse, frame.made = True, model._made
    frame.inputs = [inputs[(id(model), k)] for k in range(len(model._input_specs))]
    frame.nodes = outer.nodes  # the layer calls are the running graph's
    frame.partial, frame.given = outer.partial, outer.given  # a replay of part of a graph goes on inside
    frame.node_outputs = outer.node_outputs
    frame.sources = model.__dict__.get("_xlate_sources")
    frame.source_positions = model.__dict__.get("_xlate_source_positions", {})
    _stack().append(frame)
    try:
        _, _, traced = _run_graph_function(model._graph)
    finally:
        _stack().pop()
    return traced


def _partial_frame():
    frame = _graph_frame()
    if frame is not None and frame.partial is not None and not frame.partial.inside:
        return frame
    return None


def _trace_once(fn):
    """Run ``fn`` once on symbolic tensors, as Keras builds a model on KerasTensors: unknown
    dimensions stay unknown, variables are made (eagerly, under ``tf.init_scope``) and the
    ops are recorded in a graph that is then dropped. A ``FuncGraph`` runs it once;
    ``tf.function`` (where ``tf.__internal__.FuncGraph`` is missing) traces it twice when
    variables are made."""
    func_graph = getattr(getattr(tf, "__internal__", None), "FuncGraph", None)
    if func_graph is None:
        tf.function(fn, autograph=False).get_concrete_function()
        return
    with func_graph("xlate_build").as_default():
        fn()


# --- Keras's weight order for graph functions --------------------------------------------


def _keras_order(nodes, inputs, outputs, input_layers=None):
    """The layers of a graph function in the order of Keras's ``model.layers`` (with
    ``input_layers``, the InputLayer of each of ``inputs``, in their places; without, only the
    layers that were called, the order of the weights).

    ``nodes`` are the recorded top-level layer calls (layer, input tensors, output tensors)
    of the construction trace. Tensor operations between layers (``inputs + layer(x)``)
    count as one operation each, as Keras's ops on KerasTensors do; integer shape arithmetic
    is not followed (Keras's ``ops.shape`` gives Python values). Depths and the final sort
    follow ``map_graph`` in ``keras/src/ops/function.py``."""
    producer = {}
    for i, (_, _, outs) in enumerate(nodes):
        for t in outs:
            if hasattr(t, "op"):
                producer.setdefault(_key(t), ("layer", i))
    input_keys = {_key(t) for t in inputs}

    def op_node(t):
        """The node producing tensor t: ("layer", i), ("op", op name), ("input", key) or None."""
        k = _key(t)
        if k in producer:
            return producer[k]
        if k in input_keys:
            return ("input", k)
        return ("op", t.op.name)

    parents_memo = {}

    def parents(node):
        if node in parents_memo:
            return parents_memo[node]
        parents_memo[node] = []
        if node[0] == "layer":
            tensors = [t for t in nodes[node[1]][1] if hasattr(t, "op")]
        elif node[0] == "op":
            tensors = [t for t in _ops[node[1]].inputs if _followed(t)]
        else:
            tensors = []
        out = []
        for t in tensors:
            p = op_node(t)
            if p[0] == "op":
                _ops[p[1]] = t.op
                if not connected(p):
                    continue
            if p not in out:
                out.append(p)
        parents_memo[node] = out
        return out

    connected_memo = {}

    def connected(node):
        """An op node counts only if it depends on a layer or an input."""
        if node[0] != "op":
            return True
        if node not in connected_memo:
            connected_memo[node] = False
            connected_memo[node] = any(connected(p) for p in parents(node))
        return connected_memo[node]

    _ops = {}
    order_nodes = []
    finished = set()
    operation_index = {}

    def operation(node):
        return ("layer", id(nodes[node[1]][0])) if node[0] == "layer" else node

    def visit(node):
        if node in finished:
            return
        operation_index.setdefault(operation(node), len(operation_index))
        for parent in parents(node):
            visit(parent)
        finished.add(node)
        order_nodes.append(node)

    for t in outputs:
        if hasattr(t, "op"):
            node = op_node(t)
            if node[0] == "op":
                _ops[node[1]] = t.op
            visit(node)
    node_depth = {}
    op_depth = {}
    for node in reversed(order_nodes):
        depth = node_depth.setdefault(node, 0)
        depth = max(depth, op_depth.get(operation(node), 0))
        op_depth[operation(node)] = depth
        node_depth[node] = depth
        for parent in parents(node):
            node_depth[parent] = max(depth + 1, node_depth.get(parent, 0))
    for t in inputs:
        # an Input no output depends on: map_graph gives its InputLayer depth 0 and index -1
        # (first at depth 0, in the inputs' order)
        node = ("input", _key(t))
        if node not in op_depth:
            op_depth[node] = 0
            operation_index[node] = -1
    ranked = sorted(op_depth, key=lambda op: (-op_depth[op], operation_index[op]))
    layers = {id(layer): layer for layer, _, _ in nodes}
    if input_layers is not None:
        layers.update({("input", _key(t)): layer for t, layer in zip(inputs, input_layers)})
    ordered = [layers[op[1]] if op[0] == "layer" else layers[op] for op in ranked
               if op[0] == "layer" or (input_layers is not None and op in layers)]
    return ordered


def _key(t):
    return (t.op.name, t.value_index)


def _io_shapes(inputs, outputs):
    """(input shapes, output shapes, output dtypes, input dtypes) of a call, flattened."""
    def shapes(value):
        return tuple(tuple(tf.TensorShape(t.shape).as_list()) for t in tf.nest.flatten(value) if hasattr(t, "shape"))
    def dtypes(value):
        return tuple(t.dtype.name for t in tf.nest.flatten(value) if hasattr(t, "dtype") and hasattr(t, "shape"))
    return shapes(inputs), shapes(outputs), dtypes(outputs), dtypes(inputs)


class _CallSymbol:
    """A tensor of a layer's first symbolic call, as Keras's ``layer.output`` gives it: its
    shape (a tuple, ``None`` for unknown dimensions) and dtype; no value."""

    def __init__(self, shape, dtype, name):
        self.shape, self.dtype, self.name = tuple(shape), dtype, name
        self.ndim = len(self.shape)

    def __repr__(self):
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}, name={self.name}>"


def _first_call_symbols(layer, which, what):
    record = layer.__dict__.get("_xlate_io")
    if record is None:
        raise AttributeError(f"The layer {layer.name} has never been called and thus has no defined {what}.")
    shapes = record[which]
    dtypes = record[2] if which == 1 else record[3] if len(record) > 3 else ("float32",) * len(shapes)
    symbols = [_CallSymbol(shape, dtype, f"{layer.name}_{what}_{k}") for k, (shape, dtype) in enumerate(zip(shapes, dtypes))]
    return symbols[0] if len(symbols) == 1 else symbols


def _graph_edges(nodes, inputs, input_layers, layers):
    """``(source, destination)`` indexes into ``layers``: a layer (or the InputLayer of an
    Input) whose output reaches another layer's input, through any ops between them."""
    index = {id(layer): i for i, layer in enumerate(layers)}
    producer = {}
    for layer, _, outs in nodes:
        for t in outs:
            if hasattr(t, "op"):
                producer.setdefault(_key(t), layer)
    for t, layer in zip(inputs, input_layers):
        producer[_key(t)] = layer
    edges = []
    for layer, ins, _ in nodes:
        todo, seen = [t for t in ins if hasattr(t, "op")], set()
        while todo:
            t = todo.pop()
            k = _key(t)
            if k in seen:
                continue
            seen.add(k)
            if k in producer:
                edge = (index.get(id(producer[k])), index.get(id(layer)))
                if None not in edge and edge not in edges:
                    edges.append(edge)
            elif _followed(t):
                todo.extend(t.op.inputs)
    return edges


_NOT_FOLLOWED = {"Shape", "ShapeN", "Size", "Rank", "Const", "ReadVariableOp", "VarHandleOp"}


def _followed(t):
    """Tensors a Keras op on KerasTensors would take as graph inputs: not shape arithmetic
    (Keras's ``ops.shape`` gives Python values), constants or variables (a layer's weights
    are inside the layer)."""
    if t.dtype in (tf.resource, tf.variant):
        return False
    return t.op.type not in _NOT_FOLLOWED


# --- initializers and activations by name ------------------------------------------------


def initializers_get(identifier):
    """A function ``(shape, dtype) -> tensor`` for a Keras initializer name, object or callable;
    None for None, as Keras's ``initializers.get``: ``add_weight`` then takes its default
    (``glorot_uniform`` for a float weight, a bias too; ``zeros`` otherwise)."""
    if identifier is None:
        return None
    if isinstance(identifier, str):
        key = _snake(identifier).replace("_", "")
        if key not in _INITIALIZERS:
            raise ValueError(f"unknown initializer {identifier!r}")
        return _INITIALIZERS[key]()
    if isinstance(identifier, dict):
        return _INITIALIZERS[_snake(identifier["class_name"]).replace("_", "")](**identifier.get("config", {}))
    if callable(identifier):
        return identifier
    raise ValueError(f"unknown initializer {identifier!r}")


class InputSpec:
    """``keras.layers.InputSpec``: what a layer expects of its input. Keras checks it on each
    call; the translation keeps it as a record (the checks are Keras's error messages, not
    computation)."""

    def __init__(self, dtype=None, shape=None, ndim=None, max_ndim=None, min_ndim=None, axes=None,
                 allow_last_axis_squeeze=False, name=None, optional=False):
        self.dtype, self.shape, self.ndim, self.max_ndim, self.min_ndim = dtype, shape, ndim, max_ndim, min_ndim
        self.axes, self.allow_last_axis_squeeze, self.name, self.optional = axes or {}, allow_last_axis_squeeze, name, optional


# --- Keras configuration a model program reads -------------------------------------------


def image_data_format():
    """Keras's image data format: ``"channels_last"``, the layout TensorFlow's CPU kernels
    compute in and the only one a translated program assumes (Keras's default too)."""
    return "channels_last"


def is_keras_tensor(x):
    """Keras's ``backend.is_keras_tensor``: whether ``x`` is a symbolic tensor of a model
    being built. Outside a graph function, a declared input (``Input(shape)``) is one. Inside a
    graph function's own code every tensor is (Keras builds the graph once, on symbolic
    tensors; the translation runs it on each call's), but not inside a layer's ``call`` (Keras
    runs it on backend tensors) and not a declared input: ``Input(tensor=x)`` makes that an
    Input of this graph, which is what Keras's ``Input(tensor=x)`` gives for it (``x`` itself).
    A model's graph tensors read outside its graph function (``model.output``, the names its
    statement bound) are. Anything else is not (a NumPy array, an eager tensor)."""
    frame = _graph_frame()
    if isinstance(x, _DeclaredInput):
        return frame is None
    if isinstance(x, (_GraphSymbol, _CallSymbol)):
        return True
    return frame is not None and isinstance(x, tf.Tensor)  # (no frame inside a layer's call)


def get_source_inputs(tensor):
    """Keras's ``operation_utils.get_source_inputs`` for what a translated program gives it: the
    Inputs ``tensor`` is computed from, as a list. A declared input is its own source; inside
    a graph function that made it an Input of its graph (``Input(tensor=x)``), that Input's
    tensor of this run. Another tensor is followed back only when it is an Input of the running
    graph."""
    frame = _graph_frame()
    if isinstance(tensor, _DeclaredInput):
        if frame is not None and id(tensor) in frame.declared_values:
            return [frame.declared_values[id(tensor)]]
        if frame is None:
            return [tensor]
    elif frame is not None and any(tensor is t for t in frame.inputs):
        return [tensor]
    raise NotImplementedError("get_source_inputs: only a declared Input, or an Input of the running graph function, "
                              "is followed back to its source inputs in a translated program")


def floatx():
    """Keras's default float type."""
    return "float32"


def epsilon():
    """Keras's fuzz factor (``keras.config.epsilon()``)."""
    return 1e-07


def backend_name():
    """The Keras backend a translated program stands for."""
    return "tensorflow"
