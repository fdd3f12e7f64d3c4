"""Keras 2 programs (XL102; totf/program/keras2.py, docs/design.md "Keras 2 programs (XL102)").

A file spelled with Keras 2 names that Keras 3 does not have (``from keras.layers.convolutional
import Conv2D``, ``from keras.layers.merge import concatenate``, ``from keras.models import
Input``, ``from keras import backend as K; K.sum(x)``) fails under Keras 3 as written. The
program form reads each as the name it is in Keras 2 and says so (XL102, a note); what Keras 2
versions compute differently from one another or from Keras 3 keeps its model Keras (XL102, a
reason). The programs here are our own, written after the shapes of book notebooks and
microscopy-course scripts of 2018-2020; each executed test runs the original under Keras 2
(tf-keras, the last Keras 2: ``KERAS2_PRELUDE``) and its translation without Keras, with the
Keras 2 model's weights perturbed and moved (``moved``), and compares.
"""

from __future__ import annotations

import ast
import textwrap

import numpy as np
import pytest

from kerastf_xlate.totf import translate
from kerastf_xlate.totf.program.translate import translate_program

# a U-Net in the style of 2019 microscopy scripts: Keras 2's module paths, a Jaccard metric and
# loss written with `K.*`, Adam given Keras 2's `lr=` (Keras 3: `learning_rate=`), trained with fit (no dropout: its masks are random in each run)
UNET = """\
from keras.models import Model
from keras.layers import Input
from keras.layers.core import Lambda
from keras.layers.convolutional import Conv2D, Conv2DTranspose
from keras.layers.pooling import MaxPooling2D
from keras.layers.merge import concatenate
from keras.optimizers import Adam
from keras import backend as K


def jacard_coef(y_true, y_pred):
    y_true_f = K.flatten(y_true)
    y_pred_f = K.flatten(y_pred)
    intersection = K.sum(y_true_f * y_pred_f)
    return (intersection + 1.0) / (K.sum(y_true_f) + K.sum(y_pred_f) - intersection + 1.0)


def jacard_coef_loss(y_true, y_pred):
    return -jacard_coef(y_true, y_pred)


def simple_unet_model(height, width, channels):
    inputs = Input((height, width, channels))
    s = Lambda(lambda x: x / 255)(inputs)
    c1 = Conv2D(4, (3, 3), activation='relu', kernel_initializer='he_normal', padding='same')(s)
    p1 = MaxPooling2D((2, 2))(c1)
    c2 = Conv2D(8, (3, 3), activation='relu', kernel_initializer='he_normal', padding='same')(p1)
    u3 = Conv2DTranspose(4, (2, 2), strides=(2, 2), padding='same')(c2)
    u3 = concatenate([u3, c1], axis=3)
    c3 = Conv2D(4, (3, 3), activation='relu', padding='same')(u3)
    outputs = Conv2D(1, (1, 1), activation='sigmoid')(c3)
    model = Model(inputs=[inputs], outputs=[outputs])
    model.compile(optimizer=Adam(lr=1e-3), loss=[jacard_coef_loss], metrics=[jacard_coef])
    return model


model = simple_unet_model(8, 8, 3)
"""

UNET_RUN = """\
rng_data = np.random.default_rng(5)
images = rng_data.uniform(0, 255, (8, 8, 8, 3)).astype('float32')
masks = (rng_data.uniform(size=(8, 8, 8, 1)) > 0.5).astype('float32')
if hasattr(model, 'to_json'):  # the Keras 2 model: new weights, kept for the translation
    moved(model)
    json.dump({'w': arrays(model.get_weights())}, open('../w.json', 'w'))
else:
    model.set_weights([np.asarray(w, 'float32') for w in json.load(open('../w.json'))['w']])
before = model.predict(images, verbose=0)
history = model.fit(images, masks, batch_size=4, epochs=2, shuffle=False, verbose=0)
after = model(images, training=False)
json.dump({'before': arrays(before), 'after': arrays(after), 'history': history.history,
           'weights': arrays(model.get_weights()), 'keras': hasattr(model, 'to_json')}, open(OUT, 'w'))
"""

# a sequential classifier in the style of 2018 book notebooks: Keras 2's aliases and paths,
# BatchNormalization and LeakyReLU, a Lambda written with `K.*`; predicted, not trained
CLASSIFIER = """\
from keras.models import Sequential
from keras.layers.core import Dense, Dropout, Flatten, Activation, Lambda
from keras.layers.convolutional import Convolution2D, MaxPooling2D, ZeroPadding2D
from keras.layers.normalization import BatchNormalization
from keras.layers.advanced_activations import LeakyReLU
from keras import backend as K

model = Sequential()
model.add(ZeroPadding2D((1, 1), input_shape=(10, 10, 3)))
model.add(Convolution2D(6, (3, 3)))
model.add(BatchNormalization())
model.add(LeakyReLU(alpha=0.1))
model.add(MaxPooling2D(pool_size=(2, 2)))
model.add(Flatten())
model.add(Dense(8))
model.add(Activation('relu'))
model.add(Dropout(0.25))
model.add(Lambda(lambda t: K.l2_normalize(t, axis=-1)))
model.add(Dense(3, activation='softmax'))
"""

# a sentence classifier in the style of a 2018 course notebook: `Input` from `keras.models`,
# Keras 2's recurrent and embedding paths, an LSTM whose recurrent activation is given
SENTENCES = """\
from keras.models import Model, Input
from keras.layers.embeddings import Embedding
from keras.layers.recurrent import LSTM
from keras.layers.core import Dense, Dropout, Activation
from keras.layers.pooling import GlobalMaxPooling1D
from keras.layers.merge import concatenate


def sentence_model(input_shape, vocab, dim):
    indices = Input(shape=input_shape, dtype='int32')
    embeddings = Embedding(vocab, dim)(indices)
    X = LSTM(6, return_sequences=True, recurrent_activation='sigmoid')(embeddings)
    X = Dropout(0.5)(X)
    pooled = GlobalMaxPooling1D()(embeddings)
    X = concatenate([GlobalMaxPooling1D()(X), pooled])
    X = Dense(5)(X)
    X = Activation('softmax')(X)
    return Model(inputs=indices, outputs=X)


model = sentence_model((7,), 20, 4)
"""

# an attention layer in the style of 2018 text-classification scripts: a custom Layer of Keras 2
# (weights by keyword, `K.dot`/`K.tanh`/`K.softmax`/`K.sum`, `super(Cls, self).build`)
ATTENTION = """\
from keras.layers import Layer, Input
from keras.layers.core import Dense
from keras.layers.embeddings import Embedding
from keras.models import Model
from keras import backend as K


class Attention(Layer):
    def build(self, input_shape):
        self.W = self.add_weight(name='att_weight', shape=(input_shape[-1], 1), initializer='glorot_uniform')
        self.b = self.add_weight(name='att_bias', shape=(input_shape[1], 1), initializer='zeros')
        super(Attention, self).build(input_shape)

    def call(self, x):
        e = K.tanh(K.dot(x, self.W) + self.b)
        a = K.softmax(e, axis=1)
        return K.sum(x * a, axis=1)


tokens = Input(shape=(6,), dtype='int32')
h = Embedding(30, 5)(tokens)
model = Model(tokens, Dense(2, activation='softmax')(Attention()(h)))
"""

# a keras.applications-style builder of Keras 2.0-2.2 given its caller's Input (`input_tensor`)
SOURCE_INPUTS = """\
from keras.layers import Input, Dense, BatchNormalization, Activation
from keras.models import Model
from keras.engine.topology import get_source_inputs


def small_net(input_tensor=None, classes=3):
    if input_tensor is None:
        img_input = Input(shape=(6,))
    else:
        img_input = input_tensor
    x = Dense(5)(img_input)
    x = BatchNormalization()(x)
    x = Activation('relu')(x)
    x = Dense(classes, activation='softmax')(x)
    if input_tensor is not None:
        inputs = get_source_inputs(input_tensor)
    else:
        inputs = img_input
    return Model(inputs, x, name='small_net')


model = small_net()
"""

PREDICT_RUN = """\
if hasattr(model, 'to_json'):
    moved(model)
    json.dump({'w': arrays(model.get_weights())}, open('../w.json', 'w'))
else:
    model.set_weights([np.asarray(w, 'float32') for w in json.load(open('../w.json'))['w']])
json.dump({'y': arrays(model(DATA, training=False)), 'keras': hasattr(model, 'to_json')}, open(OUT, 'w'))
"""


def _keras3_spelling(text: str) -> str:
    """The same program with Keras 3's names."""
    for module in ("core", "convolutional", "pooling", "merge", "normalization", "advanced_activations",
                   "embeddings", "recurrent"):
        text = text.replace(f"from keras.layers.{module} import", "from keras.layers import")
    text = text.replace("from keras.models import Model, Input", "from keras.models import Model\nfrom keras import Input")
    text = text.replace("from keras.engine.topology import", "from keras.utils import")
    return text.replace("from keras import backend as K", "from tensorflow.keras import backend as K")


def _run(tmp_path, program: str, tail: str) -> tuple[dict, dict, str]:
    from program_text import KERAS2_PRELUDE, run_both, script_head

    out, diags = translate(program, "m.py")
    assert "keras" not in _user(out).replace("tf.keras", ""), out
    notes = [d for d in diags if d.code == "XL102"]
    assert notes and all("Keras 2's" in d.message and "read as" in d.message for d in notes), diags
    assert translate(out, "m.py")[0] == out  # a second run changes nothing
    head = script_head(3)
    (tmp_path / "run").mkdir()
    keras2, ours = run_both(tmp_path / "run", KERAS2_PRELUDE + head + program + tail, head + out + tail)
    assert keras2["keras"] and not ours["keras"]
    return keras2, ours, out


def _user(out: str) -> str:
    from program_text import user_code

    return user_code(out)


def _worst(a, b) -> float:
    return float(np.max(np.abs(np.asarray(a, "float64") - np.asarray(b, "float64"))))


def test_keras2_unet_trains_as_keras2_does(tmp_path) -> None:
    keras2, ours, out = _run(tmp_path, UNET, UNET_RUN)
    assert "Adam(learning_rate=1e-3)" in out
    # inference with the moved weights; then two epochs of Adam on a Jaccard loss written with K.*
    _trained_alike(keras2, ours, {"loss", "jacard_coef"})


def _trained_alike(keras2: dict, ours: dict, metrics: set[str]) -> None:
    """UNET_RUN's report: inference with the moved weights; then two epochs of training (the
    history, the weights and the outputs after it)."""
    assert _worst(keras2["before"], ours["before"]) <= 1e-5, _worst(keras2["before"], ours["before"])
    assert set(keras2["history"]) == set(ours["history"]) == metrics, (keras2["history"], ours["history"])
    for key in keras2["history"]:
        assert _worst(keras2["history"][key], ours["history"][key]) <= 1e-4, (key, keras2["history"], ours["history"])
    worst = max(_worst(a, b) for a, b in zip(keras2["weights"], ours["weights"]))
    print(f"after training: worst weight |tf - keras 2| = {worst:.3g}, outputs "
          f"{_worst(keras2['after'], ours['after']):.3g}")
    assert worst <= 1e-4 and _worst(keras2["after"], ours["after"]) <= 1e-4


@pytest.mark.parametrize("program, data", [
    (CLASSIFIER, "np.random.default_rng(2).uniform(0, 1, (4, 10, 10, 3)).astype('float32')"),
    (SENTENCES, "np.random.default_rng(2).integers(0, 20, (4, 7)).astype('int32')"),
    (ATTENTION, "np.random.default_rng(2).integers(0, 30, (4, 6)).astype('int32')"),
    (SOURCE_INPUTS, "np.random.default_rng(2).normal(0, 1, (4, 6)).astype('float32')"),
], ids=["sequential-bn-lambda", "functional-lstm-embedding", "custom-attention-layer", "builder-source-inputs"])
def test_keras2_model_predicts_as_keras2_does(tmp_path, program: str, data: str) -> None:
    keras2, ours, out = _run(tmp_path, program, f"DATA = {data}\n" + PREDICT_RUN)
    worst = _worst(keras2["y"], ours["y"])
    print(f"worst |tf - keras 2| = {worst:.3g}")
    assert np.asarray(ours["y"]).shape[0] == 4 and worst <= 1e-5, worst
    # read as the same program spelled with Keras 3's names (in the program form: the flat form,
    # which the Keras 3 spelling may get, does not take Keras 2 programs)
    keras3 = _keras3_spelling(program)
    assert out == translate_program(keras3, ast.parse(keras3)).text


# a U-Net in the style of 2017-2018 segmentation scripts copied widely: star imports of three
# Keras modules (the optimizers module's last, so `Adam` is its), Keras 1's `Model(input=...,
# output=...)` that standalone Keras 2.0-2.3 renamed (tf.keras and Keras 3 raise TypeError),
# `Adam(lr=...)`, spaces around every `=`
STAR_UNET = """\
import numpy as np
from keras.models import *
from keras.layers import *
from keras.optimizers import *


def unet(pretrained_weights = None, input_size = (8, 8, 3)):
    inputs = Input(input_size)
    conv1 = Conv2D(4, 3, activation = 'relu', padding = 'same', kernel_initializer = 'he_normal')(inputs)
    pool1 = MaxPooling2D(pool_size=(2, 2))(conv1)
    conv2 = Conv2D(8, 3, activation = 'relu', padding = 'same', kernel_initializer = 'he_normal')(pool1)
    up3 = Conv2D(4, 2, activation = 'relu', padding = 'same')(UpSampling2D(size = (2,2))(conv2))
    merge3 = concatenate([conv1,up3], axis = 3)
    conv3 = Conv2D(4, 3, activation = 'relu', padding = 'same', kernel_initializer = 'he_normal')(merge3)
    conv4 = Conv2D(1, 1, activation = 'sigmoid')(conv3)

    model = Model(input = inputs, output = conv4)

    model.compile(optimizer = Adam(lr = 1e-3), loss = 'binary_crossentropy', metrics = ['accuracy'])

    if(pretrained_weights):
        model.load_weights(pretrained_weights)

    return model


model = unet()
"""


def test_keras1_model_keywords_of_a_star_imported_unet_train_as_keras2_did(tmp_path) -> None:
    """`Model(input=x, output=y)` is read as Keras 2.0-2.3 read it (inputs=, outputs=; the
    reference runs that spelling under tf-keras), `Adam` is the optimizers module's (the last
    star import that binds it; it was taken for a layer), and the model trains as Keras 2's."""
    from program_text import KERAS2_PRELUDE, run_both, script_head

    out, diags = translate(STAR_UNET, "m.py")
    assert "keras" not in _user(out).replace("tf.keras", ""), out
    said = [d.message for d in diags if d.code == "XL102"]
    assert len(said) == 2 and all("Keras 1's keyword" in m and "Keras 2.0-2.3) renamed" in m for m in said), diags
    assert "Adam(learning_rate = 1e-3)" in out and "Model(input" not in _user(out)
    assert translate(out, "m.py")[0] == out
    reference = STAR_UNET.replace("Model(input = inputs, output = conv4)", "Model(inputs = inputs, outputs = conv4)")
    head = script_head(4)
    keras2, ours = run_both(tmp_path, KERAS2_PRELUDE + head + reference + UNET_RUN.replace("'jacard_coef'", "'accuracy'"),
                            head + out + UNET_RUN)
    assert keras2["keras"] and not ours["keras"]
    _trained_alike(keras2, ours, {"loss", "accuracy"})


# Keras 1's layer keywords, as 2016-2017 scripts wrote them and Keras 2.0-2.3 still ran them
# (renamed with a warning), in a Sequential and a functional text model
KERAS1_LAYERS = """\
from keras.models import Sequential, Model
from keras.layers import Input, Dense, Dropout, Convolution2D, MaxPooling2D, Flatten, Embedding, LSTM

model = Sequential()
model.add(Convolution2D(8, (3, 3), border_mode='same', init='he_normal', input_shape=(8, 8, 3)))
model.add(MaxPooling2D(pool_size=(2, 2), border_mode='valid'))
model.add(Flatten())
model.add(Dense(output_dim=6, init='glorot_uniform', W_regularizer=None, bias=True, activation='relu'))
model.add(Dropout(p=0.3))
model.add(Dense(3, activation='softmax'))

words = Input(shape=(5,), dtype='int32')
h = Embedding(20, 4, init='uniform')(words)
h = LSTM(output_dim=6, inner_activation='sigmoid', dropout_W=0.0)(h)
text_model = Model(input=words, output=Dense(2)(h))
"""
# what Keras 2.0-2.3 ran: the same calls with Keras 2's keywords
KERAS1_LAYERS_AS_KERAS2 = KERAS1_LAYERS
for _old, _new in (("border_mode=", "padding="), ("init='he_normal'", "kernel_initializer='he_normal'"),
                   ("output_dim=6, init=", "units=6, kernel_initializer="), ("W_regularizer=", "kernel_regularizer="),
                   ("bias=True", "use_bias=True"), ("p=0.3", "rate=0.3"), ("init='uniform'", "embeddings_initializer='uniform'"),
                   ("output_dim=6, inner_activation=", "units=6, recurrent_activation="), ("dropout_W=", "dropout="),
                   ("input=words, output=", "inputs=words, outputs=")):
    KERAS1_LAYERS_AS_KERAS2 = KERAS1_LAYERS_AS_KERAS2.replace(_old, _new)

KERAS1_RUN = """\
images = np.random.default_rng(2).uniform(0, 1, (4, 8, 8, 3)).astype('float32')
tokens = np.random.default_rng(3).integers(0, 20, (4, 5)).astype('int32')
if hasattr(model, 'to_json'):
    moved(model)
    moved(text_model)
    json.dump({'w': arrays(model.get_weights()), 't': arrays(text_model.get_weights())}, open('../w.json', 'w'))
else:
    saved = json.load(open('../w.json'))
    model.set_weights([np.asarray(w, 'float32') for w in saved['w']])
    text_model.set_weights([np.asarray(w, 'float32') for w in saved['t']])
json.dump({'y': arrays(model(images, training=False)), 't': arrays(text_model(tokens, training=False)),
           'keras': hasattr(model, 'to_json')}, open(OUT, 'w'))
"""


def test_keras1_layer_keywords_are_read_as_keras2_read_them(tmp_path) -> None:
    """Each Keras 1 keyword Keras 2.0-2.3 renamed is renamed so (XL102 at each, as spelled) and
    the models compute what Keras 2's did with the keywords it renamed them to."""

    out, diags = translate(KERAS1_LAYERS, "m.py")
    assert "keras" not in _user(out).replace("tf.keras", ""), out
    said = sorted(d.message.split(" is ")[0] for d in diags if d.code == "XL102")
    assert said == sorted(f"`{c}`" for c in (
        "Convolution2D(border_mode=...)", "Convolution2D(init=...)", "MaxPooling2D(border_mode=...)",
        "Dense(output_dim=...)", "Dense(init=...)", "Dense(W_regularizer=...)", "Dense(bias=...)", "Dropout(p=...)",
        "Embedding(init=...)", "LSTM(output_dim=...)", "LSTM(inner_activation=...)", "LSTM(dropout_W=...)",
        "Model(input=...)", "Model(output=...)")), said
    assert "Dense(units=6, kernel_initializer='glorot_uniform', kernel_regularizer=None, use_bias=True" in out
    assert "LSTM(units=6, recurrent_activation='sigmoid', dropout=0.0)" in out
    keras2, ours = _keras2_and_ours(tmp_path, 6, KERAS1_LAYERS_AS_KERAS2, out, KERAS1_RUN)
    for key in ("y", "t"):
        worst = _worst(keras2[key], ours[key])
        print(f"{key}: worst |tf - keras 2| = {worst:.3g}")
        assert np.asarray(ours[key]).shape[0] == 4 and worst <= 1e-5, (key, worst)


# Keras 1's convolutions with the kernel's sizes as positional integers, beside Keras 1 keywords
# (a 2017 GAN book's discriminator); Keras 2.0-2.3 put the sizes together as the kernel size
KERAS1_SIZES = """\
from keras.models import Model
from keras.layers import Input, Convolution2D, Conv2D, Flatten, Dense

x_in = Input(shape=(8, 8, 3))
x = Convolution2D(6, 3, 3, subsample=(2, 2), border_mode='same', activation='relu')(x_in)
x = Conv2D(4, (3,3), border_mode='same')(x)
x = Convolution2D(2,1,1, border_mode='same')(x)
model = Model(x_in, Dense(3)(Flatten()(x)))
"""
KERAS1_SIZES_AS_KERAS2 = """\
from keras.models import Model
from keras.layers import Input, Convolution2D, Conv2D, Flatten, Dense

x_in = Input(shape=(8, 8, 3))
x = Convolution2D(6, (3, 3), strides=(2, 2), padding='same', activation='relu')(x_in)
x = Conv2D(4, (3,3), padding='same')(x)
x = Convolution2D(2, (1, 1), padding='same')(x)
model = Model(x_in, Dense(3)(Flatten()(x)))
"""


def test_keras1_kernel_sizes_are_put_together_as_keras2_did(tmp_path) -> None:

    out, diags = translate(KERAS1_SIZES, "m.py")
    assert "keras" not in _user(out).replace("tf.keras", ""), out
    assert "Conv2D(6, (3, 3), strides=(2, 2), padding='same'" in out and "Conv2D(2,(1,1), padding='same')" in out
    assert sum("Keras 1's kernel sizes" in d.message for d in diags) == 2, diags
    data = "DATA = np.random.default_rng(2).uniform(0, 1, (4, 8, 8, 3)).astype('float32')\n"
    keras2, ours = _keras2_and_ours(tmp_path, 7, KERAS1_SIZES_AS_KERAS2, out, data + PREDICT_RUN)
    worst = _worst(keras2["y"], ours["y"])
    print(f"worst |tf - keras 2| = {worst:.3g}")
    assert np.asarray(ours["y"]).shape == (4, 3) and worst <= 1e-5, worst


def test_keras2_positional_sizes_without_keras1_keywords_still_keep_the_model() -> None:
    """A Keras 2 program (Keras 2's module path) without a Keras 1 keyword may be a tf.keras 2.4+
    one (strides): kept, as before."""
    program = KERAS1_SIZES.replace("subsample=(2, 2), border_mode='same', ", "").replace(", border_mode='same'", "")
    program = program.replace("from keras.layers import Input, Convolution2D, Conv2D, Flatten, Dense",
                              "from keras.layers import Input, Flatten, Dense\n"
                              "from keras.layers.convolutional import Convolution2D, Conv2D")
    out, diags = translate(program, "m.py")
    assert out == program
    assert any("Keras 2.0-2.2 read `Convolution2D(6, 3, 3" in d.message for d in diags), diags


def test_keras1_keyword_given_with_its_keras2_name_too_is_not_read() -> None:
    """`Dense(3, init=..., kernel_initializer=...)` raised TypeError in Keras 2.0-2.3 too: the
    keyword is not renamed (the layer stays Keras, XL201: it raises as the original does)."""
    program = "from keras.models import Sequential\nfrom keras.layers import Dense\n" \
              "model = Sequential([Dense(3, init='zeros', kernel_initializer='ones', input_shape=(4,))])\n"
    out, diags = translate(program, "m.py")
    assert "Dense(3, init='zeros', kernel_initializer='ones', input_shape=(4,))" in out
    assert not any("Keras 1's keyword" in d.message for d in diags), diags
    assert any(d.code == "XL201" and "Dense(init=...)" in d.message for d in diags), diags


# a text classifier of a 2017 book: a Sequential started by an Embedding given `input_length`,
# its weights read before any call (Keras 2's Embedding declared its input: built at once)
EMBEDDING_FIRST = """\
from keras.layers.core import Dense, SpatialDropout1D
from keras.layers.convolutional import Conv1D
from keras.layers.embeddings import Embedding
from keras.layers.pooling import GlobalMaxPooling1D
from keras.models import Sequential

maxlen = 7
model = Sequential()
model.add(Embedding(30, 4, input_length=maxlen))
model.add(SpatialDropout1D(0.2))
model.add(Conv1D(filters=5, kernel_size=3, activation="relu"))
model.add(GlobalMaxPooling1D())
model.add(Dense(2, activation="softmax"))
"""

EMBEDDING_FIRST_RUN = """\
count = len(model.get_weights())
tokens = np.random.default_rng(3).integers(0, 30, (4, 7)).astype('int32')
if hasattr(model, 'to_json'):
    moved(model)
    json.dump({'w': arrays(model.get_weights())}, open('../w.json', 'w'))
else:
    model.set_weights([np.asarray(w, 'float32') for w in json.load(open('../w.json'))['w']])
json.dump({'count': count, 'y': arrays(model(tokens, training=False)), 'keras': hasattr(model, 'to_json')},
          open(OUT, 'w'))
"""


@pytest.mark.parametrize("maxlen", [7, 0], ids=["length-7", "length-0-unknown"])
def test_keras2_embedding_declares_its_input_as_keras2_did(tmp_path, maxlen: int) -> None:
    """Keras 2 declared `(input_length,)`, or `(None,)` for a false length (a length computed as
    0 from data a run lacks: found by --scripts, the translation declared a length of 0)."""

    program = EMBEDDING_FIRST.replace("maxlen = 7", f"maxlen = {maxlen}")
    out, diags = translate(program, "m.py")
    assert "Embedding(30, 4, input_length=maxlen, input_shape=(maxlen or None,))" in out
    assert any("Keras 2's `Embedding` declares its input's shape" in d.message for d in diags), diags
    keras2, ours = _keras2_and_ours(tmp_path, 9, program, out, EMBEDDING_FIRST_RUN)
    assert keras2["count"] == ours["count"] == 5
    worst = _worst(keras2["y"], ours["y"])
    print(f"worst |tf - keras 2| = {worst:.3g}")
    assert worst <= 1e-5


def test_keras1_model_keywords_through_tf_keras_are_not_read() -> None:
    """tf.keras never took `Model(input=...)` (TypeError in TensorFlow 1 and 2): such a file is
    not a Keras 2.0-2.3 program, and the keyword is not read as `inputs=`."""
    program = STAR_UNET.replace("from keras.", "from tensorflow.keras.")
    out, diags = translate(program, "m.py")
    assert not any("Keras 1's keyword" in d.message for d in diags), diags
    assert "Model(input = inputs, output = conv4)" in out


def _keras2_and_ours(tmp_path, seed: int, reference: str, out: str, tail: str) -> tuple[dict, dict]:
    """The Keras 2 reference (run under tf-keras) and the translation ``out``, each with
    ``tail``; a second translation changes nothing."""
    from program_text import KERAS2_PRELUDE, run_both, script_head

    assert translate(out, "m.py")[0] == out
    (tmp_path / "run").mkdir()
    head = script_head(seed)
    keras2, ours = run_both(tmp_path / "run", KERAS2_PRELUDE + head + reference + tail, head + out + tail)
    assert keras2["keras"] and not ours["keras"]
    return keras2, ours


def _kept(program: str) -> list[str]:
    out, diags = translate(textwrap.dedent(program), "m.py")
    assert out == textwrap.dedent(program)
    return [d.message for d in diags if d.code == "XL102" and "kept as Keras" in d.message]


@pytest.mark.parametrize("layer, says", [
    # (the recurrent defaults in a program only standalone Keras 2.0-2.3 ran, here for its
    # TensorFlow 1 backend module; in one tf.keras 2 runs: tests/test_program_keras2_recurrent.py)
    ("LSTM(4)", "`LSTM`'s default `recurrent_activation` differs between Keras 2 versions and Keras 3"),
    ("GRU(4, recurrent_activation='sigmoid')", "`GRU`'s default `reset_after` differs"),
    ("LSTM(4, recurrent_activation='hard_sigmoid')", "Keras 2's `hard_sigmoid` is 0.2 * x + 0.5"),
    ("Conv1D(4, 2, 2)", "Keras 2.0-2.2 read `Conv1D(4, 2, 2)` as Keras 1's (filters, rows, cols)"),
    ("UpSampling2D(interpolation='bilinear')", "Keras 2.2's bilinear UpSampling2D resized without half-pixel"),
])
def test_keras2_layer_meanings_that_differ_keep_the_model(layer: str, says: str) -> None:
    program = f"""\
        from keras.models import Sequential
        from keras.layers.recurrent import LSTM, GRU
        from keras.layers.convolutional import Conv1D, UpSampling2D
        from keras.layers.core import Dense

        model = Sequential([{layer}, Dense(1)])
        model.build((None, 5, 3))
        """
    marker = "from keras.backend.tensorflow_backend import set_session\n"
    messages = _kept(marker + textwrap.dedent(program) if layer.startswith(("LSTM(4)", "GRU(")) else program)
    assert any(says in m for m in messages), messages
    # the same program with Keras 3's names is Keras 3's program: its defaults are the installed Keras's
    keras3 = _keras3_spelling(textwrap.dedent(program))
    out, _ = translate(keras3, "m.py")
    assert out != keras3 and not [line for line in out.splitlines() if line.startswith(("import keras", "from keras"))]


@pytest.mark.parametrize("training, says", [
    ("model.compile(optimizer='rmsprop', loss='mse')", "the optimizer 'rmsprop''s update differs"),
    ("model.compile(optimizer=RMSprop(), loss='mse')", "`RMSprop`'s update differs"),
    # (a program only standalone Keras 2.0-2.3 ran: tf.keras 2 has no TensorFlow 1 backend module;
    # one tf.keras 2 runs is read as it runs it: tests/test_program_keras2_batchnorm.py)
    ("from keras.backend.tensorflow_backend import set_session\nmodel.compile(optimizer='adam', loss='mse')\n"
     "model.fit(x, x[:, :1], verbose=0)", "Keras 2's BatchNormalization updates its moving variance"),
    # Keras 2's model API, which the translated model (Keras 3's API) does not have: the
    # translation would raise where the original ran under Keras 2
    # (Keras 1's `nb_epoch`, read as `epochs` by standalone Keras 2.0-2.3 only, which it shows ran the
    # program: its BatchNormalization's update is not tf.keras 2's; without one: tests/test_program_keras2_fit_epochs.py)
    ("model.compile(optimizer='adam', loss='mse')\nmodel.fit(x, x[:, :1], nb_epoch=2)",
     "ran under standalone Keras 2.0-2.3 only (Keras 1's `fit(nb_epoch=...)`"),
    ("model.compile(optimizer='adam', loss='mse')\nmodel.fit(x, x[:, :1], nb_epoch=2, epochs=2)",
     "`fit(nb_epoch=...)` is Keras 2's argument"),
    ("print(model.predict_classes(x))", "`predict_classes` is Keras 2's model API"),
    # (decay on top of a rate a callback sets: without one, tests/test_program_keras2_decay.py)
    ("from keras.callbacks import ReduceLROnPlateau\nmodel.compile(optimizer=Adam(lr=0.01, decay=1e-6), loss='mse')\n"
     "model.fit(x, x[:, :1], callbacks=[ReduceLROnPlateau()])", "`Adam(decay=...)` is Keras 2's"),
    ("model.compile(optimizer='adam', loss='mse')\nprint(model.optimizer.lr)", "`optimizer.lr` is Keras 2's name"),
    ("model.compile(optimizer='adam', loss='mse', metrics=['mae'])\nprint(model.metrics_names)",
     "`metrics_names` is Keras 2's model API"),
    ("model.compile(optimizer='adam', loss='mse', metrics=['accuracy'])\nh = model.fit(x, x[:, :1])\n"
     "print(h.history['acc'])", "Keras 2.2 names the accuracy metric 'acc'"),
])
def test_keras2_training_that_differs_keeps_the_model(training: str, says: str) -> None:
    program = textwrap.dedent("""\
        import numpy as np
        from keras.models import Sequential
        from keras.layers.core import Dense
        from keras.layers.normalization import BatchNormalization
        from keras.optimizers import RMSprop, Adam

        x = np.ones((4, 3), 'float32')
        model = Sequential([Dense(2, input_shape=(3,)), BatchNormalization(), Dense(1)])
        """) + training + "\n"
    messages = _kept(program)
    assert any(says in m for m in messages), messages


def test_keras2_positional_add_weight_keeps_the_model() -> None:
    # Keras 2's add_weight(name, shape, ...): Keras 3 reads its first argument as the shape
    program = """\
        from keras.layers import Layer, Input
        from keras.layers.core import Dense
        from keras.models import Model

        class Scale(Layer):
            def build(self, input_shape):
                self.kernel = self.add_weight('kernel', (input_shape[-1],), initializer='ones')
                super(Scale, self).build(input_shape)

            def call(self, x):
                return x * self.kernel

        inp = Input((3,))
        model = Model(inp, Dense(2)(Scale()(inp)))
        """
    messages = _kept(program)
    assert any("Keras 2's `add_weight` takes the name first" in m for m in messages), messages
    keywords = program.replace("self.add_weight('kernel', (input_shape[-1],), initializer='ones')",
                               "self.add_weight(name='kernel', shape=(input_shape[-1],), initializer='ones')")
    out, _ = translate(textwrap.dedent(keywords), "m.py")
    assert "keras" not in _user(out).replace("tf.keras", ""), out


def test_keras2_engine_layer_is_read_as_keras_layers_layer() -> None:
    # the same class in Keras 2 (its positional `add_weight(name, shape)` is checked as above;
    # executed: tests/test_program_keras2_engine.py)
    out, diags = translate(textwrap.dedent("""\
        from keras.engine.topology import Layer
        from keras.layers import Dense, Input
        from keras.models import Model

        class Scale(Layer):
            def call(self, x):
                return 2.0 * x

        x = Input((3,))
        model = Model(x, Dense(2)(Scale()(x)))
        """), "m.py")
    assert "keras" not in _user(out).replace("tf.keras", ""), out
    assert any(d.code == "XL102" and "`keras.engine.topology.Layer` is Keras 2's" in d.message for d in diags), diags


def test_a_class_s_own_training_method_exempts_its_own_keywords_only() -> None:
    # `Trainer.fit(self, x, y, nb_rounds)` takes its own keyword; the Keras model's
    # `fit(show_accuracy=...)` (Keras 1's) is Keras 2's argument still, which keeps the model
    program = """\
        from keras.models import Sequential
        from keras.layers.core import Dense


        class Trainer:
            def fit(self, x, y, nb_rounds=1):
                return nb_rounds


        model = Sequential([Dense(1, input_shape=(3,))])
        model.compile(optimizer="sgd", loss="mse")
        Trainer().fit(None, None, nb_rounds=2)
        """
    out, diags = translate(textwrap.dedent(program), "m.py")
    assert out != textwrap.dedent(program), [d.message for d in diags]
    messages = _kept(program.rstrip(" ") + "        model.fit(None, None, show_accuracy=True)\n")
    assert any("`fit(show_accuracy=...)` is Keras 2's argument" in m for m in messages), messages
