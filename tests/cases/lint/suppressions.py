from keras import layers

a = layers.FlaxLayer(4, 3)  # noqa
b = layers.FlaxLayer(4, 3)  # noqa: XL101
c = layers.FlaxLayer(4, 3)  # noqa: XL2
d = layers.FlaxLayer(4, 3)  # xlate: ignore[XL101]
e = layers.FlaxLayer(4, 3)  # xlate: ignore[XL201, XL101]
f = layers.FlaxLayer(4, 3)  # xlate: ignore[XL202]
g = [layers.Dense(4, lora_rank=4), layers.Dense(4, dtype="int8")]  # noqa: XL202
h = layers.FlaxLayer(4, 3)  # NOQA:XL1
i = layers.FlaxLayer(4, 3)
# --- expected (line:col: code) ---
# 5:5: XL101
# 8:5: XL101
# 9:58: XL201
# 11:5: XL101
