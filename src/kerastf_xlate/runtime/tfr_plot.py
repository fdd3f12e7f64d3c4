"""``keras.utils.plot_model`` and ``keras.utils.model_to_dot`` for translated models.

The diagram is drawn from what the translated model knows of itself, as Keras draws it from
its functional graph: a node per layer (an ``InputLayer`` per ``Input`` of a graph
function), an edge where one layer's output reaches another layer, through any TensorFlow
ops between them (Keras draws its own operations on KerasTensors, such as ``add``, as nodes
of their own; here they are part of the edge), a chain for a ``Sequential``, and one node
for a subclassed model. The labels are Keras's: name and class, activation, input and
output shapes, dtype, trainable. pydot (or pydot_ng, pydotplus) and Graphviz are needed, as
with Keras, which prints the same message in a notebook and raises elsewhere when either is
missing.
"""

import os
import sys

from tfr_activations import _ACTIVATIONS
from tfr_base import Sequential


def _pydot():
    for module in ("pydot", "pydot_ng", "pydotplus"):
        try:
            return __import__(module)
        except ImportError:
            continue
    return None


def _missing(message):
    if "IPython.core.magics.namespace" in sys.modules:
        print(message)  # a notebook goes on, as with Keras
        return True
    raise ImportError(message)


def _shape_text(shapes):
    if shapes is None:
        return "?"
    if len(shapes) == 1:
        return str(shapes[0])
    return str(list(shapes))


def _label(layer, show_layer_names, show_layer_activations, show_dtype, show_shapes, show_trainable):
    class_name = type(layer).__name__
    colspan = max(1, int(show_dtype) + int(show_trainable) + (2 if show_shapes else 0))
    title = f"<b>{layer.name}</b> ({class_name})" if show_layer_names else f"<b>{class_name}</b>"
    table = ('<<table border="0" cellborder="1" bgcolor="black" cellpadding="10">'
             f'<tr><td colspan="{colspan}" bgcolor="black"><font point-size="16" color="white">{title}</font></td></tr>')
    shapes = layer.__dict__.get("_xlate_io")
    activation = getattr(layer, "activation", None)
    if show_layer_activations and activation is not None:
        # Keras's name of a runtime activation function (the first of its aliases, as Keras's own
        # function's name); a user's function by its own name
        name = next((key for key, fn in _ACTIVATIONS.items() if fn is activation), None)
        name = name or getattr(activation, "name", None) or getattr(activation, "__name__", None) or str(activation)
        table += (f'<tr><td bgcolor="white" colspan="{colspan}"><font point-size="14">Activation: <b>{name}</b>'
                  "</font></td></tr>")
    cols = []
    if type(layer).__name__ == "InputLayer":
        shapes = ((), (tuple(layer.shape),), (str(layer.dtype),))
    inputs, outputs, dtypes = shapes[:3] if shapes is not None else (None, None, None)
    if show_shapes:
        if class_name != "InputLayer":
            cols.append(f'<td bgcolor="white"><font point-size="14">Input shape: <b>{_shape_text(inputs)}</b></font></td>')
        cols.append(f'<td bgcolor="white"><font point-size="14">Output shape: <b>{_shape_text(outputs)}</b></font></td>')
    if show_dtype:
        dtype = dtypes[0] if dtypes and len(dtypes) == 1 else (list(dtypes) if dtypes else "?")
        cols.append(f'<td bgcolor="white"><font point-size="14">Output dtype: <b>{dtype}</b></font></td>')
    if show_trainable and layer.weights:
        if layer.trainable:
            cols.append('<td bgcolor="forestgreen"><font point-size="14" color="white"><b>Trainable</b></font></td>')
        else:
            cols.append('<td bgcolor="firebrick"><font point-size="14" color="white"><b>Non-trainable</b></font></td>')
    if cols:
        table += f"<tr>{''.join(cols)}</tr>"
    return table + "</table>>"


def model_to_dot(model, show_shapes=False, show_dtype=False, show_layer_names=True, rankdir="TB",
                 expand_nested=False, dpi=200, subgraph=False, show_layer_activations=False, show_trainable=False,
                 splines="ortho", **kwargs):
    """A ``pydot.Dot`` of the translated model (Keras's ``model_to_dot``; ``expand_nested``
    draws a nested model as one node)."""
    if not model.built:
        raise ValueError("This model has not yet been built. Build the model first by calling `build()` or by "
                         "calling the model on a batch of data.")
    pydot = _pydot()
    if pydot is None:
        raise ImportError("You must install pydot (`pip install pydot`) for model_to_dot to work.")
    if kwargs.pop("layer_range", None) is not None:
        raise ValueError("Argument `layer_range` is no longer supported.")
    if kwargs:
        raise ValueError(f"Unrecognized keyword arguments: {kwargs}")
    if subgraph:
        dot = pydot.Cluster(style="dashed", graph_name=model.name)
        dot.set("label", model.name)
        dot.set("labeljust", "l")
    else:
        dot = pydot.Dot()
        dot.set("rankdir", rankdir)
        dot.set("concentrate", True)
        dot.set("dpi", dpi)
        dot.set("splines", splines)
        dot.set_node_defaults(shape="record")
    options = dict(show_layer_names=show_layer_names, show_layer_activations=show_layer_activations,
                   show_dtype=show_dtype, show_shapes=show_shapes, show_trainable=show_trainable)
    if isinstance(model, Sequential):
        layers, edges = model.layers, [(i, i + 1) for i in range(len(model.layers) - 1)]
    elif getattr(model, "_graph", None) is not None:
        layers, edges = model.layers, model._xlate_edges
    else:
        layers, edges = [model], []  # a subclassed model is one node, as in Keras
    for layer in layers:
        node = pydot.Node(str(id(layer)), label=_label(layer, **options))
        node.set("fontname", "Helvetica")
        node.set("border", "0")
        node.set("margin", "0")
        dot.add_node(node)
    for src, dst in edges:
        src_id, dst_id = str(id(layers[src])), str(id(layers[dst]))
        if not dot.get_edge(src_id, dst_id):
            edge = pydot.Edge(src_id, dst_id)
            edge.set("penwidth", "2")
            dot.add_edge(edge)
    return dot


def plot_model(model, to_file="model.png", show_shapes=False, show_dtype=False, show_layer_names=False, rankdir="TB",
               expand_nested=False, dpi=200, show_layer_activations=False, show_trainable=False, splines="ortho",
               **kwargs):
    """Draw the translated model into ``to_file`` (Keras's ``plot_model``); in Jupyter, the
    image to show."""
    if not model.built:
        raise ValueError("This model has not yet been built. Build the model first by calling `build()` or by "
                         "calling the model on a batch of data.")
    pydot = _pydot()
    if pydot is None:
        if _missing("You must install pydot (`pip install pydot`) for `plot_model` to work."):
            return None
    try:
        pydot.Dot.create(pydot.Dot())
    except (OSError, getattr(pydot, "PydotException", OSError)):
        if _missing("You must install graphviz (see instructions at https://graphviz.gitlab.io/download/) for "
                    "`plot_model` to work."):
            return None
    if kwargs.pop("layer_range", None) is not None:
        raise ValueError("Argument `layer_range` is no longer supported.")
    if kwargs:
        raise ValueError(f"Unrecognized keyword arguments: {kwargs}")
    dot = model_to_dot(model, show_shapes=show_shapes, show_dtype=show_dtype, show_layer_names=show_layer_names,
                       rankdir=rankdir, expand_nested=expand_nested, dpi=dpi,
                       show_layer_activations=show_layer_activations, show_trainable=show_trainable, splines=splines)
    to_file = str(to_file)
    extension = os.path.splitext(to_file)[1][1:] or "png"
    dot.write(to_file, format=extension)
    if extension != "pdf":
        try:
            from IPython import display

            return display.Image(filename=to_file)
        except ImportError:
            pass
    return None
