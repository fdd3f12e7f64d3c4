"""Plain classes holding ``tf.Variable`` s, and classes whose variables the training code reads
on an instance (``[model.W1, model.b1]``), raised to Keras models (``tokeras/instance_vars.py``,
issue #17). The cases are our own, written after reading such code: a TF 2 port of a machine
learning book (a CNN class with a helper method taking its weights, a Q-learning network),
and the TF 2.0 guides' "custom model" (``class Model(object)``).

Executed cases: the original runs with each ``tf.Variable`` perturbed where it is made (normal
noise, scale 0.3: no zero bias), the raised program with those values loaded right after its
model is made (``model.set_weights`` in the order ``UnitInfo.weight_order`` gives); both then
train and predict, and the values they leave are compared, atol = rtol = 1e-5.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import pytest
from tokeras_exec import run_perturbed, same

from kerastf_xlate.tokeras.engine import translate_full

CASES = Path(__file__).parent / "cases" / "tokeras"


def _case_input(name: str) -> str:
    """The input of a whole-file case of tests/cases/tokeras (what comes before `# output`):
    the case checks the translation's text, the tests here execute it."""
    return (CASES / name).read_text().partition("# output\n")[0]


PLAIN_CNN = _case_input("plain_class_cnn.py")

MODULE_MLP = '''\
import numpy as np
import tensorflow as tf


class TwoLayer(tf.Module):
    def __init__(self, n_in, n_hidden, n_out):
        super().__init__()
        self.w1 = tf.Variable(tf.random.normal([n_in, n_hidden], stddev=0.5))
        self.b1 = tf.Variable(tf.zeros([n_hidden]))
        self.w2 = tf.Variable(tf.random.normal([n_hidden, n_out], stddev=0.5))
        self.b2 = tf.Variable(tf.zeros([n_out]))

    def __call__(self, x):
        h = tf.nn.relu(tf.matmul(x, self.w1) + self.b1)
        return tf.matmul(h, self.w2) + self.b2


net = TwoLayer(5, 7, 2)
x = tf.constant(np.random.default_rng(1).normal(size=(12, 5)).astype("float32"))
y = tf.constant(np.random.default_rng(2).normal(size=(12, 2)).astype("float32"))
history = []
for step in range(4):
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.square(net(x) - y))
    dw1, db1, dw2, db2 = tape.gradient(loss, [net.w1, net.b1, net.w2, net.b2])
    net.w1.assign_sub(0.05 * dw1)
    net.b1.assign_sub(0.05 * db1)
    net.w2.assign_sub(0.05 * dw2)
    net.b2.assign_sub(0.05 * db2)
    history.append(float(loss))
out = net(x).numpy()
penalty = float(tf.nn.l2_loss(net.w2))
'''

PLAIN_NO_READS = '''\
import numpy as np
import tensorflow as tf


class Linear:
    def __init__(self, n_in, n_out):
        self.W = tf.Variable(tf.random.normal([n_in, n_out]))
        self.b = tf.Variable(tf.zeros([n_out]))

    def __call__(self, x):
        return tf.nn.sigmoid(tf.matmul(x, self.W) + self.b)


model = Linear(3, 2)
scores = model(np.ones((4, 3), dtype="float32")).numpy()
'''

Q_NETWORK = _case_input("plain_class_float64.py")


def _executed(source: str, instance: str) -> tuple[Any, dict[str, Any], dict[str, Any]]:
    """Both programs run (see the module docstring): the translation and the two namespaces."""

    r = translate_full(source, "case.py")
    tree = ast.parse(source)
    cls = next(s for s in tree.body if isinstance(s, ast.ClassDef))
    init = next(f for f in cls.body if isinstance(f, ast.FunctionDef) and f.name == "__init__")
    attrs = [t.attr for s in init.body if isinstance(s, ast.Assign) and "tf.Variable(" in ast.unparse(s.value)
             for t in s.targets if isinstance(t, ast.Attribute)]
    unit = next(u for u in r.units if u.name == cls.name)
    original, made = run_perturbed(source)
    by_attr = dict(zip(attrs, made, strict=False))
    moved = [by_attr[a] for a in unit.weight_order]
    made_line = re.compile(rf"^([ \t]*){instance} = \w+\([^\n]*\)\n", re.M)
    assert len(made_line.findall(r.text)) == 1
    text = made_line.sub(lambda m: f"{m.group(0)}{m.group(1)}{instance}.set_weights(__moved__)\n", r.text)
    translated: dict[str, Any] = {"__moved__": moved}
    exec(compile(text, "case.py", "exec"), translated)
    return r, original, translated


def _same(a: Any, b: Any) -> float:
    return same(a, b)


def test_a_plain_class_with_a_helper_taking_its_weights_is_raised() -> None:
    out = translate_full(PLAIN_CNN, "case.py").text
    assert "class SmallConvNet(tf.keras.Model):" in out and "tf.Variable(" not in out.split("def loss")[0]
    assert "super().__init__()" in out and "def call(self, x, training=False):" in out
    # the helper taking the weights is substituted where it was called, and goes
    assert "conv_out1 = self.conv2d(x_reshaped)" in out and "__conv_layer" not in out
    assert "def __maxpool_layer(self, conv, k=2):" in out  # (no weight: it stays)
    # the layers exist from construction, as the variables did
    assert "self.conv2d.build((None, None, None, 1))" in out and "self.dense.build((None, 2 * 2 * 4))" in out
    # a variable's static size read in call is read on the weight's tf.Variable
    assert "self.dense.kernel.value.get_shape().as_list()[0]" in out
    # what the program reads on an instance is a property returning the weight's tf.Variable
    assert "    @property\n    def W1(self):\n" in out and "        return self.conv2d.kernel.value\n" in out
    assert out.count("@property") == 8
    assert "params = [model.W1, model.b1, model.W2" in out  # the training code as written
    assert translate_full(out, "case.py").text == out


@pytest.mark.tf
def test_a_plain_class_with_a_helper_taking_its_weights_trains_the_same() -> None:
    _, a, b = _executed(PLAIN_CNN, "model")
    worst = max(_same(a["losses"], b["losses"]), _same(a["logits"], b["logits"]),
                _same(a["first_filter"], b["first_filter"]))
    assert a["sizes"] == b["sizes"] == [16, 10]
    print(f"plain CNN class: worst max |diff| = {worst:.3g}")


def test_a_module_whose_variables_are_read_on_an_instance_is_raised() -> None:
    r = translate_full(MODULE_MLP, "case.py")
    out = r.text
    assert "class TwoLayer(keras.Model):" in out and "self.dense.build((None, n_in))" in out
    for attr, path in [("w1", "self.dense.kernel"), ("b1", "self.dense.bias"), ("w2", "self.dense_1.kernel"),
                       ("b2", "self.dense_1.bias")]:
        assert f"    def {attr}(self):\n" in out and f"        return {path}.value\n" in out
    assert "net.w1.assign_sub(0.05 * dw1)" in out
    assert not any(d.code == "XL502" for d in r.diagnostics)
    assert translate_full(out, "case.py").text == out


@pytest.mark.tf
def test_a_module_whose_variables_are_read_on_an_instance_trains_the_same() -> None:
    _, a, b = _executed(MODULE_MLP, "net")
    worst = max(_same(a["history"], b["history"]), _same(a["out"], b["out"]), _same(a["penalty"], b["penalty"]))
    print(f"module read on an instance: worst max |diff| = {worst:.3g}")


def test_a_plain_class_nothing_reads_on_an_instance_gets_no_property() -> None:
    out = translate_full(PLAIN_NO_READS, "case.py").text
    assert "class Linear(keras.Model):" in out and "@property" not in out
    assert "self.dense = layers.Dense(n_out, activation='sigmoid'" in out
    assert translate_full(out, "case.py").text == out


@pytest.mark.tf
def test_a_plain_class_nothing_reads_on_an_instance_runs_the_same() -> None:
    _, a, b = _executed(PLAIN_NO_READS, "model")
    print(f"plain class: worst max |diff| = {_same(a['scores'], b['scores']):.3g}")


def _kept(source: str, why: str, code: str = "XL503") -> None:
    r = translate_full(source, "case.py")
    assert r.text == source
    said = [d.message for d in r.diagnostics if d.code == code]
    assert said and all(why in m for m in said), said


def test_a_variable_set_on_an_instance_keeps_the_class() -> None:
    _kept(MODULE_MLP + "net.w1 = tf.Variable(tf.zeros([5, 7]))\n",
          "`TwoLayer` kept as a tf.Module: `net.w1` sets it on an instance", "XL502")
    source = PLAIN_NO_READS + "model.b = tf.Variable(tf.ones([2]))\n"
    _kept(source, "a plain class, which is not raised: `model.b` sets it on an instance")


def test_a_subclass_keeps_the_class() -> None:
    source = PLAIN_NO_READS + "\n\nclass Scaled(Linear):\n    def __call__(self, x):\n        return 2.0 * super().__call__(x)\n"
    _kept(source, "`Scaled` derives from it")


def test_a_variable_read_under_a_name_keras_uses_keeps_the_class() -> None:
    source = PLAIN_NO_READS.replace("self.W ", "self.weights ").replace("self.W)", "self.weights)") + "print(model.weights)\n"
    _kept(source, "`weights`, read on an instance, is a name a Keras model uses")


def test_a_class_of_float32_and_float64_variables_is_kept_with_the_reason() -> None:
    source = PLAIN_NO_READS.replace("tf.random.normal([n_in, n_out])", "tf.random.normal([n_in, n_out], dtype=tf.float64)")
    _kept(source, "held by `Linear`, a plain class, which is not raised: `self.W` is tf.float64 and `self.b` float32")


def test_a_float64_class_is_raised_with_float64_layers() -> None:
    out = translate_full(Q_NETWORK, "case.py").text
    assert "class QNetwork(tf.keras.Model):" in out and "super().__init__(dtype='float64')" in out
    assert out.count("dtype='float64')") == 3 and "bias_initializer=tf.keras.initializers.Constant(0.1)" in out
    assert translate_full(out, "case.py").text == out


@pytest.mark.tf
def test_a_float64_class_trains_the_same() -> None:
    _, a, b = _executed(Q_NETWORK, "model")
    worst = max(_same(a["q_values"], b["q_values"]), _same(a["losses"], b["losses"]))
    assert a["dtype"] == b["dtype"] == "<dtype: 'float64'>"
    print(f"float64 Q-network: worst max |diff| = {worst:.3g}")


def test_tensorflow_1_code_is_not_raised() -> None:
    source = PLAIN_NO_READS + "tf.compat.v1.disable_eager_execution()\n"
    r = translate_full(source, "case.py")
    assert r.text == source
    assert any("TensorFlow 1 graph code" in d.message for d in r.diagnostics if d.code == "XL503")


def test_a_helper_called_otherwise_too_stays() -> None:
    source = PLAIN_CNN.replace("losses = [", "edges = model._SmallConvNet__conv_layer(data.reshape(-1, 8, 8, 1), model.W1, model.b1)\nlosses = [")
    out = translate_full(source, "case.py").text
    assert "def __conv_layer(self, x, W, b):" in out


def test_a_class_defining_its_own_attribute_protocol_is_kept() -> None:
    source = PLAIN_NO_READS.replace("    def __call__(self, x):", "    def __getattr__(self, name):\n        return 0\n\n    def __call__(self, x):")
    _kept(source, "defines a part of Python's object protocol a Keras model defines for itself")


def test_a_keras_model_attribute_set_on_an_object_keeps_plain_classes() -> None:
    _kept(PLAIN_NO_READS + "model.trainable = False\n", "`model.trainable` sets an attribute a Keras model has")


def test_findings_after_a_substituted_helper_are_said_at_the_original_lines() -> None:
    """The helper's removal shifts the lines after it in the text the engine translates: its
    findings are said where the user wrote the code (line and column)."""
    r = translate_full(PLAIN_CNN, "case.py")
    lines = PLAIN_CNN.splitlines()
    line = next(i for i, text in enumerate(lines, 1) if "return tf.nn.max_pool(" in text)
    said = [(d.line, d.col) for d in r.diagnostics if "tf.nn.max_pool" in d.message]
    assert said == [(line, lines[line - 1].index("tf.nn.max_pool"))], said


def test_a_float64_module_passing_keyword_arguments_on_is_kept() -> None:
    source = Q_NETWORK.replace("class QNetwork(object):", "class QNetwork(tf.Module):").replace(
        "    def __init__(self, input_dim, h1_dim, output_dim):\n",
        "    def __init__(self, input_dim, h1_dim, output_dim, **kwargs):\n        super().__init__(**kwargs)\n")
    _kept(source, "`__init__` passes `**` arguments on to `super().__init__`", "XL502")


CHECKPOINTED = '''\
import numpy as np
import tensorflow as tf


class Net(object):
    def __init__(self):
        self.W1 = tf.Variable(tf.random.normal([3, 2]))
        self.b1 = tf.Variable(tf.zeros([2]))

    def __call__(self, x):
        return tf.matmul(x, self.W1) + self.b1


model = Net()
ckpt = tf.train.Checkpoint(W1=model.W1, b1=model.b1)
if SAVE:
    model.W1.assign(np.arange(6, dtype="float32").reshape(3, 2) / 7.0)
    model.b1.assign([0.5, -0.25])
    ckpt.write(PATH)
else:
    ckpt.read(PATH).assert_consumed()
out = model(np.ones((2, 3), dtype="float32")).numpy()
'''


@pytest.mark.tf
def test_a_checkpoint_the_original_wrote_reads_back_into_the_raised_model(tmp_path) -> None:
    """The properties give the layers' own tf.Variables, so a `tf.train.Checkpoint` keyed by the
    original's names reads what the original program wrote."""
    raised = translate_full(CHECKPOINTED, "case.py").text
    assert "def W1(self):" in raised
    path = str(tmp_path / "net")
    written: dict[str, Any] = {"SAVE": True, "PATH": path}
    exec(compile(CHECKPOINTED, "case.py", "exec"), written)
    read: dict[str, Any] = {"SAVE": False, "PATH": path}
    exec(compile(raised, "case.py", "exec"), read)
    print(f"checkpoint read back: worst max |diff| = {_same(written['out'], read['out']):.3g}")
