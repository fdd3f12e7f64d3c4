"""Keras 2 in this process: ``import keras`` gives tf-keras (the last Keras 2, the version of
the installed TensorFlow), and Keras 2's modules that Keras 3 does not have
(``keras.layers.convolutional``, ``keras.layers.merge``, ``keras.models.Input``...) are what they
were in Keras 2: the same classes and functions as ``keras.layers.<Name>``. The reference of a
Keras 2 program's translation (docs/design.md, "Keras 2 programs (XL102)"), for tests and
benchmarks that run such a program in a process of their own; nothing else imports this."""

from __future__ import annotations

import sys
import types

_SUBMODULES = ("layers", "models", "backend", "optimizers", "losses", "metrics", "callbacks", "activations",
               "initializers", "regularizers", "constraints", "utils")
# Keras 2's submodules of keras.layers that Keras 3 does not have (names.KERAS2_LAYER_MODULES)
_LAYER_MODULES = ("merge", "core", "convolutional", "pooling", "normalization", "recurrent", "embeddings",
                  "advanced_activations", "wrappers", "noise")


def use_keras2() -> None:
    """Make ``keras`` tf-keras in this process (before anything imports Keras 3's names)."""
    import tf_keras

    sys.modules["keras"] = tf_keras
    for name in _SUBMODULES:
        sys.modules["keras." + name] = getattr(tf_keras, name)
    for name in _LAYER_MODULES:
        _module("keras.layers." + name, tf_keras.layers)
    _module("keras.models", tf_keras.models).__dict__["Input"] = tf_keras.Input
    # Keras 2's legacy aliases of its constraints (Keras 2.4.3 kept them over tf.keras's classes;
    # names.KERAS2_CONSTRAINT_ALIASES)
    _module("keras.constraints", tf_keras.constraints).__dict__.update(
        maxnorm=tf_keras.constraints.MaxNorm, nonneg=tf_keras.constraints.NonNeg, unitnorm=tf_keras.constraints.UnitNorm)
    # Keras 2.0-2.2's home of `get_source_inputs` (names.KERAS2_SOURCE_INPUTS_MODULES) and the
    # engine modules' base classes (names.KERAS2_ENGINE_CLASSES)
    engine = _module("keras.engine", types.ModuleType("keras.engine"))
    engine.__dict__.update(get_source_inputs=tf_keras.utils.get_source_inputs, Layer=tf_keras.layers.Layer,
                           InputSpec=tf_keras.layers.InputSpec, Model=tf_keras.Model, Input=tf_keras.Input)
    _module("keras.engine.topology", engine)
    _module("keras.engine.base_layer", engine)
    _module("keras.engine.training", engine)
    _module("keras.engine.input_layer", engine)


def _module(name: str, source: types.ModuleType) -> types.ModuleType:
    module = types.ModuleType(name)
    module.__dict__.update({k: v for k, v in vars(source).items() if not k.startswith("__")})
    parent, _, last = name.rpartition(".")
    sys.modules[name] = module
    setattr(sys.modules[parent], last, module)
    return module
