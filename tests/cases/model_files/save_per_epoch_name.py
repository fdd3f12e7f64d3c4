"""A generator trained in epochs and saved every two epochs under a name made at run time
(`"gen_e_" + str(e + 1) + ".h5"`, as GAN tutorials write it), then one of those files loaded
back by its literal name, uncompiled, to make predictions (the tutorials' test section), and a
second model saved each epoch under a %-formatted name and loaded back compiled."""
import json
import sys

import numpy as np
from keras.layers import Dense, Input
from keras.models import Model, load_model

rng = np.random.default_rng(11)
x = rng.normal(size=(32, 4)).astype("float32")
y = (x @ rng.normal(size=(4, 2))).astype("float32")

inputs = Input(shape=(4,))
hidden = Dense(8, activation="relu")(inputs)
generator = Model(inputs, Dense(2)(hidden))
generator.set_weights([rng.normal(0, 0.4, w.shape).astype("float32") for w in generator.get_weights()])
generator.compile(loss="mse", optimizer="adam")
losses = []
for e in range(4):
    losses.append(generator.train_on_batch(x, y))
    if (e + 1) % 2 == 0:
        generator.save("gen_e_" + str(e + 1) + ".h5")

critic = Model(inputs, Dense(1)(hidden))
critic.set_weights([rng.normal(0, 0.4, w.shape).astype("float32") for w in critic.get_weights()])
critic.compile(loss="mse", optimizer="sgd")
for step in range(2):
    critic.train_on_batch(x, y[:, :1])
    filename = "critic_%04d.keras" % (step + 1)
    critic.save(filename)

generator = load_model("gen_e_2.h5", compile=False)
best = load_model("critic_0002.keras")
json.dump({"losses": [float(v) for v in losses], "pred": generator.predict(x[:5], verbose=0).tolist(),
           "critic": best.evaluate(x, y[:, :1], verbose=0)}, sys.stdout)
