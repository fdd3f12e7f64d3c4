"""A GAN keras-io style: a Model subclass overriding compile(d_optimizer, g_optimizer, loss_fn)
and train_step, Mean trackers behind a metrics property, latent vectors from
keras.random with a SeedGenerator."""
import json
import sys

import numpy as np
import keras
import tensorflow as tf
from keras import layers, ops

latent_dim = 4
rng = np.random.default_rng(3)
real = rng.normal(loc=1.0, size=(64, 6)).astype("float32")

discriminator = keras.Sequential([keras.Input(shape=(6,)), layers.Dense(8, activation="relu"), layers.Dense(1)],
                                 name="discriminator")
generator = keras.Sequential([keras.Input(shape=(latent_dim,)), layers.Dense(8, activation="relu"), layers.Dense(6)],
                             name="generator")


class GAN(keras.Model):
    def __init__(self, discriminator, generator, latent_dim):
        super().__init__()
        self.discriminator = discriminator
        self.generator = generator
        self.latent_dim = latent_dim
        self.seed_generator = keras.random.SeedGenerator(1337)

    def compile(self, d_optimizer, g_optimizer, loss_fn):
        super().compile()
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        self.loss_fn = loss_fn
        self.d_loss_metric = keras.metrics.Mean(name="d_loss")
        self.g_loss_metric = keras.metrics.Mean(name="g_loss")

    @property
    def metrics(self):
        return [self.d_loss_metric, self.g_loss_metric]

    def train_step(self, real_samples):
        batch_size = ops.shape(real_samples)[0]
        noise = keras.random.normal(shape=(batch_size, self.latent_dim), seed=self.seed_generator)
        generated = self.generator(noise)
        combined = ops.concatenate([generated, real_samples], axis=0)
        labels = ops.concatenate([ops.ones((batch_size, 1)), ops.zeros((batch_size, 1))], axis=0)
        with tf.GradientTape() as tape:
            predictions = self.discriminator(combined)
            d_loss = self.loss_fn(labels, predictions)
        grads = tape.gradient(d_loss, self.discriminator.trainable_weights)
        self.d_optimizer.apply_gradients(zip(grads, self.discriminator.trainable_weights))

        noise = keras.random.normal(shape=(batch_size, self.latent_dim), seed=self.seed_generator)
        misleading = ops.zeros((batch_size, 1))
        with tf.GradientTape() as tape:
            predictions = self.discriminator(self.generator(noise))
            g_loss = self.loss_fn(misleading, predictions)
        grads = tape.gradient(g_loss, self.generator.trainable_weights)
        self.g_optimizer.apply_gradients(zip(grads, self.generator.trainable_weights))
        self.d_loss_metric.update_state(d_loss)
        self.g_loss_metric.update_state(g_loss)
        return {"d_loss": self.d_loss_metric.result(), "g_loss": self.g_loss_metric.result()}


gan = GAN(discriminator=discriminator, generator=generator, latent_dim=latent_dim)
for net in (discriminator, generator):
    net.set_weights([rng.normal(0, 0.4, w.shape).astype("float32") for w in net.get_weights()])
gan.compile(d_optimizer=keras.optimizers.Adam(learning_rate=0.003), g_optimizer=keras.optimizers.Adam(learning_rate=0.003),
            loss_fn=keras.losses.BinaryCrossentropy(from_logits=True))
history = gan.fit(real, batch_size=16, epochs=3, shuffle=False, verbose=0)
json.dump({"history": history.history}, sys.stdout)
