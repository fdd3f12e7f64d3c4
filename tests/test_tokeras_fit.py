"""``xlate to-keras --fit``: a GradientTape loop that is exactly one ``fit`` becomes
``compile`` + ``fit``; every other loop stays byte for byte with XL505 saying why.

Programs written here after the TF2 tutorials' pattern (a batched ``from_tensor_slices``
dataset, a Keras loss object, ``keras.optimizers.Adam()``, a ``@tf.function`` train step) and
the textbook loops of the tuning corpora. Executed cases (marked ``tf``) run the original
loop and the ``--fit`` output from the same perturbed initial weights (each program sets
them from a seeded numpy generator) and compare the trained weights: atol 1e-5, rtol 1e-5.
"""

from __future__ import annotations

import ast
import textwrap
from typing import Any

import pytest

from kerastf_xlate.cli import main
from kerastf_xlate.tokeras import translate

ATOL = 1e-5


def dedent(text: str) -> str:
    text = textwrap.dedent(text)
    return text[1:] if text.startswith("\n") else text


def fit(src: str) -> tuple[str, list[Any]]:
    return translate(src, "case.py", fit=True)


# the data and the weights every program starts from: seeded, biases perturbed
DATA = """\
import numpy as np
import tensorflow as tf
import keras

keras.utils.set_random_seed(7)
rng = np.random.default_rng(0)
x_train = rng.normal(size=(80, 6)).astype("float32")
y_train = rng.integers(0, 4, size=(80,))
"""
WEIGHTS = """\
model.build((None, 6))
model.set_weights([rng.normal(scale=0.5, size=w.shape).astype("float32") for w in model.get_weights()])
"""

TUTORIAL = DATA + """\
train_ds = tf.data.Dataset.from_tensor_slices((x_train, y_train)).batch(16)

model = keras.Sequential([
    keras.layers.Dense(16, activation="relu"),
    keras.layers.Dropout(0.3),
    keras.layers.Dense(4),
])
""" + WEIGHTS + """\
loss_object = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
optimizer = keras.optimizers.Adam(learning_rate=0.01)


@tf.function
def train_step(images, labels):
    with tf.GradientTape() as tape:
        predictions = model(images, training=True)
        loss = loss_object(labels, predictions)
    gradients = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(gradients, model.trainable_variables))
    return loss


EPOCHS = 2
for epoch in range(EPOCHS):
    for images, labels in train_ds:
        loss = train_step(images, labels)
    print("epoch", epoch, "loss", float(loss))
"""

# inline step, functional model of flag-free layers called without training=True, the book's
# two-statement loss, (B, 1) targets, SGD with momentum, enumerate and a step print
INLINE = """\
import numpy as np
import tensorflow as tf
from tensorflow.keras import layers, optimizers

rng = np.random.default_rng(1)
x = rng.normal(size=(60, 5)).astype("float32")
y = rng.normal(size=(60, 1)).astype("float32")
db = tf.data.Dataset.from_tensor_slices((x, y))
db = db.shuffle(1000, seed=3, reshuffle_each_iteration=False).batch(12)

inputs = tf.keras.Input(shape=(5,))
h = layers.Dense(8, activation="tanh")(inputs)
outputs = layers.Dense(1)(h)
model = tf.keras.Model(inputs=inputs, outputs=outputs)
model.set_weights([rng.normal(scale=0.5, size=w.shape).astype("float32") for w in model.get_weights()])
optimizer = optimizers.SGD(learning_rate=0.05, momentum=0.9)

for epoch in range(3):
    for step, (xb, yb) in enumerate(db):
        with tf.GradientTape() as tape:
            out = model(xb)
            loss = tf.keras.losses.mse(yb, out)
            loss = tf.reduce_mean(loss)
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        if step % 2 == 0:
            print(epoch, step, "loss:", float(loss))
"""

# a Keras model subclass with Dropout and BatchNormalization, all of it inside main(), the
# dataset mapped, one epoch without an epoch loop
SUBCLASS = DATA + """\


def scale(features, label):
    return features * 2.0, label


class Net(keras.Model):
    def __init__(self):
        super().__init__()
        self.d1 = keras.layers.Dense(12, activation="relu")
        self.bn = keras.layers.BatchNormalization()
        self.drop = keras.layers.Dropout(0.25)
        self.d2 = keras.layers.Dense(4)

    def call(self, x, training=None):
        return self.d2(self.drop(self.bn(self.d1(x), training=training), training=training))


def main():
    ds = tf.data.Dataset.from_tensor_slices((x_train, y_train)).map(scale).batch(20)
    model = Net()
""" + textwrap.indent(WEIGHTS.replace("model.build((None, 6))", "model(x_train[:2])  # a subclass builds on its first call"), "    ") + """\
    optimizer = keras.optimizers.RMSprop(learning_rate=0.01)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    for x, y in ds:
        with tf.GradientTape() as tape:
            logits = model(x, training=True)
            loss = loss_fn(y, logits)
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
    return model


model = main()
"""

# a TensorFlow low-level model: to-keras raises it to a keras.Model, then --fit rewrites its
# eager loop (the weights are set by the test: the program's own initializers differ)
RAISED = """\
import numpy as np
import tensorflow as tf

rng = np.random.default_rng(2)
features = rng.normal(size=(40, 6)).astype("float32")
targets = rng.normal(size=(40, 3)).astype("float32")


class Net(tf.Module):
    def __init__(self):
        super().__init__()
        self.w = tf.Variable(tf.random.normal([6, 3]))
        self.b = tf.Variable(tf.zeros([3]))

    def __call__(self, x):
        return tf.nn.relu(tf.matmul(x, self.w) + self.b)


model = Net()
optimizer = tf.keras.optimizers.Adam(0.01)
loss_fn = tf.keras.losses.MeanSquaredError()
ds = tf.data.Dataset.from_tensor_slices((features, targets)).batch(8)
for epoch in range(2):
    for x, y in ds:
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
"""

POSITIVE = {"tutorial": TUTORIAL, "inline": INLINE, "subclass": SUBCLASS, "raised": RAISED}
EXPECTED = {
    "tutorial": "model.compile(optimizer=optimizer, loss=loss_object, jit_compile=False)\nmodel.fit(train_ds, epochs=EPOCHS)\n",
    "inline": "model.compile(optimizer=optimizer, loss=tf.keras.losses.MeanSquaredError(), jit_compile=False)\nmodel.fit(db, epochs=3)\n",
    "subclass": "    model.compile(optimizer=optimizer, loss=loss_fn, jit_compile=False)\n    model.fit(ds, epochs=1)\n",
    "raised": "class Net(tf.keras.Model):",
}


@pytest.mark.parametrize("name", sorted(POSITIVE))
def test_loop_that_is_fit_is_rewritten(name: str) -> None:
    src = POSITIVE[name]
    out, diags = fit(src)
    assert EXPECTED[name] in out, out
    assert "GradientTape() as tape:\n            " not in out.split("def ", 1)[0]
    assert not [d for d in diags if d.code == "XL505"], diags
    ast.parse(out)
    again, _ = fit(out)
    assert again == out  # a fixed point
    # without --fit nothing of this changes
    plain, plain_diags = translate(src, "case.py")
    assert not [d for d in plain_diags if d.code in ("XL505", "XL506")]
    assert plain == src or name == "raised"
    assert "model.fit(" in out and "model.fit(" not in plain


def test_dropped_prints_are_said() -> None:
    _, diags = fit(INLINE)
    assert [(d.code, d.line) for d in diags if d.code == "XL506"] == [("XL506", 26)]
    _, diags = fit(TUTORIAL)
    assert [d.code for d in diags if d.code == "XL506"] == ["XL506"]


def _trained(src: str, raised: bool) -> tuple[list[Any], list[Any]]:
    """(the weights before the loop, after it) of the program; for the raised case, the
    weights are set here before the loop (by shape: the tf.Module's w, b and the raised Dense's
    kernel, bias), from a seeded generator."""
    import numpy as np

    tree = ast.parse(src)
    main_fn = any(isinstance(s, ast.FunctionDef) and s.name == "main" for s in tree.body)
    ns: dict[str, Any] = {}
    if main_fn:  # the loop runs inside main(): its model is returned
        head = src.replace("    for x, y in ds:", "    return model\n    for x, y in ds:").replace(
            "    model.compile(", "    return model\n    model.compile(")
        exec(compile(head, "case.py", "exec"), ns)
        before = [np.asarray(w) for w in ns["model"].get_weights()]
        ns = {}
        exec(compile(src, "case.py", "exec"), ns)
        return before, [np.asarray(w) for w in ns["model"].get_weights()]
    cut = next(s for s in tree.body if isinstance(s, ast.For) or (
        isinstance(s, ast.Expr) and isinstance(s.value, ast.Call) and isinstance(s.value.func, ast.Attribute)
        and s.value.func.attr == "compile"))
    lines = src.splitlines(keepends=True)
    exec(compile("".join(lines[: cut.lineno - 1]), "case.py", "exec"), ns)
    model = ns["model"]
    if raised:
        model(ns["features"][:1])  # builds the raised Dense (the tf.Module has its variables)
        rng = np.random.default_rng(11)
        values = {(6, 3): rng.normal(scale=0.5, size=(6, 3)), (3,): rng.normal(scale=0.5, size=(3,))}
        for v in model.trainable_variables:
            v.assign(values[tuple(v.shape)].astype("float32"))
    weights = lambda: sorted((np.asarray(v) for v in model.trainable_variables), key=lambda a: a.shape)  # noqa: E731
    before = weights()
    exec(compile("\n" * (cut.lineno - 1) + "".join(lines[cut.lineno - 1:]), "case.py", "exec"), ns)
    return before, weights()


@pytest.mark.tf
@pytest.mark.parametrize("name", sorted(POSITIVE))
def test_fit_trains_the_same_weights(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    import numpy as np

    src = POSITIVE[name]
    out, _ = fit(src)
    assert "model.fit(" in out
    before, loop = _trained(src, name == "raised")
    before_fit, fitted = _trained(out, name == "raised")
    assert len(loop) == len(fitted) == len(before) > 0
    for a, b in zip(before, before_fit):
        np.testing.assert_array_equal(a, b)  # the same start
    moved = max(float(np.max(np.abs(a - b))) for a, b in zip(loop, before))
    assert moved > 1e-2, "training must move the weights, or the comparison shows nothing"
    worst = max(float(np.max(np.abs(a - b))) for a, b in zip(loop, fitted))
    with capsys.disabled():
        print(f"\n{name}: worst |loop - fit| weight difference {worst:.3g} (training moved them {moved:.3g})")
    for a, b in zip(loop, fitted):
        np.testing.assert_allclose(b, a, atol=ATOL, rtol=ATOL)


# ---------------------------------------------------------------------------- kept loops

TUTORIAL_HEAD = TUTORIAL.split("@tf.function")[0]


def loop_case(step_body: str, loop: str = "", head: str = TUTORIAL_HEAD) -> str:
    """The tutorial with another step and loop."""
    return head + "@tf.function\ndef train_step(images, labels):\n" + textwrap.indent(dedent(step_body), "    ") + "\n\n" + dedent(loop or """
        for epoch in range(2):
            for images, labels in train_ds:
                train_step(images, labels)
        """)


STEP = """
with tf.GradientTape() as tape:
    predictions = model(images, training=True)
    loss = loss_object(labels, predictions)
gradients = tape.gradient(loss, model.trainable_variables)
optimizer.apply_gradients(zip(gradients, model.trainable_variables))
return loss
"""

NEGATIVE = {
    # model(x) runs with training=None: the Dropout is off in the loop, on under fit
    "training_none_with_dropout": (loop_case(STEP.replace("model(images, training=True)", "model(images)")),
                                   "without `training=True`, and the file has a `Dropout` layer"),
    "hand_written_mse": (loop_case(STEP.replace("loss_object(labels, predictions)",
                                                "tf.reduce_mean(tf.square(labels - predictions))")),
                         "is not the mean of a Keras loss function of (targets, predictions)"),
    "lr_decayed_in_loop": (loop_case(STEP, """
        for epoch in range(2):
            optimizer.learning_rate = 0.01 * 0.9 ** epoch
            for images, labels in train_ds:
                train_step(images, labels)
        """), "the epoch loop does more than run the batch loop"),
    "validation_in_epoch": (loop_case(STEP, """
        for epoch in range(2):
            for images, labels in train_ds:
                train_step(images, labels)
            for images, labels in train_ds:
                model(images)
        """), "the epoch loop holds 2 loops"),
    "loss_read_after": (loop_case(STEP, """
        for epoch in range(2):
            for images, labels in train_ds:
                loss = train_step(images, labels)
        final = float(loss)
        """), "`loss`, which the loop binds, is read after it"),
    "optimizer_made_in_loop": (TUTORIAL_HEAD.replace("optimizer = keras.optimizers.Adam(learning_rate=0.01)\n", "") + dedent("""
        for epoch in range(2):
            for images, labels in train_ds:
                optimizer = keras.optimizers.Adam()
                with tf.GradientTape() as tape:
                    loss = loss_object(labels, model(images, training=True))
                grads = tape.gradient(loss, model.trainable_variables)
                optimizer.apply_gradients(zip(grads, model.trainable_variables))
        """), "optimizer = keras.optimizers.Adam()"),
    "regularizer": (loop_case(STEP).replace('keras.layers.Dense(4)', 'keras.layers.Dense(4, kernel_regularizer="l2")'),
                    "`kernel_regularizer=`"),
    "preprocessing_in_loop": (loop_case(STEP.replace("predictions = model(images, training=True)",
                                                     "images = tf.reshape(images, [-1, 6])\n    predictions = model(images, training=True)")),
                              "would have to move into the dataset's `map`"),
    "metric_in_step": (loop_case(STEP.replace("return loss", "train_acc.update_state(labels, predictions)")),
                       "does more than compute the loss"),
    "binary_function_loss": (loop_case(STEP.replace("loss_object(labels, predictions)",
                                                    "tf.reduce_mean(keras.losses.binary_crossentropy(labels, predictions))")),
                             "broadcasts labels"),
    "unbatched_dataset": (loop_case(STEP).replace(".batch(16)", ""), "is not batched"),
    "weights_listed_by_hand": (loop_case(STEP.replace("tape.gradient(loss, model.trainable_variables)",
                                                      "tape.gradient(loss, model.layers[0].trainable_variables)")),
                               "not taken of a loss name with respect to `model.trainable_variables`"),
    "model_compiled_elsewhere": (loop_case(STEP) + 'model.compile(loss="mse")\n', "reads `model.compile`"),
}


@pytest.mark.parametrize("name", sorted(NEGATIVE))
def test_loop_that_is_not_fit_stays_with_a_reason(name: str) -> None:
    src, reason = NEGATIVE[name]
    compile(src, "case.py", "exec")
    out, diags = fit(src)
    assert out == src  # byte for byte
    kept = [d for d in diags if d.code == "XL505"]
    assert len(kept) == 1 and reason in kept[0].message, diags
    loop_line = next(i for i, line in enumerate(src.splitlines(), 1) if line.startswith("for "))
    assert kept[0].line == loop_line
    plain, plain_diags = translate(src, "case.py")
    assert plain == src and not [d for d in plain_diags if d.code == "XL505"]


def test_loop_in_raised_file_keeps_its_line() -> None:
    """The raise before --fit moves lines; XL505 is said at the loop's line of the input."""
    src = dedent('''
        import tensorflow as tf


        class Net(tf.Module):
            def __init__(self):
                super().__init__()
                self.w = tf.Variable(tf.random.normal([6, 4]))
                self.b = tf.Variable(tf.zeros([4]))

            def __call__(self, x):
                return tf.matmul(x, self.w) + self.b


        model = Net()
        optimizer = tf.keras.optimizers.Adam()
        ds = tf.data.Dataset.from_tensor_slices((tf.zeros([8, 6]), tf.zeros([8, 4]))).batch(4)
        for x, y in ds:
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean(tf.square(y - model(x)))
            grads = tape.gradient(loss, model.trainable_variables)
            optimizer.apply_gradients(zip(grads, model.trainable_variables))
        ''')
    out, diags = fit(src)
    kept = [d for d in diags if d.code == "XL505"]
    assert len(kept) == 1 and kept[0].line == 17, diags
    plain, _ = translate(src, "case.py")
    assert out == plain


def test_cli_flag(tmp_path: Any) -> None:
    from click.testing import CliRunner

    path = tmp_path / "t.py"
    path.write_text(TUTORIAL, encoding="utf-8")
    r = CliRunner().invoke(main, ["to-keras", "--fit", "--diff", str(path)])
    assert r.exit_code == 0, r.output
    assert "+model.fit(train_ds, epochs=EPOCHS)" in r.output
    r = CliRunner().invoke(main, ["to-keras", "--diff", str(path)])
    assert r.exit_code == 0 and "model.fit" not in r.output
    neg = tmp_path / "n.py"
    neg.write_text(NEGATIVE["hand_written_mse"][0], encoding="utf-8")
    r = CliRunner().invoke(main, ["to-keras", "--fit", "--format", "json", "-o", str(tmp_path / "o.py"), str(neg)])
    assert "XL505" in r.output
    assert (tmp_path / "o.py").read_text(encoding="utf-8") == NEGATIVE["hand_written_mse"][0]


@pytest.mark.tf
def test_refusal_is_needed_where_the_flag_differs() -> None:
    """The comparison above can fail: the loop that calls the model without training=True
    (Dropout off), rewritten by hand into fit (Dropout on), trains other weights."""
    import numpy as np

    src, _ = NEGATIVE["training_none_with_dropout"]
    loop = next(s for s in ast.parse(src).body if isinstance(s, ast.For))
    lines = src.splitlines(keepends=True)
    wrong = "".join(lines[: loop.lineno - 1]) + (
        "model.compile(optimizer=optimizer, loss=loss_object, jit_compile=False)\nmodel.fit(train_ds, epochs=2, verbose=0)\n")
    _, right = _trained(src, False)
    _, fitted = _trained(wrong, False)
    worst = max(float(np.max(np.abs(a - b))) for a, b in zip(right, fitted))
    assert worst > 100 * ATOL


def test_seeded_reshuffle_stays() -> None:
    """fit iterates a dataset otherwise than a loop: a seeded shuffle drawn anew each epoch gives
    other orders (measured), so such a loop stays; a fixed order or an unseeded one does not."""
    base = loop_case(STEP)
    seeded = base.replace(".batch(16)", ".shuffle(80, seed=4).batch(16)")
    out, diags = fit(seeded)
    assert out == seeded and any("shuffled anew each epoch" in d.message for d in diags if d.code == "XL505")
    globally = seeded.replace("seed=4", "").replace("(80, )", "(80)")  # keras.utils.set_random_seed(7) in the head
    out, diags = fit(globally)
    assert out == globally and any("shuffled anew each epoch" in d.message for d in diags if d.code == "XL505")
    fixed = base.replace(".batch(16)", ".shuffle(80, seed=4, reshuffle_each_iteration=False).batch(16)")
    assert "model.fit(" in fit(fixed)[0]
    unseeded = globally.replace("keras.utils.set_random_seed(7)\n", "")
    assert "model.fit(" in fit(unseeded)[0]


@pytest.mark.tf
def test_fixed_shuffle_trains_the_same_weights() -> None:
    import numpy as np

    src = TUTORIAL.replace(".batch(16)", ".shuffle(80, seed=4, reshuffle_each_iteration=False).batch(16)")
    out, _ = fit(src)
    assert "model.fit(" in out
    _, loop = _trained(src, False)
    _, fitted = _trained(out, False)
    for a, b in zip(loop, fitted):
        np.testing.assert_allclose(b, a, atol=ATOL, rtol=ATOL)


def test_more_kept_loops() -> None:
    """Each stays byte for byte with its reason."""
    cases = {
        # the loss printed before the batch loop is the last epoch's (or unbound): not fit's
        "print_before": (loop_case(STEP, """
            for epoch in range(2):
                print(float(loss))
                for images, labels in train_ds:
                    loss = train_step(images, labels)
            """), "a print in the loop reads `loss`"),
        "no_return": (loop_case(STEP.replace("return loss\n", ""), """
            for epoch in range(2):
                for images, labels in train_ds:
                    loss = train_step(images, labels)
                print(float(loss))
            """), "returns nothing"),
        "optimizer_get": (loop_case(STEP).replace("keras.optimizers.Adam(learning_rate=0.01)", 'keras.optimizers.get("adam")'),
                          "is not made by a Keras optimizer class"),
        "activity_regularization": (loop_case(STEP).replace("keras.layers.Dropout(0.3),", "keras.layers.ActivityRegularization(l2=0.1),"),
                                    "sets a regularizer"),
        "method": (TUTORIAL_HEAD + dedent("""
            class Trainer:
                def run(self):
                    for images, labels in train_ds:
                        with tf.GradientTape() as tape:
                            loss = loss_object(labels, model(images, training=True))
                        grads = tape.gradient(loss, model.trainable_variables)
                        optimizer.apply_gradients(zip(grads, model.trainable_variables))
            """), "nested function or a method"),
        "reduction_sum": (loop_case(STEP).replace("SparseCategoricalCrossentropy(from_logits=True)",
                                                  'SparseCategoricalCrossentropy(from_logits=True, reduction="sum")'),
                          "not a mean over the batch"),
        "other_package_layer": (loop_case(STEP.replace("model(images, training=True)", "model(images)")).replace(
            "keras.layers.Dropout(0.3),", "mylayers.Noise(),").replace("import keras\n", "import keras\nimport mylayers\n"),
            "calls `mylayers.Noise`"),
    }
    for name, (src, reason) in cases.items():
        out, diags = fit(src)
        assert out == src, name
        kept = [d for d in diags if d.code == "XL505"]
        assert len(kept) == 1 and reason in kept[0].message, (name, diags)


@pytest.mark.tf
def test_flag_free_layers_do_not_read_the_flag() -> None:
    """Each layer --fit counts as flag-free has no `training` argument in its `call`, or one
    its `call` does not read (Keras 3's Dense and EinsumDense take it and pass nothing on)."""
    import inspect

    import keras

    from kerastf_xlate.layers import FLAG_FREE_LAYERS

    for name in sorted(FLAG_FREE_LAYERS - {"Input"}):
        cls = getattr(keras.layers, name)
        params = inspect.signature(cls.call).parameters
        if "training" in params:
            body = inspect.getsource(cls.call)
            assert body.count("training") == 1, f"{name}.call reads its training argument"


EAGER_SUBCLASS = DATA + """\
train_ds = tf.data.Dataset.from_tensor_slices((x_train, y_train)).batch(16)


class Net(keras.Model):
    def __init__(self):
        super().__init__()
        self.d1 = keras.layers.Dense(8)
        self.d2 = keras.layers.Dense(4)

    def call(self, x):
        return self.d2(self.d1(x) * SCALE)


SCALE = 0.5
model = Net()
optimizer = keras.optimizers.SGD(0.1)
loss_object = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
for x, y in train_ds:
    with tf.GradientTape() as tape:
        loss = loss_object(y, model(x, training=True))
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
"""


def test_model_code_must_be_graph_safe() -> None:
    """fit traces the model's call (after a symbolic build that calls it once more); the loop
    runs it each batch, or traces it in its own tf.function at other times: a numpy draw, a
    print or a `.numpy()` in the model's code would differ."""
    assert "model.fit(train_ds, epochs=1)" in fit(EAGER_SUBCLASS)[0]
    traced_loop = ("for x, y in train_ds:\n", "@tf.function\ndef train_step(x, y):\n")
    traced_end = ("optimizer.apply_gradients(zip(grads, model.trainable_variables))\n",
                  "optimizer.apply_gradients(zip(grads, model.trainable_variables))\n\n\nfor a, b in train_ds:\n    train_step(a, b)\n")
    traced = EAGER_SUBCLASS.replace(*traced_loop).replace(*traced_end)
    assert "model.fit(train_ds, epochs=1)" in fit(traced)[0], traced
    for change, reason in [
        ("self.d1(x) * SCALE", "self.d1(x) * np.random.normal()"),
        ("self.d1(x) * SCALE", "self.d1(x) * float(tf.reduce_mean(x).numpy())"),
        ("return self.d2(", "print(x)\n        return self.d2("),
        ("return self.d2(self.d1(x) * SCALE)", "return self.d2(self.jitter(self.d1(x)))\n\n    def jitter(self, h):\n        return h * np.random.uniform()"),
    ]:
        for base in (EAGER_SUBCLASS, traced):
            src = base.replace(change, reason)
            out, diags = fit(src)
            assert out == src, reason
            assert any("traces the model's code" in d.message for d in diags if d.code == "XL505"), (reason, diags)


def test_loss_changed_after_its_gradient_stays() -> None:
    src = loop_case("""
        with tf.GradientTape() as tape:
            predictions = model(images, training=True)
            loss = loss_object(labels, predictions)
            gradients = tape.gradient(loss, model.trainable_variables)
            loss = loss * 2.0
        optimizer.apply_gradients(zip(gradients, model.trainable_variables))
        return loss
        """)
    out, diags = fit(src)
    assert out == src and any("comes after" in d.message for d in diags if d.code == "XL505"), diags


def test_print_of_the_loss_before_the_step_stays() -> None:
    src = loop_case(STEP, """
        for epoch in range(2):
            for images, labels in train_ds:
                print(epoch)
                loss = train_step(images, labels)
                print(float(loss))
        """)
    out, _ = fit(src)
    assert "model.fit(" in out
    src = src.replace("print(epoch)", "print(float(loss))", 1)
    out, diags = fit(src)
    assert out == src and any("a print in the loop reads `loss`" in d.message for d in diags if d.code == "XL505"), diags


def test_range_from_zero() -> None:
    src = loop_case(STEP, """
        for epoch in range(0, 3):
            for images, labels in train_ds:
                train_step(images, labels)
        """)
    assert "model.fit(train_ds, epochs=3)" in fit(src)[0]
    src = src.replace("range(0, 3)", "range(1, 3)")
    out, diags = fit(src)
    assert out == src and [d.code for d in diags if d.code == "XL505"] == ["XL505"]


def test_lambda_layer_stays() -> None:
    src = loop_case(STEP).replace("keras.layers.Dropout(0.3),", "keras.layers.Lambda(lambda t: t * 2.0),")
    out, diags = fit(src)
    assert out == src and any("runs any Python code" in d.message for d in diags if d.code == "XL505"), diags
