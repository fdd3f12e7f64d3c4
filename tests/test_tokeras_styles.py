"""Whole-file cases in the styles people write TensorFlow 2 in, executed: the original and its
Keras translation run on the same input with the original's variables.

How the variables move: ``translate_full(...).units`` gives, per raised class, the original
variables (attribute paths, sub-modules expanded: ``body.first.kernel``) in the order of the
Keras model's ``get_weights()``; ``keras_model.set_weights([module.<path> for path in
order])`` after one call builds it (``kerastf_xlate.tokeras.verify.transfer``). Every
variable is perturbed first (no zero biases), tolerance atol = rtol = 1e-5, worst difference
printed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tokeras_exec import executed_both

from kerastf_xlate.tokeras.engine import translate_full

CASES = Path(__file__).parent / "cases" / "tokeras"


def _source(name: str) -> str:
    return (CASES / name).read_text().split("# output\n")[0]


def _perturb(module: Any, seed: int = 0) -> None:
    import numpy as np

    rng = np.random.default_rng(seed)
    for v in module.trainable_variables:
        v.assign(v.numpy() + rng.normal(0.0, 0.5, v.shape).astype(v.dtype.as_numpy_dtype))


def run_both(name: str, instance: str, shape: tuple[int, ...]) -> float:
    import numpy as np
    import tensorflow as tf

    from kerastf_xlate.tokeras.verify import transfer

    result, original, translated = executed_both(_source(name), name)
    module, model = original[instance], translated[instance]
    _perturb(module)
    x = tf.constant(np.random.default_rng(1).normal(size=(2, *shape)).astype("float32"))
    model(x)  # builds the Keras layers
    unit = next(u for u in result.units if u.name == type(module).__name__)
    transfer(module, model, unit)
    assert len(model.get_weights()) == len(module.trainable_variables)
    want, got = np.asarray(module(x)), np.asarray(model(x))
    np.testing.assert_allclose(got, want, atol=1e-5, rtol=1e-5)
    return float(np.max(np.abs(got - want)))


def test_composed_modules_are_raised_whole() -> None:
    out = translate_full(_source("composed_modules.py"), "c.py").text
    assert "(tf.Module)" not in out and "class Tower(keras.Model)" in out
    assert "class TwoLayers(keras.layers.Layer)" in out


def test_composed_modules_weight_order() -> None:
    units = {u.name: u for u in translate_full(_source("composed_modules.py"), "c.py").units}
    assert units["Tower"].weight_order == ["body.first.kernel", "body.first.bias", "body.second.kernel",
                                           "body.second.bias", "head.kernel", "head.bias"]


@pytest.mark.tf
def test_composed_modules_run_with_the_same_outputs() -> None:
    worst = run_both("composed_modules.py", "tower", (3,))
    print(f"composed_modules: worst max |diff| = {worst:.3g}")


# ------------------------------------------------------------------------------ weights in dicts


def test_weight_dicts_program_is_raised() -> None:
    """The dicts go, the model function becomes a keras.Model bound to the same name, the
    GradientTape step trains its variables; the `-1` reshape (sizes not shown) stays."""
    r = translate_full(_source("weight_dicts_convnet.py"), "w.py")
    out = r.text
    assert "class ConvNet(keras.Model)" in out and "conv_net = ConvNet()" in out
    assert "weights = {" not in out and "biases = {" not in out
    assert "trainable_variables = conv_net.trainable_variables" in out
    assert "tf.reshape(conv2, [-1, 7 * 7 * 16])" in out
    unit = next(u for u in r.units if u.name == "ConvNet")
    assert unit.weight_order == ["weights['wc1']", "biases['bc1']", "weights['wc2']", "biases['bc2']",
                                 "weights['wd1']", "biases['bd1']", "weights['out']", "biases['out']"]
    again, _ = translate_full(out, "w.py").text, None
    assert again == out


def test_wrapper_helpers_go_with_the_dicts_unless_called_elsewhere() -> None:
    """The helpers substituted into the model run inside its layers: they go when nothing else
    calls them; one the program still calls stays, byte for byte."""
    source = _source("weight_dicts_convnet.py")
    out = translate_full(source, "w.py").text
    assert "def conv2d(" not in out and "def maxpool2d(" not in out
    used = source + "\nprint(maxpool2d(tf.zeros([1, 4, 4, 1])).shape)\n"
    out = translate_full(used, "w.py").text
    assert "class ConvNet(keras.Model)" in out and "def conv2d(" not in out
    helper = "def maxpool2d(x, k=2):\n    return tf.nn.max_pool2d(x, ksize=[1, k, k, 1], strides=[1, k, k, 1], padding=\"SAME\")\n"
    assert helper in source and helper in out


def test_weight_dicts_not_raised_when_a_dict_is_read_elsewhere() -> None:
    source = _source("weight_dicts_convnet.py") + "\nprint(weights['wc1'].shape)\n"
    out = translate_full(source, "w.py").text
    assert "weights = {" in out and "class ConvNet" not in out


@pytest.mark.tf
def test_weight_dicts_program_runs_and_trains_the_same() -> None:
    """Forward pass with the original (perturbed) variables moved in the documented order,
    then one `run_optimization` step in both programs (Adam on the same gradients): outputs
    equal within atol = rtol = 1e-5 before and after."""
    import numpy as np
    import tensorflow as tf

    r, original, translated = executed_both(_source("weight_dicts_convnet.py"), "w.py")
    rng = np.random.default_rng(0)
    for d in ("weights", "biases"):
        for v in original[d].values():
            v.assign(v.numpy() + rng.normal(0.0, 0.2, v.shape).astype("float32"))
    x = tf.constant(rng.normal(size=(4, 28, 28, 1)).astype("float32"))
    y = tf.constant([1, 3, 5, 7])
    model = translated["conv_net"]
    model(x)
    unit = next(u for u in r.units if u.name == "ConvNet")
    model.set_weights([np.asarray(eval(p, original)) for p in unit.weight_order])
    worst = 0.0
    for step in range(2):
        want, got = np.asarray(original["conv_net"](x)), np.asarray(model(x))
        np.testing.assert_allclose(got, want, atol=1e-5, rtol=1e-5, err_msg=f"after {step} steps")
        worst = max(worst, float(np.max(np.abs(got - want))))
        loss_a = float(original["run_optimization"](x, y))
        loss_b = float(translated["run_optimization"](x, y))
        assert abs(loss_a - loss_b) <= 1e-5 + 1e-5 * abs(loss_a)
    print(f"weight_dicts_convnet: worst max |diff| = {worst:.3g}")


# ------------------------------------------------------------------------------ Keras calling tf ops


@pytest.mark.tf
def test_keras_call_with_tf_ops_runs_with_the_same_outputs() -> None:
    """The raised layers hold no weights, so the original's (perturbed) `get_weights()` loads
    as it is. Inference mode only: training mode runs dropout, random in both."""
    import numpy as np
    import tensorflow as tf

    source = _source("keras_call_tf_ops.py")
    out = translate_full(source, "k.py").text
    assert "GlobalAveragePooling2D()" in out and "tf.reduce_max(logits, axis=1, keepdims=True)" in out
    original: dict[str, Any] = {}
    exec(compile(source, "k.py", "exec"), original)
    translated: dict[str, Any] = {}
    exec(compile(out, "k.py", "exec"), translated)
    rng = np.random.default_rng(0)
    x = tf.constant(rng.normal(size=(3, 12, 12, 2)).astype("float32"))
    print(f"keras_call_tf_ops: worst max |diff| = {_same_after_moving(original['encoder'], translated['encoder'], x, rng, 0.3):.3g}")


# ------------------------------------------------------------------------------ weights in globals


def test_global_variables_program_is_raised() -> None:
    r = translate_full(_source("global_variables_mlp.py"), "g.py")
    assert "class Mlp(keras.Model)" in r.text and "W1 = tf.Variable" not in r.text
    assert r.text.count("mlp.trainable_variables") == 2
    assert next(u for u in r.units if u.name == "Mlp").weight_order == ["W1", "b1", "W2", "b2"]


def test_global_read_elsewhere_stays_and_is_reported() -> None:
    """A read the raised program could not give the same way (``print`` of the variable
    itself: a Keras variable prints otherwise) keeps the program."""
    source = _source("global_variables_mlp.py") + "\nprint(W1)\n"
    r = translate_full(source, "g.py")
    assert r.text == source
    assert sorted((d.code, d.line) for d in r.diagnostics) == [("XL503", 10), ("XL503", 11), ("XL503", 13), ("XL503", 14)]


def test_global_read_by_a_tensorflow_op_reads_the_layer_weight() -> None:
    """``tf.reduce_sum(W1)`` outside the model function: the function path keeps the program,
    the inline path (docs/design.md "Forward passes written inline") raises it with the op
    reading the layer's kernel, which TensorFlow reads as it read the variable."""
    source = _source("global_variables_mlp.py") + "\nprint(float(tf.reduce_sum(W1)))\n"
    out = translate_full(source, "g.py").text
    assert "print(float(tf.reduce_sum(model.dense.kernel)))" in out and "tf.Variable(" not in out


def test_buggy_values_sum_is_not_turned_into_working_code() -> None:
    """`weights.values() + biases.values()` raises TypeError in Python 3: not rewritten, and
    the report says why and which list works (with it, the program is raised: the test above)."""
    source = _source("weight_dicts_convnet.py").replace(
        "list(weights.values()) + list(biases.values())", "weights.values() + biases.values()")
    r = translate_full(source, "w.py")
    assert r.text == source
    assert sorted((d.code, d.line) for d in r.diagnostics) == [("XL503", 9), ("XL503", 17)]
    assert all("TypeError in Python 3" in d.message and "list(weights.values()) + list(biases.values())" in d.message
               for d in r.diagnostics)


def test_dict_views_do_not_add() -> None:
    """The premise of the report above."""
    with pytest.raises(TypeError):
        {"w": 1}.values() + {"b": 2}.values()  # type: ignore[operator]


def test_values_sum_of_other_objects_is_not_called_a_type_error() -> None:
    """Names a function binds itself (parameters: any object with `values()`) are not the
    module's dicts: no TypeError is claimed (the program stays for its own reason)."""
    source = _source("weight_dicts_convnet.py").replace(
        "list(weights.values()) + list(biases.values())", "list(weights.values()) + list(biases.values())\n"
        "    weights_and_biases(weights, biases)") + (
        "\n\ndef weights_and_biases(weights, biases):\n    return weights.values() + biases.values()\n")
    r = translate_full(source, "w.py")
    assert r.text == source and {d.code for d in r.diagnostics} == {"XL503"}
    assert not any("TypeError" in d.message for d in r.diagnostics)


@pytest.mark.tf
def test_global_variables_program_runs_and_trains_the_same() -> None:
    """Perturbed globals moved in the documented order; outputs and two SGD steps compared
    (atol = rtol = 1e-5)."""
    import numpy as np
    import tensorflow as tf

    source = _source("global_variables_mlp.py")
    r = translate_full(source, "g.py")
    original: dict[str, Any] = {}
    exec(compile(source, "g.py", "exec"), original)
    translated: dict[str, Any] = {}
    exec(compile(r.text, "g.py", "exec"), translated)
    rng = np.random.default_rng(2)
    for name in ("W1", "b1", "W2", "b2"):
        v = original[name]
        v.assign(v.numpy() + rng.normal(0.0, 0.5, v.shape).astype("float32"))
    x = tf.constant(rng.normal(size=(5, 6)).astype("float32"))
    y = tf.constant(rng.normal(size=(5, 3)).astype("float32"))
    model = translated["mlp"]
    model(x)
    unit = next(u for u in r.units if u.name == "Mlp")
    model.set_weights([original[p].numpy() for p in unit.weight_order])
    worst = 0.0
    for step in range(3):
        want, got = np.asarray(original["mlp"](x)), np.asarray(model(x))
        np.testing.assert_allclose(got, want, atol=1e-5, rtol=1e-5, err_msg=f"after {step} steps")
        worst = max(worst, float(np.max(np.abs(got - want))))
        original["train_step"](x, y)
        translated["train_step"](x, y)
    print(f"global_variables_mlp: worst max |diff| = {worst:.3g}")


def test_layer_argument_defined_after_the_model_keeps_the_program() -> None:
    """`Dropout(rate)` would be created where `conv_net` was defined, before `rate` exists."""
    source = _source("global_variables_mlp.py").replace(
        "    return tf.matmul(hidden, W2) + b2\n",
        "    if training:\n        hidden = tf.nn.dropout(hidden, rate=rate)\n    return tf.matmul(hidden, W2) + b2\n",
    ).replace("def mlp(x):", "def mlp(x, training=False):").replace("optimizer = tf", "rate = 0.2\noptimizer = tf")
    r = translate_full(source, "g.py")
    assert r.text == source and {d.code for d in r.diagnostics} == {"XL503"}
    assert "`rate`" in r.diagnostics[0].message


def test_helper_argument_with_ops_read_twice_is_not_substituted() -> None:
    """`swish(tf.nn.dropout(h, 0.5))` with `x * tf.sigmoid(x)` would run the dropout twice."""
    source = _source("global_variables_mlp.py").replace(
        "def mlp(x):", "def swish(x):\n    return x * tf.sigmoid(x)\n\n\ndef mlp(x):").replace(
        "    return tf.matmul(hidden, W2) + b2\n", "    return swish(tf.nn.dropout(hidden, 0.5)) @ W2 + b2\n")
    r = translate_full(source, "g.py")
    assert r.text == source and {d.code for d in r.diagnostics} == {"XL503"}


# ------------------------------------------------------------------------------ two models over one set of dicts


def test_two_model_functions_over_shared_dicts() -> None:
    r = translate_full(_source("weight_dicts_autoencoder.py"), "a.py")
    assert "trainable_variables = encoder.trainable_variables + decoder.trainable_variables" in r.text
    orders = {u.name: u.weight_order for u in r.units}
    assert orders["Encoder"] == ["weights['enc']", "biases['enc']"]
    assert orders["Decoder"] == ["weights['dec']", "biases['dec']"]


def test_a_list_of_part_of_a_model_keeps_the_program() -> None:
    """`list(weights.values())` alone holds half of each model's variables: no model has them."""
    source = _source("weight_dicts_autoencoder.py").replace(
        "list(weights.values()) + list(biases.values())", "list(weights.values())")
    r = translate_full(source, "a.py")
    assert r.text == source and {d.code for d in r.diagnostics} == {"XL503"}


@pytest.mark.tf
def test_two_model_functions_run_and_train_the_same() -> None:
    import numpy as np
    import tensorflow as tf

    source = _source("weight_dicts_autoencoder.py")
    r = translate_full(source, "a.py")
    original: dict[str, Any] = {}
    exec(compile(source, "a.py", "exec"), original)
    translated: dict[str, Any] = {}
    exec(compile(r.text, "a.py", "exec"), translated)
    rng = np.random.default_rng(3)
    for d in ("weights", "biases"):
        for v in original[d].values():
            v.assign(v.numpy() + rng.normal(0.0, 0.5, v.shape).astype("float32"))
    x = tf.constant(rng.uniform(size=(6, 12)).astype("float32"))
    for name in ("encoder", "decoder"):
        unit = next(u for u in r.units if u.instance == name)
        model = translated[name]
        model(x if name == "encoder" else translated["encoder"](x))
        model.set_weights([np.asarray(eval(p, original)) for p in unit.weight_order])
    worst = 0.0
    for step in range(3):
        want = np.asarray(original["decoder"](original["encoder"](x)))
        got = np.asarray(translated["decoder"](translated["encoder"](x)))
        np.testing.assert_allclose(got, want, atol=1e-5, rtol=1e-5, err_msg=f"after {step} steps")
        worst = max(worst, float(np.max(np.abs(got - want))))
        original["run_optimization"](x)
        translated["run_optimization"](x)
    print(f"weight_dicts_autoencoder: worst max |diff| = {worst:.3g}")


# ------------------------------------------------------------------------------ helper methods of a Keras model


def test_helper_methods_of_the_forward_pass_are_raised() -> None:
    out = translate_full(_source("keras_helper_methods.py"), "h.py").text
    assert "h = self.relu(self.fc1(x))" in out and "h = self.activation(self.fc3(z))" in out
    assert "return self.max_pooling2d(x)" in out  # `_block`, applied by `scores`, applied by `call`
    # outside the forward pass: `decode` and `train_step` keep their ops
    assert "return tf.nn.sigmoid(self.decode_logits(z))" in out
    assert "tf.nn.sparse_softmax_cross_entropy_with_logits(y, self(x))" in out
    # the row maximum of rank-2 logits stays
    assert "logits - tf.reduce_max(logits, axis=1, keepdims=True)" in out


def test_decorated_or_unreached_helpers_keep_their_ops() -> None:
    source = _source("keras_helper_methods.py").replace(
        "    def encode(self, x):", "    @tf.function\n    def encode(self, x):").replace(
        "        z = self.encode(inputs)\n        return self.decode_logits(z)",
        "        return self.fc4(self.fc3(self.encode(inputs)))")
    out = translate_full(source, "h.py").text
    assert "h = tf.nn.relu(self.fc1(x))" in out and "h = tf.nn.elu(self.fc3(z))" in out


@pytest.mark.tf
def test_helper_methods_run_with_the_same_outputs() -> None:
    """The added layers hold no weights: the original's perturbed `get_weights()` loads as it
    is (same layer order). Both models' outputs, and `decode` (left as it was), compared with
    atol = rtol = 1e-5."""
    import numpy as np
    import tensorflow as tf

    source = _source("keras_helper_methods.py")
    out = translate_full(source, "h.py").text
    original: dict[str, Any] = {}
    exec(compile(source, "h.py", "exec"), original)
    translated: dict[str, Any] = {}
    exec(compile(out, "h.py", "exec"), translated)
    rng = np.random.default_rng(4)
    inputs = {"autoencoder": rng.normal(size=(3, 36)), "tower": rng.normal(size=(2, 8, 8, 3))}
    worst = 0.0
    for name, arr in inputs.items():
        x = tf.constant(arr.astype("float32"))
        a, b = original[name], translated[name]
        a(x)
        b(x)
        a.set_weights([w + rng.normal(0.0, 0.3, w.shape).astype("float32") for w in a.get_weights()])
        b.set_weights(a.get_weights())
        want, got = np.asarray(a(x)), np.asarray(b(x))
        np.testing.assert_allclose(got, want, atol=1e-5, rtol=1e-5, err_msg=name)
        worst = max(worst, float(np.max(np.abs(got - want))))
    z = tf.constant(rng.normal(size=(3, 4)).astype("float32"))
    np.testing.assert_allclose(translated["autoencoder"].decode(z), original["autoencoder"].decode(z), atol=1e-5, rtol=1e-5)
    print(f"keras_helper_methods: worst max |diff| = {worst:.3g}")


# ------------------------------------------------------------------------------ the model a lambda


def test_lambda_model_is_raised() -> None:
    r = translate_full(_source("lambda_model_globals.py"), "l.py")
    assert "class Model(keras.Model)" in r.text and "model = Model()" in r.text
    assert "model = lambda" not in r.text and "compute_loss = lambda y, p:" in r.text
    assert r.text.count("model.trainable_variables") == 2
    assert next(u for u in r.units if u.name == "Model").weight_order == ["W", "b"]


def test_lambda_reading_a_variable_elsewhere_stays() -> None:
    """`W` read by a second lambda (a weight penalty) in a way a Keras variable does not answer
    the same (``read_value``): the variables are not the model's alone."""
    source = _source("lambda_model_globals.py").replace(
        "optimizer = tf", "penalty = lambda: tf.reduce_sum(tf.square(W.read_value()))\noptimizer = tf")
    r = translate_full(source, "l.py")
    assert r.text == source and {d.code for d in r.diagnostics} == {"XL503"}
    # the same with a function (a helper-shaped `def` reading the variable is no exception)
    source = _source("global_variables_mlp.py").replace(
        "optimizer = tf", "def penalty():\n    return tf.reduce_sum(tf.square(W1.read_value()))\n\n\noptimizer = tf")
    r = translate_full(source, "g.py")
    assert r.text == source and {d.code for d in r.diagnostics} == {"XL503"}


@pytest.mark.tf
def test_a_weight_penalty_reading_the_variable_trains_the_same() -> None:
    """The penalty reads the layer's kernel in the raised program; one step of a loss with it
    gives the same values (moved, perturbed weights; atol = rtol = 1e-5)."""
    import numpy as np
    import tensorflow as tf

    source = _source("global_variables_mlp.py").replace(
        "optimizer = tf", "def penalty():\n    return tf.reduce_sum(tf.square(W1))\n\n\noptimizer = tf")
    r, original, translated = executed_both(source, "g.py")
    assert "return tf.reduce_sum(tf.square(model.dense.kernel))" in r.text
    unit = next(u for u in r.units if u.instance)
    rng = np.random.default_rng(0)
    for name in unit.weight_order:
        v = original[name]
        v.assign(v.numpy() + rng.normal(0.0, 0.3, v.shape).astype("float32"))
    translated[unit.instance].set_weights([original[n].numpy() for n in unit.weight_order])
    x = tf.constant(rng.normal(size=(4, 6)).astype("float32"))
    np.testing.assert_allclose(float(translated["penalty"]()), float(original["penalty"]()), atol=1e-5, rtol=1e-5)
    np.testing.assert_allclose(np.asarray(translated["mlp"](x)), np.asarray(original["mlp"](x)), atol=1e-5, rtol=1e-5)


@pytest.mark.tf
def test_lambda_model_runs_and_trains_the_same() -> None:
    """Perturbed W, b moved in the documented order; outputs and three Adam steps compared
    (atol = rtol = 1e-5)."""
    import numpy as np
    import tensorflow as tf

    source = _source("lambda_model_globals.py")
    r = translate_full(source, "l.py")
    original: dict[str, Any] = {}
    exec(compile(source, "l.py", "exec"), original)
    translated: dict[str, Any] = {}
    exec(compile(r.text, "l.py", "exec"), translated)
    rng = np.random.default_rng(5)
    for name in ("W", "b"):
        v = original[name]
        v.assign(v.numpy() + rng.normal(0.0, 0.5, v.shape).astype("float32"))
    x = tf.constant(rng.normal(size=(6, 8)).astype("float32"))
    y = tf.constant(np.eye(3, dtype="float32")[rng.integers(0, 3, size=6)])
    worst = _moved_then_trained(r, original, translated, x, y)
    print(f"lambda_model_globals: worst |diff| (outputs, losses) = {worst:.3g}")


def _moved_then_trained(r: Any, original: dict[str, Any], translated: dict[str, Any], x: Any, y: Any,
                        instance: str = "model", cls: str = "Model", forward: str | None = None) -> float:
    """The original's variables moved into the raised `cls` bound to `instance` in the
    documented order; then its output and the loss of a `train_step` compared, three times
    (atol = rtol = 1e-5). `forward`: the original's call when it takes more than `x`
    (`"mlp(x, weights, biases)"`). The worst difference of outputs and losses."""
    import numpy as np

    model = translated[instance]
    model(x)
    unit = next(u for u in r.units if u.name == cls)
    model.set_weights([np.asarray(eval(p, original)) for p in unit.weight_order])
    worst = 0.0
    for step in range(3):
        want = np.asarray(eval(forward, {**original, "x": x}) if forward else original[instance](x))
        got = np.asarray(model(x))
        np.testing.assert_allclose(got, want, atol=1e-5, rtol=1e-5, err_msg=f"after {step} steps")
        worst = max(worst, float(np.max(np.abs(got - want))))
        loss_a, loss_b = float(original["train_step"](x, y)), float(translated["train_step"](x, y))
        assert abs(loss_a - loss_b) <= 1e-5 + 1e-5 * abs(loss_a), (step, loss_a, loss_b)
        worst = max(worst, abs(loss_a - loss_b))
    return worst


def test_a_variable_as_a_default_argument_keeps_the_program() -> None:
    """`def mlp(x, scale=b2)`: the class's `call` would read `b2`, which the raise removes."""
    source = _source("global_variables_mlp.py").replace("def mlp(x):", "def mlp(x, scale=b2):")
    r = translate_full(source, "g.py")
    assert r.text == source and {d.code for d in r.diagnostics} == {"XL503"}
    assert "default argument" in r.diagnostics[0].message


def test_comments_of_the_model_function_stay_above_their_statements() -> None:
    source = _source("global_variables_mlp.py").replace(
        "    hidden = tf.nn.sigmoid(", "    # the hidden layer\n    hidden = tf.nn.sigmoid(").replace(
        "    return tf.matmul(hidden, W2)", "\n    # logits\n    return tf.matmul(hidden, W2)")
    out = translate_full(source, "g.py").text
    assert "class Mlp(keras.Model)" in out
    assert "        # the hidden layer\n        hidden = self.dense(x)\n        # logits\n        return self.dense_1(hidden)\n" in out


KERAS_CROSSENTROPY = """\
import numpy as np
import tensorflow as tf

W = tf.Variable(tf.random.normal([8, 4]))
b = tf.Variable(tf.zeros([4]))


def model(x):
    return ACT(tf.matmul(x, W) + b)


optimizer = tf.optimizers.SGD(0.1)


def train_step(x, y):
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(LOSS(y, model(x)))
    grads = tape.gradient(loss, [W, b])
    optimizer.apply_gradients(zip(grads, [W, b]))
    return loss
"""
_CROSSENTROPY_PAIRS = [("tf.nn.softmax", "tf.keras.losses.binary_crossentropy"),
                       ("tf.nn.sigmoid", "tf.keras.losses.categorical_crossentropy"),
                       ("tf.nn.softmax", "tf.keras.losses.categorical_crossentropy")]


@pytest.mark.tf
@pytest.mark.parametrize(("act", "loss"), _CROSSENTROPY_PAIRS)
def test_output_activation_before_a_keras_crossentropy_trains_the_same(act: str, loss: str) -> None:
    """A Keras softmax / sigmoid (folded `activation=` or a layer) gives its output
    `_keras_logits`, and Keras's crossentropies then compute from those logits: a binary
    crossentropy of a softmax output became a sigmoid crossentropy of the logits (the bug seen
    on a real logistic-regression tutorial), and even a matching pair loses the probability
    clipping. So the activation stays `tf.nn.*` in the raised model. Perturbed variables moved in
    the documented order, logits scaled up so the clipping matters; outputs and the losses of
    three SGD steps agree within atol = rtol = 1e-5."""
    import numpy as np
    import tensorflow as tf

    source = KERAS_CROSSENTROPY.replace("ACT", act).replace("LOSS", loss)
    r, original, translated = executed_both(source, "x.py")
    assert "class Model(tf.keras.Model)" in r.text and f"return {act}(self.dense(x))" in r.text
    assert any(d.code == "XL501" and "crossentropy" in d.message for d in r.diagnostics)
    rng = np.random.default_rng(7)
    for name in ("W", "b"):
        v = original[name]
        v.assign(4.0 * v.numpy() + rng.normal(0.0, 0.5, v.shape).astype("float32"))
    x = tf.constant(5.0 * rng.normal(size=(6, 8)).astype("float32"))  # saturated probabilities
    y = tf.constant(np.eye(4, dtype="float32")[rng.integers(0, 4, size=6)])
    worst = _moved_then_trained(r, original, translated, x, y)
    print(f"{act} + {loss}: worst |diff| (outputs, losses) = {worst:.3g}")


def test_output_activation_is_folded_without_a_keras_crossentropy() -> None:
    """The same program with its own loss (no Keras crossentropy): the softmax is the layer's
    `activation=` as before."""
    source = KERAS_CROSSENTROPY.replace("ACT", "tf.nn.softmax").replace("LOSS", "tf.math.squared_difference")
    out = translate_full(source, "x.py").text
    assert "activation='softmax'" in out and "tf.nn.softmax" not in out


MODULE_ONLY_ATTRIBUTE = """\
import tensorflow as tf


class Affine(tf.Module):
    def __init__(self):
        super().__init__()
        self.w = tf.Variable(tf.random.normal([3, 2]))
        self.b = tf.Variable(tf.zeros([2]))

    def __call__(self, x):
        return tf.nn.relu(tf.matmul(x, self.w) + self.b)


net = Affine()
y = net(tf.ones([1, 3]))
names = [type(m).__name__ for m in net.ATTR]
"""


@pytest.mark.tf
@pytest.mark.parametrize("attr", ["submodules", "_flatten()"])
def test_an_instance_read_for_a_tf_module_attribute_keeps_its_class(attr: str) -> None:
    """`net.submodules` (seen in a real guide) is an AttributeError on a Keras 3 model: the class
    stays a tf.Module (XL502 with the attribute), and both programs run."""
    source = MODULE_ONLY_ATTRIBUTE.replace("ATTR", attr)
    r, original, translated = executed_both(source, "m.py")
    assert r.text == source
    assert [d.code for d in r.diagnostics] == ["XL502"] and f"net.{attr.rstrip('()')}" in r.diagnostics[0].message
    assert translated["names"] == original["names"]


def test_a_tf_module_attribute_of_a_rebound_name_does_not_keep_the_class() -> None:
    """The name held an instance of another class where the attribute is read."""
    source = MODULE_ONLY_ATTRIBUTE.replace("ATTR", "submodules").replace(
        "net = Affine()\n", "net = tf.Module()\nnames0 = net.submodules\nnet = Affine()\n").replace(
        "names = [type(m).__name__ for m in net.ATTR]\n".replace("ATTR", "submodules"), "")
    out = translate_full(source, "m.py").text
    assert "class Affine(keras." in out


INIT_ENDS_WITH_RETURN = """\
import tensorflow as tf
import keras


class Head(keras.Model):
    def __init__(self):
        super().__init__()
        self.fc = keras.layers.Dense(3)
        RETURN

    def call(self, x):
        return tf.tanh(tf.nn.leaky_relu(self.fc(x)))


head = Head()
"""


@pytest.mark.tf
def test_layers_raised_in_a_keras_class_go_before_the_final_return_of_init() -> None:
    """`__init__` ending in a bare `return` (a real DCGAN tutorial): the new layers are created
    before it, not after it (unreachable: an AttributeError in `call`). Perturbed weights moved
    with `get_weights`, atol = rtol = 1e-5."""
    import numpy as np
    import tensorflow as tf

    source = INIT_ENDS_WITH_RETURN.replace("RETURN", "return")
    r, original, translated = executed_both(source, "h.py")
    assert "self.leaky_relu = " in r.text and r.text.index("self.leaky_relu = ") < r.text.index("        return\n")
    rng = np.random.default_rng(4)
    x = tf.constant(rng.normal(size=(5, 4)).astype("float32"))
    print(f"init ending in return: worst max |diff| = {_same_after_moving(original['head'], translated['head'], x, rng, 0.5):.3g}")


def _same_after_moving(a: Any, b: Any, x: Any, rng: Any, noise: float) -> float:
    """Both built on ``x``; ``a``'s weights perturbed (normal noise of scale ``noise``) and
    moved into ``b``; their outputs on ``x`` equal within atol = rtol = 1e-5. The worst difference."""
    import numpy as np

    a(x)
    b(x)
    a.set_weights([w + rng.normal(0.0, noise, w.shape).astype("float32") for w in a.get_weights()])
    b.set_weights(a.get_weights())
    want, got = np.asarray(a(x)), np.asarray(b(x))
    np.testing.assert_allclose(got, want, atol=1e-5, rtol=1e-5)
    return float(np.max(np.abs(got - want)))


def test_an_early_return_in_init_keeps_the_ops_of_call() -> None:
    source = INIT_ENDS_WITH_RETURN.replace("RETURN", "if False:\n            return\n        self.k = 2")
    r = translate_full(source, "h.py")
    assert r.text == source
    assert any(d.code == "XL501" and "returns early" in d.message for d in r.diagnostics)



# ------------------------------------------------------------------------------ weights handed to the model function


def test_weights_passed_by_every_call_are_raised() -> None:
    """`multilayer_perceptron(x, weights, biases)`, every call giving the module's dicts (by
    position or keyword): raised as the function reading them, each call without them."""
    r = translate_full(_source("weight_dicts_passed.py"), "p.py")
    assert "class MultilayerPerceptron(keras.Model)" in r.text and "weights = {" not in r.text
    assert "def call(self, x, training=False):" in r.text
    assert "logits = multilayer_perceptron(x)\n" in r.text and "pred = multilayer_perceptron(x)\n" in r.text
    assert "variables = multilayer_perceptron.trainable_variables" in r.text
    assert not r.diagnostics


def test_globals_passed_under_other_names_are_raised() -> None:
    r = translate_full(_source("globals_passed.py"), "g.py")
    assert "class Forward(keras.Model)" in r.text and "def call(self, inputs, training=False):" in r.text
    assert "forward(x) - y" in r.text and "tf.Variable(" not in r.text
    assert next(u for u in r.units if u.name == "Forward").weight_order == ["w1", "b1", "w2", "b2"]


_PASSED = _source("weight_dicts_passed.py") if (CASES / "weight_dicts_passed.py").exists() else ""


@pytest.mark.parametrize(("change", "reason"), [
    # another dict at one call: the parameter is not one object
    (("print(accuracy)", "other = {'h1': tf.Variable(tf.zeros([6, 8]))}\nprint(multilayer_perceptron(1, other, biases))"),
     "its parameter `weights` is given different values (`weights` at line 43, `other` at line 57)"),
    # the function used as a value: called elsewhere with anything
    (("print(accuracy)", "model_fn = multilayer_perceptron"), "is used other than by calls (line 56)"),
    # a call where `weights` is a parameter of the caller, not the module's dict
    (("def accuracy(x, y):", "def accuracy(x, y, weights=None):"), "a call gives its parameter `weights` a `weights` that is not the module's (line 52)"),
    (("print(accuracy)", "args = (weights, biases)\nprint(multilayer_perceptron(1, *args))"),
     "its call at line 57 cannot be read argument by argument"),
])
def test_weights_passed_otherwise_keep_the_program(change: tuple[str, str], reason: str) -> None:
    """Each way a parameter could be another object keeps the program as written, with the
    reason at each dict."""
    source = (_PASSED + "\n\nprint(accuracy)\n").replace(*change, 1)
    assert source != _PASSED + "\n\nprint(accuracy)\n"
    r = translate_full(source, "p.py")
    assert r.text == source
    assert [d.line for d in r.diagnostics if d.code == "XL503"][:2] == [13, 18]
    assert any(reason in d.message for d in r.diagnostics), [d.message for d in r.diagnostics]


def test_a_passed_parameter_rebound_in_the_function_keeps_the_program() -> None:
    source = _source("globals_passed.py").replace("    hidden = ", "    W1 = tf.clip_by_value(W1, -1.0, 1.0)\n    hidden = ")
    r = translate_full(source, "g.py")
    assert r.text == source
    assert any("`forward` binds `W1` or `w1` itself" in d.message for d in r.diagnostics), [d.message for d in r.diagnostics]


@pytest.mark.tf
@pytest.mark.parametrize(("name", "instance", "cls", "call", "shape"), [
    ("weight_dicts_passed.py", "multilayer_perceptron", "MultilayerPerceptron",
     "multilayer_perceptron(x, weights, biases)", (5, 6)),
    ("globals_passed.py", "forward", "Forward", "forward(x, w1, b1, w2, b2)", (5, 4)),
])
def test_weights_passed_run_and_train_the_same(name: str, instance: str, cls: str, call: str,
                                                shape: tuple[int, ...]) -> None:
    """The original's (perturbed) variables moved in the documented order; outputs and the
    losses of three training steps of each program compared (atol = rtol = 1e-5)."""
    import numpy as np
    import tensorflow as tf

    r, original, translated = executed_both(_source(name), name)
    rng = np.random.default_rng(4)
    unit = next(u for u in r.units if u.name == cls)
    for path in unit.weight_order:
        v = eval(path, original)
        v.assign(v.numpy() + rng.normal(0.0, 0.3, v.shape).astype("float32"))
    x = tf.constant(rng.normal(size=shape).astype("float32"))
    y = tf.constant([0, 1, 2, 1, 0]) if instance == "multilayer_perceptron" else tf.constant(
        rng.uniform(size=(shape[0], 2)).astype("float32"))
    worst = _moved_then_trained(r, original, translated, x, y, instance, cls, call)
    if instance == "multilayer_perceptron":
        assert float(original["accuracy"](x, y)) == float(translated["accuracy"](x, y))
    print(f"{name}: worst max |diff| = {worst:.3g}")


def test_weights_handed_on_by_a_training_step_are_raised() -> None:
    """The training step takes the dicts too (as `W`, `B`) and hands them to the model: both
    drop those parameters, the step's list of variables becomes the model's."""
    r = translate_full(_source("weight_dicts_handed_on.py"), "h.py")
    assert "def run_optimization(x, y):\n" in r.text and "pred = neural_net(x)\n" in r.text
    assert "trainable_variables = neural_net.trainable_variables\n" in r.text
    assert "run_optimization(x, y)\n" in r.text and "return neural_net(x)\n" in r.text
    assert "W" not in r.text.split("def run_optimization")[1] and not r.diagnostics


@pytest.mark.tf
def test_weights_handed_on_run_and_train_the_same() -> None:
    """Perturbed dicts moved in the documented order; outputs, then `train` for two steps in
    each program, compared (atol = rtol = 1e-5)."""
    import numpy as np
    import tensorflow as tf

    r, original, translated = executed_both(_source("weight_dicts_handed_on.py"), "h.py")
    rng = np.random.default_rng(5)
    unit = next(u for u in r.units if u.name == "NeuralNet")
    for path in unit.weight_order:
        v = eval(path, original)
        v.assign(v.numpy() + rng.normal(0.0, 0.3, v.shape).astype("float32"))
    x = tf.constant(rng.normal(size=(6, 6)).astype("float32"))
    y = tf.constant([0, 1, 2, 2, 1, 0])
    model = translated["neural_net"]
    model(x)
    model.set_weights([np.asarray(eval(p, original)) for p in unit.weight_order])
    want = np.asarray(original["neural_net"](x, original["weights"], original["biases"]))
    got = np.asarray(model(x))
    np.testing.assert_allclose(got, want, atol=1e-5, rtol=1e-5)
    worst = float(np.max(np.abs(got - want)))
    want, got = np.asarray(original["train"](x, y, 2)), np.asarray(translated["train"](x, y, 2))
    np.testing.assert_allclose(got, want, atol=1e-5, rtol=1e-5, err_msg="after two steps")
    print(f"weight_dicts_handed_on: worst max |diff| = {max(worst, float(np.max(np.abs(got - want)))):.3g}")


# ------------------------------------------------------------------------------ weights in a list


def test_a_list_of_variables_is_raised() -> None:
    """`params = [tf.Variable(...), ...]` read as `params[0]` in the model function: raised as
    a dict's entries are; the list read whole by the training step (the gradient's sources,
    zip, a loop over it) becomes the model's variables."""
    r = translate_full(_source("variable_list_mlp.py"), "l.py")
    assert "class Model(tf.keras.Model)" in r.text and "params = [" not in r.text
    assert "self.dense = " in r.text and "self.dense_1 = " in r.text  # (not named after the list)
    assert "grads = tape.gradient(loss, model.trainable_variables)" in r.text
    assert "for p in model.trainable_variables:" in r.text
    assert next(u for u in r.units if u.name == "Model").weight_order == [f"params[{i}]" for i in range(4)]


@pytest.mark.parametrize("use", [
    "print(params[-1])",  # a negative index is not followed
    "params.append(tf.Variable(tf.zeros([1])))",  # the list itself changed
    "for i, p in enumerate(params):\n    print(i, p.shape)",  # positions read
    "print(params[1:])",
])
def test_a_list_read_otherwise_keeps_the_program(use: str) -> None:
    source = _source("variable_list_mlp.py") + "\n\n" + use + "\n"
    r = translate_full(source, "l.py")
    assert r.text == source
    assert [(d.code, d.line) for d in r.diagnostics if d.code == "XL503"] == [("XL503", 8)]


@pytest.mark.tf
def test_a_list_of_variables_runs_and_trains_the_same() -> None:
    """Perturbed list entries moved in the documented order; outputs and three training steps
    (SGD, then the decay loop) compared (atol = rtol = 1e-5)."""
    import numpy as np
    import tensorflow as tf

    r, original, translated = executed_both(_source("variable_list_mlp.py"), "l.py")
    rng = np.random.default_rng(6)
    for v in original["params"]:
        v.assign(v.numpy() + rng.normal(0.0, 0.3, v.shape).astype("float32"))
    x = tf.constant(rng.normal(size=(6, 5)).astype("float32"))
    y = tf.one_hot([0, 1, 2, 2, 1, 0], 3)
    worst = _moved_then_trained(r, original, translated, x, y)
    print(f"variable_list_mlp: worst max |diff| = {worst:.3g}")


def test_arguments_on_lines_of_their_own_go_with_their_lines() -> None:
    """A call or signature written one argument per line loses the lines of the passed-through
    arguments; a kept argument's comment stays with it."""
    source = _source("weight_dicts_passed.py").replace(
        "        logits = multilayer_perceptron(x, weights, biases)\n",
        "        logits = multilayer_perceptron(\n            x,  # the batch\n            weights,  # the dicts\n"
        "            biases,\n        )\n")
    out = translate_full(source, "p.py").text
    assert "        logits = multilayer_perceptron(\n            x,  # the batch\n        )\n" in out
    assert translate_full(out, "p.py").text == out
