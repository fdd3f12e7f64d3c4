"""Execute Keras models and their ``to-tf`` translations on the same weights and inputs.

Tolerance: float32, ``atol = rtol = 1e-5``. Each test prints the worst absolute
difference it saw (``pytest -s`` shows them; the session summary lists them too).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.tf

ATOL = RTOL = 1e-5
ROOT = Path(__file__).resolve().parent.parent

MODELS = {
    "sequential_cnn": """
        import keras
        from keras import layers
        model = keras.Sequential([
            keras.Input(shape=(12, 12, 3)),
            layers.Conv2D(8, 3, padding="same", activation="relu"),
            layers.MaxPooling2D(),
            layers.Conv2D(8, (3, 3), strides=(2, 2), dilation_rate=1, use_bias=False),
            layers.BatchNormalization(),
            layers.LeakyReLU(),
            layers.Flatten(),
            layers.Dropout(0.3),
            layers.Dense(5, activation="softmax"),
        ])
        """,
    "functional_branches": """
        import keras
        from keras import layers
        inp = keras.Input(shape=(10,))
        a = layers.Dense(6, activation="relu")(inp)
        b = layers.Dense(6, activation="tanh")(inp)
        skip = a
        m = layers.add([a, b])
        c = layers.Concatenate()([m, skip])
        n = layers.LayerNormalization()(c)
        out = layers.Dense(2)(n)
        model = keras.Model(inputs=inp, outputs=out)
        """,
    "functional_shared_multi_io": """
        import keras
        from keras import layers
        VOCAB = 50
        tokens = keras.Input(shape=(7,), dtype="int32")
        meta = keras.Input(shape=(4,))
        e = layers.Embedding(VOCAB, 4)(tokens)
        e = layers.GlobalAveragePooling1D()(e)
        shared = layers.Dense(4, activation="relu")
        a = shared(e)
        b = shared(meta)
        both = layers.concatenate([a, b])
        score = layers.Dense(1, activation="sigmoid", name="score")(both)
        aux = layers.Dense(3, name="aux")(both)
        model = keras.Model([tokens, meta], [score, aux])
        """,
    "helper_function": """
        import keras
        from keras import layers

        def build(num_classes=4):
            inputs = keras.Input(shape=(16,))
            x = layers.Dense(8)(inputs)
            x = layers.BatchNormalization(momentum=0.9, epsilon=1e-5)(x)
            x = layers.Activation("gelu")(x)
            outputs = layers.Dense(num_classes, activation="softmax")(x)
            return keras.Model(inputs, outputs)

        model = build()
        """,
    "subclass": """
        import keras
        from keras import layers

        class MLP(keras.Model):
            def __init__(self, hidden=16, classes=3, **kwargs):
                super().__init__(**kwargs)
                self.hidden = layers.Dense(hidden, activation="relu")
                self.bn = layers.BatchNormalization()
                self.drop = layers.Dropout(0.5)
                self.head = layers.Dense(classes)

            def call(self, inputs, training=False):
                x = self.hidden(inputs)
                x = self.bn(x)
                x = self.drop(x)
                return self.head(x)

        model = MLP()
        model(keras.ops.zeros((1, 6)))
        """,
    # no `training` parameter: Keras still hands the flag to the layers (the call context), so
    # model(x, training=True) normalises with the batch statistics and updates the moving ones
    "subclass_without_training_arg": """
        import keras
        from keras import layers

        class Block(layers.Layer):
            def __init__(self, units, **kwargs):
                super().__init__(**kwargs)
                self.dense = layers.Dense(units)
                self.bn = layers.BatchNormalization(momentum=0.8)

            def call(self, x):
                return self.bn(self.dense(x))

        class Net(keras.Model):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.block = Block(5)
                self.head = layers.Dense(2)

            def call(self, x):
                return self.head(self.block(x))

        model = Net()
        model(keras.ops.zeros((1, 6)))
        """,
    "kept_conv_lstm": """
        import keras
        from keras import layers
        model = keras.Sequential([
            keras.Input(shape=(5, 4, 3)),
            layers.Dense(4),
            layers.ConvLSTM1D(6, 2, padding="same" if True else "valid", return_sequences=True, unroll=True),
            layers.GlobalMaxPooling2D(),
            layers.Dense(2),
        ])
        """,
}


@pytest.fixture(scope="module")
def verify():  # type: ignore[no-untyped-def]
    from kerastf_xlate import verify as v

    return v


def _run(verify, name: str, source: str):  # type: ignore[no-untyped-def]
    from kerastf_xlate.totf import translate

    source = textwrap.dedent(source)
    translated, diags = translate(source, f"{name}.py")
    assert translated != source, f"{name}: nothing translated ({[d.message for d in diags]})"
    results = verify.verify_source(source, translated, f"{name}.py", ATOL, RTOL)
    assert results, f"{name}: no model compared"
    worst = max(r.max_abs_diff for r in results)
    print(f"\n{name}: " + ", ".join(f"{r.mode} max|diff|={r.max_abs_diff:.2e}" for r in results))
    for r in results:
        assert r.ok, f"{name} [{r.mode}]: max |diff| {r.max_abs_diff} {r.detail}"
    return translated, results, worst


@pytest.mark.parametrize("name", sorted(MODELS))
def test_model_matches_keras(verify, name: str) -> None:  # type: ignore[no-untyped-def]
    _run(verify, name, MODELS[name])


def test_fully_translated_model_runs_without_keras(verify, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Run the translation in a fresh interpreter where `import keras` fails."""
    import subprocess
    import sys

    from kerastf_xlate.totf import translate

    translated, _ = translate(textwrap.dedent(MODELS["sequential_cnn"]), "m.py")
    assert "import keras" not in translated and "from keras" not in translated
    fake = tmp_path / "fake"
    (fake / "keras").mkdir(parents=True)
    (fake / "keras" / "__init__.py").write_text("raise ImportError('keras must not be imported')\n")
    script = tmp_path / "m.py"
    script.write_text(translated + "\nimport numpy as np\nprint(model(np.zeros((2, 12, 12, 3), 'float32')).shape)\n")
    env = {"PYTHONPATH": str(fake), "TF_CPP_MIN_LOG_LEVEL": "3", "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "(2, 5)" in out.stdout


@pytest.mark.parametrize("name", ["sequential_cnn", "functional_shared_multi_io"])
def test_input_signature_exports_a_saved_model(verify, name: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """``input_signature`` is the Keras model's inputs, in the form ``tf.function`` takes: the
    module exports as a SavedModel whose serving function gives the module's outputs."""
    import numpy as np
    import tensorflow as tf

    from kerastf_xlate.totf import translate

    src = textwrap.dedent(MODELS[name])
    translated, _ = translate(src, f"{name}.py")
    keras_model = verify.exec_source(src, "__sig_keras__")["model"]
    module = verify.exec_source(translated, "__sig_tf__")["model"]
    specs = tf.nest.flatten(module.input_signature)
    assert [tuple(s.shape) for s in specs] == [tuple(t.shape) for t in keras_model.inputs]
    assert [s.dtype.name for s in specs] == [str(t.dtype) for t in keras_model.inputs]
    rng = np.random.default_rng(0)
    arrays = [rng.integers(0, 5, (3,) + tuple(s.shape[1:])).astype(s.dtype.name) if s.dtype.is_integer
              else rng.standard_normal((3,) + tuple(s.shape[1:])).astype("float32") for s in specs]
    inputs = tf.nest.pack_sequence_as(module.input_signature[0], [tf.constant(a) for a in arrays])
    serve = tf.function(module.__call__, input_signature=module.input_signature)
    tf.saved_model.save(module, str(tmp_path / "saved"), signatures=serve)
    loaded = tf.saved_model.load(str(tmp_path / "saved"))
    flat = tf.nest.flatten(inputs)
    serving = loaded.signatures["serving_default"]
    outs = serving(**{("inputs" if i == 0 else f"inputs_{i}"): t for i, t in enumerate(flat)})
    got = [outs[f"output_{i}"] for i in range(len(outs))] if "output_0" in outs else list(outs.values())
    want = tf.nest.flatten(module(inputs))
    diff = max(float(np.max(np.abs(a.numpy() - b.numpy()))) for a, b in zip(want, got))
    print(f"\n{name}: SavedModel serving function vs the module, max|diff|={diff:.2e}")
    assert len(got) == len(want) and diff <= ATOL


def test_trained_weights_move_with_set_weights(verify) -> None:  # type: ignore[no-untyped-def]
    """Train the Keras model a few steps, move its weights, predictions agree."""
    import numpy as np

    from kerastf_xlate.totf import translate

    src = textwrap.dedent(MODELS["functional_branches"])
    translated, _ = translate(src, "m.py")
    original = verify.exec_source(src, "__orig__")
    converted = verify.exec_source(translated, "__conv__")
    model, module = original["model"], converted["model"]
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 10)).astype("float32")
    y = rng.standard_normal((64, 2)).astype("float32")
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    module(x[:1])
    module.set_weights(model.get_weights())
    diff = float(np.max(np.abs(model.predict(x, verbose=0) - module(x).numpy())))
    print(f"\ntrained weights: max|diff|={diff:.2e}")
    assert diff <= ATOL + RTOL * float(np.max(np.abs(model.predict(x, verbose=0))))


def test_batchnorm_training_updates_moving_statistics(verify) -> None:  # type: ignore[no-untyped-def]
    import numpy as np

    from kerastf_xlate.totf import translate

    src = textwrap.dedent("""
        import keras
        from keras import layers
        model = keras.Sequential([keras.Input(shape=(6, 6, 2)), layers.BatchNormalization(momentum=0.8)])
        """)
    translated, _ = translate(src, "m.py")
    model = verify.exec_source(src, "__orig__")["model"]
    module = verify.exec_source(translated, "__conv__")["model"]
    x = np.random.default_rng(1).standard_normal((4, 6, 6, 2)).astype("float32") * 3 + 1
    module.set_weights(model.get_weights())
    for _ in range(3):
        k = model(x, training=True).numpy()
        t = module(x, training=True).numpy()
        assert np.allclose(k, t, atol=ATOL, rtol=RTOL)
    for kw, tw in zip(model.get_weights(), module.get_weights()):
        assert np.allclose(kw, tw, atol=ATOL, rtol=RTOL)
    assert not np.allclose(model.get_weights()[2], 0.0), "moving mean must have moved"


def test_comparison_can_fail(verify) -> None:  # type: ignore[no-untyped-def]
    """A harness that can't fail is a defect: a perturbed weight must be caught."""
    import numpy as np

    from kerastf_xlate.totf import translate

    src = textwrap.dedent(MODELS["sequential_cnn"])
    translated, _ = translate(src, "m.py")
    model = verify.exec_source(src, "__orig__")["model"]
    module = verify.exec_source(translated, "__conv__")["model"]
    x = np.random.default_rng(2).standard_normal((2, 12, 12, 3)).astype("float32")
    weights = model.get_weights()
    results = verify.compare("model", model, module, x, ATOL, RTOL)
    assert all(r.ok for r in results)
    weights[0] = weights[0] + 1e-2
    model.set_weights(weights)
    module.set_weights([w - 1e-2 if i == 0 else w for i, w in enumerate(weights)])
    bad = verify.compare("model", model, module, x, ATOL, RTOL)  # compare() re-copies weights
    assert all(r.ok for r in bad)
    model.set_weights(weights)
    module.set_weights(weights)
    module.conv2d_kernel.assign_add(np.full(module.conv2d_kernel.shape, 1e-2, "float32"))
    k = model(x).numpy()
    t = module(x).numpy()
    assert not np.allclose(k, t, atol=ATOL, rtol=RTOL)


def test_examples_translate_and_verify(verify) -> None:  # type: ignore[no-untyped-def]
    from kerastf_xlate.totf import translate

    examples = sorted(p for p in (ROOT / "examples").glob("*.py") if not p.name.startswith("tf_"))
    if not examples:
        pytest.skip("no examples yet")
    for path in examples:
        src = path.read_text()
        translated, diags = translate(src, str(path))
        assert translated != src, f"{path.name}: nothing translated: {[d.message for d in diags]}"
        results = verify.verify_source(src, translated, str(path), ATOL, RTOL)
        assert results, f"{path.name}: no model compared"
        for r in results:
            assert r.ok, f"{path.name} {r.name} [{r.mode}]: {r.max_abs_diff} {r.detail}"
        print(f"\n{path.name}: worst max|diff| = {max(r.max_abs_diff for r in results):.2e}")


def test_template_arguments_keep_their_precedence(verify) -> None:  # type: ignore[no-untyped-def]
    """A rule template or handler applies operators to its arguments (Rescaling: ``{x} * {scale} +
    {offset}``, ELU: ``alpha * tf.nn.elu(x)``): an expression argument is parenthesized (``x * 1.0 - 0.5`` would be
    ``x + 0.5``, and ``x * 1.0 / 255`` divides the tensor); the outputs are Keras's."""
    source = """
        import keras
        from keras import layers
        inputs = keras.Input(shape=(4,))
        x = layers.Rescaling(1.0 - 0.5, offset=2.0 - 1.0)(inputs)
        x = layers.Rescaling(scale=1.0 / 255, offset=-1.0)(x)
        outputs = layers.ELU(alpha=0.5 + 0.25)(x)
        model = keras.Model(inputs, outputs)
        """
    translated, _, worst = _run(verify, "rescaling_expressions", source)
    assert "* (1.0 - 0.5) + (2.0 - 1.0)" in translated and "* (1.0 / 255) + -1.0" in translated
    assert "(0.5 + 0.25) * tf.nn.elu(" in translated  # ELU's handler writes alpha * elu(x)
    assert worst == 0.0  # x * scale + offset, as Keras computes it


@pytest.mark.parametrize("program", [False, True])
def test_a_list_of_one_output_gives_the_tensor(program: bool, tmp_path: Path) -> None:
    """Keras's Functional.call ends in unpack_singleton: `keras.Model([inp], [out])` called
    gives the tensor, not a list of one, and so do the flat form's module and the program
    form's runtime model (they gave a list). Outputs equal, atol 1e-5."""
    import subprocess
    import sys

    from kerastf_xlate.totf import translate

    # a loop over layer sizes is a program: the flat form does not take it
    body = "for units in [2]:\n    out = layers.Dense(units)(out)\n" if program else "out = layers.Dense(2)(out)\n"
    src = textwrap.dedent("""\
        import numpy as np
        import keras
        from keras import layers
        inp = keras.Input(shape=(3,))
        out = inp
        """) + body + "model = keras.Model(inputs=[inp], outputs=[out])\n"
    text, _ = translate(src, "m.py")
    assert "model = keras.Model(" not in text and ("# --- TensorFlow layers written out" in text) == program
    check = textwrap.dedent("""\
        import sys
        import numpy as np
        import tensorflow as tf
        import keras
        x = np.linspace(-1, 1, 6, dtype="float32").reshape(2, 3)
        weights = [np.arange(6, dtype="float32").reshape(3, 2) / 5, np.array([0.5, -0.25], "float32")]
        """)
    run = tmp_path / "run.py"
    run.write_text(src + check + textwrap.dedent("""\
        model.set_weights(weights)
        want = model(x)
        assert not isinstance(want, (list, tuple)), type(want)
        np.save("want.npy", np.asarray(want))
        """))
    tr = tmp_path / "run_tf.py"
    tr.write_text(text + check + textwrap.dedent("""\
        model.set_weights(weights)
        got = model(x)
        assert not isinstance(got, (list, tuple)), type(got)
        worst = float(np.max(np.abs(np.asarray(got) - np.load("want.npy"))))
        print("worst difference", worst)
        assert worst <= 1e-5
        """))
    for script in (run, tr):
        proc = subprocess.run([sys.executable, script.name], cwd=tmp_path, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr[-2000:]
