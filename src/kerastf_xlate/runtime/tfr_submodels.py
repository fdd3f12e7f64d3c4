"""A model on part of another model's graph (docs/design.md, "Graph fragments, model shapes,
and models on part of another model's graph").

``keras.Model(base.input, base.get_layer("x").output)``: Keras takes the sub-graph between those
tensors and runs only its nodes, sharing base's layers. The translated model's graph function
takes ``base`` as a default argument; while it runs, ``base.input`` gives this run's Inputs
and ``base.output`` / ``layer.output`` / ``layer.input`` this run's tensors: base's graph function is replayed
once per run for all the tensors read, as far as they need (``_partial_run``): the needed
layer calls run as the running model's nodes, the replay stops after the last of them, and a
layer before that which the sub-model does not hold runs with its effects undone.

Installed into ``Layer``/``Model`` (``_install_submodels``) only in programs that have such a
model: base models built then record what a replay needs (``_record_nodes``).
"""

import types

import tensorflow as tf
from tfr_base import Input, InputLayer, Layer, Model, Sequential, _CallSymbol, _flatten_sublayers, _Frame, _graph_frame, _identifier, _is_layer, _key, _masks_for_call, _run_graph_function, _stack


class _StopRun(Exception):
    """Raised after the last node a replay of part of a graph needs: nothing past the cut runs."""

    def __init__(self, plan):
        super().__init__()
        self.plan = plan


class _StandIn:
    """An Input of the replayed model that the sub-model does not take: zeros of its declared
    shape, made only if the replay reaches it before the cut (then read only by code outside
    the sub-model)."""

    def __init__(self, shape, dtype, like=None):
        self.shape, self.dtype, self.like = shape, dtype, like

    def make(self):
        dims = [1 if d is None else d for d in self.shape]
        if self.shape and self.shape[0] is None and self.like is not None:
            # the batch of this run's inputs: a node beside the cut that joins it with a tensor
            # of the sub-model (`Concatenate()([h, b])`) must not fail on the batch size
            dims[0] = tf.shape(self.like)[0]
        return tf.zeros(dims, tf.as_dtype(self.dtype))


def _batch_like(values):
    """The first of ``values`` that is a tensor with a batch axis (a real Input of this run)."""
    return next((v for v in values if isinstance(v, (tf.Tensor, tf.Variable)) and v.shape.rank), None)


class _Partial:
    """The nodes of one replay: the ``k``-th top-level layer call of the replayed graph
    function is its ``k``-th recorded node. Needed nodes run as layer calls of the running
    model; the others (before the cut) run and have their effects undone."""

    def __init__(self, model, needed, stop_at, parent, capture=(), stop_before=None, given=None):
        self.model, self.needed, self.stop_at, self.parent = model, needed, stop_at, parent
        self.given = given or {}  # node #i -> this run's Input standing for its output (a model starting there)
        self.counter = 0
        self.inside = False
        self.outputs = {}
        # nodes whose input tensors are wanted (Keras's ``layer.input``), and the node the
        # replay stops at, before it runs, when no needed node comes after it
        self.capture, self.stop_before, self.inputs = frozenset(capture), stop_before, {}

    def call(self, frame, layer, args, kwargs):
        i = self.counter
        if i in self.capture:
            # Keras's node holds the call's tensors with the masks its ``__call__`` adds
            # (``mask=`` of a layer after an Embedding with ``mask_zero``)
            with_masks = dict(kwargs)
            _masks_for_call(layer, args, with_masks)
            self.inputs[i] = [t for t in tf.nest.flatten((args, with_masks)) if tf.is_tensor(t)]
            if i == self.stop_before:
                raise _StopRun(self)
        self.counter += 1
        if i in self.given:
            # the running model starts here: its Input is the node's output, and the node does
            # not run (Keras's model on a tensor inside another graph); it is no node of an
            # outer replay either
            return self.given[i]
        keep = i in self.needed
        j = None
        if keep and self.parent is not None:
            # a replay inside a replay: this call is also a node of the outer replayed graph
            j = self.parent.counter
            self.parent.counter += 1
            keep = j in self.parent.needed
        done = frame.node_outputs.get((id(self.model), i)) if keep else None
        if done is not None:
            out = done  # another replay of this run computed the node already: Keras runs it once
        else:
            self.inside = True
            try:
                out = layer(*args, **kwargs) if keep else _call_undone(frame, layer, args, kwargs)
            finally:
                self.inside = False
            if keep:
                frame.node_outputs[(id(self.model), i)] = out
        if i in self.needed:
            self.outputs[i] = out
            if j is not None and keep:
                self.parent.outputs[j] = out
                if j == self.parent.stop_at:
                    raise _StopRun(self.parent)
            if i == self.stop_at:
                raise _StopRun(self)
        return out


def _call_undone(frame, layer, args, kwargs):
    """Call a layer the sub-model does not hold, then put back what the call changed: its
    variables (BatchNormalization's statistics, an RNN's states) and losses; it is no node."""
    saved = [(v, tf.identity(v)) for v in getattr(layer, "weights", [])]
    layers = [layer] + [x for x in _flatten_sublayers(layer) if _is_layer(x)]
    losses = [(x, list(x.__dict__.get("_xlate_losses", []))) for x in layers if _is_layer(x)]
    count = len(frame.nodes)
    out = layer(*args, **kwargs)
    for v, value in saved:
        v.assign(value)
    for x, kept in losses:
        x.__dict__["_xlate_losses"] = kept
    del frame.nodes[count:]
    return out


def _with_their_sources(models):
    """The models and, through them, every model whose graph they are on part of: a layer's
    ``output`` is its first node's, in whichever of them that node is."""
    out, todo = [], list(models)
    while todo:
        model = todo.pop()
        if all(model is not m for m in out):
            out.append(model)
            todo.extend(model.__dict__.get("_xlate_source_models", {}).values())
    return out


def _root_input(model, k):
    """The model whose graph made ``model``'s Input #k: a model on part of another's graph
    takes that one's Input (Keras's ``transfer.input`` is ``base.input``)."""
    while True:
        origin = next((key for key, pos in model.__dict__.get("_xlate_source_positions", {}).items() if pos == k), None)
        if origin is None or not isinstance(origin[1], int):  # its own Input (or one on another graph's tensor)
            return model, k
        model, k = model._xlate_source_models[origin[0]], origin[1]


def _source_input(frame, model, k):
    """This run's tensor for ``model``'s Input #k, read by another model's graph function
    (``model.input``): an Input of the running model, with ``model``'s InputLayer (Keras
    shares it)."""
    model, k = _root_input(model, k)
    key = (id(model), k)
    if key in frame.source_inputs:
        return frame.source_inputs[key]
    shape, dtype, name = model._input_specs[k]
    if frame.mode == "record" and not frame.given:
        layers = model.__dict__.get("_xlate_input_layers") or []
        if frame.input_layers is not None and k < len(layers):
            n = len(frame.inputs)
            if len(frame.input_layers) <= n:
                frame.input_layers.append(layers[k])
            else:
                frame.input_layers[n] = layers[k]
        frame.input_specs.append((tuple(shape), dtype, name))
        value = tf.compat.v1.placeholder(tf.as_dtype(dtype), list(shape), name=_identifier(name or "input"))
        frame.inputs.append(value)
        frame.source_keys.append(key)
        frame.source_models_seen[id(model)] = model
    else:
        position = frame.source_positions.get(key)
        # an Input of that model the running one does not take: read only by code outside it
        value = _StandIn(shape, dtype, _batch_like(frame.inputs)) if position is None else frame.inputs[position]
        value = value.make() if isinstance(value, _StandIn) else value
    frame.source_inputs[key] = value
    return value


def _source_values(frame, model, item):
    """This run's tensor of ``model``'s graph that ``item`` names (``("node", i)``: the outputs
    of node #i; ``("node_in", i)``: its input tensors, Keras's ``layer.input``; ``("out", m)``:
    output #m), read by another model's graph function. The first
    construction run only collects the items (giving placeholders of their shapes); then the
    first read of a run replays ``model``'s graph once, as far as all of them need."""
    if frame.sources is None or getattr(model, "_graph", None) is None:
        raise NotImplementedError(f"{frame.graph.name}: a tensor of {getattr(model, 'name', model)} is read where "
                                  "the translation does not follow it")
    entry = frame.sources.setdefault(id(model), [model, [], False])
    if item not in entry[1]:
        if entry[2]:
            raise RuntimeError(f"{frame.graph.name}: the graph function read a tensor of {model.name} it did not read "
                               "on its first run")
        entry[1].append(item)
    if not entry[2]:
        placeholder = _placeholder_of(model, item)
        # which item each placeholder stands for: the first run's model inputs that are not
        # its Inputs are tensors inside another graph (``_given_items``)
        frame.__dict__.setdefault("_xlate_placeholders", []).append((placeholder, id(model), item))
        return placeholder
    given = _given_value(frame, model, item)
    if given is not None:
        return given
    values = frame.source_values.get(id(model))
    if values is None:
        values = frame.source_values[id(model)] = _partial_run(frame, model, entry[1])
    return values[item]


def _given_items(model, frame):
    """After the first construction run: the tensors of other graphs among the model's inputs
    (``keras.Model(base.get_layer("h").output, base.output)``), each a node's single output.
    Keras starts the model there, from a new Input of the tensor's shape; so does the second
    run (``_given_value``)."""
    found = set()
    for t in tf.nest.flatten(frame.structure[0]):
        if any(t is p for p in frame.inputs):
            continue
        for placeholder, mid, item in frame.__dict__.get("_xlate_placeholders", []):
            if placeholder is t:
                source = frame.sources[mid][0]
                if item[0] != "node" or len(source._xlate_node_specs[item[1]]) != 1:
                    raise NotImplementedError(f"{model.name}: a model whose inputs are tensors inside another graph "
                                              "is translated for a layer's single output only")
                found.add((mid, item))
    frame.__dict__.pop("_xlate_placeholders", None)
    model.__dict__["_xlate_given_items"] = found


def _given_value(frame, model, item):
    """This run's Input of the running model that stands for ``model``'s tensor ``item``, when
    a model takes that tensor as an input (else None)."""
    key = (id(model), item)
    if key in frame.source_inputs:
        return frame.source_inputs[key]
    position = frame.source_positions.get(key) if frame.source_positions else None
    if position is not None:
        value = frame.inputs[position]
        value = value.make() if isinstance(value, _StandIn) else value
    elif frame.mode == "record" and not frame.given and key in frame.graph.__dict__.get("_xlate_given_items", ()):
        shape, dtype = model._xlate_node_specs[item[1]][0]
        if frame.input_layers is not None and len(frame.input_layers) <= len(frame.inputs):
            # its InputLayer (Keras names it after the tensor); a second trace keeps the first's
            frame.input_layers.append(InputLayer(batch_shape=shape, dtype=dtype,
                                                 name=f"{model._xlate_node_names[item[1]]}_output_clone"))
        frame.input_specs.append((tuple(shape), dtype, None))
        value = tf.compat.v1.placeholder(tf.as_dtype(dtype), list(shape), name="input")
        frame.inputs.append(value)
        frame.source_keys.append(key)
        frame.source_models_seen[id(model)] = model
    else:
        return None
    frame.source_inputs[key] = value
    return value


def _drop_untaken_inputs(model, frame, flat_inputs, outputs):
    """Another model's Inputs read (``base.input``) but not among this model's inputs: gone
    from its Inputs, unless its outputs depend on them (Keras: a disconnected graph). An
    output that is itself a tensor inside another graph taken as an input is Keras's
    disconnected graph too: Keras's clone of that input is a new tensor, the output is not."""
    for k, key in enumerate(frame.source_keys):
        if key is not None and not isinstance(key[1], int) \
                and any(t is frame.inputs[k] for t in tf.nest.flatten(outputs)):
            raise ValueError(f"{model.name}: an output is the tensor inside another graph that the model takes as an "
                             "input (Keras: the graph is disconnected)")
    taken = {id(t) for t in flat_inputs}
    drop = [k for k, key in enumerate(frame.source_keys) if key is not None and id(frame.inputs[k]) not in taken]
    if not drop:
        return
    deps, out_deps, _ = _node_sources(frame.nodes, frame.inputs, tf.nest.flatten(outputs))
    for _, found_inputs, _ in out_deps:
        if found_inputs & set(drop):
            raise ValueError(f"{model.name}: its outputs depend on an Input it does not take (Keras: the graph is "
                             "disconnected)")
    # nodes walk back to the Inputs through other nodes: the Inputs the needed nodes reach
    for i in _upstream([n for found_nodes, _, _ in out_deps for n in found_nodes], deps):
        if deps[i][1] & set(drop):
            raise ValueError(f"{model.name}: its outputs depend on an Input it does not take (Keras: the graph is "
                             "disconnected)")
    for k in reversed(drop):
        del frame.inputs[k], frame.input_specs[k], frame.source_keys[k]
        if frame.input_layers is not None and k < len(frame.input_layers):
            del frame.input_layers[k]


def _upstream(nodes, deps, cut=frozenset()):
    """The nodes given and every node they depend on (``deps[i][0]``: the nodes node i's inputs
    come from), not past the nodes of ``cut`` (whose outputs are given) nor those themselves."""
    reach, todo = set(), list(nodes)
    while todo:
        i = todo.pop()
        if i not in reach and i not in cut:
            reach.add(i)
            todo.extend(deps[i][0])
    return reach


def _node_value(flat):
    return flat[0] if len(flat) == 1 else list(flat)


def _placeholder_of(model, item):
    if item[0] == "node":
        specs = model._xlate_node_specs[item[1]]
    elif item[0] == "node_in":
        specs = model._xlate_node_in_specs[item[1]]
    else:
        specs = [(model._output_shapes[item[1]], model._output_dtypes[item[1]])]
    return _node_value([tf.compat.v1.placeholder(tf.as_dtype(dtype), shape) for shape, dtype in specs])


def _partial_run(frame, model, wanted):
    """Replay ``model``'s graph function inside the running one for the ``wanted`` items: the
    nodes they depend on run as the running model's nodes, the replay stops after the last of
    them (or runs to the end for an output no node gives), and a node before that which is
    not needed runs with its effects undone."""
    deps, out_deps = model._xlate_deps, model._xlate_out_deps
    # the nodes whose output is an Input of the running model: the replay starts there
    given = {}
    for i in range(len(deps)):
        value = _given_value(frame, model, ("node", i))
        if value is not None:
            given[i] = value
    todo, needed_inputs, full = [], set(), False
    wanted_nodes, captured = [], []
    for item in wanted:
        if item[0] != "node_in" and _given_node(item, out_deps) in given:
            continue
        if item[0] == "node_in":
            # a node's input tensors: what they come from is needed, not the node itself
            captured.append(item[1])
            todo += deps[item[1]][0]
            needed_inputs |= deps[item[1]][1]
        elif item[0] == "out":
            nodes, ins, producer = out_deps[item[1]]
            if producer is None:
                full = True
                todo += nodes
                needed_inputs |= ins
                continue
            wanted_nodes.append(producer[0])
        else:
            wanted_nodes.append(item[1])
    todo += wanted_nodes
    needed = _upstream(todo, deps, set(given))
    for i in needed:
        needed_inputs |= deps[i][1]
    stop_at = None if full or not wanted_nodes else max(wanted_nodes)
    stop_before = None
    if not full and captured and max(captured) > max(wanted_nodes, default=-1):
        stop_at, stop_before = None, max(captured)
    inputs = []
    for k, (shape, dtype, _) in enumerate(model._input_specs):
        if k in needed_inputs:
            inputs.append(_source_input(frame, model, k))
        else:
            root, kr = _root_input(model, k)
            inputs.append(frame.source_inputs.get((id(root), kr), _StandIn(shape, dtype)))
    like = _batch_like([*inputs, *frame.inputs])
    for value in inputs:
        if isinstance(value, _StandIn) and value.like is None:
            value.like = like
    plan = _Partial(model, needed, stop_at, frame.partial, captured, stop_before, given)
    replay = _Frame(graph=frame.graph, mode=frame.mode, training=frame.training)
    replay.reuse, replay.made, replay.given = True, model._made, True
    replay.inputs, replay.nodes, replay.partial = inputs, frame.nodes, plan
    replay.node_outputs = frame.node_outputs
    replay.sources = model.__dict__.get("_xlate_sources")
    replay.source_positions = model.__dict__.get("_xlate_source_positions", {})
    outputs = None
    _stack().append(replay)
    try:
        _, outputs, _ = _run_graph_function(model._graph)
    except _StopRun as stop:
        if stop.plan is not plan:
            raise
    finally:
        _stack().pop()
    values = {}
    flat_outputs = tf.nest.flatten(outputs) if outputs is not None else None
    for item in wanted:
        if item[0] != "node_in" and _given_node(item, out_deps) in given:
            values[item] = given[_given_node(item, out_deps)]  # a single output (``_given_items``)
        elif item[0] == "node":
            values[item] = _node_value(tf.nest.flatten(plan.outputs[item[1]]))
        elif item[0] == "node_in":
            values[item] = _node_value(plan.inputs[item[1]])
        else:
            producer = out_deps[item[1]][2]
            if producer is not None and producer[0] in plan.outputs:
                values[item] = tf.nest.flatten(plan.outputs[producer[0]])[producer[1]]
            else:
                values[item] = flat_outputs[item[1]]
    return values


def _given_node(item, out_deps):
    """The node whose output ``item`` (``("node", i)`` or ``("out", m)``) is, if one is."""
    if item[0] == "node":
        return item[1]
    producer = out_deps[item[1]][2]
    return None if producer is None else producer[0]


def _node_sources(nodes, inputs, outputs):
    """Per node, the nodes and Inputs its input tensors come from, through any ops (shape
    ops too: they need their input computed); per output the same and the node giving it;
    per node its outputs' (shape, dtype), and its input tensors'."""
    producer = {}
    for i, (_, _, outs) in enumerate(nodes):
        for j, t in enumerate(outs):
            if hasattr(t, "op"):
                producer.setdefault(_key(t), (i, j))
    input_pos = {_key(t): k for k, t in enumerate(inputs)}

    def sources(tensors):
        found_nodes, found_inputs = set(), set()
        todo, seen = [t for t in tensors if hasattr(t, "op")], set()
        while todo:
            t = todo.pop()
            k = _key(t)
            if k in seen:
                continue
            seen.add(k)
            if k in producer:
                found_nodes.add(producer[k][0])
            elif k in input_pos:
                found_inputs.add(input_pos[k])
            else:
                todo.extend(x for x in t.op.inputs if x.dtype != tf.resource)
        return frozenset(found_nodes), frozenset(found_inputs)

    deps = [sources(ins) for _, ins, _ in nodes]
    out_deps = []
    for t in outputs:
        found_nodes, found_inputs = sources([t])
        out_deps.append((found_nodes, found_inputs, producer.get(_key(t)) if hasattr(t, "op") else None))
    def spec(t):
        return (tuple(tf.TensorShape(t.shape).as_list()) if hasattr(t, "shape") else (),
                t.dtype.name if hasattr(t, "dtype") else "float32")

    specs = [[spec(t) for t in outs] for _, _, outs in nodes]
    in_specs = [[spec(t) for t in ins if tf.is_tensor(t)] for _, ins, _ in nodes]
    return deps, out_deps, (specs, in_specs)


def _record_nodes(self, frame, inputs, outputs):
    """What a later model on part of this graph needs: each node's sources (nodes and
    Inputs, through any ops), each output's, the nodes' output specs, the structures,
    and each layer's first node (Keras's ``layer.output``)."""
    self._xlate_deps, self._xlate_out_deps, (self._xlate_node_specs, self._xlate_node_in_specs) = _node_sources(
        frame.nodes, frame.inputs, tf.nest.flatten(outputs))
    self._output_structure = tf.nest.map_structure(lambda t: 0, outputs)
    self._output_dtypes = [t.dtype.name for t in tf.nest.flatten(outputs)]
    self._xlate_input_layers = list(frame.input_layers or [])
    self._xlate_traced_items = _traced_items(frame)
    for k, layer in enumerate(self._xlate_input_layers):
        layer.__dict__.setdefault("_xlate_source", (self, k))
    self._xlate_node_names = [str(getattr(layer, "name", "node")) for layer, _, _ in frame.nodes]
    for i, (layer, _, _) in enumerate(frame.nodes):
        if hasattr(layer, "__dict__"):
            layer.__dict__.setdefault("_xlate_node", (self, i))


def _traced_items(frame):
    """Per name the graph function returned for later statements: its structure and, per
    leaf, where it comes from: ``("in", k)`` (Input #k), ``("node", i, j)`` (output #j of node
    #i), ``("value",)`` (not a tensor: the model's traced value itself), or None (an operation
    between layers: no node). Only numbers: the model keeps no tensor and no object here."""
    producer = {}
    for i, (_, _, outs) in enumerate(frame.nodes):
        for j, t in enumerate(outs):
            if hasattr(t, "op"):
                producer.setdefault(_key(t), (i, j))
    input_pos = {_key(t): k for k, t in enumerate(frame.inputs)}

    def item(v):
        if not isinstance(v, tf.Tensor):
            return ("value",)
        k = _key(v)
        if k in input_pos:
            return ("in", input_pos[k])
        return ("node",) + producer[k] if k in producer else None

    items = {}
    for key, value in (getattr(frame, "traced", None) or {}).items():
        flat = tf.nest.flatten(value)
        if any(isinstance(v, tf.Tensor) for v in flat):
            items[key] = (tf.nest.map_structure(lambda v: 0, value), [item(v) for v in flat])
    return items


def _partial_traced(frame, model, inputs, keys):
    """What the names ``keys`` of ``model``'s graph hold in this run, for a graph function that
    takes only some of ``model``'s Inputs (``inputs``: (id(model), k) -> this run's tensor):
    Inputs are this run's, node outputs come from one replay of ``model``'s nodes as far as
    they need (``_source_values``), run as the running model's nodes."""
    for (mid, k), tensor in inputs.items():
        if mid == id(model):
            root, kr = _root_input(model, k)
            frame.source_inputs.setdefault((id(root), kr), tensor)
    found = {}
    for key in keys:
        structure, items = model._xlate_traced_items[key]
        kept = tf.nest.flatten(model._traced[key])
        flat = []
        for index, it in enumerate(items):
            if it is None:
                raise NotImplementedError(f"{frame.graph.name}: `{key}` of {model.name} is computed between layers, "
                                          "not a layer's output: a model that does not take all of its inputs cannot "
                                          "get it")
            if it[0] == "value":
                flat.append(kept[index])
            elif it[0] == "in":
                flat.append(_source_input(frame, model, it[1]))
            else:
                flat.append(tf.nest.flatten(_source_values(frame, model, ("node", it[1])))[it[2]])
        found[key] = tf.nest.pack_sequence_as(structure, flat)
    return found


# --- a Sequential with a declared input is a functional graph ---------------------------
#
# Keras 3 builds a Sequential whose input is declared (an ``Input`` entry, a first layer's
# ``input_shape=``) as a ``Functional`` on that Input and its layers in order: its ``inputs``/
# ``outputs`` and its layers' ``output`` (their first inbound node) are that graph's tensors
# (its ``input``/``output`` are not: they are its own calls', an AttributeError before one),
# and a model on part of them (a course notebook's ``keras.Model(model.inputs,
# [layer.output for layer in model.layers[1:]])``) takes the sub-graph. Here the Sequential
# gets the same graph as a functional model of the runtime (docs/design.md, "A model on part
# of a Sequential"), made when the Sequential is built, as Keras makes its; it holds no
# variable of its own (the layers are the Sequential's), and the Sequential keeps it outside
# its tracked attributes (a module dict: checkpoints and weights are the Sequential's as
# before). ``add`` builds it again, as Keras rebuilds; after ``pop`` it is refused (loudly).
# The translator follows a Sequential never `add`ed to or `pop`ped, or one whose `add`s all come
# before the model on part of it (graphs.py). A layer's first node moves to the graph built again.

_FUNCTIONAL = {}  # id(sequential) -> (sequential, its layers then, its functional graph)


def _build_sequential_functional(seq):
    spec = seq.__dict__.get("_input_spec")
    if spec is None or not seq._layers:
        return
    layers = list(seq._layers)
    name = spec.name or spec.__dict__.get("_xlate_auto_name") or "input_layer"
    old = _FUNCTIONAL.get(id(seq))
    if old is not None and old[0] is seq:
        # built again after an `add`: Keras keeps each layer's first node (`layer.output`) in the
        # graph it was first called in, on the same Input, so computing the same; here the
        # layers' first nodes move to the new graph, the one a model on part of it replays
        for held in [*layers, spec]:
            for key in ("_xlate_node", "_xlate_source"):
                where = getattr(held, "__dict__", {}).get(key)
                if where is not None and where[0] is old[2]:
                    del held.__dict__[key]

    def graph():
        inputs = x = Input(batch_shape=tuple(spec.shape), dtype=spec.dtype, name=name)
        for layer in layers:
            x = layer(x)
        return inputs, x

    functional = Model(graph, name=f"{seq.name}_functional")  # a name given: no Keras automatic name taken
    # the Sequential's declared input is the graph's InputLayer (Keras shares it)
    spec.__dict__.setdefault("_xlate_source", (functional, 0))
    _FUNCTIONAL[id(seq)] = (seq, layers, functional)


def _functional_of(model, strict=False):
    """``model``, or for a Sequential with a declared input its functional graph (``strict``:
    raise when its layers changed since, else give the Sequential itself)."""
    if model.__dict__.get("_graph") is not None or not isinstance(model, Sequential):
        return model
    entry = _FUNCTIONAL.get(id(model))
    if entry is None or entry[0] is not model:
        return model
    if len(entry[1]) != len(model._layers) or any(a is not b for a, b in zip(entry[1], model._layers)):
        if not strict:
            return model
        raise NotImplementedError(f"{model.name}: a Sequential whose layers changed after it was built (`pop`) is "
                                  "not followed as a graph by a model on part of it")
    return entry[2]


def _sequential_build_from_spec(build):
    def _build_from_spec(self):
        build(self)
        _build_sequential_functional(self)

    return _build_from_spec


def _graph_io(self, which):
    """Keras's ``model.input``/``inputs``/``output``/``outputs`` of a functional model: inside
    another graph function that takes it, this run's tensors (a model on part of its graph);
    elsewhere, symbols with their shapes and dtypes."""
    if self.__dict__.get("_graph") is None:
        raise AttributeError(f"{self.name} is not a functional model: it has no {which}")
    frame = _graph_frame()
    inside = frame is not None and id(self) in frame.source_models
    if which.startswith("input"):
        by_pos = sorted(range(len(self._input_order)), key=lambda k: self._input_order[k])
        if inside:
            flat = [_source_input(frame, self, k) for k in by_pos]
        else:
            flat = [_CallSymbol(*self._input_specs[k]) for k in by_pos]
        return flat if which == "inputs" else tf.nest.pack_sequence_as(self._input_structure, flat)
    count = len(self._output_shapes)
    if inside:
        flat = [_source_values(frame, self, ("out", m)) for m in range(count)]
    else:
        flat = [_CallSymbol(shape, dtype, f"{self.name}_output_{m}")
                for m, (shape, dtype) in enumerate(zip(self._output_shapes, self._output_dtypes))]
    return flat if which == "outputs" else tf.nest.pack_sequence_as(self._output_structure, flat)


def _io_property(which, inherited):
    own = f"_xlate_own_{which}"

    def get(self):
        if own in self.__dict__:
            return self.__dict__[own]
        # a Sequential's `inputs`/`outputs` are its functional graph's; its `input`/`output` are
        # its own calls' (Keras 3: Operation's, an AttributeError before a symbolic call)
        model = _functional_of(self, strict=True) if which in ("inputs", "outputs") else self
        if model.__dict__.get("_graph") is None and inherited is not None:
            return inherited.fget(self)
        return _graph_io(model, which)

    def set_(self, value):  # a subclass's own attribute
        self.__dict__[own] = value

    return property(get, set_)


def _install_submodels(model_class, layer_class):
    """Give the runtime's ``Layer``/``Model`` what a model on part of another's graph needs."""
    layer_class._xlate_hooks = types.SimpleNamespace(
        record_nodes=_record_nodes, drop_untaken=_drop_untaken_inputs, source_values=_source_values,
        given_items=_given_items,
        source_input=_source_input, with_their_sources=_with_their_sources, partial_traced=_partial_traced,
        functional_of=_functional_of)
    Sequential._build_from_spec = _sequential_build_from_spec(Sequential._build_from_spec)
    for which in ("input", "inputs", "output", "outputs"):
        setattr(model_class, which, _io_property(which, getattr(layer_class, which, None)))
    return True


_SUBMODELS = _install_submodels(Model, Layer)
