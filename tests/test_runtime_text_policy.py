"""``TextVectorization`` under Keras's dtype policies, against Keras (tfr_lookup.py).

Keras's TextVectorization is a layer of strings under any policy (``compute_dtype`` and
``variable_dtype`` are ``"string"``) and gives int64 (``int``, ``multi_hot``, ``count``) or
float32 (``tf_idf``) whatever the global policy: NLP notebooks that set ``mixed_float16``
before building a text model keep it so. Checked here for each mode under each float policy
(``args.POLICY_DTYPES``): the layer's dtypes, the output's dtype, and its values (exact: token
ids and counts; ``tf_idf`` within 1e-6).
"""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from runtime_ns import runtime_of

from kerastf_xlate.args import POLICY_DTYPES

pytestmark = pytest.mark.tf

CASES = {"TextVectorization": {"int": {"output_sequence_length": 5}, "multi_hot": {}, "count": {}, "tf_idf": {}}}
DATA = ["the cat sat", "a dog ran far away", "the dog sat on the cat"]
FAST = {("int", "mixed_float16"), ("tf_idf", "mixed_float16"), ("int", "float32")}


def _params() -> list:
    return [pytest.param(mode, policy, marks=[] if (mode, policy) in FAST else [pytest.mark.slow], id=f"{mode}-{policy}")
            for mode in sorted(CASES["TextVectorization"]) for policy in sorted(POLICY_DTYPES)]


@pytest.mark.parametrize("mode, policy", _params())
def test_text_vectorization_follows_keras_under_the_policy(mode: str, policy: str) -> None:
    import keras
    import numpy as np
    import tensorflow as tf

    rt = runtime_of({"TextVectorization", "_config_set_dtype_policy"}, "xlate_text_policy")
    extra = CASES["TextVectorization"][mode]
    seen = []
    for lib in ("keras", "runtime"):
        try:
            if lib == "keras":
                keras.config.set_dtype_policy(policy)
                layer = keras.layers.TextVectorization(max_tokens=20, output_mode=mode, **extra)
            else:
                rt._config_set_dtype_policy(policy)
                layer = rt.TextVectorization(max_tokens=20, output_mode=mode, **extra)
            layer.adapt(DATA)
            out = layer(tf.constant(["the cat ran", "zzz dog sat"]))
            seen.append((tf.as_dtype(out.dtype).name, str(layer.compute_dtype), str(layer.variable_dtype),
                         np.asarray(tf.cast(out, tf.float64))))
        finally:
            keras.config.set_dtype_policy("float32")
            rt._config_set_dtype_policy("float32")
    (k_dtype, k_compute, k_variable, k_out), (t_dtype, t_compute, t_variable, t_out) = seen
    assert (t_dtype, t_compute, t_variable) == (k_dtype, k_compute, k_variable) == (
        "float32" if mode == "tf_idf" else "int64", "string", "string")
    np.testing.assert_allclose(t_out, k_out, atol=1e-6, rtol=1e-6)
    print(f"TextVectorization {mode} {policy}: worst |diff| {float(np.max(np.abs(t_out - k_out))):.1e} (tolerance 1e-6)")
