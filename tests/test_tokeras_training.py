"""``to-keras`` on the training code ``to-tf`` writes: back to compile/fit/evaluate/predict.

Static cases start from a Keras script F, take T = to-tf(F) and check that to-keras(T) writes
the expected Keras training code, that to-tf of that is T again (stability), and that a
second to-keras run changes nothing. No-op cases (a hand-edited loop, an edited helper, a
model that stays a tf.Module) must come back byte for byte. The examples in
``examples/training/`` are also run (marked ``tf``): F and to-keras(to-tf(F)) print the same.
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from kerastf_xlate.tokeras import translate as to_keras
from kerastf_xlate.totf import translate as to_tf
from kerastf_xlate.totf.training.helpers import helper_names

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples" / "training").glob("*.py"))
TRAINING_CALLS = {"compile", "fit", "evaluate", "predict", "save_weights", "load_weights"}

HEAD = """\
import numpy as np
import keras
from keras import layers

model = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(8, activation="relu"), layers.Dense(3, activation="softmax")])
x = np.zeros((8, 4), "float32")
y = np.zeros((8,), "int64")
"""
MARK = 'y = np.zeros((8,), "int64")\n'


def dedent(text: str) -> str:
    text = textwrap.dedent(text)
    return text[1:] if text.startswith("\n") else text


def codes(diags: list) -> set[str]:
    return {d.code for d in diags}


def round_trip(keras_src: str) -> tuple[str, str]:
    """T = to-tf(F), K = to-keras(T), with the checks every translated case shares."""
    t, t_diags = to_tf(keras_src, "f.py")
    assert not [d for d in t_diags if d.code.startswith("XL30")], t_diags
    assert "import keras" not in t and "from keras" not in t, "to-tf must have translated the training code"
    k, k_diags = to_keras(t, "t.py")
    assert not [d for d in k_diags if d.code.startswith("XL5")], k_diags
    compile(k, "k.py", "exec")
    assert not set(helper_names()) & {n.name for n in ast.parse(k).body if isinstance(n, ast.FunctionDef)}, \
        "the runtime helpers must be gone"
    assert "import tensorflow" not in k
    again, _ = to_tf(k, "k.py")
    assert again == t, "to-tf(to-keras(T)) must be T again"
    assert to_keras(k, "k.py")[0] == k, "a second to-keras run must change nothing"
    return t, k


def compile_src(*parts: str, inst: str = "model") -> str:
    """``inst.compile(...)`` as to-keras lays it out: one line, or one argument a line past 120 characters."""
    line = f"{inst}.compile({', '.join(parts)})"
    return line if len(line) <= 120 else f"{inst}.compile(\n" + "".join(f"    {p},\n" for p in parts) + ")"


def body_of(k: str) -> str:
    """What follows the data lines of HEAD in the Keras output."""
    assert MARK in k, k
    return k.split(MARK, 1)[1]


# ---------------------------------------------------------------- optimizers, losses, metrics


OPTIMIZERS = [
    ('"sgd"', '"sgd"'),
    ('"Adam"', '"adam"'),
    ('"adamw"', '"adamw"'),
    ('"rmsprop"', '"rmsprop"'),
    ("keras.optimizers.SGD(0.1, momentum=0.9, nesterov=True)", "keras.optimizers.SGD(learning_rate=0.1, momentum=0.9, nesterov=True)"),
    ("keras.optimizers.SGD(learning_rate=LR, weight_decay=0.01, clipvalue=0.5)",
     "keras.optimizers.SGD(learning_rate=LR, weight_decay=0.01, clipvalue=0.5)"),
    ("keras.optimizers.Adam(learning_rate=LR, beta_2=0.99, amsgrad=True, clipnorm=1.0)",
     "keras.optimizers.Adam(learning_rate=LR, beta_2=0.99, amsgrad=True, clipnorm=1.0)"),
    ("keras.optimizers.Adam(1e-3, weight_decay=None)", "keras.optimizers.Adam(learning_rate=1e-3, weight_decay=None)"),
    ("keras.optimizers.Adam(weight_decay=0.01, epsilon=1e-6)", "keras.optimizers.AdamW(weight_decay=0.01, epsilon=1e-6)"),
    ("keras.optimizers.AdamW(1e-3, weight_decay=0.01, name='opt')", "keras.optimizers.AdamW(weight_decay=0.01, learning_rate=1e-3)"),
    ("keras.optimizers.AdamW(learning_rate=0.01)", "keras.optimizers.AdamW(learning_rate=0.01)"),
    ("keras.optimizers.RMSprop(learning_rate=2 * LR, rho=0.8, momentum=0.5, centered=True, global_clipnorm=1.0)",
     "keras.optimizers.RMSprop(learning_rate=2 * LR, rho=0.8, momentum=0.5, centered=True, global_clipnorm=1.0)"),
    ("tf.keras.optimizers.Adam(learning_rate=3e-4)", "keras.optimizers.Adam(learning_rate=3e-4)"),
]


@pytest.mark.parametrize("optimizer, expected", OPTIMIZERS, ids=[o for o, _ in OPTIMIZERS])
def test_optimizers(optimizer: str, expected: str) -> None:
    head = HEAD.replace("import keras\n", "import keras\nimport tensorflow as tf\n") if optimizer.startswith("tf.") else HEAD
    _, k = round_trip(head + f"LR = 0.01\nmodel.compile(optimizer={optimizer}, loss=\"mse\")\nmodel.fit(x, y)\n")
    written = compile_src(f"optimizer={expected}", 'loss="mean_squared_error"')
    assert body_of(k) == f"LR = 0.01\n{written}\nmodel.fit(x, y)\n"


def test_default_optimizer_is_written_out() -> None:
    _, k = round_trip(HEAD + 'model.compile(loss="mse")\nmodel.fit(x, y)\n')
    assert body_of(k) == 'model.compile(optimizer="rmsprop", loss="mean_squared_error")\nmodel.fit(x, y)\n'


LOSSES = [
    ('"sparse_categorical_crossentropy"', '"sparse_categorical_crossentropy"'),
    ('"categorical_crossentropy"', '"categorical_crossentropy"'),
    ('"binary_crossentropy"', '"binary_crossentropy"'),
    ('"bce"', '"binary_crossentropy"'),
    ('"mae"', '"mean_absolute_error"'),
    ('"MSE"', '"mean_squared_error"'),
    ('"crossentropy"', '"crossentropy"'),
    ("keras.losses.mean_squared_error", '"mean_squared_error"'),
    ("keras.losses.MeanAbsoluteError", '"mean_absolute_error"'),
    ("keras.losses.BinaryCrossentropy(from_logits=False)", '"binary_crossentropy"'),
    ("keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1)",
     "keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1)"),
    ("keras.losses.SparseCategoricalCrossentropy(from_logits=True)", "keras.losses.SparseCategoricalCrossentropy(from_logits=True)"),
    ("keras.losses.BinaryCrossentropy(label_smoothing=0.2, reduction='sum')",
     'keras.losses.BinaryCrossentropy(label_smoothing=0.2, reduction="sum")'),
    ('keras.losses.MeanSquaredError(reduction="sum")', 'keras.losses.MeanSquaredError(reduction="sum")'),
]


@pytest.mark.parametrize("loss, expected", LOSSES, ids=[lo for lo, _ in LOSSES])
def test_losses(loss: str, expected: str) -> None:
    _, k = round_trip(HEAD + f'model.compile(optimizer="sgd", loss={loss})\nmodel.fit(x, y)\n')
    written = compile_src('optimizer="sgd"', f"loss={expected}")
    assert body_of(k) == f"{written}\nmodel.fit(x, y)\n"


METRICS = [
    ('["accuracy"]', '["accuracy"]'),
    ('"acc"', '["acc"]'),
    ("[]", None),
    ('["mae", "MSE", "mean_squared_error", "binary_accuracy", "SparseCategoricalAccuracy"]',
     '["mae", "MSE", "mean_squared_error", "binary_accuracy", "SparseCategoricalAccuracy"]'),
    ("[keras.metrics.sparse_categorical_accuracy, keras.metrics.CategoricalAccuracy]",
     '["sparse_categorical_accuracy", "categorical_accuracy"]'),
    ('[keras.metrics.CategoricalAccuracy(name="cat"), keras.metrics.MeanAbsoluteError()]',
     '[keras.metrics.CategoricalAccuracy(name="cat"), "mean_absolute_error"]'),
    ("[keras.metrics.SparseTopKCategoricalAccuracy(k=2), keras.metrics.TopKCategoricalAccuracy(k=3, name='top3')]",
     '[keras.metrics.SparseTopKCategoricalAccuracy(k=2), keras.metrics.TopKCategoricalAccuracy(k=3, name="top3")]'),
    ('["top_k_categorical_accuracy", keras.metrics.BinaryAccuracy(threshold=0.0)]',
     '["top_k_categorical_accuracy", keras.metrics.BinaryAccuracy(threshold=0.0)]'),
    ('["AUC", keras.metrics.AUC(num_thresholds=50, from_logits=True, name="auc50")]',
     '["AUC", keras.metrics.AUC(num_thresholds=50, from_logits=True, name="auc50")]'),
    ("[keras.metrics.AUC(from_logits=True)]", '[keras.metrics.AUC(from_logits=True, name="auc")]'),
    ('[keras.metrics.AUC(name="roc")]', '[keras.metrics.AUC(name="roc")]'),
    ("[keras.metrics.AUC()]", '["auc"]'),
]


@pytest.mark.parametrize("metrics, expected", METRICS, ids=[m for m, _ in METRICS])
def test_metrics(metrics: str, expected: str | None) -> None:
    _, k = round_trip(HEAD + f'model.compile(optimizer="adam", loss="mse", metrics={metrics})\nmodel.fit(x, y)\n')
    written = compile_src('optimizer="adam"', 'loss="mean_squared_error"', *([f"metrics={expected}"] if expected else []))
    assert body_of(k) == f"{written}\nmodel.fit(x, y)\n"


def test_a_long_compile_is_written_one_argument_a_line() -> None:
    _, k = round_trip(HEAD + dedent("""
        model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3, beta_1=0.8), loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["acc"])
        model.fit(x, y)
        """))
    assert body_of(k) == dedent("""
        model.compile(
            optimizer=keras.optimizers.Adam(learning_rate=1e-3, beta_1=0.8),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            metrics=["acc"],
        )
        model.fit(x, y)
        """)


def test_optimizer_and_loss_bound_to_names() -> None:
    _, k = round_trip(HEAD + dedent("""
        opt = keras.optimizers.RMSprop(1e-3)
        loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        mse = keras.losses.MeanSquaredError()
        model.compile(opt, loss_fn)
        model.fit(x, y)
        print(loss_fn(y, model(x)))
        model.compile(optimizer=keras.optimizers.SGD(), loss=mse)
        """))
    assert body_of(k) == dedent("""
        opt = keras.optimizers.RMSprop(learning_rate=1e-3)
        loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        mse = keras.losses.MeanSquaredError()
        model.compile(optimizer=opt, loss=loss_fn)
        model.fit(x, y)
        print(loss_fn(y, model(x)))
        model.compile(optimizer="sgd", loss=mse)
        """)


def test_names_the_helpers_also_use_are_the_scripts_own() -> None:
    """`lr`, `loss`, `logs` are locals of to-tf's helpers too; only the script's bindings count."""
    _, k = round_trip(HEAD + dedent("""
        lr = 0.05
        loss = keras.losses.MeanSquaredError(reduction="sum")
        model.compile(optimizer=keras.optimizers.SGD(lr, momentum=0.5), loss=loss)
        logs = model.fit(x, y)
        """))
    assert body_of(k) == dedent("""
        lr = 0.05
        loss = keras.losses.MeanSquaredError(reduction="sum")
        model.compile(optimizer=keras.optimizers.SGD(learning_rate=lr, momentum=0.5), loss=loss)
        logs = model.fit(x, y)
        """)


# ---------------------------------------------------------------- fit / evaluate / predict / weights


def test_fit_evaluate_predict_save_load_count_params() -> None:
    _, k = round_trip(HEAD + dedent("""
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        history = model.fit(x, y, batch_size=4, epochs=2, validation_split=0.25, shuffle=False)
        print(history.history["loss"][-1], history.epoch, history.params)
        loss, acc = model.evaluate(x, y, verbose=0)
        logs = model.evaluate(x, y, batch_size=4, return_dict=True)
        probs = model.predict(x[:2], verbose=0)
        print(np.argmax(model.predict(x), axis=-1), model.count_params())
        model.save_weights("m.weights.h5")
        model.load_weights("m.weights.h5")
        """))
    assert body_of(k) == dedent("""
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        history = model.fit(x, y, batch_size=4, epochs=2, validation_split=0.25, shuffle=False)
        print(history.history["loss"][-1], history.epoch, history.params)
        loss, acc = model.evaluate(x, y, verbose=0)
        logs = model.evaluate(x, y, batch_size=4, return_dict=True)
        probs = model.predict(x[:2], verbose=0)
        print(np.argmax(model.predict(x), axis=-1), model.count_params())
        model.save_weights("m.weights.h5")
        model.load_weights("m.weights.h5")
        """)


def test_weights_saved_and_loaded_without_compile() -> None:
    """No helpers in the file: the ``.weights.h5`` name shows the checkpoints were Keras weights."""
    body = 'name = "m"\npath = f"{name}.weights.h5"\nmodel.save_weights(path)\nmodel.load_weights(path)\n'
    t, k = round_trip(HEAD + body)
    assert "tf.train.Checkpoint(model=model).write(path)" in t
    assert body_of(k) == body


def test_fit_keeps_its_layout_and_rebuilt_arguments_stay_rebuilt() -> None:
    _, k = round_trip(HEAD + dedent("""
        model.compile(optimizer="sgd", loss="mse")
        history = model.fit(
            x,
            y,  # targets
            epochs=3,
        )
        model.fit(x, y, 4, 2, 0, None, 0.25)
        model.fit(x, y, callbacks=[], sample_weight=None)
        model.fit()
        print(model.evaluate(x, y, 8, 0), model.predict(x, 4, 0).shape)
        """))
    assert body_of(k) == dedent("""
        model.compile(optimizer="sgd", loss="mean_squared_error")
        history = model.fit(
            x,
            y,  # targets
            epochs=3,
        )
        model.fit(x, y, batch_size=4, epochs=2, verbose=0, validation_split=0.25)
        model.fit(x, y)
        model.fit()
        print(model.evaluate(x, y, 8, 0), model.predict(x, 4, 0).shape)
        """)


def test_model_built_and_compiled_in_a_function() -> None:
    source = dedent("""
        import numpy as np
        import keras
        from keras import layers


        def build_model():
            inputs = keras.Input(shape=(4,))
            hidden = layers.Dense(8, activation="relu")(inputs)
            outputs = layers.Dense(1)(hidden)
            model = keras.Model(inputs, outputs)
            model.compile(optimizer=keras.optimizers.SGD(0.01), loss="mse")
            return model


        m = build_model()
        m.fit(np.zeros((4, 4)), np.zeros((4, 1)), epochs=1)
        m.compile(optimizer="adam", loss="mae")
        print(m.evaluate(np.zeros((4, 4)), np.zeros((4, 1))))
        """)
    _, k = round_trip(source)
    assert "    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01), loss=\"mean_squared_error\")\n" \
           "    return model\n" in k
    assert k.endswith(dedent("""
        m = build_model()
        m.fit(np.zeros((4, 4)), np.zeros((4, 1)), epochs=1)
        m.compile(optimizer="adam", loss="mean_absolute_error")
        print(m.evaluate(np.zeros((4, 4)), np.zeros((4, 1))))
        """))


def test_subclassed_model() -> None:
    source = dedent("""
        import numpy as np
        import keras
        from keras import layers


        class Net(keras.Model):
            def __init__(self):
                super().__init__()
                self.d = layers.Dense(3)

            def call(self, inputs, training=False):
                return self.d(inputs)


        x = np.zeros((4, 4))
        y = np.zeros((4,))
        net = Net()
        net.build((None, 4))
        net.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["acc"])
        net.fit(x, y, epochs=2)
        """)
    _, k = round_trip(source)
    assert "class Net(keras.Model):" in k
    assert k.endswith('net.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), '
                      'metrics=["acc"])\nnet.fit(x, y, epochs=2)\n')


# ---------------------------------------------------------------- kept as they are


def translated(body: str) -> str:
    t, _ = to_tf(HEAD + dedent(body), "f.py")
    assert "_fit(model" in t or "Checkpoint" in t
    return t


def test_hand_edited_loop_keeps_model_and_training_code() -> None:
    t = translated("""
        model.compile(optimizer="adam", loss="mse")
        model.fit(x, y, epochs=2)
        """)
    edited = t.replace("_fit(model, x, y, epochs=2)\n", dedent("""
        for step in range(3):
            with tf.GradientTape() as tape:
                loss = model.loss(y, model(x, training=True))
            model.optimizer(tape.gradient(loss, model.trainable_variables), model.trainable_variables)
        """))
    out, diags = to_keras(edited, "t.py")
    assert out == edited
    assert [d.code for d in diags if d.code.startswith("XL5")] == ["XL502"]
    assert "`model.loss` is used outside the compile step" in diags[0].message


@pytest.mark.parametrize("edit", [
    pytest.param(('model.metrics = {}\n', ''), id="compile_step_incomplete"),
    pytest.param(("  # model.compile(...): optimizer, loss and metrics in TensorFlow", ""), id="compile_comment_removed"),
    pytest.param(("model.optimizer = _adam()", "model.optimizer = _adam(learning_rate=lr_schedule)"), id="optimizer_not_a_number"),
    pytest.param(("model.loss = _mean_squared_error", "model.loss = lambda a, b: _mean_squared_error(a, b) * 2"), id="custom_loss"),
    pytest.param(("_fit(model, x, y, epochs=2)", "_fit(model, x, y, epochs=2, steps=3)"), id="unknown_fit_argument"),
    pytest.param(('    import time\n\n    start = time.time()\n    strategy = _strategy_of(model, model.variables)',
                  '    import time\n\n    start = time.time() + 1\n    strategy = _strategy_of(model, model.variables)'),
                 id="edited_helper"),
    pytest.param(("print(history.epoch)", "print(history.epoch, _trainable_variables(model, x))"), id="other_helper_on_model"),
    pytest.param(("print(history.epoch)", "print(sum(int(tf.size(v)) for v in model.ordered_variables()[1:]))"),
                 id="ordered_variables"),
])
def test_training_code_not_written_by_to_tf_keeps_the_unit(edit: tuple[str, str]) -> None:
    t = translated("""
        model.compile(optimizer="adam", loss="mse")
        history = model.fit(x, y, epochs=2)
        print(history.epoch)
        print(model.evaluate(x, y))
        """)
    assert edit[0] in t
    edited = t.replace(edit[0], edit[1], 1)
    out, diags = to_keras(edited, "t.py")
    assert out == edited, "the model and its training code must stay TensorFlow"
    assert "XL502" in codes(diags), diags


def test_model_that_stays_a_tf_module_keeps_its_training_code() -> None:
    t = translated("""
        model.compile(optimizer="adam", loss="mse")
        model.fit(x, y, epochs=2)
        model.save_weights("m.weights.h5")
        """)
    anchor = "        super().__init__(name=name)\n"
    edited = t.replace(anchor, anchor + '        self.scope = tf.name_scope("block")\n', 1)
    out, diags = to_keras(edited, "t.py")
    assert out == edited
    assert "XL502" in codes(diags)


def test_file_without_training_code_is_unchanged_by_it() -> None:
    source = dedent("""
        import tensorflow as tf


        class Net(tf.Module):
            def __init__(self):
                super().__init__()
                self.w = tf.Variable(tf.zeros([4, 3]))
                self.b = tf.Variable(tf.zeros([3]))

            def __call__(self, x):
                return tf.matmul(x, self.w) + self.b


        net = Net()
        ckpt = tf.train.Checkpoint(model=net)
        tf.train.Checkpoint(model=net).write("ckpt/net")
        tf.train.Checkpoint(model=net).read("ckpt/net").expect_partial()
        """)
    out, diags = to_keras(source, "t.py")
    assert "class Net(keras.Model):" in out and not codes(diags)
    assert out.endswith(source.split("net = Net()\n", 1)[1]), "checkpoints of a hand-written module stay as they are"


HAND_WRITTEN = """\
import tensorflow as tf


class Net(tf.Module):
    def __init__(self):
        super().__init__()
        self.w = tf.Variable(tf.zeros([4, 3]))
        self.b = tf.Variable(tf.zeros([3]))

    def __call__(self, x):
        return tf.matmul(x, self.w) + self.b


def _predict(model, x):
    return model(x)


net = Net()
"""


def test_hand_written_training_code_is_not_taken_for_to_tf_code() -> None:
    """A function of the script named like a to-tf helper, an optimizer set by hand: not to-tf's."""
    tail = "net.optimizer = tf.keras.optimizers.Adam()\nprint(_predict(net, tf.zeros([2, 4])))\n"
    out, diags = to_keras(HAND_WRITTEN + tail, "t.py")
    assert "class Net(tf.keras.Model):" in out  # the file's spelling (tf.keras.optimizers)
    assert out.endswith("def _predict(model, x):\n    return model(x)\n\n\nnet = Net()\n" + tail)
    assert not codes(diags)


def test_hand_written_metrics_attribute_keeps_the_module() -> None:
    """A Keras model's `metrics` is a read-only property: setting it would break the script."""
    source = HAND_WRITTEN + "net.metrics = []\n"
    out, diags = to_keras(source, "t.py")
    assert out == source
    assert "XL502" in codes(diags)


def test_only_the_kept_model_keeps_the_helpers() -> None:
    t = translated("""
        other = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(2)])
        other.compile(optimizer="sgd", loss="mse")
        other.fit(x, y)
        model.compile(optimizer="adam", loss="mse")
        model.fit(x, y, epochs=2)
        """)
    edited = t.replace("_fit(other, x, y)\n", "_fit(other, x, y)\nprint(other.optimizer)\n")
    out, diags = to_keras(edited, "t.py")
    assert [d.code for d in diags if d.code.startswith("XL5")] == ["XL502"] and "`other.optimizer`" in diags[0].message
    assert 'model.compile(optimizer="adam", loss="mean_squared_error")\nmodel.fit(x, y, epochs=2)\n' in out
    assert "other.optimizer = _sgd()" in out and "_fit(other, x, y)\nprint(other.optimizer)\n" in out
    assert "\ndef _fit(" in out and "\ndef _sgd(" in out and "\ndef _adam(" not in out, "only what `other` needs stays"
    assert "class Other(tf.Module):" in out and "model = keras.Sequential(" in out
    compile(out, "k.py", "exec")


# ---------------------------------------------------------------- the examples, executed


def _run(path: Path, cwd: Path) -> subprocess.Popen:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.Popen([sys.executable, str(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=cwd)


def _output(proc: subprocess.Popen) -> list[str]:
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err[-3000:]
    # Keras's verbose=2 epoch lines hold the time taken ("8/8 - 1s - 25ms/step - ..."): not compared
    return [re.sub(r" - \d+s - \d+(?:ms|us|s)/step", " - <time>", ln) for ln in out.splitlines()]


@pytest.mark.tf
@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_example_comes_back_to_keras_and_prints_the_same(example: Path, tmp_path: Path) -> None:
    source = example.read_text(encoding="utf-8")
    t, k = round_trip(source)
    tree = ast.parse(k)
    assert any(isinstance(s, ast.Import) and s.names[0].name == "keras" for s in tree.body)
    calls = {n.func.attr for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
             and isinstance(n.func.value, ast.Name) and n.func.value.id == "model"}
    assert {"compile", "fit"} <= calls and calls & TRAINING_CALLS == TRAINING_CALLS & {
        n.func.attr for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)}
    script = tmp_path / example.name
    script.write_text(k, encoding="utf-8")
    original = tmp_path / f"original_{example.name}"
    original.write_text(source, encoding="utf-8")
    runs = [_run(original, tmp_path), _run(script, tmp_path)]
    f_lines, k_lines = (_output(p) for p in runs)
    # both are Keras: the same floats, printed digit for digit
    assert [ln for ln in f_lines if ln.startswith("final ")] == [ln for ln in k_lines if ln.startswith("final ")] != []
    assert f_lines == k_lines
