"""``keras.models.clone_model`` for translated models.

Keras clones a ``Sequential`` or functional model layer by layer with
``layer.__class__.from_config(layer.get_config())``: the copy has the same architecture, the
same layer and model names and settings, new variables that its layers' initializers fill
afresh, and no compile state. A translated model is copied as a whole (``copy.deepcopy``:
the same layers, a new variable for each), then every weight is filled again by the
initializer ``add_weight`` made it with, and the copy is left uncompiled.
"""

import copy

from tfr_base import Model

# what ``compile`` sets on a model (tfr_training.py); a clone has none of it
_COMPILE_STATE = ("optimizer", "loss", "_xlate_compiled", "_loss_tracker", "_xlate_functions", "compiled",
                  "stop_training", "run_eagerly", "history")


def clone_model(model, input_tensors=None, clone_function=None, call_function=None, recursive=False, **kwargs):
    """A copy of ``model`` with freshly initialized weights, uncompiled (Keras's
    ``clone_model`` with its default arguments)."""
    if input_tensors is not None or clone_function is not None or call_function is not None or recursive or kwargs:
        raise NotImplementedError("clone_model: only the default arguments are translated (a copy with new weights)")
    if not isinstance(model, Model):
        raise ValueError(f"Expected `model` argument to be a `Model` instance. Received: model={model}")
    memo = {}
    for key in _COMPILE_STATE:
        value = model.__dict__.get(key)
        if value is not None and not isinstance(value, (bool, str)):
            memo[id(value)] = None  # not copied: the copy gets no compile state
    clone = copy.deepcopy(model, memo)
    for key in _COMPILE_STATE:
        clone.__dict__.pop(key, None)
    for old in model.weights:
        new = memo.get(id(old))
        if new is None or new is old:
            raise NotImplementedError(f"clone_model: the weight {old.name} is not copied with the model")
        init = getattr(old, "_xlate_initializer", None)
        if init is None:
            raise NotImplementedError(f"clone_model: the weight {old.name} was not made by add_weight, so its "
                                      "initializer is not known")
        new.assign(init(tuple(old.shape), dtype=old.dtype))
        new._xlate_initializer = init  # the clone can be cloned in turn
    return clone
