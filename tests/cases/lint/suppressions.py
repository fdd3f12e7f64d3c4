from keras import layers

a = layers.LSTM(4)  # noqa
b = layers.LSTM(4)  # noqa: XL101
c = layers.LSTM(4)  # noqa: XL2
d = layers.LSTM(4)  # xlate: ignore[XL101]
e = layers.LSTM(4)  # xlate: ignore[XL201, XL101]
f = layers.LSTM(4)  # xlate: ignore[XL202]
g = layers.Dense(4, kernel_regularizer="l2", activation=custom)  # noqa: XL202
h = layers.LSTM(4)  # NOQA:XL1
i = layers.LSTM(4)
# --- expected (line:col: code) ---
# 5:5: XL101
# 8:5: XL101
# 9:57: XL203
# 11:5: XL101
