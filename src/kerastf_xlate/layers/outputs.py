"""What a Keras layer's output is, as far as to-keras needs it to replace a TensorFlow op
applied to that output by a layer (``tokeras.keras_code``: activations of layer outputs in
plain functions).

An activation layer computes in its compute dtype and passes its input's Keras mask on, where
the TensorFlow op keeps its input's dtype and drops the mask. The two agree when the input is a
float tensor of the global policy's compute dtype that carries no mask. This module says which
layers' outputs are such tensors (no ``LayerFamily`` here: it is read by name).
"""

from __future__ import annotations

# float, of the layer's compute dtype, and never masked (the layer does not support masking),
# whatever the input; Embedding only without ``mask_zero``
MASK_FREE = frozenset({
    "EinsumDense", "Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose",
    "DepthwiseConv1D", "DepthwiseConv2D", "SeparableConv1D", "SeparableConv2D", "Embedding",
})
MASKING_ARG = {"Embedding": "mask_zero"}  # the argument that makes one of those produce a mask

# such a tensor when every input is one: weighted and normalization layers (float, but they
# pass their input's mask on), and layers that keep their input's dtype
FOLLOWING = frozenset({
    "Dense", "BatchNormalization", "LayerNormalization", "GroupNormalization",
    "Dropout", "SpatialDropout1D", "SpatialDropout2D", "Add", "Subtract", "Multiply", "Average", "Maximum",
    "Minimum", "Concatenate", "Activation", "ReLU", "LeakyReLU", "ELU", "Softmax",
    "MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "AveragePooling1D", "AveragePooling2D", "AveragePooling3D",
    "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalMaxPooling1D", "GlobalMaxPooling2D",
    "UpSampling1D", "UpSampling2D", "ZeroPadding1D", "ZeroPadding2D", "Flatten",
})
