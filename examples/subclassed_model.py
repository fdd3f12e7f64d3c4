"""A residual MLP written as a ``keras.Model`` subclass (layers in ``__init__``, maths in ``call``).

    xlate to-tf examples/subclassed_model.py
"""

import keras
from keras import layers


class ResidualMLP(keras.Model):
    """Two dense blocks with a residual connection and layer normalization."""

    def __init__(self, hidden=64, num_classes=5, dropout=0.1, **kwargs):
        super().__init__(**kwargs)
        self.project = layers.Dense(hidden, activation="relu")
        self.hidden = layers.Dense(hidden, activation="gelu")
        self.dropout = layers.Dropout(dropout)
        self.norm = layers.LayerNormalization(epsilon=1e-6)
        self.classifier = layers.Dense(num_classes)

    def call(self, inputs, training=False):
        h = self.project(inputs)
        residual = h
        h = self.hidden(h)
        h = self.dropout(h, training=training)
        h = self.norm(h + residual)
        return self.classifier(h)


model = ResidualMLP(hidden=64, num_classes=5)
model(keras.ops.zeros((1, 16)))  # builds the weights (a subclass build() alone would not)

if __name__ == "__main__":
    model.summary()
