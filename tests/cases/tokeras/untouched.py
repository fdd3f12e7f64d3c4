"""TensorFlow code with no module and no tf.nn op: nothing to raise, byte for byte."""
import tensorflow as tf

dataset = tf.data.Dataset.range(10).map(lambda x: x * 2)  # no model here


def total(values):
    return tf.reduce_sum(tf.constant(values))
# output
"""TensorFlow code with no module and no tf.nn op: nothing to raise, byte for byte."""
import tensorflow as tf

dataset = tf.data.Dataset.range(10).map(lambda x: x * 2)  # no model here


def total(values):
    return tf.reduce_sum(tf.constant(values))
# diagnostics
