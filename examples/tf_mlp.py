"""A multilayer perceptron written directly with TensorFlow ops in a ``tf.Module``.

The weights are plain ``tf.Variable`` s; ``__call__`` computes
``relu(x @ w1 + b1)``, dropout while training, and ``h @ w2 + b2``. A training step with
``tf.GradientTape`` updates ``model.trainable_variables``.

    xlate to-keras examples/tf_mlp.py            # a keras.Model with Dense / Dropout layers
    xlate verify --to-keras examples/tf_mlp.py   # run both, compare outputs
"""

import tensorflow as tf

NUM_FEATURES = 784
NUM_CLASSES = 10


class MLP(tf.Module):
    """784 -> 128 (ReLU, dropout) -> 10 logits."""

    def __init__(self, hidden=128, name=None):
        super().__init__(name=name)
        self.w1 = tf.Variable(tf.random.normal([NUM_FEATURES, hidden], stddev=0.05), name="w1")
        self.b1 = tf.Variable(tf.zeros([hidden]), name="b1")
        self.w2 = tf.Variable(tf.random.normal([hidden, NUM_CLASSES], stddev=0.05), name="w2")
        self.b2 = tf.Variable(tf.zeros([NUM_CLASSES]), name="b2")

    def __call__(self, x, training=False):
        x = tf.reshape(x, [-1, NUM_FEATURES])
        h = tf.nn.relu(tf.matmul(x, self.w1) + self.b1)
        if training:
            h = tf.nn.dropout(h, rate=0.2)
        return tf.matmul(h, self.w2) + self.b2


model = MLP()


def train_step(x, y, learning_rate=0.1):
    """One step of plain gradient descent on the softmax cross-entropy."""
    with tf.GradientTape() as tape:
        logits = model(x, training=True)
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
    grads = tape.gradient(loss, model.trainable_variables)
    for variable, grad in zip(model.trainable_variables, grads):
        variable.assign_sub(learning_rate * grad)
    return loss


if __name__ == "__main__":
    images = tf.random.normal([32, NUM_FEATURES])
    labels = tf.random.uniform([32], maxval=NUM_CLASSES, dtype=tf.int32)
    for step in range(3):
        print(f"step {step}: loss {float(train_step(images, labels)):.4f}")
