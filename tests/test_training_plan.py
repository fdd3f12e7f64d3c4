"""``to-tf`` on training code: what is rewritten, and what keeps the model Keras (static).

Every blocked case checks that the file comes back unchanged (it keeps running exactly as
before) and that the diagnostic carries the right code. Translated cases check that no
Keras API is left on the module and that a second run changes nothing.
"""

from __future__ import annotations

import ast
import textwrap

import pytest

from kerastf_xlate.totf import translate
from kerastf_xlate.totf.program.bundle import BANNER
from kerastf_xlate.totf.training import TRANSLATED_APIS
from kerastf_xlate.totf.training.helpers import helper_names, helper_sources

HEAD = """
import numpy as np
import keras
from keras import layers

model = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(8, activation="relu"), layers.Dense(3, activation="softmax")])
x = np.zeros((8, 4), "float32")
y = np.zeros((8,), "int64")
"""


def tf_(body: str, head: str = HEAD) -> tuple[str, str, list]:
    src = textwrap.dedent(head) + textwrap.dedent(body)
    out, diags = translate(src, "t.py")
    return src, out, diags


def codes(diags: list) -> set[str]:
    return {d.code for d in diags}


def keras_calls_left(out: str, names: set[str] = frozenset({"model"})) -> list[str]:  # type: ignore[assignment]
    """Keras training APIs still called on the instance names."""
    return [ast.unparse(n) for n in ast.walk(ast.parse(out))
            if isinstance(n, ast.Attribute) and n.attr in TRANSLATED_APIS | {"save"} and isinstance(n.value, ast.Name)
            and n.value.id in names]


def assert_translated(src: str, out: str, diags: list) -> None:
    assert out != src
    assert not codes(diags) & {"XL303", "XL304", "XL305", "XL306", "XL307", "XL308"}, diags
    assert not keras_calls_left(out)
    assert "import keras" not in out and "from keras" not in out
    compile(out, "out.py", "exec")
    again, _ = translate(out, "out.py")
    assert again == out, "a second to-tf run must change nothing"


def assert_kept(src: str, out: str, diags: list, code: str, words: str = "") -> None:
    assert out == src, "a blocked model must leave the file exactly as it was"
    hits = [d for d in diags if d.code == code]
    assert hits, f"expected {code}, got {[(d.code, d.message) for d in diags]}"
    assert all("model kept as Keras" in d.message for d in hits)
    assert words in " ".join(d.message for d in hits)


# ---------------------------------------------------------------- translated


def test_compile_fit_evaluate_predict_save_load() -> None:
    src, out, diags = tf_("""
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        history = model.fit(x, y, batch_size=4, epochs=2, validation_split=0.25, shuffle=False)
        print(history.history["loss"][-1], history.epoch, history.params)
        loss, acc = model.evaluate(x, y, verbose=0)
        probs = model.predict(x[:2], verbose=0)
        print(np.argmax(model.predict(x), axis=-1), model.count_params())
        model.save_weights("m.weights.h5")
        model.load_weights("m.weights.h5")
        """)
    assert_translated(src, out, diags)
    assert "model.optimizer = _adam()" in out
    assert "model.loss = _sparse_categorical_crossentropy\n" in out
    assert 'model.metrics = {"accuracy": _accuracy}' in out
    assert "history = _fit(model, x, y, batch_size=4, epochs=2, validation_split=0.25, shuffle=False)" in out
    assert "loss, acc = _evaluate(model, x, y, verbose=0)" in out
    assert "print(np.argmax(_predict(model, x), axis=-1), sum(int(tf.size(v)) for v in model.ordered_variables()))" in out
    assert 'tf.train.Checkpoint(model=model).write("m.weights.h5")' in out
    assert 'tf.train.Checkpoint(model=model).read("m.weights.h5").expect_partial()' in out
    for helper in ("_fit", "_evaluate", "_predict", "_adam", "_batches", "_run_batches"):
        assert out.count(f"\ndef {helper}(") == 1, helper
    assert "tf.function(" in out and "tf.GradientTape()" in out and "tf.data.Dataset" in out


def test_weights_saved_under_a_name_keras3_refuses_are_not_written_inline() -> None:
    # tf.keras 2's checkpoint name: a ValueError in Keras 3; the inline checkpoint would be written
    src, out, diags = tf_("""
        model.compile(optimizer="adam", loss="mse")
        model.save_weights("training_1/cp.ckpt")
        """)
    assert "tf.train.Checkpoint(model=model).write" not in out
    # the program form translates it instead: its runtime `save_weights` raises Keras's error there
    assert 'model.save_weights("training_1/cp.ckpt")' in out
    assert [d.code for d in diags if "raises ValueError" in d.message] == ["XL311"], [(d.code, d.message) for d in diags]


@pytest.mark.parametrize("optimizer, expected", [
    ('"sgd"', "_sgd()"),
    ('"Adam"', "_adam()"),
    ('"adamw"', "_adam(weight_decay=0.004)"),
    ('"rmsprop"', "_rmsprop()"),
    ("keras.optimizers.SGD(0.1, momentum=0.9, nesterov=True)", "_sgd(learning_rate=0.1, momentum=0.9, nesterov=True)"),
    ("keras.optimizers.Adam(learning_rate=LR, beta_2=0.99, amsgrad=True, clipnorm=1.0)",
     "_adam(learning_rate=LR, beta_2=0.99, amsgrad=True, clipnorm=1.0)"),
    ("keras.optimizers.AdamW(1e-3, weight_decay=0.01, name='opt')", "_adam(weight_decay=0.01, learning_rate=1e-3)"),
    ("keras.optimizers.RMSprop(learning_rate=2 * LR, rho=0.8, momentum=0.5, centered=True, global_clipnorm=1.0)",
     "_rmsprop(learning_rate=2 * LR, rho=0.8, momentum=0.5, centered=True, global_clipnorm=1.0)"),
])
def test_optimizers(optimizer: str, expected: str) -> None:
    src, out, diags = tf_(f"""
        LR = 0.01
        model.compile(optimizer={optimizer}, loss="mse")
        model.fit(x, y)
        """)
    assert_translated(src, out, diags)
    assert f"model.optimizer = {expected}" in out


def test_default_optimizer_is_rmsprop() -> None:
    src, out, diags = tf_("""
        model.compile(loss="mse")
        model.fit(x, y)
        """)
    assert_translated(src, out, diags)
    assert "model.optimizer = _rmsprop()" in out


def test_optimizer_and_loss_bound_to_names() -> None:
    src, out, diags = tf_("""
        opt = keras.optimizers.RMSprop(1e-3)
        loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        model.compile(opt, loss_fn)
        model.fit(x, y)
        print(loss_fn(y, model(x)))
        """)
    assert_translated(src, out, diags)
    assert "opt = _rmsprop(learning_rate=1e-3)" in out
    assert "loss_fn = lambda y_true, y_pred: _sparse_categorical_crossentropy(y_true, y_pred, from_logits=True)" in out
    assert "model.optimizer = opt" in out and "model.loss = loss_fn" in out


@pytest.mark.parametrize("loss, expected", [
    ('"categorical_crossentropy"', "_categorical_crossentropy"),
    ('"binary_crossentropy"', "_binary_crossentropy"),
    ('"mae"', "_mean_absolute_error"),
    ('"crossentropy"', "_crossentropy"),
    ("keras.losses.mean_squared_error", "_mean_squared_error"),
    ("keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1)",
     "lambda y_true, y_pred: _categorical_crossentropy(y_true, y_pred, from_logits=True, label_smoothing=0.1)"),
    ("keras.losses.BinaryCrossentropy(from_logits=False)", "_binary_crossentropy"),
    ("keras.losses.MeanAbsoluteError", "_mean_absolute_error"),
    ("tf.keras.losses.CategoricalCrossentropy()", "_categorical_crossentropy"),
    ('keras.losses.MeanSquaredError(reduction="sum")',
     'lambda y_true, y_pred: _mean_squared_error(y_true, y_pred, reduction="sum")'),
])
def test_losses(loss: str, expected: str) -> None:
    src, out, diags = tf_(f"""
        model.compile(optimizer="sgd", loss={loss})
        model.fit(x, y)
        """, head=HEAD.replace("import keras", "import keras\nimport tensorflow as tf"))
    assert_translated(src, out, diags)
    assert f"model.loss = {expected}\n" in out


def test_metrics() -> None:
    src, out, diags = tf_("""
        model.compile(optimizer="sgd", loss="mse", metrics=["acc", "mae", keras.metrics.SparseTopKCategoricalAccuracy(k=2, name="top2"),
                                                            keras.metrics.CategoricalAccuracy(), "MSE", "AUC",
                                                            keras.metrics.AUC(num_thresholds=50, from_logits=True, name="auc50")])
        model.fit(x, y)
        """)
    assert_translated(src, out, diags)
    assert ('model.metrics = {"acc": _accuracy, "mae": _mean_absolute_error_metric, "top2": lambda y_true, y_pred: '
            '_sparse_top_k_categorical_accuracy(y_true, y_pred, k=2), "categorical_accuracy": _categorical_accuracy, '
            '"MSE": _mean_squared_error_metric, "AUC": _auc(), "auc50": _auc(num_thresholds=50, from_logits=True)}') in out


def test_multiline_fit_keeps_its_layout_and_dropped_arguments_rebuild() -> None:
    src, out, diags = tf_("""
        model.compile(optimizer="sgd", loss="mse")
        history = model.fit(
            x,
            y,  # targets
            epochs=3,
        )
        model.fit(x, y, 4, 2, 0, None, 0.25)
        model.fit(x, y, callbacks=[], sample_weight=None)
        """)
    assert_translated(src, out, diags)
    assert "history = _fit(model,\n    x,\n    y,  # targets\n    epochs=3,\n)" in out
    assert "_fit(model, x, y, batch_size=4, epochs=2, verbose=0, validation_split=0.25)" in out
    assert "_fit(model, x, y)\n" in out


def test_model_built_and_compiled_in_a_function() -> None:
    src, out, diags = tf_("""
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
        """, head="")
    assert_translated(src, out, diags)
    assert keras_calls_left(out, {"m", "model"}) == []
    assert "    model.optimizer = _sgd(learning_rate=0.01)" in out and "m.optimizer = _adam()" in out


def test_sequential_with_add_and_subclass_models() -> None:
    src, out, diags = tf_("""
        import keras
        from keras import layers

        class Net(keras.Model):
            def __init__(self):
                super().__init__()
                self.d = layers.Dense(3)

            def call(self, inputs, training=False):
                return self.d(inputs)

        seq = keras.Sequential([keras.Input(shape=(4,))])
        seq.add(layers.Dense(2))
        seq.compile(optimizer="sgd", loss="mse")
        seq.fit(x, y)
        net = Net()
        net.build((None, 4))
        net.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        net.fit(x, y, epochs=2)
        """, head="import numpy as np\nx = np.zeros((4, 4))\ny = np.zeros((4,))\n")
    assert_translated(src, out, diags)
    assert keras_calls_left(out, {"seq", "net"}) == []


def test_helpers_are_complete_functions_with_their_dependencies() -> None:
    names = helper_names()
    assert "_fit" in names and "_adam" in names
    sources = helper_sources({"_fit"})
    defined = {s.split("(", 1)[0][4:] for s in sources}
    assert {"_fit", "_batches", "_run_batches", "_metric_sums", "_trainable_variables", "_test_step"} <= defined
    for s in sources:
        tree = ast.parse(s)
        assert len(tree.body) == 1 and isinstance(tree.body[0], ast.FunctionDef) and ast.get_docstring(tree.body[0])


# ---------------------------------------------------------------- kept as Keras, with codes


@pytest.mark.parametrize("body, code, words", [
    ('model.compile(optimizer="adam", loss="mse")\nmodel.save("m.keras")', "XL306", "Keras model file"),
    ('model.load_weights("pretrained.weights.json")', "XL306", "sharded Keras weights"),
    ('model.load_weights("pretrained.weights.h5", objects_to_skip=[model.layers[0]])', "XL306", "objects_to_skip"),
    ('model.load_weights("pretrained.weights.h5", **options)', "XL306", "**options"),
    ('keras.models.save_model(model, "m.keras")\nmodel.fit(x, y)', "XL306", "save_model"),
    ('import tensorflow as tf\nstrategy = tf.distribute.TPUStrategy(resolver)\nmodel.compile(optimizer="adam", loss="mse")',
     "XL307", "distribution strategy"),
    ('model.compile(optimizer=keras.optimizers.Adam(gradient_accumulation_steps=4), loss="mse")', "XL304",
     "gradient_accumulation_steps"),
    ('model.compile(optimizer="lamb", loss="mse")', "XL304", "'lamb'"),
    ('model.compile(optimizer=keras.optimizers.Lamb(), loss="mse")', "XL304", "Lamb"),
    ('model.compile(optimizer="adam", loss="mse", metrics=[keras.metrics.AUC(multi_label=True)])', "XL304", "multi_label="),
    ('model.compile(optimizer="adam", loss="mse", metrics=["f1_score"])', "XL304", "'f1_score'"),
    ('model.compile(optimizer="adam", loss="mse")\nmodel.fit(x, y, callbacks=[keras.callbacks.BackupAndRestore("b")])',
     "XL305", "BackupAndRestore"),
    ('model.compile(optimizer="adam", loss="mse")\nmodel.fit(x, y, callbacks=[keras.callbacks.ModelCheckpoint("m.keras")])',
     "XL305", "save_weights_only"),
    ('model.compile(optimizer="adam", loss="mse")\nmodel.fit(x, y, callbacks=[keras.callbacks.ModelCheckpoint('
     '"m.weights.h5", save_weights_only=True, save_freq=freq)])', "XL305", "save_freq=freq"),
    # a function the file does not define may use any Keras API on the model
    ('from trainer import train\nmodel.compile(optimizer="adam", loss="mse")\ntrain(model)', "XL303", "defined outside this file"),
    ('import tensorflow_model_optimization as tfmot\nq = tfmot.quantization.keras.quantize_model(model)', "XL303",
     "defined outside this file"),
])
def test_blocked_uses_keep_the_model_and_say_why(body: str, code: str, words: str) -> None:
    if code in ("XL305", "XL306") and "save" in body.replace("save_weights_only", "") + words:
        # a Keras file never read back stays one with --keep-keras-files (by default it is
        # written as a TensorFlow checkpoint: tests/test_model_files.py)
        src = textwrap.dedent(HEAD) + textwrap.dedent(body)
        out, diags = translate(src, "t.py", keep_keras_files=True)
    else:
        src, out, diags = tf_(body)
    assert_kept(src, out, diags, code, words)


@pytest.mark.parametrize("body", [
    'model.compile(optimizer="adam", loss="mse")\nmodel.fit(x, y, callbacks=[keras.callbacks.EarlyStopping()])',
    'model.compile(optimizer="adam", loss="mse")\nh = model.fit(x, y)\nprint(h.model)',
    'model.compile(optimizer="adam", loss="mse")\nmodel.fit(x, y, callbacks=[keras.callbacks.ModelCheckpoint('
    '"b{batch}.weights.h5", save_weights_only=True, save_freq=100)])',
    'model.compile(optimizer="adam", loss="mse")\nh = model.fit(x, y)\nplot(h)',
    'model.compile(optimizer="nadam", loss="mse")',
    'model.compile(optimizer=keras.optimizers.Adam(keras.optimizers.schedules.ExponentialDecay(1e-3, 100, 0.9)), loss="mse")',
    'lr = keras.optimizers.schedules.ExponentialDecay(1e-3, 100, 0.9)\nmodel.compile(optimizer=keras.optimizers.SGD(lr), loss="mse")',
    'def my_loss(a, b):\n    return a - b\nmodel.compile(optimizer="adam", loss=my_loss)\nmodel.fit(x, y)',
    'model.compile(optimizer="adam", loss="huber")',
    'model.compile(optimizer="adam", loss="mse", metrics=["precision"])',
    'model.compile(optimizer="adam", loss="mse", loss_weights=[1.0])',
    'model.compile(optimizer="adam", loss="mse")\nmodel.fit(x, y, sample_weight=w)',
    'model.compile(optimizer="adam", loss="mse")\nmodel.fit(x, y, steps_per_epoch=3)',
    'model.compile(optimizer="adam", loss="mse")\nmodel.fit(x, y, validation_data=(x, y, w))',
    "model.fit(x, y)",
    "model.layers[0].trainable = False",
    'def train(m):\n    m.fit(x, y)\nmodel.compile(optimizer="adam", loss="mse")\ntrain(model)',
    'model.compile(optimizer="adam", loss="mse")\nif model.evaluate(x, y) > 1:\n    pass',
    'model.compile(optimizer="adam", loss="mse"); print(1)',
    'print(model.compile(optimizer="adam", loss="mse"))',
    "model.train_on_batch(x, y)",
    'model.load_weights("pretrained.weights.h5")',  # the runtime reads Keras's weights files
    'model.load_weights("imagenet.h5", by_name=True, skip_mismatch=True)',
    'model.load_weights(path)',
    'model.compile(optimizer="adam", loss="mse")\nmodel.fit(x, y, **extra)',
    'def _fit(*args):\n    pass\nmodel.compile(optimizer="adam", loss="mse")',
])
def test_what_the_flat_form_cannot_follow_trains_in_the_program_form(body: str) -> None:
    """Training code the flat form's planner keeps as Keras is kept as written in the program
    form, where the runtime Model has Keras's training methods (runtime/tfr_training.py)."""
    src, out, diags = tf_(body)
    assert out != src
    assert not codes(diags) & {"XL303", "XL304", "XL305", "XL306", "XL307", "XL308"}, diags
    assert "import keras" not in out and "from keras" not in out
    if any(api in body for api in ("compile", "fit", "train_on_batch")):
        assert "_TRAINING = _install_training(Model, Layer)" in out
    compile(out, "out.py", "exec")
    again, _ = translate(out, "out.py")
    assert again == out


def test_regularizers_train_in_the_program_form() -> None:
    """The runtime's fit adds ``model.losses`` (weight and activity regularization) as Keras's
    does (executed in tests/test_runtime_regularizers.py and the weight_decay_cnn script)."""
    src, out, diags = tf_("""
        model = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(3, kernel_regularizer="l2",
                                                                        activity_regularizer=keras.regularizers.l1(1e-3))])
        model.compile(optimizer="adam", loss="mse")
        model.fit(x, y)
        """)
    assert not [d for d in diags if d.code.startswith(("XL2", "XL30"))], diags
    assert BANNER in out and "import keras" not in out
    assert 'Dense(3, kernel_regularizer="l2",' in out and "activity_regularizer=L1Regularizer(l1=1e-3)" in out


def test_constraints_train_in_the_program_form() -> None:
    """The runtime optimizer applies a weight's constraint after each update, as Keras's does
    (executed in tests/test_runtime_constraints.py)."""
    src, out, diags = tf_("""
        model = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(3, kernel_constraint="non_neg")])
        model.compile(optimizer="adam", loss="mse")
        model.fit(x, y)
        """)
    assert not [d for d in diags if d.code.startswith(("XL2", "XL30"))], diags
    assert BANNER in out and 'Dense(3, kernel_constraint="non_neg")' in out


def test_multi_output_model_trains_in_the_program_form() -> None:
    src, out, diags = tf_("""
        import keras
        from keras import layers
        inp = keras.Input(shape=(4,))
        a = layers.Dense(1)(inp)
        b = layers.Dense(2)(inp)
        model = keras.Model(inp, [a, b])
        model.compile(optimizer="adam", loss="mse")
        """, head="")
    assert 'model.compile(optimizer="adam", loss="mse")' in out and "_TRAINING" in out
    assert "import keras" not in out


def test_custom_train_step_is_kept_and_called_by_the_runtime() -> None:
    src, out, diags = tf_("""
        import keras
        from keras import layers

        class Net(keras.Model):
            def __init__(self):
                super().__init__()
                self.d = layers.Dense(3)

            def call(self, inputs):
                return self.d(inputs)

            def train_step(self, data):
                return super().train_step(data)

        net = Net()
        net.compile(optimizer="adam", loss="mse")
        """, head="")
    assert "class Net(Model):" in out and "def train_step(self, data):" in out
    assert not [d for d in diags if d.code.startswith("XL30")], diags


def test_clipping_under_a_mirrored_strategy_goes_to_the_program_form() -> None:
    """The flat form's loop clips after summing the replicas' gradients (XL307 there); the
    program form's optimizer clips each replica's, as Keras does, and keeps the strategy."""
    src, out, diags = tf_('''
        import tensorflow as tf
        strategy = tf.distribute.MirroredStrategy()
        with strategy.scope():
            model = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(3)])
            model.compile(optimizer=keras.optimizers.Adam(clipnorm=1.0), loss="mse")
        model.fit(x, y)
        ''', head=HEAD.replace("model = ", "unused = "))
    assert "XL307" not in codes(diags), diags
    assert "_TRAINING = _install_training(Model, Layer)" in out and "tf.distribute.MirroredStrategy()" in out
    assert "optimizer=Adam(clipnorm=1.0)" in out and "import keras" not in out


def test_only_the_blocked_model_stays_keras() -> None:
    src, out, diags = tf_("""
        other = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(2)])
        other.compile(optimizer="adam", loss="mse")
        other.fit(x, y, callbacks=[keras.callbacks.BackupAndRestore("b")])
        model.compile(optimizer="adam", loss="mse")
        model.fit(x, y)
        """)
    assert "XL305" in codes(diags)
    assert 'other.fit(x, y, callbacks=[keras.callbacks.BackupAndRestore("b")])' in out
    assert "_fit(model, x, y)" in out and "import keras" in out
    assert keras_calls_left(out) == []
    compile(out, "out.py", "exec")
    again, _ = translate(out, "out.py")
    assert again == out


