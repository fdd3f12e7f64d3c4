"""One module per layer family: what the project knows about each Keras layer.

Every module of this package defines :class:`~kerastf_xlate.layerkit.family.LayerFamily`
objects at module level; :func:`families` finds them (``pkgutil``: nothing registers by
hand, no import order matters). A rule names its family in ``counterpart.handler``; a rule
with a ``counterpart.call`` template belongs to the ``template`` family
(:mod:`.templates`). The engines ask :func:`family_of` for a rule and :func:`family_for` for
a Keras class name (to-keras's recovered layers).
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache, lru_cache

from kerastf_xlate.layerkit.emit import EmitCtx, Emitted
from kerastf_xlate.layerkit.family import LayerFamily, Recogniser
from kerastf_xlate.rules import Rule, RuleSet

TEMPLATE = "template"

# tf.keras 2's `layers.experimental[.preprocessing]` names that are Keras's layer under another
# path: in tf.keras 2.6-2.15 each class is exported under both (`keras_export("keras.layers.
# RandomFlip", "keras.layers.experimental.preprocessing.RandomFlip")`), so the experimental
# spelling means the layer the tool translates as `keras.layers.<Name>`, as tf.keras 2.9-2.15's
# `optimizers.experimental` names mean Keras 3's optimizers (totf/program/translate.py); totf/program/names.py reads this. The others
# (`experimental.RandomFourierFeatures`, `SyncBatchNormalization`) stay XL102.
TF2_EXPERIMENTAL_LAYERS = {
    "preprocessing": frozenset({
        "CategoryEncoding", "CenterCrop", "Discretization", "HashedCrossing", "Hashing", "IntegerLookup",
        "Normalization", "RandomContrast", "RandomCrop", "RandomFlip", "RandomHeight", "RandomRotation",
        "RandomTranslation", "RandomWidth", "RandomZoom", "Rescaling", "Resizing", "StringLookup",
        "TextVectorization"}),
    "": frozenset({"EinsumDense"}),
}

# TensorFlow Addons' adaptive poolings the program form translates (runtime/tfr_addons_layers.py:
# `Addons<Name>`): tfa's `layers.<Name>`
TFA_ADAPTIVE_POOLINGS = tuple(f"Adaptive{kind}Pooling{n}D" for kind in ("Average", "Max") for n in (1, 2, 3))

# Layers whose call computes the same whatever the training flag (Keras 3.15: no `training`
# argument, or one it does not read; tests/test_tokeras_fit.py checks it against Keras). `to-keras
# --fit` (tokeras/fit.py) rewrites a loop calling the model without `training=True` into `fit`
# (which passes it) only when every layer of the file is one of these.
FLAG_FREE_LAYERS = frozenset({
    "Dense", "EinsumDense", "Conv1D", "Conv2D", "Conv3D", "Convolution1D", "Convolution2D", "Convolution3D",
    "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose", "DepthwiseConv1D", "DepthwiseConv2D",
    "SeparableConv1D", "SeparableConv2D", "MaxPool1D", "MaxPool2D", "MaxPool3D", "MaxPooling1D", "MaxPooling2D",
    "MaxPooling3D", "AvgPool1D", "AvgPool2D", "AvgPool3D", "AveragePooling1D", "AveragePooling2D",
    "AveragePooling3D", "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAveragePooling3D",
    "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D", "GlobalAvgPool1D", "GlobalAvgPool2D",
    "GlobalMaxPool1D", "GlobalMaxPool2D", "Flatten", "Reshape", "Activation", "ReLU", "LeakyReLU", "ELU",
    "Softmax", "PReLU", "InputLayer", "Input", "Embedding", "Add", "Concatenate", "Multiply", "Subtract",
    "Average", "Maximum", "Minimum", "Dot", "Permute", "RepeatVector", "ZeroPadding1D", "ZeroPadding2D",
    "ZeroPadding3D", "Cropping1D", "Cropping2D", "Cropping3D", "UpSampling1D", "UpSampling2D", "UpSampling3D",
    "Identity", "Rescaling",
})
# Keras 2 programs (totf/program/keras2.py; docs/design.md, "Keras 2 programs (XL102)"): what
# Keras 2 versions computed differently from one another or from Keras 3, which keeps a model
# of a Keras 2 program Keras.
# - recurrent layers whose defaults changed inside Keras 2, and the arguments that pin them:
#   `recurrent_activation` was "hard_sigmoid" (Keras 2's 0.2 x + 0.5) up to 2.2 and for
#   ConvLSTM2D in every tf.keras 2, "sigmoid" in Keras 3; GRU's `reset_after` was False up to 2.2
KERAS2_RECURRENT_DEFAULTS = {
    "LSTM": ("recurrent_activation",), "LSTMCell": ("recurrent_activation",),
    "GRU": ("recurrent_activation", "reset_after"), "GRUCell": ("recurrent_activation", "reset_after"),
    "ConvLSTM1D": ("recurrent_activation",), "ConvLSTM2D": ("recurrent_activation",), "ConvLSTM3D": ("recurrent_activation",),
}
#   LSTM and GRU have Keras 3's defaults in every tf.keras 2 of TensorFlow 2 (sigmoid,
#   reset_after=True): a program spelled through tf.keras only, or a Keras 2 program read as
#   tf.keras 2 runs it (keras2.tf_keras_reads), is not kept for them
TF_KERAS2_RECURRENT_AS_KERAS3 = frozenset({"LSTM", "LSTMCell", "GRU", "GRUCell"})
# - keywords only Keras 2's base Layer took (Keras 3's raises "Unrecognized keyword arguments"),
#   and the layers Keras 3 still lets take them
KERAS2_LAYER_KEYWORDS = {"batch_input_shape": frozenset({"InputLayer"}), "batch_size": frozenset({"InputLayer"}),
                         "input_length": frozenset({"Embedding"})}
# - Keras 1's layer keywords that standalone Keras 2.0-2.3 still took and renamed, keyword for
#   keyword, with a warning (keras/legacy/interfaces.py); tf.keras and Keras 3 raise on them.
#   Those Keras 2 converted by value (`dim_ordering`, `consume_less`, `forget_bias_init`),
#   dropped (`BatchNormalization(mode=)`, `Embedding(dropout=)`) or read with others (a separable
#   convolution's `init`, a recurrent layer's `input_dim`) are not here: they stay as they were
_K1_WEIGHTS = {"init": "kernel_initializer", "W_regularizer": "kernel_regularizer", "b_regularizer": "bias_regularizer",
               "W_constraint": "kernel_constraint", "b_constraint": "bias_constraint", "bias": "use_bias"}
_K1_CONVOLUTION = {"nb_filter": "filters", "subsample": "strides", "border_mode": "padding", **_K1_WEIGHTS}
_K1_RECURRENT = {"init": "kernel_initializer", "inner_init": "recurrent_initializer",
                 "inner_activation": "recurrent_activation", "W_regularizer": "kernel_regularizer",
                 "b_regularizer": "bias_regularizer", "U_regularizer": "recurrent_regularizer", "dropout_W": "dropout",
                 "dropout_U": "recurrent_dropout"}
KERAS1_KEYWORDS: dict[str, dict[str, str]] = {
    "Dense": {"output_dim": "units", **_K1_WEIGHTS},
    "Conv1D": {"nb_filter": "filters", "filter_length": "kernel_size", "subsample_length": "strides",
               "border_mode": "padding", **_K1_WEIGHTS},
    "Conv2D": _K1_CONVOLUTION, "Conv2DTranspose": _K1_CONVOLUTION, "Conv3D": _K1_CONVOLUTION,
    "SeparableConv2D": {"nb_filter": "filters", "subsample": "strides", "border_mode": "padding",
                        "b_regularizer": "bias_regularizer", "b_constraint": "bias_constraint", "bias": "use_bias"},
    "MaxPooling1D": {"pool_length": "pool_size", "stride": "strides", "border_mode": "padding"},
    "AveragePooling1D": {"pool_length": "pool_size", "stride": "strides", "border_mode": "padding"},
    **{name: {"border_mode": "padding"} for name in ("MaxPooling2D", "AveragePooling2D", "MaxPooling3D", "AveragePooling3D")},
    **{name: {"p": "rate"} for name in ("Dropout", "GaussianDropout", "SpatialDropout1D", "SpatialDropout2D",
                                        "SpatialDropout3D")},
    "GaussianNoise": {"sigma": "stddev"},
    "Embedding": {"init": "embeddings_initializer", "W_regularizer": "embeddings_regularizer",
                  "W_constraint": "embeddings_constraint"},
    "PReLU": {"init": "alpha_initializer"},
    **{name: {"output_dim": "units", **_K1_RECURRENT} for name in ("SimpleRNN", "GRU", "LSTM")},
    "ConvLSTM2D": {"nb_filter": "filters", "subsample": "strides", "border_mode": "padding", "bias": "use_bias",
                   **_K1_RECURRENT},
    "BatchNormalization": {"beta_init": "beta_initializer", "gamma_init": "gamma_initializer"},
    "UpSampling1D": {"length": "size"},
}
# - Keras 1's convolutions given the kernel's sizes as positional integers after the filters
#   (`Convolution2D(32, 3, 3)`), which Keras 2.0-2.3 put together as the kernel size: the count
#   of sizes
KERAS1_KERNEL_SIZES = {"Conv2D": 2, "Conv2DTranspose": 2, "SeparableConv2D": 2, "ConvLSTM2D": 2, "Conv3D": 3}
# - convolutions Keras 2.0-2.2 read Keras 1's way when given a third positional argument
#   (`Convolution2D(32, 3, 3)`: 32 filters of 3 x 3, keras/legacy/interfaces.py); tf.keras 2.3
#   and later and Keras 3 read the third as the strides
KERAS2_LEGACY_CONVOLUTIONS = frozenset({
    "Conv1D", "Conv2D", "Conv3D", "SeparableConv1D", "SeparableConv2D", "DepthwiseConv2D", "Conv1DTranspose",
    "Conv2DTranspose", "Conv3DTranspose",
})
# - layers whose training-mode update differs: BatchNormalization's moving variance (Keras 2's
#   fused kernel: the unbiased batch variance; Keras 2.2 corrected it once more; Keras 3: biased)
KERAS2_TRAINING_DIFFERS = frozenset({"BatchNormalization"})
# - Keras 2's aliases of layers that Keras 3 does not export (keras/layers/convolutional.py of
#   Keras 2.2.4 and of Keras-2.4.3: `Deconvolution2D = Deconv2D = Conv2DTranspose`, the same for 3D)
KERAS2_LAYER_ALIASES = {"Deconv2D": "Conv2DTranspose", "Deconvolution2D": "Conv2DTranspose",
                        "Deconv3D": "Conv3DTranspose", "Deconvolution3D": "Conv3DTranspose"}
# - the size arguments Keras 2's layers took as any integer (tf-keras's Dense: `int(units) if not
#   isinstance(units, int)`; its Embedding kept `output_dim` as given and shaped its weight from
#   it), where Keras 3's and the runtime's raise on a NumPy integer: (positional index, keyword)
KERAS2_SIZE_ARGUMENTS = {
    "Dense": ((0, "units"),), "Embedding": ((0, "input_dim"), (1, "output_dim")),
    "Conv1D": ((0, "filters"),), "Conv2D": ((0, "filters"),), "Conv3D": ((0, "filters"),),
    "Conv1DTranspose": ((0, "filters"),), "Conv2DTranspose": ((0, "filters"),), "Conv3DTranspose": ((0, "filters"),),
    "SeparableConv1D": ((0, "filters"),), "SeparableConv2D": ((0, "filters"),),
    "LSTM": ((0, "units"),), "GRU": ((0, "units"),), "SimpleRNN": ((0, "units"),), "RepeatVector": ((0, "n"),),
}
# - in a tf.keras 2 program (one with hub.KerasLayer or tfa: keras2.tf_keras2_program), the
#   runtime class of such a layer that computes what tf.keras 2 did (tfr_normalization.py)
TF_KERAS2_CLASSES = {"BatchNormalization": "TFKeras2BatchNormalization"}
# - layers whose non-nearest interpolation differs: Keras 2.2 resized without half-pixel centers
KERAS2_BILINEAR_DIFFERS = frozenset({"UpSampling2D"})
# Layers that add a loss of their own (`model.losses`), which `fit` adds to the compiled loss.
LOSS_ADDING_LAYERS = frozenset({"ActivityRegularization"})
# Layers that run a Python function of the user's (which a graph traces once).
PYTHON_CODE_LAYERS = frozenset({"Lambda"})


@lru_cache(maxsize=1)
def families() -> dict[str, LayerFamily]:
    """Every family of every module of this package, by name (computed once, then read-only)."""
    found: dict[str, LayerFamily] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        for value in vars(module).values():
            if isinstance(value, LayerFamily):
                if value.name in found and found[value.name] is not value:
                    raise RuntimeError(f"layer family {value.name!r} defined twice")
                found[value.name] = value
    return found


def family_of(rule: Rule) -> LayerFamily | None:
    """The family of a rule: its ``counterpart.handler``, or the template family."""
    if rule.call is not None:
        return families().get(TEMPLATE)
    return families().get(rule.handler) if rule.handler else None


def family_for(cls: str, rules: RuleSet) -> LayerFamily | None:
    """The family of a Keras layer class (``Conv2D``), through its rule."""
    rule = rules.get(cls)
    return family_of(rule) if rule is not None else None


def emitters() -> dict[str, object]:
    """Handler name -> the family's ``emit`` (the rules' ``counterpart.handler`` values)."""
    return {name: f.emit for name, f in families().items() if f.emit is not None and name != TEMPLATE}


@cache
def recognisers(stage: str) -> tuple[Recogniser, ...]:
    """Every family's recognisers of one stage, in priority order."""
    found = [r for f in families().values() for r in f.recognisers if r.stage == stage]
    found.sort(key=lambda r: r.priority)
    priorities = [r.priority for r in found]
    if len(set(priorities)) != len(priorities):
        raise RuntimeError(f"two {stage} recognisers share a priority: {priorities}")
    return tuple(found)


__all__ = ["EmitCtx", "Emitted", "LayerFamily", "TEMPLATE", "emitters", "families", "family_for", "family_of", "recognisers"]
