"""Modules that create their variables on the first call (``self.ready = False`` in
``__init__``, ``if not self.ready:`` creating them in ``__call__``, the style of TensorFlow's
guides): raised to Keras layers created in ``__init__``, which Keras builds on the first call
from the input's width as the original did.

Executed: the original is called once (its variables exist only then), every variable is
perturbed (no zero biases), the Keras model is built by one call, the variables move in
``UnitInfo.weight_order`` (``kerastf_xlate.tokeras.verify.transfer``), and both run on the
same input; atol = rtol = 1e-5, the worst difference printed. Beside them, the blocks that
must stay: each a negative case.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kerastf_xlate.tokeras.engine import translate_full

CASES = Path(__file__).parent / "cases" / "tokeras"
LAZY = '''import tensorflow as tf


class LazyDense(tf.Module):
    def __init__(self, units):
        super().__init__()
        self.units = units
        self.ready = False

    def __call__(self, x):
        if not self.ready:
            width = x.shape[-1]
            self.kernel = tf.Variable(tf.random.normal([width, self.units]))
            self.bias = tf.Variable(tf.zeros([self.units]))
            self.ready = True
        return tf.matmul(x, self.kernel) + self.bias


layer = LazyDense(4)
'''


def _source(name: str) -> str:
    return (CASES / name).read_text().split("# output\n")[0]


def _run_both(source: str, instance: str, shape: tuple[int, ...]) -> float:
    import numpy as np
    import tensorflow as tf

    from kerastf_xlate.tokeras.verify import transfer

    result = translate_full(source, "f.py")
    original: dict[str, Any] = {}
    exec(compile(source, "f.py", "exec"), original)
    translated: dict[str, Any] = {}
    exec(compile(result.text, "f.py", "exec"), translated)
    module, model = original[instance], translated[instance]
    rng = np.random.default_rng(1)
    x = tf.constant(rng.normal(size=(2, *shape)).astype("float32"))
    module(x)  # creates the original's variables
    for v in module.trainable_variables:
        v.assign(v.numpy() + rng.normal(0.0, 0.5, v.shape).astype("float32"))
    model(x)  # builds the Keras layers
    unit = next(u for u in result.units if u.name == type(module).__name__)
    transfer(module, model, unit)
    assert len(model.get_weights()) == len(module.trainable_variables) > 0
    want, got = np.asarray(module(x)), np.asarray(model(x))
    np.testing.assert_allclose(got, want, atol=1e-5, rtol=1e-5)
    return float(np.max(np.abs(got - want)))


def test_first_call_modules_are_raised_whole() -> None:
    r = translate_full(_source("first_call_modules.py"), "f.py")
    assert "tf.Module" not in r.text and "tf.Variable" not in r.text and not r.diagnostics
    assert "class Net(keras.Model)" in r.text and "class LazyDense(keras.layers.Layer)" in r.text
    # the flag goes (Keras has its own `built`); the layer is created after the attribute it reads
    assert "ready" not in r.text and "self.built" not in r.text
    assert "self.units = units\n        self.dense = layers.Dense(self.units" in r.text
    # a module without super().__init__() gets one: a Keras layer needs it
    assert "def __init__(self, classes):\n        super().__init__()\n" in r.text
    units = {u.name: u for u in r.units}
    assert units["Net"].weight_order == ["conv.k", "conv.c", "hidden.kernel", "hidden.bias", "out.w", "out.b"]


@pytest.mark.tf
@pytest.mark.parametrize(("instance", "shape"), [("net", (8, 8, 3)), ("scorer", (6,))])
def test_first_call_modules_run_with_the_same_outputs(instance: str, shape: tuple[int, ...]) -> None:
    worst = _run_both(_source("first_call_modules.py"), instance, shape)
    print(f"first_call_modules {instance}: worst max |diff| = {worst:.3g}")


@pytest.mark.tf
def test_minimal_first_call_module_runs_with_the_same_outputs() -> None:
    out = translate_full(LAZY, "f.py").text
    assert "layers.Dense(self.units, use_bias=True" in out or "layers.Dense(self.units" in out
    worst = _run_both(LAZY, "layer", (3,))
    print(f"minimal first-call module: worst max |diff| = {worst:.3g}")


@pytest.mark.parametrize(("change", "why"), [
    # the flag is read elsewhere: it would no longer be set
    (("layer = LazyDense(4)\n", "layer = LazyDense(4)\nprint(layer.ready)\n"), "XL502"),
    # a local of the block is read after it
    (("        return tf.matmul(x, self.kernel) + self.bias", "        return tf.matmul(x, self.kernel) + self.bias + width"), "XL502"),
    # something else happens in the block
    (("            self.ready = True\n", "            print('built')\n            self.ready = True\n"), "XL502"),
    # the flag is not set to True last
    (("            self.ready = True\n", ""), "XL502"),
    # the flag starts True: the block never runs as written
    (("        self.ready = False", "        self.ready = True"), "XL502"),
    # a scalar that is no layer's weight is created in the same block: the block cannot go
    (("            self.ready = True\n", "            self.scale = tf.Variable(2.0)\n            self.ready = True\n"), "XL502"),
    # the kernel's width is not the input's
    (("            width = x.shape[-1]", "            width = 3"), None),
])
def test_first_call_blocks_that_stay(change: tuple[str, str], why: str | None) -> None:
    old, new = change
    assert old in LAZY
    source = LAZY.replace(old, new)
    r = translate_full(source, "f.py")
    if why is None:  # raised: in every run of the original that works, the width written is the input's
        assert "layers.Dense(self.units" in r.text and "if not self.ready" not in r.text
        return
    assert "if not self.ready:" in r.text and "tf.Variable" in r.text, r.text
    assert why in {d.code for d in r.diagnostics}


# ------------------------------------------------------------------------------ Keras layers holding tf.Variables


def test_keras_layers_holding_tf_variables_stay_and_say_why() -> None:
    """A Keras layer whose weights are tf.Variables (in ``__init__``, or in a ``build`` that
    only creates them) stays as it is, with XL503 on its first variable: Keras 3 does not
    track them, so the original trains and saves nothing there, and a raised layer would.
    A class of the same file with ``add_weight``s is raised."""
    r = translate_full(_source("keras_layers_tf_variables.py"), "k.py")
    assert r.text.count("tf.Variable(") == 4 and "add_weight" not in r.text
    assert [(d.line, d.code) for d in r.diagnostics] == [(9, "XL503"), (23, "XL503")]
    assert all("Keras 3 does not track a tf.Variable" in d.message for d in r.diagnostics)
    units = {u.name: u for u in r.units}
    assert "Affine" not in units and "Widthless" not in units and units["Weighted"].weight_order == ["w", "b"]


@pytest.mark.tf
def test_keras_3_does_not_track_a_layers_tf_variables() -> None:
    """Why they stay (checked against the installed Keras, so that this test fails if Keras
    starts tracking them): the original model lists and trains only its ``add_weight``s."""
    import numpy as np
    import tensorflow as tf

    original: dict[str, Any] = {}
    exec(compile(_source("keras_layers_tf_variables.py"), "k.py", "exec"), original)
    head = original["head"]
    head(tf.constant(np.ones((3, 6), "float32")))
    assert [w.path.split("/")[-1] for w in head.trainable_weights] == ["w", "b"]  # Weighted's add_weights only
    assert head.body.w.trainable and len(head.trainable_variables) == 2


# ------------------------------------------------------------------------------ programs that stay are reported

CHECKPOINTED = '''import tensorflow as tf

W = tf.Variable(tf.random.normal([4, 3]))
b = tf.Variable(tf.zeros([3]))


def predict(x):
    return tf.nn.softmax(tf.matmul(x, W) + b)


ckpt = tf.train.Checkpoint(W=W, b=b)
W = tf.Variable(tf.random.normal([4, 3]))
b = tf.Variable(tf.zeros([3]))
'''


def test_rebound_weight_globals_stay_and_are_reported() -> None:
    """Weights bound twice (a checkpoint example restoring into new variables) are not one
    model's: the program stays, each creation reported (it used to stay silently)."""
    r = translate_full(CHECKPOINTED, "c.py")
    assert r.text == CHECKPOINTED
    assert [(d.code, d.line) for d in r.diagnostics] == [("XL503", 3), ("XL503", 4), ("XL503", 12), ("XL503", 13)]


def test_rebound_scalars_are_not_reported() -> None:
    """A scalar bound twice (a guide about variables) is no layer's weight: nothing to say."""
    source = CHECKPOINTED.replace("tf.Variable(tf.random.normal([4, 3]))", "tf.Variable(2.0)").replace(
        "tf.Variable(tf.zeros([3]))", "tf.Variable(0.5)").replace("tf.nn.softmax(tf.matmul(x, W) + b)", "x * W + b")
    r = translate_full(source, "c.py")
    assert r.text == source and not r.diagnostics


def test_decorated_model_function_is_reported() -> None:
    source = _source("weight_dicts_convnet.py").replace("def conv_net(x):", "@tf.function\ndef conv_net(x):")
    assert "@tf.function\ndef conv_net(x):" in source
    r = translate_full(source, "w.py")
    assert r.text == source
    assert {d.code for d in r.diagnostics} == {"XL503"} and any("`conv_net` is decorated" in d.message for d in r.diagnostics)


@pytest.mark.parametrize(("old", "new"), [
    # a positional add_weight argument is the name in Keras 2 and the shape in Keras 3
    ('self.add_weight(shape=(self.units,), name="b")', 'self.add_weight("b", shape=(self.units,))'),
    # the units are the input's width but the bias is `self.units` long (1 would broadcast)
    ("self.add_weight(shape=(width, self.units)", "self.add_weight(shape=(width, width)"),
    # an argument not among those read (a regularizer or constraint is read: test_tokeras_realstyles4)
    ('self.add_weight(shape=(self.units,), name="b")', 'self.add_weight(shape=(self.units,), name="b", aggregation="mean")'),
])
def test_add_weight_layers_that_stay(old: str, new: str) -> None:
    source = _source("keras_layers_tf_variables.py")
    assert old in source
    out = translate_full(source.replace(old, new), "k.py").text
    assert "def build(self, input_shape):\n        width = input_shape[-1]" in out and out.count("add_weight(") == 2


def test_variable_read_on_an_instance_keeps_the_module() -> None:
    """`model.w` outside the class would be gone once the variable is a Keras layer's weight
    (this used to be raised, and the program failed with an AttributeError)."""
    source = LAZY.replace("layer = LazyDense(4)\n", "layer = LazyDense(4)\nlayer(tf.ones([1, 3]))\nprint(layer.kernel.shape)\n")
    r = translate_full(source, "f.py")
    assert r.text == source
    assert [d.code for d in r.diagnostics] == ["XL502"] and "`layer.kernel` reads a variable" in r.diagnostics[0].message
    plain = source.replace("        self.ready = False\n", "        self.kernel = tf.Variable(tf.zeros([3, units]))\n"
                           "        self.bias = tf.Variable(tf.zeros([units]))\n")
    plain = plain.replace(plain[plain.index("        if not self.ready:"):plain.index("        return tf.matmul")], "")
    # variables made in `__init__` and read on an instance: raised, each read a property giving
    # the layer weight's tf.Variable (since 2026-12-06, tests/test_tokeras_instance_vars.py)
    r = translate_full(plain, "f.py")
    assert "    @property\n    def kernel(self):\n" in r.text and "return self.dense.kernel.value" in r.text
    assert "print(layer.kernel.shape)" in r.text and not r.diagnostics


# ------------------------------------------------------------------------------ a scalar bias beside a one-column kernel


def test_scalar_bias_modules_are_raised_to_dense_1() -> None:
    """``tf.matmul(x, w) + b`` with ``w`` of ``[n, 1]`` and ``b`` a scalar (``shape=[]``,
    ``tf.Variable(0.0)``) is a Dense(1): the sums are the same on an output whose last axis
    is 1; the scalar loads as the (1,) bias (``UnitInfo.reshape``)."""
    r = translate_full(_source("scalar_bias_modules.py"), "s.py")
    assert "tf.Variable" not in r.text and not r.diagnostics
    assert r.text.count("layers.Dense(1") == 2
    units = {u.name: u for u in r.units}
    assert units["Regression"].weight_order == ["w", "b"] and units["Regression"].reshape == {"b": (1,)}
    assert units["Classifier"].reshape == {"b": (1,)}


@pytest.mark.tf
@pytest.mark.parametrize("instance", ["regression", "classifier"])
def test_scalar_bias_modules_run_with_the_same_outputs(instance: str) -> None:
    worst = _run_both(_source("scalar_bias_modules.py"), instance, (5,))
    print(f"scalar_bias_modules {instance}: worst max |diff| = {worst:.3g}")


SCALAR_GLOBALS = '''import tensorflow as tf

W = tf.Variable(tf.random.normal([6, 1], stddev=0.2))
b = tf.Variable(tf.random.uniform(shape=[]))


def predict(x):
    return tf.sigmoid(tf.matmul(x, W) + b)


optimizer = tf.optimizers.SGD(0.1)


def train_step(x, y):
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.square(predict(x) - y))
    grads = tape.gradient(loss, [W, b])
    optimizer.apply_gradients(zip(grads, [W, b]))
    return loss
'''


@pytest.mark.tf
def test_scalar_bias_globals_program_loads_by_its_docstring() -> None:
    """The globals style: the docstring's ``set_weights`` order reshapes the scalar; executed
    with the original's (perturbed) variables, one training step on each, outputs and losses
    compared (atol = rtol = 1e-5)."""
    import numpy as np
    import tensorflow as tf

    r = translate_full(SCALAR_GLOBALS, "g.py")
    assert "predict.set_weights([W, tf.reshape(b, [1])])" in r.text and not r.diagnostics
    original: dict[str, Any] = {}
    exec(compile(SCALAR_GLOBALS, "g.py", "exec"), original)
    rng = np.random.default_rng(3)
    for v in (original["W"], original["b"]):
        v.assign(v.numpy() + rng.normal(0.0, 0.5, v.shape).astype("float32"))
    translated: dict[str, Any] = {"W": original["W"], "b": original["b"]}
    exec(compile(r.text, "g.py", "exec"), translated)
    x = tf.constant(rng.normal(size=(4, 6)).astype("float32"))
    y = tf.constant(rng.uniform(size=(4, 1)).astype("float32"))
    model = translated["predict"]
    model(x)
    model.set_weights([translated["W"], tf.reshape(translated["b"], [1])])  # as the docstring says
    worst = 0.0
    for _ in range(2):
        want, got = np.asarray(original["predict"](x)), np.asarray(model(x))
        np.testing.assert_allclose(got, want, atol=1e-5, rtol=1e-5)
        worst = max(worst, float(np.max(np.abs(got - want))))
        la, lb = float(original["train_step"](x, y)), float(translated["train_step"](x, y))
        assert abs(la - lb) <= 1e-5 + 1e-5 * abs(la)
    print(f"scalar-bias globals: worst max |diff| = {worst:.3g}")


@pytest.mark.parametrize(("old", "new"), [
    # three columns: the scalar is shared by all three units, a Dense bias has one each
    ("tf.random.normal([6, 1], stddev=0.2)", "tf.random.normal([6, 3], stddev=0.2)"),
    # an int literal is an int32 variable: no layer's weight
    ("tf.random.uniform(shape=[])", "0"),
    # tf.nn.bias_add takes a bias of rank 1 only: the original fails, nothing to raise
    ("tf.matmul(x, W) + b", "tf.nn.bias_add(tf.matmul(x, W), b)"),
])
def test_scalar_biases_that_stay(old: str, new: str) -> None:
    assert old in SCALAR_GLOBALS
    source = SCALAR_GLOBALS.replace(old, new)
    r = translate_full(source, "g.py")
    assert r.text == source and {d.code for d in r.diagnostics} == {"XL503"}


def test_scalar_variables_are_no_per_unit_weight() -> None:
    """A learned scalar slope or scale is shared by every unit: not PReLU's alpha nor
    RMSNormalization's scale (one per unit in Keras). It was raised to them (a wrong rewrite:
    other weights, which do not load); now it stays, reported."""
    source = '''import tensorflow as tf


class Act(tf.Module):
    def __init__(self):
        super().__init__()
        self.alpha = tf.Variable(tf.zeros([]))
        self.g = tf.Variable(tf.ones([]))

    def __call__(self, x):
        y = tf.nn.relu(x) - self.alpha * tf.nn.relu(-x)
        return y * tf.math.rsqrt(tf.reduce_mean(tf.square(y), axis=-1, keepdims=True) + 1e-6) * self.g


act = Act()
'''
    r = translate_full(source, "a.py")
    assert "PReLU" not in r.text and "RMSNormalization" not in r.text
    # (a tf.Variable no layer's weight keeps the class a tf.Module: a Keras model would not track it)
    assert r.text == source and [d.code for d in r.diagnostics][:1] == ["XL502"]
    per_unit = source.replace("tf.zeros([])", "tf.zeros([8])").replace("tf.ones([])", "tf.ones([8])")
    assert "layers.PReLU()" in translate_full(per_unit, "a.py").text


# ------------------------------------------------------------------------------ a list of modules applied in a loop


def test_listed_modules_are_raised_with_their_holder() -> None:
    """``Stack([Affine(16), ...])`` whose ``__call__`` runs ``for layer in self.layers: x =
    layer(x)``: the holder becomes a Keras layer (``Model.layers`` is Keras's own), its weight
    order the list's; an initializer given as a function (``self.init(shape=(rows, units))``)
    is called by Keras with the same shape."""
    r = translate_full(_source("listed_modules.py"), "l.py")
    assert "tf.Module" not in r.text and "tf.Variable" not in r.text and not r.diagnostics
    assert "class Stack(keras.layers.Layer)" in r.text
    assert "kernel_initializer=lambda shape, dtype=None: self.init(shape=shape)" in r.text
    units = {u.name: u for u in r.units}
    assert units["Stack"].weight_order == [f"layers[{i}].{w}" for i in range(3) for w in ("w", "b")]


@pytest.mark.tf
def test_listed_modules_run_and_train_the_same() -> None:
    """Outputs with the original's (perturbed) variables moved across, then three SGD steps on
    each side over its own ``trainable_variables`` (the holder tracks the list's layers: a
    tf.Module holding Keras layers would train nothing), outputs compared again; atol = rtol
    = 1e-5."""
    import numpy as np
    import tensorflow as tf

    source = _source("listed_modules.py")
    worst = _run_both(source, "stack", (5,))
    result = translate_full(source, "l.py")
    original: dict[str, Any] = {}
    exec(compile(source, "l.py", "exec"), original)
    translated: dict[str, Any] = {}
    exec(compile(result.text, "l.py", "exec"), translated)
    module, model = original["stack"], translated["stack"]
    rng = np.random.default_rng(2)
    x = tf.constant(rng.normal(size=(4, 5)).astype("float32"))
    module(x)
    model(x)
    for v in module.trainable_variables:
        v.assign(v.numpy() + rng.normal(0.0, 0.5, v.shape).astype("float32"))
    from kerastf_xlate.tokeras.verify import transfer

    transfer(module, model, next(u for u in result.units if u.name == "Stack"))
    assert len(model.trainable_variables) == len(module.trainable_variables) == 6
    for net in (module, model):
        for _ in range(3):
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean(tf.square(net(x)))
            grads = tape.gradient(loss, net.trainable_variables)
            for g, v in zip(grads, net.trainable_variables):
                v.assign_sub(0.1 * g)
    want, got = np.asarray(module(x)), np.asarray(model(x))
    np.testing.assert_allclose(got, want, atol=1e-5, rtol=1e-5)
    worst = max(worst, float(np.max(np.abs(got - want))))
    print(f"listed_modules stack (and after 3 SGD steps): worst max |diff| = {worst:.3g}")


GATHERED = "\nprint(len(stack.trainable_variables))\n"


@pytest.mark.parametrize(("old", "new"), [
    # two holders given different classes: no one weight order
    ("stack = Stack([", "other = Stack([Affine(2)])\nstack = Stack(["),
    # the holder is given a list made elsewhere: what it holds is not shown
    ("stack = Stack([Affine(16, act=tf.nn.relu), Affine(8, act=tf.nn.tanh), Affine(3)])",
     "parts = [Affine(16, act=tf.nn.relu), Affine(3)]\nstack = Stack(parts)"),
    # __init__ adds to the list: what it holds is not only what it is given
    ("        self.layers = layers\n", "        self.layers = layers\n        self.layers.append(Affine(2))\n"),
])
def test_listed_modules_that_stay(old: str, new: str) -> None:
    """A holder that stays, whose variables the program gathers (``stack.trainable_variables``),
    keeps the modules it holds as tf.Modules too (a tf.Module does not track a Keras layer's
    variables: it would gather none, and train nothing), each reported. It was raised
    (``parts``: the list's modules became Keras models inside the kept tf.Module)."""
    source = _source("listed_modules.py")
    assert old in source
    source = source.replace(old, new) + GATHERED
    r = translate_full(source, "l.py")
    assert r.text == source
    assert any("`Stack`, which stays a tf.Module, holds its instances" in d.message for d in r.diagnostics)


def test_a_holder_only_called_and_saved_keeps_nothing_back() -> None:
    """A tf.Module given a raised model and only called or saved (the core guides'
    ``ExportModule`` for ``tf.saved_model.save``, which tracks a Keras layer it holds) does
    not keep the model TensorFlow; read for its variables, it does."""
    source = _source("scalar_bias_modules.py") + (
        "\n\nclass Export(tf.Module):\n    def __init__(self, model):\n        self.model = model\n\n"
        "    def __call__(self, x):\n        return tf.round(self.model(x))\n\n\n"
        "export = Export(model=regression)\nprint(export(tf.ones([2, 5])))\ntf.saved_model.save(export, '/tmp/x')\n")
    r = translate_full(source, "e.py")
    assert "class Regression(keras.Model)" in r.text and "class Export(tf.Module)" in r.text
    gathered = translate_full(source + "print(export.trainable_variables)\n", "e.py")
    assert "class Regression(tf.Module)" in gathered.text and "class Classifier(keras.Model)" in gathered.text


def test_a_kept_module_beside_holders_keeps_nothing_back() -> None:
    """A module that stays for its own reasons (a learned scalar) and holds nothing keeps no
    other class TensorFlow, though its methods read ``self`` as the holders' do (``self`` was
    taken for a name bound to instances: every module of the TensorFlow guide to modules
    was kept)."""
    source = _source("composed_modules.py") + (
        "\n\nclass Scale(tf.Module):\n    def __init__(self):\n        super().__init__()\n"
        "        self.s = tf.Variable(2.0)\n\n    def __call__(self, x):\n        return self.s * x\n\n\n"
        "scale = Scale()\nprint(scale.trainable_variables)\n")
    plain = translate_full(_source("composed_modules.py"), "c.py")
    r = translate_full(source, "c.py")
    assert "class Scale(tf.Module)" in r.text
    assert {u.name for u in r.units} == {u.name for u in plain.units} != set()
