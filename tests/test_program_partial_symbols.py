"""A later model on some of an earlier graph's Inputs (docs/design.md, "A later model on some
of an earlier graph's Inputs"; issue #13).

Sequence-to-sequence tutorials train one model, then build inference models on its graph: an
encoder model on the training graph's encoder Input and LSTM states (without the decoder's
Input), a decoder model on the decoder's Input, new state Inputs and the trained layer objects.
A conditional VAE's encoder takes the image Input but not the condition; a branch of a
two-Input model takes ``model.input[0]``; a model takes the dict of Inputs a loop filled for
an earlier preprocessing model; an OCR-style inference model takes
``model.get_layer(name="image").output`` of a model a function built with a label Input; a
decoder starts at a tensor inside a trained autoencoder (``ae.get_layer("code").output``);
a model reads a layer's ``input`` after a masking Embedding. Keras takes the
sub-graph between those tensors, sharing the layers: the translation replays the earlier
graph's nodes as far as the new model needs (and from where it starts). An assign to the
trained model's variable reaches the inference models.

The execution test runs a Keras script and its translation: weights perturbed (biases and
BatchNormalization statistics away from their initial values) and set through the training
models' ``set_weights`` (the inference models share them), then again through an inference
model's own ``get_weights()`` order; outputs in inference and in training;
BatchNormalization statistics after a training call of the encoder model. Tolerance 1e-5 (as
an absolute difference scaled by 1 + the largest magnitude); the worst difference is printed.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from nested_compare import worst_absolute
from program_text import run_both, script_head, tf_, user_code

from kerastf_xlate.totf.program.bundle import BANNER

ATOL = 1e-5

SCRIPT = script_head(11) + textwrap.dedent("""\
    latent_dim = 8
    num_tokens = 6

    # training model: the decoder starts from the encoder's states
    encoder_inputs = keras.Input(shape=(None, 5), name="source")
    x = layers.Dense(7, name="enc_proj")(encoder_inputs)
    x = layers.BatchNormalization(name="enc_bn")(x)
    encoder = layers.LSTM(latent_dim, return_state=True, name="enc_lstm")
    encoder_outputs, *encoder_states = encoder(x)
    decoder_inputs = keras.Input(shape=(None, num_tokens), name="target")
    decoder_lstm = layers.LSTM(latent_dim, return_sequences=True, return_state=True, name="dec_lstm")
    decoder_outputs, _, _ = decoder_lstm(decoder_inputs, initial_state=encoder_states)
    decoder_dense = layers.Dense(num_tokens, activation="softmax", name="dec_dense")
    decoder_outputs = decoder_dense(decoder_outputs)
    model = keras.Model([encoder_inputs, decoder_inputs], decoder_outputs)
    moved(model)

    # inference: the encoder alone, on the training graph's Input and states
    encoder_model = keras.Model(encoder_inputs, encoder_states)
    # a probe on the encoder's output, with a layer of its own
    probe_outputs = layers.Dense(3, name="probe")(encoder_outputs)
    probe = keras.Model(encoder_inputs, probe_outputs)
    moved(probe)  # its own layer is new: Keras and TensorFlow draw different initial weights

    # inference: the decoder, on the training graph's decoder Input and new state Inputs
    decoder_state_input_h = keras.Input(shape=(latent_dim,), name="h_in")
    decoder_state_input_c = keras.Input(shape=(latent_dim,), name="c_in")
    decoder_states_inputs = [decoder_state_input_h, decoder_state_input_c]
    decoder_outputs, state_h, state_c = decoder_lstm(decoder_inputs, initial_state=decoder_states_inputs)
    decoder_states = [state_h, state_c]
    decoder_outputs = decoder_dense(decoder_outputs)
    decoder_model = keras.Model([decoder_inputs] + decoder_states_inputs, [decoder_outputs] + decoder_states)

    # a conditional autoencoder; its encoder takes the image but not the condition
    image = keras.Input(shape=(6,), name="image")
    condition = keras.Input(shape=(2,), name="condition")
    h = layers.Dense(5, activation="relu", name="cvae_hidden")(image)
    z_mean = layers.Dense(3, name="z_mean")(h)
    z_log_var = layers.Dense(3, name="z_log_var")(h)
    codings = [z_mean, z_log_var]
    z = layers.Concatenate(name="join")([z_mean, condition])
    reconstruction = layers.Dense(6, name="cvae_out")(z)
    cvae = keras.Model([image, condition], reconstruction)
    moved(cvae)
    cvae_encoder = keras.Model(image, codings)
    moved(cvae_encoder)  # z_log_var's layer is in no model before it

    # a branch of a two-Input model, on one of its Inputs (a model on part of its graph)
    left = keras.Input(shape=(4,), name="left")
    right = keras.Input(shape=(3,), name="right")
    merged = layers.Concatenate(name="merge")([layers.Dense(5, name="left_dense")(left),
                                               layers.Dense(5, name="right_dense")(right)])
    two = keras.Model([left, right], layers.Dense(2, name="two_out")(merged))
    moved(two)
    left_branch = keras.Model(two.input[0], two.get_layer("left_dense").output)
    right_branch = keras.Model([two.inputs[1]], two.get_layer("right_dense").output)

    # a dict of Inputs filled by a loop, a preprocessing model on it, then a model on the same
    # Inputs calling the preprocessing model (keys not in sorted order)
    features = {}
    for key in ["fare", "age", "rooms"]:
        features[key] = keras.Input(shape=(1,), name=key)
    joined = layers.Concatenate(name="join_features")(list(features.values()))
    preprocessor = keras.Model(features, layers.Dense(4, name="pre")(joined), name="preprocessor")
    head = keras.Sequential([layers.Dense(5, activation="relu"), layers.Dense(1)], name="head")
    full = keras.Model(features, head(preprocessor(features)))
    moved(full)

    # an OCR-style model made by a function (a label Input for its loss); the inference model
    # on its image InputLayer's output and a layer's output, a model on that one with a layer
    # of its own, and models on the first layer of a one-Input encoder
    def build_ocr():
        image = keras.Input(shape=(6, 4, 1), name="image")
        label = keras.Input(shape=(5,), name="label")
        x = layers.Conv2D(3, 3, padding="same", name="ocr_conv")(image)
        x = layers.BatchNormalization(name="ocr_bn")(x)
        x = layers.Reshape((6, 12), name="ocr_reshape")(x)
        x = layers.Dense(5, activation="softmax", name="ocr_dense")(x)
        pooled = layers.GlobalAveragePooling1D(name="ocr_pool")(x)
        out = layers.Add(name="with_label")([pooled, label])
        return keras.Model(inputs=[image, label], outputs=out, name="ocr")

    ocr = build_ocr()
    moved(ocr)
    ocr_prediction = keras.Model(ocr.get_layer(name="image").output, ocr.get_layer(name="ocr_dense").output)
    probe2_out = layers.Dense(2, name="probe2")(ocr_prediction.output)
    probe2 = keras.Model(ocr_prediction.input, probe2_out)
    moved(probe2)

    def get_encoder():
        inputs = keras.Input(shape=(7,), name="enc_in")  # (a Sequential's built InputLayer took Keras's automatic name)
        x = layers.Dense(6, name="enc_pool")(inputs)
        x = layers.Dense(4, name="enc_proj")(x)
        return keras.Model(inputs, x, name="encoder")

    enc = get_encoder()
    moved(enc)
    first_layer = keras.Model(enc.layers[0].output, enc.get_layer(index=1).output)
    whole = keras.Model(enc.inputs, [enc.output, enc.outputs[0]])

    # a decoder on a tensor inside a trained autoencoder (Keras starts the model there, from a
    # new Input), a tail between two layers, a model on the decoder with a layer of its own
    ae_in = keras.Input(shape=(6,), name="ae_in")
    a = layers.Dense(5, name="ae_h")(ae_in)
    a = layers.BatchNormalization(name="ae_bn")(a)
    code = layers.Dense(3, name="ae_code")(a)
    ae_out = layers.Dense(6, name="ae_out")(layers.Dense(5, name="ae_dec")(code))
    autoencoder = keras.Model(ae_in, ae_out)
    moved(autoencoder)
    decoder = keras.Model(autoencoder.get_layer("ae_code").output, autoencoder.output)
    tail = keras.Model(autoencoder.get_layer("ae_dec").output, autoencoder.get_layer("ae_out").output)
    on_decoder = keras.Model(decoder.input, layers.Dense(2, name="on_decoder")(decoder.output))
    moved(on_decoder)

    # a layer's input after an Embedding with mask_zero: Keras's node holds the mask too
    tokens = keras.Input(shape=(5,), dtype="int32", name="tokens")
    embedded = layers.Embedding(10, 4, mask_zero=True, name="emb")(tokens)
    tagger = keras.Model(tokens, layers.Dense(2, name="tag")(layers.GRU(3, name="seq_gru")(embedded)))
    moved(tagger)
    gru_inputs = keras.Model(tagger.input, tagger.get_layer("seq_gru").input)

    xe = rng.standard_normal((2, 4, 5)).astype("float32")
    xd = rng.standard_normal((2, 3, num_tokens)).astype("float32")
    h0 = rng.standard_normal((2, latent_dim)).astype("float32")
    c0 = rng.standard_normal((2, latent_dim)).astype("float32")
    xi = rng.standard_normal((2, 6)).astype("float32")
    xc = rng.standard_normal((2, 2)).astype("float32")
    report = {}
    cases = [("model", model, [xe, xd]), ("encoder_model", encoder_model, xe), ("probe", probe, xe),
             ("decoder_model", decoder_model, [xd, h0, c0]), ("cvae", cvae, [xi, xc]),
             ("cvae_encoder", cvae_encoder, xi), ("left_branch", left_branch, xi[:, :4]),
             ("right_branch", right_branch, xc[:, :1] + xi[:, :3]),
             ("full", full, {"fare": xi[:, :1], "age": xi[:, 1:2], "rooms": xc[:, :1]})]
    xim = rng.standard_normal((2, 6, 4, 1)).astype("float32")
    xlab = rng.standard_normal((2, 5)).astype("float32")
    xen = rng.standard_normal((2, 7)).astype("float32")
    cases += [("ocr", ocr, [xim, xlab]), ("ocr_prediction", ocr_prediction, xim), ("probe2", probe2, xim),
              ("first_layer", first_layer, xen), ("whole", whole, xen), ("decoder", decoder, xi[:, :3]),
              ("tail", tail, xi[:, :5]), ("on_decoder", on_decoder, xi[:, 1:4])]
    starts_inside = {"decoder", "tail", "on_decoder"}  # their InputLayer is named after a tensor: not compared
    for name, m, data in cases:
        report[name] = {"layers": [layer.name for layer in m.layers][name in starts_inside:],
                        "weights": [list(w.shape) for w in m.get_weights()],
                        "inference": arrays(m(data))}
    stats = lambda: model.get_layer("enc_bn").moving_mean.numpy().tolist()
    before = stats()
    report["encoder_model"]["training"] = arrays(encoder_model(xe, training=True))
    report["bn_after_training_call"] = stats()
    report["bn_before"] = before
    ae_stats = lambda: autoencoder.get_layer("ae_bn").moving_mean.numpy().tolist()
    ae_before = ae_stats()
    report["decoder"]["training"] = arrays(decoder(xi[:, :3], training=True))
    report["ae_bn_unchanged"] = ae_stats() == ae_before  # the layers before the cut do not run
    # weights set through an inference model's own order reach the shared layers
    moved(encoder_model)
    moved(probe)
    moved(decoder_model)
    moved(cvae_encoder)
    moved(left_branch)
    moved(ocr_prediction)
    moved(first_layer)
    moved(decoder)
    for name, m, data in cases:
        report[name]["after_moving"] = arrays(m(data))
    # the inference models share the trained model's variables: an assign to one reaches them
    # (a training step is one more compile and trace per run: the suite's time)
    dense = ocr.get_layer("ocr_dense").weights[0]
    dense.assign(dense.numpy() * 1.5)
    report["ocr_prediction"]["after_assign"] = arrays(ocr_prediction(xim))
    report["probe2"]["after_assign"] = arrays(probe2(xim))
    code_kernel = autoencoder.get_layer("ae_out").weights[0]
    code_kernel.assign(code_kernel.numpy() - 0.25)
    report["decoder"]["after_assign"] = arrays(decoder(xi[:, :3]))
    report["gru_inputs"] = [np.asarray(t, "float32").tolist()
                            for t in gru_inputs(np.array([[1, 2, 0, 0, 3], [4, 0, 5, 6, 7]], "int32"))]
    report["encoder_model"]["predict"] = arrays(encoder_model.predict(xe, verbose=0))
    json.dump(report, open(OUT, "w"))
    """)


def _close(a, b) -> float:
    return worst_absolute(a, b, ATOL)


def test_inference_models_translate_on_the_training_graph() -> None:
    out, diags = tf_(SCRIPT)
    assert BANNER in out, diags
    code = user_code(out)
    assert "keras.Model" not in code and "layers." not in code, diags
    assert "def encoder_model_graph(encoder_inputs=encoder_inputs, encoder_states=encoder_states):\n" in code
    assert "    return [decoder_inputs] + decoder_states_inputs, [decoder_outputs] + decoder_states\n" in code
    assert "def cvae_encoder_graph(codings=codings, image=image):\n" in code
    assert "def full_graph(features=features):\n" in code
    assert "def preprocessor_graph():\n    features = {}\n" in code
    assert 'def left_branch_graph(two=two):\n    return two.input[0], two.get_layer("left_dense").output\n' in code
    assert ('def ocr_prediction_graph(ocr=ocr):\n    return ocr.get_layer(name="image").output, '
            'ocr.get_layer(name="ocr_dense").output\n') in code
    assert "def first_layer_graph(enc=enc):\n    return enc.layers[0].output, enc.get_layer(index=1).output\n" in code
    assert ('def decoder_graph(autoencoder=autoencoder):\n    return autoencoder.get_layer("ae_code").output, '
            'autoencoder.output\n') in code
    assert 'def gru_inputs_graph(tagger=tagger):\n    return tagger.input, tagger.get_layer("seq_gru").input\n' in code


def test_a_method_parameter_is_no_graph_name_of_an_earlier_model() -> None:
    # `inputs` in `call` is the method's own parameter, not the first model's Input
    out, diags = tf_("""
        import keras
        from keras import layers
        inputs = keras.Input(shape=(4,))
        first = keras.Model(inputs, layers.Dense(2)(inputs))
        source = keras.Input(shape=(4,))
        class Scale(layers.Layer):
            def call(self, inputs):
                return inputs * 2.0
        second = keras.Model(source, layers.Dense(2)(Scale()(source)))
        """)
    assert BANNER in out, diags
    assert "def second_graph():\n" in user_code(out)


@pytest.mark.parametrize("src, why", [
    # a state computed between layers (no node of the training graph gives it)
    ("""
     a = keras.Input(shape=(None, 3))
     b = keras.Input(shape=(None, 3))
     _, h, c = layers.LSTM(4, return_state=True)(a)
     states = [h * 2.0, c]
     y = layers.LSTM(4)(b, initial_state=states)
     model = keras.Model([a, b], y)
     encoder_model = keras.Model(a, states)
     """, "`states`, a tensor of an earlier model's graph that is not a layer call's output, needs inputs this "
          "model does not take (`b`)"),
    # a helper function's result: the translator does not see that it is one node's output
    ("""
     def block(t):
         return layers.Dense(4)(t) + t
     a = keras.Input(shape=(4,))
     b = keras.Input(shape=(4,))
     h = block(a)
     model = keras.Model([a, b], layers.Concatenate()([h, b]))
     head = keras.Model(a, h)
     """, "`h`, a tensor of an earlier model's graph that is not a layer call's output"),
    # the new model reads the earlier model's other Input without taking it
    ("""
     a = keras.Input(shape=(4,))
     b = keras.Input(shape=(4,))
     h = layers.Dense(4)(a)
     model = keras.Model([a, b], layers.Add()([h, b]))
     head = keras.Model(a, layers.Add()([h, b]))
     """, "`b`, an `Input` of an earlier model, is used by this model's graph but is not among its inputs"),
    # a dict of Inputs the graph fills, shown after the model (not a model's use)
    ("""
     features = {}
     for key in ["a", "b"]:
         features[key] = keras.Input(shape=(1,), name=key)
     model = keras.Model(features, layers.Dense(2)(layers.Concatenate()(list(features.values()))))
     print(features)
     """, "`features`, made while building the model, is used after it"),
    # the reason names where the inputs come from: a parameter, another module's function
    ("""
     def build(inputs):
         return keras.Model(inputs, layers.Dense(2)(inputs))
     """, "`inputs` is a parameter of `build`: a model built from its caller's `Input`s is not translated"),
    ("""
     from helpers import make_inputs
     inputs = make_inputs()
     model = keras.Model(inputs, layers.Dense(2)(inputs))
     """, "`inputs` comes from `make_inputs`, from `helpers`: `Input`s made in another module are not followed"),
    # a chain: the earlier model itself takes another model's graph names
    ("""
     a = keras.Input(shape=(4,))
     h = layers.Dense(4)(a)
     first = keras.Model(a, h)
     b = keras.Input(shape=(4,))
     g = layers.Dense(4)(h)
     second = keras.Model([a, b], layers.Add()([g, b]))
     third = keras.Model(a, g)
     """, "`g`, a tensor of an earlier model's graph, needs inputs this model does not take (chained)"),
    # an InputLayer's `input`: `[]` in Keras 3, so `keras.Model` raises (Keras 2 gave the Input)
    ("""
     def build():
         image = keras.Input(shape=(4,), name="image")
         label = keras.Input(shape=(2,), name="label")
         x = layers.Dense(2, name="dense2")(image)
         return keras.Model([image, label], layers.Add()([x, label]))
     model = build()
     prediction = keras.Model(model.get_layer(name="image").input, model.get_layer(name="dense2").output)
     """, "`model.get_layer(name='image').input` are a layer's `input`: in Keras 3 an InputLayer's `input` is `[]`"),
    # an inner tensor of one model's graph beside another model's Input (several models'
    # `Input`s are followed: tests/test_program_submodels_branches.py)
    ("""
     a = keras.Input(shape=(4,), name="a")
     first = keras.Model(a, layers.Dense(3, name="h")(a))
     b = keras.Input(shape=(3,), name="b")
     second = keras.Model(b, layers.Dense(2, name="y")(b))
     both = keras.Model([first.get_layer("h").output, second.input], second.output)
     """, "they are another model's tensors, and a model on part of other models' graphs is translated only on "
         "models named by a name or held by a method's instance (`base.input`, `self.base.get_layer(...).output`): "
         "one model's tensors or several models' `Input`s"),
])
def test_what_stays_keras(src: str, why: str) -> None:
    src = "import keras\nfrom keras import layers\n" + textwrap.dedent(src)
    out, diags = tf_(src)
    assert BANNER not in out and out == src, "kept byte for byte"
    assert any(why in d for d in diags), diags


@pytest.mark.tf
def test_inference_models_run_as_keras_ones(tmp_path: Path) -> None:
    translated, diags = tf_(SCRIPT)
    assert BANNER in translated, diags
    keras_report, tf_report = run_both(tmp_path, SCRIPT, translated)
    # the test reads what it means to: the encoder model holds the encoder's layers only, its
    # training call moves the encoder's statistics, and moving its weights changed the outputs
    assert keras_report["encoder_model"]["weights"] == [[5, 7], [7], [7], [7], [7], [7], [7, 32], [8, 32], [32]]
    assert keras_report["left_branch"]["weights"] == [[4, 5], [5]]
    assert keras_report["cvae_encoder"]["weights"] == [[6, 5], [5], [5, 3], [3], [5, 3], [3]]
    assert keras_report["bn_after_training_call"] != keras_report["bn_before"]
    assert keras_report["decoder_model"]["after_moving"] != keras_report["decoder_model"]["inference"]
    ocr_prediction = keras_report["ocr_prediction"]
    assert ocr_prediction["layers"] == ["image", "ocr_conv", "ocr_bn", "ocr_reshape", "ocr_dense"]
    assert ocr_prediction["weights"] == [[3, 3, 1, 3], [3], [3], [3], [3], [3], [12, 5], [5]]
    assert ocr_prediction["after_assign"] != ocr_prediction["after_moving"]
    assert keras_report["decoder"]["after_assign"] != keras_report["decoder"]["after_moving"]
    assert keras_report["first_layer"]["weights"] == [[7, 6], [6]]
    assert keras_report["decoder"]["weights"] == [[3, 5], [5], [5, 6], [6]]
    assert keras_report["decoder"]["layers"] == ["ae_dec", "ae_out"]
    assert keras_report["on_decoder"]["weights"] == [[3, 5], [5], [5, 6], [6], [6, 2], [2]]
    assert keras_report["ae_bn_unchanged"] is True
    assert keras_report["gru_inputs"][1] == [[1, 1, 0, 0, 1], [1, 0, 1, 1, 1]]  # the embedding's mask
    worst = _close(keras_report, tf_report)
    print(f"partial symbols: worst difference {worst:.2e}")
