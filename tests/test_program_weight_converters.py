"""Keras 2's weight converters (runtime/tfr_saving.py; totf/program/translate.py).

keras.applications of Keras 2.0-2.2, and the many builders copied from them (a face-recognition
package's VGG and ResNet builders, ResNeXt and DenseNet collections, a style-transfer script's
VGG), load ImageNet weights and then, under `if K.backend() == 'theano':`, call
`layer_utils.convert_all_kernels_in_model(model)`; in the other image layout,
`convert_dense_weights_data_format(dense, shape, target)`. The model was kept Keras for it
("`convert_all_kernels_in_model` is given a translated model", 308 kept layer calls on the
tuning corpora). The runtime has both (and `convert_kernel`), doing to a translated model what
Keras 2's did to a Keras model; this checks them against their definitions and tf-keras's own
`convert_dense_weights_data_format`. The builder below is our own, after that shape.
"""

from __future__ import annotations

import textwrap

import numpy as np
import pytest
from program_text import tf_, user_code

BUILDER = textwrap.dedent("""\
    from keras.layers import Input, Conv2D, Flatten, Dense
    from keras.models import Model
    from keras import backend as K
    from keras.utils import layer_utils


    def tiny(include_top=True, weights=None, input_tensor=None, input_shape=(6, 6, 2)):
        if input_tensor is None:
            img_input = Input(shape=input_shape)
        else:
            img_input = input_tensor
        x = Conv2D(3, (3, 3), activation='relu')(img_input)
        x = Flatten()(x)
        x = Dense(2)(x)
        if input_tensor is not None:
            inputs = layer_utils.get_source_inputs(input_tensor)
        else:
            inputs = img_input
        model = Model(inputs, x, name='tiny')
        if weights is not None:
            model.load_weights(weights)
            if K.backend() == 'theano':
                layer_utils.convert_all_kernels_in_model(model)
        return model


    model = tiny()
    """)


def test_a_builder_converting_theano_kernels_is_translated() -> None:
    out, diags = tf_(BUILDER)
    assert "keras" not in user_code(out), diags
    assert "convert_all_kernels_in_model(model)" in user_code(out)
    assert not any("is given a translated model" in d for d in diags), diags


@pytest.mark.tf
def test_the_runtime_converters_do_what_keras2_did() -> None:
    tf_keras = pytest.importorskip("tf_keras")
    from runtime_ns import runtime
    from tf_keras.src.utils.layer_utils import convert_dense_weights_data_format as keras2_dense

    ns = runtime()
    rng = np.random.default_rng(0)
    model = ns["Sequential"]([ns["Input"]((5, 5, 2)), ns["Conv2D"](3, (3, 2)), ns["Flatten"](), ns["Dense"](4)])
    weights = [rng.normal(size=w.shape).astype("float32") for w in model.get_weights()]
    model.set_weights(weights)
    ns["convert_all_kernels_in_model"](model)
    after = model.get_weights()
    # the kernel's two spatial axes reversed; its bias and the Dense layer's weights unchanged
    assert np.array_equal(after[0], weights[0][::-1, ::-1, :, :])
    assert all(np.array_equal(a, b) for a, b in zip(after[1:], weights[1:]))

    # a Dense layer reading a (3, 3, 3) map flattened channels-last, reordered for channels-first
    # (and back), as tf-keras's layer_utils does it
    dense = ns["Dense"](4)
    dense.build((None, 27))
    theirs = tf_keras.layers.Dense(4)
    theirs.build((None, 27))
    start = [rng.normal(size=(27, 4)).astype("float32"), rng.normal(size=(4,)).astype("float32")]
    for target, shape in (("channels_first", (3, 3, 3)), ("channels_last", (3, 3, 3))):
        dense.set_weights(start)
        theirs.set_weights(start)
        ns["convert_dense_weights_data_format"](dense, shape, target)
        keras2_dense(theirs, shape, target)
        for a, b in zip(dense.get_weights(), theirs.get_weights()):
            assert np.array_equal(a, b), target
