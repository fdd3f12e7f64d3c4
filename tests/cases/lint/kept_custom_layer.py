# to-tf keeps all of this as Keras: lint says why (XL306, the Keras file other programs
# read), and a noqa comment silences a kept-as-Keras reason like any other finding. The flat
# form's own limit (it takes no `build` hook) is not a reason: the program form takes it.
import shutil

import keras
from keras import layers


class Scale(layers.Layer):
    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones")

    def call(self, x):
        return x * self.w


inputs = keras.Input(shape=(8,))
x = Scale()(inputs)
outputs = layers.Dense(2)(x)
model = keras.Model(inputs, outputs)
model.save("m.keras")  # noqa: XL306
shutil.copy("m.keras", "/srv/models/")  # the Keras file goes to other programs: it stays one
# --- expected (line:col: code) ---
