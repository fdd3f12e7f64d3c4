"""A two-module model zoo of our own (blocks in one module, a model built of them in another),
written after reading public model zoos (bench/corpus10.toml); shared by the tests of the
directory run (test_tree_foreign_blocks.py) and of its benchmark (test_realcode_tree_bench.py)."""

from __future__ import annotations

import textwrap

BLOCKS = textwrap.dedent("""\
    import keras
    from keras import layers


    class ConvBlock(layers.Layer):
        def __init__(self, filters, **kwargs):
            super().__init__(**kwargs)
            self.conv = layers.Conv2D(filters, 3, padding="same")
            self.bn = layers.BatchNormalization()

        def call(self, x, training=None):
            return keras.activations.relu(self.bn(self.conv(x), training=training))
    """)

NET = textwrap.dedent("""\
    import keras
    from keras import layers

    from blocks import ConvBlock


    class Net(keras.Model):
        def __init__(self, classes):
            super().__init__()
            self.block1 = ConvBlock(8)
            self.block2 = ConvBlock(16)
            self.pool = layers.GlobalAveragePooling2D()
            self.head = layers.Dense(classes)

        def call(self, x, training=None):
            return self.head(self.pool(self.block2(self.block1(x, training=training), training=training)))
    """)
