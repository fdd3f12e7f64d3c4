"""TensorFlow Hub's ``hub.KerasLayer`` in the program form: it becomes the runtime class of
``runtime/tfr_hub.py`` (translate.py ``_HUB_LAYERS``), the SavedModel ``tensorflow_hub.load``
gives, called as hub's layer calls it; the model around it is translated as any other.

The programs are written after the ways tutorials and course notebooks use it: a frozen image
feature extractor as the first entry of a Sequential, fine-tuned later with
``layer.trainable = True`` and a second ``compile``/``fit``; a text embedding taking strings
(``input_shape=[], dtype=tf.string``) added to a Sequential; an encoder returning a dict whose
``"pooled_output"`` a functional builder reads; a signature called with ``output_key``.

Tests download nothing: the handles are SavedModels written by ``HUB_MODELS`` into a temporary
folder, following TF Hub's conventions for TF2 SavedModels (``__call__`` taking a ``training``
flag, the ``variables``, ``trainable_variables`` and ``regularization_losses`` attributes).

``hub.KerasLayer`` is a tf.keras 2 layer: a Keras 3 model refuses it, so the reference is the
program run under tf-keras (``TF_USE_LEGACY_KERAS=1``, what such a program needs with
TensorFlow 2.16 and later). Every weight (the hub module's too) is perturbed in the reference
and moved into the translation. Tolerances: inference ``1e-5``; after training ``1e-4``
(weights, history, outputs); the worst difference is printed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from program_text import run_both, script_head, user_code

from kerastf_xlate.totf import translate

pytest.importorskip("tensorflow_hub")

# TF Hub-style SavedModels: an image feature vector (a `training` flag, a non-trainable
# variable, a regularization loss), a text embedding on strings, an encoder returning a dict
# (also exported as the `serving_default` signature)
HUB_MODELS = """\
import sys
import numpy as np
import tensorflow as tf


class Exported(tf.Module):
    variables = None  # plain attributes, saved with the object as TF Hub's models save them
    trainable_variables = None
    regularization_losses = None


def image_features(path):
    rng = np.random.default_rng(0)
    m = Exported()
    m.kernel = tf.Variable(rng.standard_normal((12, 6)).astype("float32") / 4, name="kernel")
    m.bias = tf.Variable(rng.uniform(-0.2, 0.2, 6).astype("float32"), name="bias")
    m.mean = tf.Variable(rng.uniform(-0.1, 0.1, 6).astype("float32"), trainable=False, name="mean")

    @tf.function
    def call(images, training=False):
        x = tf.reduce_mean(tf.reshape(images, [-1, 16, 12]), axis=1)
        y = tf.matmul(x, m.kernel) + m.bias
        y = y - tf.reduce_mean(y, axis=0) if training else y - m.mean
        return tf.nn.relu(y)

    spec = tf.TensorSpec([None, 4, 4, 12], tf.float32)
    call.get_concrete_function(spec, training=True)
    call.get_concrete_function(spec, training=False)
    m.__call__ = call
    m.variables = [m.kernel, m.bias, m.mean]
    m.trainable_variables = [m.kernel, m.bias]
    penalty = tf.function(lambda: 0.01 * tf.reduce_sum(tf.square(m.kernel)), input_signature=[])
    penalty.get_concrete_function()
    m.regularization_losses = [penalty]
    tf.saved_model.save(m, path)


def text_embedding(path):
    m = Exported()
    m.table = tf.Variable(np.random.default_rng(1).standard_normal((50, 5)).astype("float32"), name="embeddings")

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
    def call(sentences):
        ids = tf.strings.to_hash_bucket_fast(tf.strings.split(sentences), 50)
        return tf.reduce_sum(tf.gather(m.table, ids), axis=1)

    m.__call__ = call
    m.variables = [m.table]
    m.trainable_variables = [m.table]
    tf.saved_model.save(m, path)


def encoder(path):
    m = Exported()
    m.w = tf.Variable(np.random.default_rng(2).standard_normal((3, 4)).astype("float32"), name="w")

    @tf.function(input_signature=[tf.TensorSpec([None, 7, 3], tf.float32)])
    def call(x):
        seq = tf.tanh(tf.einsum("btc,cd->btd", x, m.w))
        return {"sequence_output": seq, "pooled_output": tf.reduce_max(seq, axis=1)}

    m.__call__ = call
    m.variables = [m.w]
    m.trainable_variables = [m.w]
    tf.saved_model.save(m, path, signatures={"serving_default": call.get_concrete_function()})


image_features(sys.argv[1] + "/image")
text_embedding(sys.argv[1] + "/text")
encoder(sys.argv[1] + "/encoder")
"""


@pytest.fixture(scope="module")
def handles(tmp_path_factory) -> str:
    """The folder holding the three SavedModels (``image``, ``text``, ``encoder``)."""
    where = tmp_path_factory.mktemp("hub")
    (where / "make.py").write_text(HUB_MODELS)
    proc = subprocess.run([sys.executable, "make.py", str(where)], cwd=where, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return str(where)


# an image classifier on a frozen feature extractor, then fine-tuned (TF's transfer learning tutorials)
IMAGE = """\
import numpy as np
import tensorflow as tf
import tensorflow_hub as hub

IMAGE_SHAPE = (4, 4, 12)
feature_extractor_layer = hub.KerasLayer(HANDLES + "/image", input_shape=IMAGE_SHAPE, trainable=False)
model = tf.keras.Sequential([
    feature_extractor_layer,
    tf.keras.layers.Dense(3)
])
"""
IMAGE_RUN = """\
x = np.random.default_rng(5).uniform(0, 1, (8,) + IMAGE_SHAPE).astype("float32")
y = np.array([0, 1, 2, 0, 1, 2, 1, 0])
report["frozen"] = [len(model.trainable_weights), len(model.weights)]
model.compile(optimizer=tf.keras.optimizers.Adam(learning_rate=0.01),
              loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
h1 = model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
feature_extractor_layer.trainable = True
report["tuned"] = [len(model.trainable_weights), len(model.weights)]
model.compile(optimizer=tf.keras.optimizers.Adam(learning_rate=0.01),
              loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
h2 = model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
report["history"] = {k: h1.history[k] + h2.history[k] for k in h1.history}
report["penalty"] = arrays(tf.add_n(model.losses))
report["training_call"] = arrays(model(x, training=True))
"""

# sentences embedded by a trainable text module, in a Sequential built with add (text classification tutorials)
TEXT = """\
import numpy as np
import tensorflow as tf
import tensorflow_hub as hub

hub_layer = hub.KerasLayer(HANDLES + "/text", input_shape=[], dtype=tf.string, trainable=True)
model = tf.keras.Sequential()
model.add(hub_layer)
model.add(tf.keras.layers.Dense(4, activation='relu'))
model.add(tf.keras.layers.Dense(1))
"""
TEXT_RUN = """\
x = np.array(["a good film", "bad", "the plot was good", "a bad bad ending", "fine", "good good"])
y = np.array([1, 0, 1, 0, 1, 1])
model.compile(optimizer='adam', loss=tf.keras.losses.BinaryCrossentropy(from_logits=True), metrics=['accuracy'])
h = model.fit(x, y, batch_size=3, epochs=3, shuffle=False, verbose=0)
report["history"] = h.history
"""

# a builder reading an encoder's dict output, and a signature with `output_key` (BERT notebooks)
ENCODER = """\
import numpy as np
import tensorflow as tf
import tensorflow_hub as hub


def build_classifier_model():
    tokens = tf.keras.layers.Input(shape=(7, 3), name='tokens')
    encoder = hub.KerasLayer(HANDLES + "/encoder", trainable=True, name='encoder')
    outputs = encoder(tokens)
    net = outputs['pooled_output']
    net = tf.keras.layers.Dropout(0.1)(net)
    net = tf.keras.layers.Dense(1, activation=None, name='classifier')(net)
    return tf.keras.Model(tokens, net)


model = build_classifier_model()
pooled = tf.keras.Sequential([
    hub.KerasLayer(HANDLES + "/encoder", signature="serving_default", output_key="pooled_output"),
    tf.keras.layers.Dense(2),
])
"""
ENCODER_RUN = """\
pooled(DATA)  # (built on its first call) weights of its own, the same in both runs
pooled.set_weights([np.linspace(-1, 1, w.size).reshape(w.shape).astype("float32") for w in pooled.get_weights()])
report["pooled"] = arrays(pooled(DATA))
"""

# how each run starts after the program: the reference perturbs every weight (the hub module's
# too) and keeps them, the translation loads them; both report inference on DATA first
START = """\
model.set_weights(WEIGHTS(model.get_weights()))
report = {'before': arrays(model(DATA, training=False))}
"""
# how each run ends: the weights after the run's own training and the outputs after it
END = """\
report['weights'] = arrays(model.get_weights())
report['after'] = arrays(model(DATA, training=False))
json.dump(report, open(OUT, 'w'))
"""
KEEP = """\
def WEIGHTS(weights):
    model = type("Weights", (), {"get_weights": lambda self: weights, "set_weights": lambda self, w: kept.extend(w)})()
    kept = []
    moved(model)
    json.dump(arrays(kept), open('../w.json', 'w'))
    return kept
"""
LOAD = """\
def WEIGHTS(weights):
    return [np.asarray(w, 'float32') for w in json.load(open('../w.json'))]
"""
LEGACY = "import os\nos.environ['TF_USE_LEGACY_KERAS'] = '1'  # tf.keras is tf-keras, as hub.KerasLayer needs\n"


def _run(tmp_path, handles: str, program: str, data: str, run: str) -> tuple[dict, dict, str]:
    program = program + START + run + END
    out, diags = translate(program, "m.py")
    assert out != program, [f"{d.code} {d.message}" for d in diags]
    assert translate(out, "m.py")[0] == out  # a second run changes nothing
    user = user_code(out)
    assert "hub.KerasLayer" not in user and "tf.keras" not in user and "import tensorflow_hub" not in user, user
    head = script_head(3) + f"HANDLES = {handles!r}\nDATA = {data}\n"
    (tmp_path / "run").mkdir()
    keras2, ours = run_both(tmp_path / "run", LEGACY + head + KEEP + program, head + LOAD + out)
    return keras2, ours, out


def _worst(a, b) -> float:
    return float(np.max(np.abs(np.asarray(a, "float64") - np.asarray(b, "float64"))))


def _alike(keras2: dict, ours: dict, keys: list[str]) -> None:
    assert _worst(keras2["before"], ours["before"]) <= 1e-5, _worst(keras2["before"], ours["before"])
    for key in keys:
        if isinstance(keras2[key], dict):
            assert set(keras2[key]) == set(ours[key]), (keras2[key], ours[key])
            for k in keras2[key]:
                assert _worst(keras2[key][k], ours[key][k]) <= 1e-4, (key, k, keras2[key], ours[key])
        else:
            assert _worst(keras2[key], ours[key]) <= 1e-4, (key, keras2[key], ours[key])
    worst = max(_worst(a, b) for a, b in zip(keras2["weights"], ours["weights"]))
    print(f"worst |tf - tf.keras 2|: inference {_worst(keras2['before'], ours['before']):.3g}, weights after "
          f"the run {worst:.3g}, outputs after it {_worst(keras2['after'], ours['after']):.3g}")
    assert len(keras2["weights"]) == len(ours["weights"]) and worst <= 1e-4
    assert _worst(keras2["after"], ours["after"]) <= 1e-4


def test_frozen_then_fine_tuned_feature_extractor_trains_as_tf_keras_2(tmp_path, handles) -> None:
    keras2, ours, _ = _run(tmp_path, handles, IMAGE, "np.random.default_rng(4).uniform(0, 1, (3, 4, 4, 12)).astype('float32')",
                           IMAGE_RUN)
    # frozen: the Dense's two weights train; tuned: the module's two trainable variables too
    assert keras2["frozen"] == ours["frozen"] == [2, 5] and keras2["tuned"] == ours["tuned"] == [4, 5]
    _alike(keras2, ours, ["history", "penalty", "training_call"])


def test_text_embedding_on_strings_trains_as_tf_keras_2(tmp_path, handles) -> None:
    keras2, ours, _ = _run(tmp_path, handles, TEXT, "np.array(['good film', 'a bad plot'])", TEXT_RUN)
    _alike(keras2, ours, ["history"])


def test_dict_output_and_signature_predict_as_tf_keras_2(tmp_path, handles) -> None:
    keras2, ours, out = _run(tmp_path, handles, ENCODER,
                             "np.random.default_rng(6).normal(0, 1, (4, 7, 3)).astype('float32')", ENCODER_RUN)
    assert "outputs['pooled_output']" in user_code(out)
    _alike(keras2, ours, ["pooled"])


@pytest.mark.parametrize("call, says", [
    ("hub.KerasLayer(HANDLE, **options)", "`hub.KerasLayer(...)`: `*args`, `**kwargs`"),
    ("hub.KerasLayer(HANDLE, weights=None)", "`hub.KerasLayer(weights=...)`: a keyword the translated layer"),
    ("hub.KerasLayer(HANDLE, dtype='float16')", "only float32 and string TensorFlow Hub layers"),
])
def test_arguments_the_runtime_does_not_take_keep_the_model(call: str, says: str) -> None:
    program = textwrap.dedent(f"""\
        import tensorflow as tf
        import tensorflow_hub as hub

        HANDLE, options = "/models/image", {{}}
        model = tf.keras.Sequential([{call}, tf.keras.layers.Dense(3)])
        """)
    out, diags = translate(program, "m.py")
    assert out == program
    assert any(says in d.message for d in diags), [d.message for d in diags]


@pytest.mark.parametrize("line, says", [
    # tf.keras 2 wrote a SavedModel or a TensorFlow checkpoint at these names; Keras 3 and the
    # translation raise ValueError there
    ("model.save('saved_model/classifier')", "at a name where tf.keras 2, whose program this is (for its "
                                             "hub.KerasLayer), wrote a SavedModel"),
    ("model.save_weights('training_1/cp.ckpt')", "the program is tf.keras 2's (for its hub.KerasLayer), which wrote a TensorFlow checkpoint"),
    # tf.keras 2's Adam with what LegacyAdam does not take
    ("model.compile(optimizer=tf.keras.optimizers.Adam(1e-3, clipnorm=1.0), loss='mse')",
     "tf.keras 2's Adam is translated with learning_rate, beta_1, beta_2, epsilon, amsgrad, name only"),
])
def test_what_tf_keras_2_does_otherwise_keeps_a_hub_program(line: str, says: str) -> None:
    program = textwrap.dedent(f"""\
        import numpy as np
        import tensorflow as tf
        import tensorflow_hub as hub

        model = tf.keras.Sequential([hub.KerasLayer("/models/image", input_shape=(4, 4, 12)), tf.keras.layers.Dense(3)])
        model.compile(optimizer="adam", loss="mse")
        model.fit(np.zeros((2, 4, 4, 12)), np.zeros((2, 3)))
        {line}
        """)
    out, diags = translate(program, "m.py")
    assert out == program
    assert any(says in d.message for d in diags), [d.message for d in diags]
    # at a name Keras 3 takes (or with Adam's own arguments) the program is translated
    fine = program.replace("classifier')", "classifier.keras')").replace("cp.ckpt", "cp.weights.h5") \
        .replace(", clipnorm=1.0", "")
    out, diags = translate(fine, "m.py")
    assert out != fine, [d.message for d in diags]
    assert "LegacyAdam" in user_code(out)


def test_the_acc_metric_name_is_tf_keras_2s_and_keras_3s_alike() -> None:
    # Keras 2.2 named `metrics=['accuracy']` 'acc'; tf.keras 2 and Keras 3 name a metric as given
    program = textwrap.dedent("""\
        import tensorflow as tf
        import tensorflow_hub as hub

        model = tf.keras.Sequential([hub.KerasLayer("/models/image", input_shape=(4, 4, 12)), tf.keras.layers.Dense(3)])
        model.compile(optimizer="sgd", loss="mse", metrics=["acc"])
        history = model.fit(tf.zeros((2, 4, 4, 12)), tf.zeros((2, 3)))
        print(history.history["acc"])
        """)
    out, diags = translate(program, "m.py")
    assert out != program, [d.message for d in diags]


# BatchNormalization in a training hub program: tf.keras 2's fused kernel on the 4-D input moves
# the variance with the unbiased batch variance, the 2-D one (not fused) with the biased one (the
# convolution has no bias, and SGD trains: a bias before a batch normalization, or a weight a
# ReLU all but cuts off, gets a gradient of rounding noise, which Adam's normalized step makes
# lr-sized either way)
NORMALIZED = """\
import numpy as np
import tensorflow as tf
import tensorflow_hub as hub

model = tf.keras.Sequential([
    tf.keras.layers.Conv2D(12, 3, padding="same", use_bias=False, input_shape=(4, 4, 12)),
    tf.keras.layers.BatchNormalization(momentum=0.5),
    hub.KerasLayer(HANDLES + "/image"),
    tf.keras.layers.BatchNormalization(momentum=0.5),
    tf.keras.layers.Dense(3),
])
model.compile(optimizer=tf.keras.optimizers.SGD(learning_rate=0.1), loss="mse")
"""
NORMALIZED_RUN = """\
x = np.random.default_rng(7).uniform(0, 1, (6, 4, 4, 12)).astype("float32")
h = model.fit(x, np.random.default_rng(8).normal(0, 1, (6, 3)).astype("float32"), batch_size=3, epochs=2,
              shuffle=False, verbose=0)
report["history"] = h.history
report["names"] = [layer.name for layer in model.layers]
"""


def test_batch_normalization_in_a_training_hub_program_moves_as_tf_keras_2s(tmp_path, handles) -> None:
    keras2, ours, out = _run(tmp_path, handles, NORMALIZED,
                             "np.random.default_rng(4).uniform(0, 1, (3, 4, 4, 12)).astype('float32')", NORMALIZED_RUN)
    assert user_code(out).count("TFKeras2BatchNormalization(momentum=0.5)") == 2
    assert keras2["names"] == ours["names"]
    _alike(keras2, ours, ["history"])


def test_hub_import_stays_while_the_program_still_uses_it() -> None:
    program = textwrap.dedent("""\
        import tensorflow as tf
        import tensorflow_hub as hub

        preprocessor = hub.load("/models/text")
        model = tf.keras.Sequential([hub.KerasLayer("/models/encoder", input_shape=(7, 3)), tf.keras.layers.Dense(1)])
        """)
    out, _ = translate(program, "m.py")
    user = user_code(out)
    assert "import tensorflow_hub as hub" in user and 'hub.load("/models/text")' in user
    assert 'HubKerasLayer("/models/encoder", input_shape=(7, 3))' in user


def test_a_hub_program_s_other_model_is_tf_keras_2s_when_the_hub_model_is_kept() -> None:
    # the hub model stays Keras (its `**options`); the other model is translated, in the program
    # form with tf.keras 2's Adam (the flat form's would be Keras 3's)
    program = textwrap.dedent("""\
        import numpy as np
        import tensorflow as tf
        import tensorflow_hub as hub

        words = tf.keras.Sequential([tf.keras.layers.Embedding(50, 4), tf.keras.layers.Flatten(), tf.keras.layers.Dense(1)])
        words.compile(optimizer="adam", loss="mse")
        words.fit(np.zeros((4, 5)), np.zeros((4, 1)))

        options = {"trainable": False}
        images = tf.keras.Sequential([hub.KerasLayer("/models/image", **options), tf.keras.layers.Dense(1)])
        """)
    out, diags = translate(program, "m.py")
    user = user_code(out)
    assert 'words.compile(optimizer=LegacyAdam(), loss="mse")' in user, user
    assert 'images = tf.keras.Sequential([hub.KerasLayer("/models/image", **options)' in user
    assert any("`**kwargs`" in d.message for d in diags)


def test_only_a_models_compile_gets_tf_keras_2s_adam() -> None:
    # `re.compile("adam")` is a module's compile: its string stays
    program = textwrap.dedent("""\
        import re
        import tensorflow as tf
        import tensorflow_hub as hub

        optimizer_name = re.compile("adam")
        model = tf.keras.Sequential([hub.KerasLayer("/models/image", input_shape=(4, 4, 12)), tf.keras.layers.Dense(3)])
        model.compile("adam", loss="mse")
        """)
    user = user_code(translate(program, "m.py")[0])
    assert 'optimizer_name = re.compile("adam")' in user and "model.compile(LegacyAdam(), loss=\"mse\")" in user, user


# keras.applications in a hub program: the translated builder (Keras 3's source) takes tf.keras
# 2's BatchNormalization too, as the user's own layers do (a MobileNetV2 trained from scratch
# beside a hub layer; at its last blocks the batch is the whole spatial extent, 4 values per
# feature, so Keras 3's biased moving variance would be 3/4 of tf.keras 2's). A small learning
# rate: at 0.05 the two original programs (tf-keras 2.21 and Keras 3, no translation) already end
# 1.9e-2 apart in their trained kernels after these two steps (rounding of the fused and unfused
# batch-norm kernels, amplified where a feature's batch is 4 values; measured 2026-12-07)
APPLICATION = """\
import numpy as np
import tensorflow as tf
import tensorflow_hub as hub

extractor = hub.KerasLayer(HANDLES + "/image", input_shape=(4, 4, 12))
base = tf.keras.applications.MobileNetV2(input_shape=(32, 32, 3), alpha=0.35, weights=None, include_top=False,
                                         pooling="avg")
model = tf.keras.Sequential([base, tf.keras.layers.Dense(3)])
model.compile(optimizer=tf.keras.optimizers.SGD(learning_rate=0.001), loss="mse")
"""
APPLICATION_RUN = """\
x = np.random.default_rng(9).uniform(0, 1, (8, 32, 32, 3)).astype("float32")
h = model.fit(x, np.random.default_rng(10).normal(0, 1, (8, 3)).astype("float32"), batch_size=4, epochs=1,
              shuffle=False, verbose=0)
report["history"] = h.history
"""


def test_an_application_in_a_hub_program_trains_as_tf_keras_2s(tmp_path, handles) -> None:
    keras2, ours, out = _run(tmp_path, handles, APPLICATION,
                             "np.random.default_rng(4).uniform(0, 1, (2, 32, 32, 3)).astype('float32')", APPLICATION_RUN)
    # every BatchNormalization the translated builder makes is tf.keras 2's (5, and the class)
    assert out.count("TFKeras2BatchNormalization(") == 6 and "_xlate_keras_app_mobilenet_v2.MobileNetV2(" in user_code(out)
    _alike(keras2, ours, ["history"])
