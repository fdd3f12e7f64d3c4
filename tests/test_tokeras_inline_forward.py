"""Programs that apply their weights inline (no model function): the course and book style of
hand-written TensorFlow 2, written here after reading such code (Peking University's TF 2
course notes, a TF 2 book's chapter scripts). See ``tokeras/inline_forward.py``.

Executed cases: the original runs with each ``tf.Variable`` perturbed where it is made (normal
noise, scale 0.3: no zero bias), the raised program with those values loaded right after its
model is made (``model.set_weights`` in the order ``UnitInfo.weight_order`` gives); both then
run to the end (training steps with ``assign_sub`` included) and the values they leave are
compared, atol = rtol = 1e-5.
"""

from __future__ import annotations

import ast
import re
from typing import Any

import pytest
from tokeras_exec import run_perturbed, same

from kerastf_xlate.tokeras.engine import translate_full

MODULE_LOOP = '''\
import tensorflow as tf

x_data = tf.random.stateless_normal([30, 4], seed=[1, 2])
y_data = tf.constant([0, 1, 2] * 10)
train_db = tf.data.Dataset.from_tensor_slices((x_data, y_data)).batch(10)
test_db = tf.data.Dataset.from_tensor_slices((x_data[:6], y_data[:6])).batch(3)

# the layer's parameters
w1 = tf.Variable(tf.random.truncated_normal([4, 3], stddev=0.1, seed=1))
b1 = tf.Variable(tf.random.truncated_normal([3], stddev=0.1, seed=1))

lr = 0.1
losses = []
accs = []
for epoch in range(2):
    for step, (x_train, y_train) in enumerate(train_db):
        with tf.GradientTape() as tape:
            y = tf.matmul(x_train, w1) + b1
            y = tf.nn.softmax(y)
            loss = tf.reduce_mean(tf.square(tf.one_hot(y_train, depth=3) - y))
        grads = tape.gradient(loss, [w1, b1])
        w1.assign_sub(lr * grads[0])
        b1.assign_sub(lr * grads[1])
        losses.append(float(loss))
    for x_test, y_test in test_db:
        y = tf.matmul(x_test, w1) + b1
        y = tf.nn.softmax(y)
        pred = tf.cast(tf.argmax(y, axis=1), y_test.dtype)
        accs.append(int(tf.reduce_sum(tf.cast(tf.equal(pred, y_test), tf.int32))))
final_w1 = w1.numpy()
'''

FUNCTION_SCOPE = '''\
import tensorflow as tf

x_data = tf.random.stateless_normal([16, 12], seed=[3, 4])
y_data = tf.one_hot(tf.constant([0, 1, 2, 3] * 4), depth=4)
train_db = tf.data.Dataset.from_tensor_slices((x_data, y_data)).batch(8)


def main():
    lr = 1e-2
    losses = []
    w1, b1 = tf.Variable(tf.random.normal([12, 8], stddev=0.1)), tf.Variable(tf.zeros([8]))
    w2, b2 = tf.Variable(tf.random.normal([8, 4], stddev=0.1)), tf.Variable(tf.zeros([4]))
    for epoch in range(3):
        for x, y in train_db:
            with tf.GradientTape() as tape:
                # layer 1
                h1 = x @ w1 + tf.broadcast_to(b1, [x.shape[0], 8])
                h1 = tf.nn.relu(h1)
                # output
                out = h1 @ w2 + b2
                loss = tf.reduce_mean(tf.square(y - out))
            grads = tape.gradient(loss, [w1, b1, w2, b2])
            for p, g in zip([w1, b1, w2, b2], grads):
                p.assign_sub(lr * g)
            losses.append(float(loss))
    total = 0
    for x, y in train_db:
        h1 = x @ w1 + tf.broadcast_to(b1, [x.shape[0], 8])
        h1 = tf.nn.relu(h1)
        out = h1 @ w2 + b2
        total += int(tf.reduce_sum(tf.cast(tf.argmax(out, axis=1) == tf.argmax(y, axis=1), tf.int32)))
    return losses, total, tf.nn.l2_loss(w2).numpy()


result = main()
'''

DEMO = '''\
import tensorflow as tf

x = tf.random.stateless_normal([2, 20], seed=[5, 6])
# the hidden layer
w1 = tf.Variable(tf.random.truncated_normal([20, 16], stddev=0.1))
b1 = tf.Variable(tf.zeros([16]))
o1 = tf.matmul(x, w1) + b1
o1 = tf.nn.relu(o1)
# the output layer
w2 = tf.Variable(tf.random.truncated_normal([16, 10], stddev=0.1))
b2 = tf.Variable(tf.zeros([10]))
o2 = tf.matmul(o1, w2) + b2
o2 = tf.nn.relu(o2)
print(o2.shape)
'''

CONV = '''\
import tensorflow as tf

x = tf.random.stateless_normal([4, 12, 12, 1], seed=[7, 8])
W1 = tf.Variable(tf.random.normal([3, 3, 1, 8], stddev=0.1))
b1 = tf.Variable(tf.zeros(8))
W2 = tf.Variable(tf.random.normal([5 * 5 * 8, 10], stddev=0.1))
b2 = tf.Variable(tf.zeros(10))
h = tf.nn.conv2d(x, W1, strides=1, padding="VALID")
h = tf.nn.relu(h + b1)
h = tf.nn.max_pool2d(h, ksize=2, strides=2, padding="VALID")
h = tf.reshape(h, [-1, 5 * 5 * 8])
out = tf.matmul(h, W2) + b2
'''


def _executed(source: str, monkeypatch: pytest.MonkeyPatch | None = None) -> tuple[Any, dict[str, Any], dict[str, Any]]:
    """Both programs run (see the module docstring): the result and the two namespaces. With
    several models (a notebook that makes its variables again in a later cell) the k-th model
    of the raised text takes the k-th group of variables of the original."""

    r = translate_full(source, "case.py")
    units = [u for u in r.units if u.instance]
    assert units
    original, made = run_perturbed(source)
    # the variable statements in program order, in groups (a name made again starts a group)
    groups: list[dict[str, Any]] = [{}]
    k = 0
    stmts = sorted((s for s in ast.walk(ast.parse(source)) if isinstance(s, ast.Assign)
                    and "tf.Variable(" in ast.unparse(s.value)), key=lambda s: s.lineno)
    for s in stmts:
        for t in ast.walk(s.targets[0]):
            if isinstance(t, ast.Name):
                if t.id in groups[-1]:
                    groups.append({})
                groups[-1][t.id] = made[k]
                k += 1
    assert k == len(made) and len(groups) == len(units)
    moved = {u.instance: [g[n] for n in u.weight_order] for u, g in zip(units, groups, strict=True)}
    text = r.text
    for u in units:
        made_line = re.compile(rf"^([ \t]*){u.instance} = \w+\(\)\n", re.M)
        assert len(made_line.findall(text)) == 1
        text = made_line.sub(lambda m, i=u.instance: f"{m.group(0)}{m.group(1)}{i}.set_weights(__moved__[{i!r}])\n", text)
    translated: dict[str, Any] = {"__moved__": moved}
    exec(compile(text, "case.py", "exec"), translated)
    return r, original, translated


def _same(a: Any, b: Any) -> float:
    return same(a, b)


def test_module_level_training_loop_is_raised() -> None:
    r = translate_full(MODULE_LOOP, "case.py")
    out = r.text
    assert "tf.Variable" not in out and "class Network(keras.Model)" in out
    assert "model = Network()" in out and out.count("y = model(x_train)") == 1 and "y = model(x_test)" in out
    assert "self.dense.build((None, 4))" in out
    assert "grads = tape.gradient(loss, model.trainable_variables)" in out
    assert "model.dense.kernel.assign_sub(lr * grads[0])" in out and "final_w1 = model.dense.kernel.numpy()" in out
    assert "# the layer's parameters" in out
    assert translate_full(out, "case.py").text == out


@pytest.mark.tf
def test_module_level_training_loop_trains_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    _, a, b = _executed(MODULE_LOOP, monkeypatch)
    worst = max(_same(a["losses"], b["losses"]), _same(a["final_w1"], b["final_w1"]))
    assert a["accs"] == b["accs"] and len(a["losses"]) == 6
    print(f"inline module loop: worst max |diff| = {worst:.3g}")


def test_function_scope_is_raised_with_the_class_before_the_function() -> None:
    out = translate_full(FUNCTION_SCOPE, "case.py").text
    assert out.index("class Network(keras.Model)") < out.index("def main():")
    assert "    model = Network()\n" in out and "tf.Variable" not in out and "broadcast_to" not in out
    assert "for p, g in zip(model.trainable_variables, grads):" in out
    assert "tf.nn.l2_loss(model.dense_1.kernel)" in out
    assert translate_full(out, "case.py").text == out


@pytest.mark.tf
def test_function_scope_trains_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    _, a, b = _executed(FUNCTION_SCOPE, monkeypatch)
    (la, ta, l2a), (lb, tb, l2b) = a["result"], b["result"]
    worst = max(_same(la, lb), _same(l2a, l2b))
    assert ta == tb and len(la) == 6
    print(f"inline function scope: worst max |diff| = {worst:.3g}")


@pytest.mark.tf
def test_interleaved_demo_runs_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    r, a, b = _executed(DEMO, monkeypatch)
    assert "o2 = model(x)" in r.text and "o1" not in r.text.split("model = Network()")[1]
    print(f"inline demo: worst max |diff| = {_same(a['o2'], b['o2']):.3g}")


def _kept(source: str, why: str) -> None:
    r = translate_full(source, "case.py")
    assert r.text == source
    assert any(d.code == "XL503" and why in d.message for d in r.diagnostics), [d.message for d in r.diagnostics]


def test_differently_written_forward_passes_keep_the_program() -> None:
    source = MODULE_LOOP.replace("        y = tf.matmul(x_test, w1) + b1\n        y = tf.nn.softmax(y)\n",
                                 "        y = tf.matmul(x_test, w1) - b1\n")
    _kept(source, "computations written differently")


# the test pass stops before the softmax: the model is what both passes compute
SHORTER_PASS = MODULE_LOOP.replace("        y = tf.matmul(x_test, w1) + b1\n        y = tf.nn.softmax(y)\n",
                                   "        y = tf.matmul(x_test, w1) + b1\n")


@pytest.mark.tf
def test_a_pass_that_goes_on_past_the_others_keeps_the_rest_as_it_was(monkeypatch: pytest.MonkeyPatch) -> None:
    r, a, b = _executed(SHORTER_PASS, monkeypatch)
    assert "            y = model(x_train)\n            y = tf.nn.softmax(y)\n" in r.text and "y = model(x_test)" in r.text
    worst = max(_same(a["losses"], b["losses"]), _same(a["final_w1"], b["final_w1"]))
    assert a["accs"] == b["accs"]
    print(f"inline, one pass longer: worst max |diff| = {worst:.3g}")


def test_an_intermediate_value_read_elsewhere_keeps_the_program() -> None:
    _kept(DEMO + "print(o1)\n", "`o1`, a value of the inline forward pass, is read outside it")


@pytest.mark.parametrize("use", ["print(isinstance(w1, tf.Variable))", "print(w1.read_value())", "print(w1)",
                                 "w1 = None"])
def test_other_reads_of_a_variable_keep_the_program(use: str) -> None:
    r = translate_full(DEMO + use + "\n", "case.py")
    assert r.text == DEMO + use + "\n"
    assert any(d.code == "XL503" for d in r.diagnostics)


def test_a_broadcast_to_another_size_is_not_read_as_the_bias() -> None:
    """``tf.broadcast_to(b1, [x.shape[0], 6])`` beside a product of 8 columns is not ``+ b1``."""
    source = FUNCTION_SCOPE.replace("tf.broadcast_to(b1, [x.shape[0], 8])", "tf.broadcast_to(b1, [x.shape[0], 6])")
    _kept(source, "ops that are not the weights of a Keras layer")


def test_a_local_the_forward_pass_reads_keeps_the_program() -> None:
    """In a function, a forward pass reading a local other than its input cannot move to a
    module-level class."""
    source = FUNCTION_SCOPE.replace("                out = h1 @ w2 + b2\n", "                out = h1 @ w2 + b2 * lr\n")
    r = translate_full(source, "case.py")
    assert "class Network" not in r.text


def test_dropout_in_the_forward_pass_stays_an_op() -> None:
    source = DEMO.replace("o2 = tf.nn.relu(o2)\n", "o2 = tf.nn.dropout(o2, rate=0.5)\n")
    r = translate_full(source, "case.py")
    assert "tf.nn.dropout(o2, rate=0.5)" in r.text
    line = source.splitlines().index("o2 = tf.nn.dropout(o2, rate=0.5)") + 1
    assert any(d.code == "XL501" and "dropout" in d.message and d.line == line for d in r.diagnostics)  # (its own line)


def test_a_convolution_is_built_with_its_channels() -> None:
    out = translate_full(CONV, "case.py").text
    assert "self.conv2d.build((None, None, None, 1))" in out and "self.dense.build((None, 5 * 5 * 8))" in out
    assert "tf.Variable" not in out and "out = model(x)" in out


@pytest.mark.tf
def test_a_convolution_runs_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    _, a, b = _executed(CONV, monkeypatch)
    print(f"inline convnet: worst max |diff| = {_same(a['out'], b['out']):.3g}")


CELLS = DEMO + '''
# a later cell: the same names made again, and a training loop
w1 = tf.Variable(tf.random.truncated_normal([20, 12], stddev=0.1))
b1 = tf.Variable(tf.zeros([12]))
w2 = tf.Variable(tf.random.truncated_normal([12, 3], stddev=0.1))
b2 = tf.Variable(tf.zeros([3]))
data = tf.random.stateless_normal([8, 20], seed=[9, 9])
target = tf.one_hot(tf.constant([0, 1, 2, 0, 1, 2, 0, 1]), depth=3)
losses = []
for step in range(3):
    with tf.GradientTape() as tape:
        h1 = data @ w1 + tf.broadcast_to(b1, [data.shape[0], 12])
        h1 = tf.nn.relu(h1)
        out = h1 @ w2 + b2
        loss = tf.reduce_mean(tf.square(target - out))
    grads = tape.gradient(loss, [w1, b1, w2, b2])
    for p, g in zip([w1, b1, w2, b2], grads):
        p.assign_sub(0.1 * g)
    losses.append(float(loss))
# a later cell reads the names the forward pass used, bound again first
o1 = tf.ones([2, 16])
h1 = o1 * 2.0
print(o1, h1)
'''


def test_variables_made_again_in_a_later_cell_give_a_model_each() -> None:
    out = translate_full(CELLS, "case.py").text
    assert "class Network(keras.Model)" in out and "class Network2(keras.Model)" in out
    assert "o2 = model(x)" in out and "out = net(data)" in out and "tf.Variable" not in out
    assert "grads = tape.gradient(loss, net.trainable_variables)" in out
    assert translate_full(out, "case.py").text == out


@pytest.mark.tf
def test_variables_made_again_in_a_later_cell_run_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    _, a, b = _executed(CELLS, monkeypatch)
    worst = max(_same(a["o2"], b["o2"]), _same(a["losses"], b["losses"]))
    print(f"inline cells: worst max |diff| = {worst:.3g}")


def test_a_name_made_twice_and_read_in_a_function_keeps_its_variables() -> None:
    source = CELLS + "\n\ndef show():\n    print(w2.shape)\n"
    r = translate_full(source, "case.py")
    assert "class Network(keras.Model)" not in r.text or "w2.shape" in r.text
    assert any(d.code == "XL503" and "read in `show`" in d.message for d in r.diagnostics), [d.message for d in r.diagnostics]


def test_a_value_of_the_pass_read_in_its_loop_before_it_keeps_the_program() -> None:
    """``h1`` printed at the top of the loop is the previous turn's value of the pass."""
    source = CELLS.replace("    with tf.GradientTape() as tape:\n", "    print(h1)\n    with tf.GradientTape() as tape:\n", 1)
    r = translate_full(source, "case.py")
    assert "out = net(data)" not in r.text and "h1 = data @ w1" in r.text
    assert any(d.code == "XL503" and "in its loop" in d.message for d in r.diagnostics)


LATE_IMPORT = DEMO + '''
# a later cell imports Keras for its own demo
from tensorflow.keras import layers

fc = layers.Dense(4)
print(fc(o2).shape)
'''


def test_keras_imported_only_in_a_later_cell_is_imported_first() -> None:
    """The model is made before the file's own Keras import: its layers must not read that name."""
    out = translate_full(LATE_IMPORT, "case.py").text
    assert "class Network(" in out and "tf.Variable" not in out
    head = out.split("class Network(")[0]
    assert "import keras" in head or "tf.keras" in out.split("class Network(")[1].split("net")[0]
    assert translate_full(out, "case.py").text == out


@pytest.mark.tf
def test_keras_imported_only_in_a_later_cell_runs_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    _, a, b = _executed(LATE_IMPORT, monkeypatch)
    print(f"inline, late import: worst max |diff| = {_same(a['o2'], b['o2']):.3g}")


FUNCTIONS = '''\
import tensorflow as tf

W = tf.Variable(tf.random.normal([4, 3]) * 0.1, name="weight")
b = tf.Variable(tf.zeros([3]), name="bias")
optimizer = tf.optimizers.SGD(0.1)


def train_step(x, y):
    with tf.GradientTape() as tape:
        logits = tf.matmul(x, W) + b
        loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(y, logits))
    grads = tape.gradient(loss, [W, b])
    optimizer.apply_gradients(zip(grads, [W, b]))
    return loss


def scores(x):
    logits = tf.matmul(x, W) + b
    return tf.nn.softmax(logits)


x = tf.random.stateless_normal([16, 4], seed=[1, 1])
y = tf.one_hot(tf.range(16) % 3, 3)
losses = [float(train_step(x, y)) for _ in range(4)]
final = scores(x)
'''


def test_the_pass_written_in_each_function_is_one_model() -> None:
    """``train_step`` and ``scores`` both write the pass over the module's variables: one model
    serves both (the function path, which takes one function as the model, keeps them)."""
    out = translate_full(FUNCTIONS, "case.py").text
    assert out.count("logits = model(x)") == 2 and "optimizer.apply_gradients(zip(grads, model.trainable_variables))" in out
    assert "kernel_initializer=keras.initializers.RandomNormal(mean=0.0, stddev=0.1)" in out


@pytest.mark.tf
def test_the_pass_written_in_each_function_trains_the_same() -> None:
    _, a, b = _executed(FUNCTIONS)
    worst = max(_same(a["losses"], b["losses"]), _same(a["final"], b["final"]))
    print(f"inline functions: worst max |diff| = {worst:.3g}")


MODEL_FUNCTION_UPDATED_BY_HAND = '''\
import tensorflow as tf

inputs = tf.random.stateless_normal([20, 2], seed=[1, 2])
targets = tf.cast(inputs[:, :1] > 0, tf.float32)
input_dim = 2
output_dim = 1
W = tf.Variable(initial_value=tf.random.uniform(shape=(input_dim, output_dim)))
b = tf.Variable(initial_value=tf.zeros(shape=(output_dim,)))


def model(inputs):
    return tf.matmul(inputs, W) + b


def square_loss(targets, predictions):
    per_sample_losses = tf.square(targets - predictions)
    return tf.reduce_mean(per_sample_losses)


learning_rate = 0.1


def training_step(inputs, targets):
    with tf.GradientTape() as tape:
        predictions = model(inputs)
        loss = square_loss(targets, predictions)
    grad_loss_wrt_W, grad_loss_wrt_b = tape.gradient(loss, [W, b])
    W.assign_sub(grad_loss_wrt_W * learning_rate)
    b.assign_sub(grad_loss_wrt_b * learning_rate)
    return loss


losses = [float(training_step(inputs, targets)) for step in range(5)]
predictions = model(inputs)
'''


def test_a_model_function_whose_variables_are_updated_one_by_one() -> None:
    """``def model(inputs): return tf.matmul(inputs, W) + b`` with ``W.assign_sub(...)`` in the
    training step (the function path keeps it: ``W`` is read outside the model function): the
    function returns the model's call, the updates go to its layer's weights."""
    out = translate_full(MODEL_FUNCTION_UPDATED_BY_HAND, "case.py").text
    assert "def model(inputs):\n    return net(inputs)\n" in out and "net.dense.kernel.assign_sub(" in out
    assert "tape.gradient(loss, net.trainable_variables)" in out and "tf.Variable" not in out


@pytest.mark.tf
def test_a_model_function_whose_variables_are_updated_one_by_one_trains_the_same() -> None:
    _, a, b = _executed(MODEL_FUNCTION_UPDATED_BY_HAND)
    worst = max(_same(a["losses"], b["losses"]), _same(a["predictions"], b["predictions"]))
    print(f"inline model function: worst max |diff| = {worst:.3g}")


@pytest.mark.parametrize(("init", "want"), [
    ("tf.random.normal([4, 3]) * 0.01", "RandomNormal(mean=0.0, stddev=0.01)"),
    ("0.5 * tf.random.truncated_normal([4, 3], stddev=0.2)", "TruncatedNormal(mean=0.0, stddev=0.1)"),
    ("tf.random.uniform([4, 3], -0.1, 0.1) * 2", "RandomUniform(minval=-0.2, maxval=0.2)"),
])
def test_a_draw_scaled_after_it_is_the_same_family_scaled(init: str, want: str) -> None:
    source = f"import tensorflow as tf\n\nx = tf.random.normal([2, 4])\nW = tf.Variable({init})\ny = tf.matmul(x, W)\n"
    out = translate_full(source, "case.py").text
    assert f"kernel_initializer=keras.initializers.{want}" in out


def test_a_draw_scaled_by_a_name_or_seeded_is_not_claimed() -> None:
    """A seeded draw: no initializer is claimed (the layer's default; the weights move by
    set_weights either way). A scale that is not a number written in the call: the variable's
    shape is not read either, so the program stays, with the reason."""
    def out(init: str) -> str:
        source = f"import tensorflow as tf\n\nscale = 0.1\nx = tf.random.normal([2, 4])\nW = tf.Variable({init})\ny = tf.matmul(x, W)\n"
        return translate_full(source, "case.py").text

    seeded = out("tf.random.normal([4, 3], seed=1) * 0.1")
    assert "kernel_initializer" not in seeded and "layers.Dense(3, use_bias=False)" in seeded
    assert "W = tf.Variable(tf.random.normal([4, 3]) * scale)" in out("tf.random.normal([4, 3]) * scale")


# the prediction loop of the course's regularization lesson: one row at a time, packed into a
# batch of one where the pass starts (`tf.matmul([x_test], w1)`)
PACKED = '''\
import tensorflow as tf

x_data = tf.random.stateless_normal([12, 2], seed=[9, 10])
y_data = tf.random.stateless_normal([12, 1], seed=[11, 12])
train_db = tf.data.Dataset.from_tensor_slices((x_data, y_data)).batch(4)
w1 = tf.Variable(tf.random.normal([2, 6]), dtype=tf.float32)  # 2 inputs, 6 hidden units
b1 = tf.Variable(tf.constant(0.01, shape=[6]))
w2 = tf.Variable(tf.random.normal([6, 1]), dtype=tf.float32)
b2 = tf.Variable(tf.constant(0.01, shape=[1]))
losses = []
for epoch in range(2):
    for step, (x_train, y_train) in enumerate(train_db):
        with tf.GradientTape() as tape:
            h1 = tf.matmul(x_train, w1) + b1  # the hidden layer
            h1 = tf.nn.relu(h1)
            y = tf.matmul(h1, w2) + b2
            loss = tf.reduce_mean(tf.square(y_train - y)) + 0.03 * tf.reduce_sum([tf.nn.l2_loss(w1), tf.nn.l2_loss(w2)])
        grads = tape.gradient(loss, [w1, b1, w2, b2])
        w1.assign_sub(0.01 * grads[0])
        b1.assign_sub(0.01 * grads[1])
        w2.assign_sub(0.01 * grads[2])
        b2.assign_sub(0.01 * grads[3])
        losses.append(float(loss))
grid = tf.cast(tf.random.stateless_uniform([5, 2], seed=[13, 14]), tf.float32)
probs = []
for x_test in grid:
    h1 = tf.matmul([x_test], w1) + b1
    h1 = tf.nn.relu(h1)
    y = tf.matmul(h1, w2) + b2  # the prediction
    probs.append(y)
'''


def test_an_input_packed_into_a_batch_of_one_is_packed_by_the_call() -> None:
    out = translate_full(PACKED, "case.py").text
    assert "y = model(x_train)" in out and "y = model(tf.convert_to_tensor([x_test]))" in out
    # the comments at the end of removed lines stay, as lines of their own
    for comment in ("# 2 inputs, 6 hidden units", "# the hidden layer", "# the prediction"):
        assert out.count(comment) == 1, comment
    assert translate_full(out, "case.py").text == out


@pytest.mark.tf
def test_an_input_packed_into_a_batch_of_one_runs_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    _, a, b = _executed(PACKED, monkeypatch)
    assert len(a["probs"]) == 5 and a["probs"][0].shape == (1, 1)
    worst = max(_same(a["losses"], b["losses"]), _same(a["probs"], b["probs"]))
    print(f"inline packed input: worst max |diff| = {worst:.3g}")


def test_an_input_read_packed_and_as_it_is_is_not_one_model() -> None:
    """``tf.matmul([x], w1) + x[0]``: the class would see the packed input in both places."""
    source = PACKED.replace("    h1 = tf.matmul([x_test], w1) + b1\n", "    h1 = tf.matmul([x_test], w1) + b1 + x_test[0]\n")
    out = translate_full(source, "case.py").text
    assert "tf.convert_to_tensor([x_test])" not in out


# a notebook in the book's style: the name `b` used for another value in an earlier cell, a
# demo variable no pass applies, the fitted line read with a Python number, and a Keras layer
# later in the file whose weights have the variables' names
NOTEBOOK = '''\
import tensorflow as tf

a = tf.ones((2, 2))
b = tf.square(a)
e = tf.matmul(a, b)
v = tf.Variable(tf.random.normal([3, 1]))
v.assign(tf.ones((3, 1)))
input_dim = 2
output_dim = 1
W = tf.Variable(tf.random.uniform(shape=(input_dim, output_dim)))
b = tf.Variable(tf.zeros(shape=(output_dim,)))


def model(inputs):
    return tf.matmul(inputs, W) + b


def training_step(inputs, targets):
    with tf.GradientTape() as tape:
        predictions = model(inputs)
        loss = tf.reduce_mean(tf.square(targets - predictions))
    grad_W, grad_b = tape.gradient(loss, [W, b])
    W.assign_sub(grad_W * 0.1)
    b.assign_sub(grad_b * 0.1)
    return loss


inputs = tf.random.stateless_normal([16, 2], seed=[1, 2])
targets = tf.cast(inputs[:, :1] > 0, tf.float32)
losses = [float(training_step(inputs, targets)) for step in range(5)]
line = -W[0] / W[1] * 0.5 + (0.5 - b) / W[1]
shown = v.numpy()


class Affine(tf.keras.layers.Layer):
    def __init__(self):
        super().__init__()

    def build(self, input_shape):
        self.W = self.add_weight(shape=(input_shape[-1], 3), initializer="random_normal")
        self.b = self.add_weight(shape=(3,), initializer="zeros")

    def call(self, x):
        return tf.matmul(x, self.W) + self.b
'''


def test_a_notebooks_earlier_name_and_demo_variable_do_not_keep_the_model() -> None:
    r = translate_full(NOTEBOOK, "case.py")
    out = r.text
    assert "b = tf.square(a)\ne = tf.matmul(a, b)\nv = tf.Variable(" in out  # the earlier cells as written
    assert "return net(inputs)" in out and "(0.5 - net.dense.bias) / net.dense.kernel[1]" in out
    assert "self.dense = " in out.split("class Affine")[1]  # the later layer raised in the same run
    assert translate_full(out, "case.py").text == out


@pytest.mark.tf
def test_a_notebooks_earlier_name_and_demo_variable_run_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    _, a, b = _executed(NOTEBOOK, monkeypatch)
    worst = max(_same(a["losses"], b["losses"]), _same(a["line"], b["line"]), _same(a["e"], b["e"]),
                _same(a["shown"], b["shown"]))
    print(f"inline notebook, earlier name: worst max |diff| = {worst:.3g}")


def test_a_function_made_before_the_variable_reading_its_name_keeps_the_program() -> None:
    """``def show(): return b.numpy()`` made (and called) while ``b`` was another value may run
    with either: rewritten to read the model's weight, its first call would fail."""
    source = NOTEBOOK.replace("e = tf.matmul(a, b)\n",
                              "e = tf.matmul(a, b)\n\n\ndef show():\n    return b.numpy()\n\n\nshown_before = show()\n")
    r = translate_full(source, "case.py")
    assert "class Network" not in r.text and "net(inputs)" not in r.text
    assert any(d.code == "XL503" and "`W`" in d.message for d in r.diagnostics)


# the test pass written in one statement, the training pass in two (the same computation)
ONE_STATEMENT = MODULE_LOOP.replace("        y = tf.matmul(x_test, w1) + b1\n        y = tf.nn.softmax(y)\n",
                                    "        y = tf.nn.softmax(tf.matmul(x_test, w1) + b1)\n")


@pytest.mark.tf
def test_a_pass_written_in_fewer_statements_is_the_same_model(monkeypatch: pytest.MonkeyPatch) -> None:
    r, a, b = _executed(ONE_STATEMENT, monkeypatch)
    assert "y = model(x_test)" in r.text and r.text.count("y = model(x_train)") == 1
    worst = max(_same(a["losses"], b["losses"]), _same(a["final_w1"], b["final_w1"]))
    assert a["accs"] == b["accs"]
    print(f"inline, one statement: worst max |diff| = {worst:.3g}")


def test_a_pass_that_draws_random_numbers_is_not_compared_as_one_expression() -> None:
    """``tf.nn.dropout`` in a pass: the passes are compared statement by statement only (a
    value read twice would be drawn twice)."""
    source = ONE_STATEMENT.replace("            y = tf.nn.softmax(y)\n",
                                   "            y = tf.nn.softmax(tf.nn.dropout(y, rate=0.0))\n")
    assert "y = model(x_test)" not in translate_full(source, "case.py").text


# an embedding table looked up in the pass (a bag-of-words classifier)
EMBEDDING = '''\
import tensorflow as tf

vocab, dim = 20, 6
ids = tf.constant([[1, 4, 7], [2, 2, 9]])
embedding = tf.Variable(tf.random.uniform([vocab, dim], -1.0, 1.0))
w = tf.Variable(tf.random.normal([dim, 3], stddev=0.1))
b = tf.Variable(tf.zeros([3]))
losses = []
opt = tf.keras.optimizers.SGD(0.1)
for step in range(3):
    with tf.GradientTape() as tape:
        e = tf.nn.embedding_lookup(embedding, ids)
        h = tf.reduce_mean(e, axis=1)
        logits = tf.matmul(h, w) + b
        loss = tf.reduce_mean(tf.square(logits))
    grads = tape.gradient(loss, [embedding, w, b])
    opt.apply_gradients(zip(grads, [embedding, w, b]))
    losses.append(float(loss))
final = embedding.numpy()
'''


@pytest.mark.tf
def test_an_embedding_lookup_pass_trains_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keras's Embedding makes its table whatever its input's shape: built with ``None``."""
    r, a, b = _executed(EMBEDDING, monkeypatch)
    assert "self.embedding.build(None)" in r.text and "logits = model(ids)" in r.text
    worst = max(_same(a["losses"], b["losses"]), _same(a["final"], b["final"]))
    print(f"inline embedding lookup: worst max |diff| = {worst:.3g}")
