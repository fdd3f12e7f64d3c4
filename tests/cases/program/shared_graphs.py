"""Several models on one graph, as generative and sequence-to-sequence examples write them:
an encoder and a decoder made from their own Inputs, an autoencoder calling both on the
encoder's Input, a classifier head on a tensor inside the encoder's graph, a translation
model whose decoder is called on the encoder's output tensor, and a layer object made
while building one model and called again in another (shared weights)."""

import keras
from keras import layers

# xlate-case: {"models": {"encoder": [6], "decoder": [3], "autoencoder": [6], "head": [6], "seq2seq": [[5, 4], [7, 4]], "tagger": [[7, 4]]}}

latent_dim = 3
inputs = keras.Input(shape=(6,), name="features")
x = layers.Dense(16, activation="relu")(inputs)
x = layers.BatchNormalization()(x)
z_mean = layers.Dense(latent_dim, name="z_mean")(x)
encoder = keras.Model(inputs, z_mean, name="encoder")

latent_inputs = keras.Input(shape=(latent_dim,))
x = layers.Dense(16, activation="relu")(latent_inputs)
reconstruction = layers.Dense(6)(x)
decoder = keras.Model(latent_inputs, reconstruction, name="decoder")

autoencoder = keras.Model(inputs, decoder(encoder(inputs)), name="autoencoder")
print("latent:", z_mean.shape)

logits = layers.Dense(2)(layers.Activation("tanh")(z_mean))
head = keras.Model(inputs, logits, name="head")

# sequence to sequence: the decoder takes the encoder's output sequence
source = keras.Input(shape=(None, 4), name="source")
embed = layers.Dense(8)
encoded = layers.LayerNormalization()(embed(source))
seq_encoder = keras.Model(source, encoded)

target = keras.Input(shape=(None, 4), name="target")
context = keras.Input(shape=(None, 8), name="context")
pooled = layers.GlobalAveragePooling1D()(context)
y = layers.Dense(8)(target) + layers.RepeatVector(7)(pooled)
seq_decoder = keras.Model([target, context], layers.Dense(5)(y))

predictions = seq_decoder([target, encoded])
seq2seq = keras.Model([source, target], predictions)

# a layer made with the first model, called again in another (one set of weights)
tokens = keras.Input(shape=(None, 4))
tagger = keras.Model(tokens, layers.Dense(3)(embed(tokens)))
# output
"""Several models on one graph, as generative and sequence-to-sequence examples write them:
an encoder and a decoder made from their own Inputs, an autoencoder calling both on the
encoder's Input, a classifier head on a tensor inside the encoder's graph, a translation
model whose decoder is called on the encoder's output tensor, and a layer object made
while building one model and called again in another (shared weights)."""

import tensorflow as tf

# (TensorFlow layers written out by xlate to-tf)


# xlate-case: {"models": {"encoder": [6], "decoder": [3], "autoencoder": [6], "head": [6], "seq2seq": [[5, 4], [7, 4]], "tagger": [[7, 4]]}}

latent_dim = 3
def encoder_graph():
    inputs = Input(shape=(6,), name="features")
    x = Dense(16, activation="relu")(inputs)
    x = BatchNormalization()(x)
    z_mean = Dense(latent_dim, name="z_mean")(x)
    return inputs, z_mean, {"inputs": inputs, "z_mean": z_mean}

encoder = Model(encoder_graph, name="encoder")
inputs, z_mean = encoder.traced("inputs", "z_mean")

def decoder_graph():
    latent_inputs = Input(shape=(latent_dim,))
    x = Dense(16, activation="relu")(latent_inputs)
    reconstruction = Dense(6)(x)
    return latent_inputs, reconstruction

decoder = Model(decoder_graph, name="decoder")

def autoencoder_graph(inputs=inputs):
    return inputs, decoder(encoder(inputs))

autoencoder = Model(autoencoder_graph, name="autoencoder")
print("latent:", z_mean.shape)

def head_graph(inputs=inputs, z_mean=z_mean):
    logits = Dense(2)(Activation("tanh")(z_mean))
    return inputs, logits

head = Model(head_graph, name="head")

# sequence to sequence: the decoder takes the encoder's output sequence
def seq_encoder_graph():
    source = Input(shape=(None, 4), name="source")
    embed = Dense(8)
    encoded = LayerNormalization()(embed(source))
    return source, encoded, {"embed": embed, "encoded": encoded, "source": source}

seq_encoder = Model(seq_encoder_graph)
embed, encoded, source = seq_encoder.traced("embed", "encoded", "source")

def seq_decoder_graph():
    target = Input(shape=(None, 4), name="target")
    context = Input(shape=(None, 8), name="context")
    pooled = GlobalAveragePooling1D()(context)
    y = Dense(8)(target) + RepeatVector(7)(pooled)
    return [target, context], Dense(5)(y), {"target": target}

seq_decoder = Model(seq_decoder_graph)
target = seq_decoder.traced("target")

def seq2seq_graph(encoded=encoded, source=source, target=target):
    predictions = seq_decoder([target, encoded])
    return [source, target], predictions

seq2seq = Model(seq2seq_graph)

# a layer made with the first model, called again in another (one set of weights)
def tagger_graph():
    tokens = Input(shape=(None, 4))
    return tokens, Dense(3)(embed(tokens))

tagger = Model(tagger_graph)
