"""Keras 2 code that Keras 3 no longer runs."""
from tensorflow.keras import layers

act = layers.ThresholdedReLU(theta=1.0)
lc1 = layers.LocallyConnected1D(8, 3)
lc2 = layers.LocallyConnected2D(8, 3)
cross = layers.experimental.preprocessing.CategoryCrossing()
# --- expected (line:col: code) ---
# 4:7: XL102
# 5:7: XL102
# 6:7: XL102
# 7:9: XL102
