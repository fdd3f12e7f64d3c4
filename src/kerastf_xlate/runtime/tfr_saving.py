"""Reading the weights files Keras writes into a translated model, as Keras reads them.

``Model.load_weights`` (tfr_base.py) reads its own ``tf.train.Checkpoint`` files, and hands
Keras's files to :func:`_load_keras_weights`:

- Keras 3 ``.weights.h5`` (and the ``model.weights.h5`` inside a ``.keras`` archive): one
  HDF5 group per object path, ``<path>/vars/0``, ``<path>/vars/1``... Paths follow Keras's
  ``saving_lib``: a ``Sequential``'s or functional model's layers under ``layers/``, named by
  their snake-cased class name with ``_1``, ``_2``... for repeats, then the attributes of
  a layer or subclassed model in sorted order (``_private`` ones last), lists, tuples and
  dicts as containers, each object once (a shared layer at its first path). The runtime
  layers carry Keras's class names and, for each layer, its own variables in Keras's order
  (trainable, then non-trainable, in creation order), so the paths and ``vars`` match.
- Keras 2 / tf.keras HDF5 (``.h5``, ``.hdf5``; keras.applications' ImageNet files):
  ``model.layers`` that have weights, matched in order to the file's ``layer_names`` that
  have weights (or by layer name with ``by_name=True``), each layer's trainable then
  non-trainable weights in file order.

A count or shape that does not match raises ``ValueError`` (``skip_mismatch=True``: a
warning, and that layer keeps its values), as in Keras. ``h5py`` is imported only here,
when a Keras file is read.
"""

import io
import re
import warnings
import zipfile


def _load_keras_weights(model, filepath, skip_mismatch=False, **kwargs):
    """Read a Keras weights file into ``model`` (dispatching on the file name, as Keras's
    ``saving_api.load_weights`` does)."""
    path = str(filepath)
    by_name = kwargs.pop("by_name", None)
    objects_to_skip = kwargs.pop("objects_to_skip", None)
    if kwargs:
        raise ValueError(f"Invalid keyword arguments: {kwargs}")
    if objects_to_skip is not None:
        raise NotImplementedError("load_weights(objects_to_skip=...) is not translated")
    legacy = path.endswith((".h5", ".hdf5")) and not path.endswith(".weights.h5")
    if by_name is not None and not legacy:
        raise ValueError(f"`by_name` only supports loading legacy '.h5' or '.hdf5' files. Received: {path}")
    if path.endswith(".weights.json"):
        raise NotImplementedError(f"{path}: sharded Keras weights (.weights.json) are not read by the translation")
    h5py = _kwf_h5py()
    if path.endswith(".keras"):
        with zipfile.ZipFile(path, "r") as archive:
            data = archive.read("model.weights.h5")
        with h5py.File(io.BytesIO(data), "r") as f:
            _kwf_load_saving_lib(model, f, skip_mismatch)
    elif path.endswith(".weights.h5"):
        with h5py.File(path, "r") as f:
            _kwf_load_saving_lib(model, f, skip_mismatch)
    elif legacy:
        with h5py.File(path, "r") as f:
            group = f["model_weights"] if "layer_names" not in f.attrs and "model_weights" in f else f
            _kwf_load_legacy(model, group, skip_mismatch, bool(by_name))
    else:
        raise ValueError(f"File format not supported: filepath={path}. The translated model reads the TensorFlow "
                         "checkpoints its save_weights writes, and Keras's `.weights.h5`, `.keras` and `.h5` files.")


def _kwf_h5py():
    try:
        import h5py
    except ImportError:
        raise ImportError("reading a Keras weights file (.weights.h5, .keras, .h5) needs the h5py package "
                          "(pip install h5py)") from None
    return h5py


def _kwf_mismatch(message, skip_mismatch):
    """Keras's answer to a file that does not fit: an error, or a warning with ``skip_mismatch``."""
    if not skip_mismatch:
        raise ValueError(message)
    warnings.warn(message, stacklevel=3)


def _kwf_assign(variables, values, where, skip_mismatch):
    """Assign the arrays to the variables after checking every count and shape."""
    if len(values) != len(variables):
        _kwf_mismatch(f"{where}: the model has {len(variables)} weight(s), the file {len(values)}", skip_mismatch)
        return
    for variable, value in zip(variables, values):
        if tuple(variable.shape) != tuple(value.shape):
            _kwf_mismatch(f"{where}: weight {variable.name} has shape {tuple(variable.shape)}, the file's "
                      f"{tuple(value.shape)}", skip_mismatch)
            return
    for variable, value in zip(variables, values):
        variable.assign(value)


# --- Keras 3 (saving_lib) -----------------------------------------------------------------


def _kwf_load_saving_lib(model, h5, skip_mismatch):
    if not model.built:
        raise ValueError("You are loading weights into a model that has not yet been built. Try building the model "
                         "first by calling it on some data or by using `build()`.")
    plan = []
    _kwf_walk(model, "", set(), plan, h5)
    used = set()
    for layer, path in plan:
        variables = list(layer._own_trainable) + list(layer._own_non_trainable)
        group = _kwf_vars_group(h5, path)
        if group is None:
            if variables:
                _kwf_mismatch(f"layer '{layer.name}' ({path or 'the model'}): the file has no weights there, the layer "
                          f"has {len(variables)}", skip_mismatch)
            continue
        used.add(group.name)
        values = [group[str(i)] if str(i) in group else None for i in range(len(group))]
        if any(v is None for v in values):
            _kwf_mismatch(f"{path}: unexpected names in the file's vars {sorted(group.keys())}", skip_mismatch)
            continue
        _kwf_assign(variables, [v[()] for v in values], f"layer '{layer.name}' ({path or 'the model'})", skip_mismatch)
    # a layer of the file the model does not have (a different model): Keras ignores it; a
    # translated model refuses, so a wrong file is not half-read. The optimizer's and
    # metrics' state (written after compile) is not the model's weights.
    roots = {path.split("/")[0] for _, path in plan if path}
    extra = [name for name in _kwf_weight_groups(h5) if name not in used and name.strip("/").split("/")[0] in roots]
    if extra:
        _kwf_mismatch(f"the file has weights the model does not: {', '.join(sorted(extra)[:5])}", skip_mismatch)


def _kwf_vars_group(h5, path):
    """The ``vars`` group of an object path with at least one array (Keras's ``H5IOStore.get``,
    with its fallback for files of Keras 2.13), or None."""
    candidates = [path]
    if "_layer_checkpoint_dependencies" in h5:
        candidates.append(path.replace("layers", "_layer_checkpoint_dependencies"))
    for candidate in candidates:
        where = h5 if not candidate else h5.get(candidate)
        if where is not None and hasattr(where, "keys") and "vars" in where and len(where["vars"]):
            return where["vars"]
    return None


def _kwf_weight_groups(h5):
    """The names of the ``vars`` groups that hold at least one array."""
    out = []

    def visit(name, obj):
        if name.split("/")[-1] == "vars" and hasattr(obj, "keys") and len(obj):
            out.append(obj.name)

    h5.visititems(visit)
    return out


def _kwf_walk(obj, path, visited, plan, h5):
    """Keras's ``_load_state``: the object's own variables at ``path``, then its children."""
    if id(obj) in visited:
        return
    visited.add(id(obj))
    plan.append((obj, path))
    for attr, child in _kwf_children(obj):
        child_path = _kwf_child_path(path, attr, h5)
        if _kwf_is_layer(child):
            _kwf_walk(child, child_path, visited, plan, h5)
        elif isinstance(child, (list, tuple, dict)):
            _kwf_walk_container(child, child_path, visited, plan, h5, set())


def _kwf_walk_container(container, path, visited, plan, h5, seen):
    if id(container) in seen:
        return
    seen.add(id(container))
    used = {}
    items = list(container.values()) if isinstance(container, dict) else list(container)
    for item in items:
        if _kwf_is_layer(item):
            _kwf_walk(item, f"{path}/{_kwf_unique(_kwf_keras_snake(_kwf_keras_class_name(item)), used)}", visited, plan, h5)
        elif isinstance(item, (list, tuple, dict)):
            _kwf_walk_container(item, f"{path}/{_kwf_unique('container', used)}", visited, plan, h5, seen)


# attributes the runtime's Layer/Model/Sequential keep for themselves (Keras skips its own)
_KWF_INTERNAL = frozenset({"_layers", "_made", "_graph_layers", "_graph_layers_and_inputs", "_input_spec", "_own_trainable", "_own_non_trainable"})


def _kwf_children(obj):
    """``(attribute, value)`` in the order of Keras's ``_walk_saveable``."""
    if _kwf_is_functional(obj) or _kwf_is_sequential(obj):
        yield "layers", obj.layers
        return
    names = {n for n in vars(obj) if not n.startswith(("__", "_xlate")) and n not in _KWF_INTERNAL
             and not n.startswith("_tf_") and not n.startswith("_self_")}
    if _kwf_is_model(obj):
        names.add("layers")  # Keras's Model.layers, not a Layer attribute: walked in its sorted place
    for name in sorted(names, key=lambda n: f"~{n}" if n.startswith("_") else n):
        yield name, (obj.layers if name == "layers" and _kwf_is_model(obj) else vars(obj)[name])


def _kwf_child_path(path, attr, h5):
    """``path/attr``; a private attribute (``_query_dense``) that Keras reaches first through
    its public property (``query_dense``) is found under the public name."""
    full = f"{path}/{attr}" if path else attr
    if attr.startswith("_") and not attr.startswith("__") and full not in h5:
        public = f"{path}/{attr[1:]}" if path else attr[1:]
        if public in h5:
            return public
    return full


def _kwf_is_layer(value):
    return getattr(type(value), "_xlate_layer", False)


def _kwf_is_model(value):
    return _kwf_is_layer(value) and "_graph" in vars(value)


def _kwf_is_functional(value):
    return _kwf_is_model(value) and vars(value).get("_graph") is not None


def _kwf_is_sequential(value):
    return _kwf_is_model(value) and any(c.__name__ == "Sequential" for c in type(value).__mro__)


def _kwf_keras_class_name(layer):
    """Keras's class of the object: ``keras.Model(inputs, outputs)`` makes a ``Functional``."""
    name = type(layer).__name__
    return "Functional" if name == "Model" and _kwf_is_functional(layer) else name


def _kwf_keras_snake(name):
    name = re.sub(r"\W+", "", name)
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def _kwf_unique(name, used):
    if name in used:
        used[name] += 1
        return f"{name}_{used[name]}"
    used[name] = 0
    return name


# --- Keras 2 / tf.keras HDF5 (legacy_h5_format) -------------------------------------------


def _kwf_h5_names(group, name):
    """A list attribute (``layer_names``, ``weight_names``), also when HDF5 split it in chunks."""
    if name in group.attrs:
        raw = list(group.attrs[name])
    else:
        raw, k = [], 0
        while f"{name}{k}" in group.attrs:
            raw.extend(group.attrs[f"{name}{k}"])
            k += 1
    return [n.decode("utf8") if hasattr(n, "decode") else str(n) for n in raw]


def _kwf_h5_values(group):
    return [group[w][()] for w in _kwf_h5_names(group, "weight_names")]


def _kwf_legacy_weights(layer):
    return list(layer.trainable_weights) + list(layer.non_trainable_weights)


def _kwf_load_legacy(model, group, skip_mismatch, by_name):
    names = _kwf_h5_names(group, "layer_names")
    if by_name:
        index = {}
        for layer in model.layers:
            index.setdefault(layer.name, []).append(layer)
        for k, name in enumerate(names):
            values = _kwf_h5_values(group[name])
            for layer in index.get(name, []):
                _kwf_assign(_kwf_legacy_weights(layer), values, f"layer #{k} (named {layer.name})", skip_mismatch)
    else:
        layers = [layer for layer in model.layers if _kwf_legacy_weights(layer)]
        saved = [name for name in names if _kwf_h5_names(group[name], "weight_names")]
        if len(saved) != len(layers):
            raise ValueError(f"Layer count mismatch when loading weights from file. Model expected {len(layers)} "
                             f"layers, found {len(saved)} saved layers.")
        for k, (name, layer) in enumerate(zip(saved, layers)):
            _kwf_assign(_kwf_legacy_weights(layer), _kwf_h5_values(group[name]),
                    f"layer #{k} (named {layer.name} in the current model, {name} in the save file)", skip_mismatch)
    if "top_level_model_weights" in group:
        own = list(model._own_trainable) + list(model._own_non_trainable)
        _kwf_assign(own, _kwf_h5_values(group["top_level_model_weights"]), "the model's top-level weights", skip_mismatch)


def convert_kernel(kernel):
    """Keras 2's ``conv_utils.convert_kernel``: a convolution kernel (3 to 5 axes, the spatial
    ones first) with its spatial axes reversed, between Theano's convolution and TensorFlow's
    correlation. A new NumPy array."""
    import numpy as np

    kernel = np.asarray(kernel)
    if not 3 <= kernel.ndim <= 5:
        raise ValueError("Invalid kernel shape:", kernel.shape)
    spatial = tuple(slice(None, None, -1) for _ in range(kernel.ndim - 2))
    return np.copy(kernel[spatial + (slice(None), slice(None))])


def convert_all_kernels_in_model(model):
    """Keras 2's ``layer_utils.convert_all_kernels_in_model``: every ``Conv1D``, ``Conv2D``,
    ``Conv3D`` and ``Conv2DTranspose`` of ``model.layers`` (its own, not those of a nested
    model) gets its kernel with the spatial axes reversed (:func:`convert_kernel`), for weights
    trained with Theano; its other weights stay."""
    for layer in model.layers:
        if type(layer).__name__ in ("Conv1D", "Conv2D", "Conv3D", "Conv2DTranspose"):
            layer.kernel.assign(convert_kernel(layer.kernel.numpy()))


def convert_dense_weights_data_format(dense, previous_feature_map_shape, target_data_format="channels_first"):
    """Keras 2's ``layer_utils.convert_dense_weights_data_format``: the kernel rows of a
    ``Dense`` layer that reads a flattened feature map of ``previous_feature_map_shape`` (its
    shape before flattening, in the source layout), reordered for a map flattened in
    ``target_data_format``; the bias stays."""
    if target_data_format not in {"channels_last", "channels_first"}:
        raise AssertionError
    kernel, bias = dense.get_weights()
    if target_data_format == "channels_first":  # the map was (h, w, c) flattened; now (c, h, w)
        c, h, w = previous_feature_map_shape
        rows = kernel.reshape((h, w, c, -1)).transpose(2, 0, 1, 3)
    else:  # the map was (c, h, w) flattened; now (h, w, c)
        h, w, c = previous_feature_map_shape
        rows = kernel.reshape((c, h, w, -1)).transpose(1, 2, 0, 3)
    dense.set_weights([rows.reshape(kernel.shape), bias])
