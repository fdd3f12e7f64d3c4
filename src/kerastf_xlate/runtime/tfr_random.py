"""Keras's ``keras.random`` in TensorFlow: the same stateless draws, bit for bit."""

import tensorflow as tf
