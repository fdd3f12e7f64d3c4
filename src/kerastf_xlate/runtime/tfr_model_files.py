"""Model files a translated program writes and reads back itself (docs/design.md, "Model
files a program writes and reads back").

Keras's ``model.save(path)`` and ``ModelCheckpoint(path)`` write a Keras archive (the model's
config, its weights and its optimizer's state) that ``keras.models.load_model(path)`` rebuilds
a new model from. A translated model has no Keras config, so the program form translates the
round trip *inside one program*, which is what scripts and notebooks do (checkpoint the best
epoch, then load it back to evaluate):

- ``_save_model_file`` (``Model.save``, and ``ModelCheckpoint`` without
  ``save_weights_only``) writes a ``tf.train.Checkpoint`` of the model's variables and its
  optimizer's variables at ``path`` (the files ``path.index`` and ``path.data-*``, as the
  translated ``save_weights`` does; no Keras archive), and remembers which model wrote ``path``
  in this run;
- ``load_model(path)`` gives a new model of the same architecture as that model (a deep copy:
  new variables, shared with nothing), with the variables read from the file: weights,
  optimizer state (iterations, learning rate, slots), and the compiled loss and metrics (reset),
  as Keras restores them; ``compile=False`` gives it uncompiled, as in Keras.

A path no translated model wrote in this run raises ``ValueError``, naming it: the file may be a
Keras archive, which only Keras reads.
"""

import copy
import os

import tensorflow as tf
from tfr_base import Model

# absolute path -> (the model that last wrote it, how many optimizer variables it wrote)
_XLATE_MODEL_FILES = {}
_MODEL_FILE_SUFFIXES = (".keras", ".h5", ".hdf5")


class _OptimizerVariables(tf.Module):
    """The optimizer's variables (``optimizer.variables``: iterations, learning rate, slots in
    order) as one checkpoint dependency."""

    def __init__(self, variables):
        super().__init__(name="optimizer_variables")
        self.values = list(variables)


def _model_file_state(model):
    optimizer = model.__dict__.get("optimizer")
    variables = list(optimizer.variables) if optimizer is not None and hasattr(optimizer, "variables") else []
    return tf.train.Checkpoint(model=model, optimizer=_OptimizerVariables(variables)), len(variables)


def _save_model_file(model, filepath, overwrite=True, zipped=None, **kwargs):
    """``model.save(filepath)``: the model's and its optimizer's variables, as a TensorFlow
    checkpoint at ``filepath``; ``load_model(filepath)`` in this program reads them back."""
    path = os.fspath(filepath)
    include_optimizer = kwargs.pop("include_optimizer", True)
    save_format = kwargs.pop("save_format", None)
    if save_format and not path.endswith(_MODEL_FILE_SUFFIXES):  # Keras 3's messages, word for word
        raise ValueError("The `save_format` argument is deprecated in Keras 3. Please remove this argument and pass a "
                         f"file path with either `.keras` or `.h5` extension.Received: save_format={save_format}")
    if kwargs or zipped is not None:
        raise NotImplementedError(f"model.save({path!r}) with {sorted(kwargs) or ['zipped']} is not translated")
    if not overwrite:
        raise NotImplementedError("model.save(overwrite=False) (Keras asks before overwriting) is not translated")
    if not path.endswith(_MODEL_FILE_SUFFIXES):
        raise ValueError("Invalid filepath extension for saving. Please add either a `.keras` extension for the native "
                         "Keras format (recommended) or a `.h5` extension. Use `model.export(filepath)` if you want to "
                         f"export a SavedModel for use with TFLite/TFServing/etc. Received: filepath={path}.")
    # an unbuilt model is saved as Keras saves it (with a warning there): what it has, no weights
    # Keras writes the optimizer into a `.keras` archive whatever `include_optimizer` says
    # (only its legacy `.h5` writer takes it)
    with_optimizer = include_optimizer or not path.endswith((".h5", ".hdf5"))
    checkpoint, count = _model_file_state(model) if with_optimizer else (tf.train.Checkpoint(model=model), 0)
    dirname = os.path.dirname(path)
    if dirname and not tf.io.gfile.exists(dirname):
        tf.io.gfile.makedirs(dirname)
    checkpoint.write(path)
    if with_optimizer:
        _XLATE_MODEL_FILES[os.path.abspath(path)] = (model, count)
    else:  # the model's weights alone (read back by `load_weights`), not a file `load_model` reads here
        _XLATE_MODEL_FILES.pop(os.path.abspath(path), None)


def save_model(model, filepath, overwrite=True, zipped=None, **kwargs):
    """``keras.models.save_model(model, filepath)``: ``model.save(filepath)``."""
    _save_model_file(model, filepath, overwrite=overwrite, zipped=zipped, **kwargs)


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """``keras.models.load_model(filepath)`` of a file this program's translated models wrote:
    a new model like the one that wrote it, with the file's weights and optimizer state.
    ``custom_objects`` and ``safe_mode`` are not needed: the architecture is that model's own."""
    path = os.fspath(filepath)
    entry = _XLATE_MODEL_FILES.get(os.path.abspath(path))
    if entry is None:
        raise ValueError(f"load_model({path!r}): no translated model of this program saved this file in this run; "
                         "the translation reads back only the model files the program writes itself (a Keras file "
                         "needs keras.models.load_model)")
    template, count = entry
    memo = {}
    model = copy.deepcopy(template, memo)  # the same architecture, with variables of its own
    for variable in template.weights:  # a copied tf.Variable loses its Python attributes
        init = getattr(variable, "_xlate_initializer", None)
        if init is not None and memo.get(id(variable)) is not None:
            memo[id(variable)]._xlate_initializer = init  # clone_model of the loaded model fills it afresh
    optimizer = model.__dict__.get("optimizer")
    if optimizer is not None and hasattr(optimizer, "_slots") and len(optimizer.variables) != count:
        # the optimizer made its slots after the save: the loaded one starts without them
        optimizer._slots.clear()
        optimizer.built = False
    checkpoint, _ = _model_file_state(model)
    checkpoint.read(path).assert_consumed()
    if not compile:
        for name in ("optimizer", "loss", "_xlate_compiled", "_loss_tracker", "_xlate_functions", "compiled"):
            model.__dict__.pop(name, None)
    elif model.__dict__.get("compiled"):
        model.reset_metrics()
    return model


def _install_model_files(model_class):
    """Give the runtime ``Model`` Keras's ``save`` (a subclass's own ``save`` takes precedence)."""
    if "save" not in vars(model_class):
        model_class.save = _save_model_file
    return True


_MODEL_FILES = _install_model_files(Model)
