"""Train a bag-of-embeddings text classifier on generated token ids (binary sentiment).

Each "review" is 20 token ids from a 200-word vocabulary; the label says whether it holds
more "positive" words (ids 1-20) than "negative" ones (ids 21-40). Data and initial weights
come from NumPy with fixed seeds, so the Keras script and its ``xlate to-tf`` translation
start from the same point and reach the same loss.

    python examples/training/text_classifier.py
    xlate to-tf examples/training/text_classifier.py -o /tmp/text_tf.py && python /tmp/text_tf.py
"""

import numpy as np
import keras
from keras import layers

VOCAB_SIZE = 200
SEQUENCE_LENGTH = 20

rng = np.random.default_rng(0)
tokens = rng.integers(0, VOCAB_SIZE, size=(600, SEQUENCE_LENGTH))
positive = ((tokens >= 1) & (tokens <= 20)).sum(axis=1)
negative = ((tokens >= 21) & (tokens <= 40)).sum(axis=1)
labels = (positive > negative).astype("float32")

token_ids = keras.Input(shape=(SEQUENCE_LENGTH,), dtype="int32")
x = layers.Embedding(VOCAB_SIZE, 16)(token_ids)
x = layers.GlobalAveragePooling1D()(x)
x = layers.Dense(16, activation="relu")(x)
score = layers.Dense(1, activation="sigmoid")(x)
model = keras.Model(token_ids, score)

# reproducible initial weights (kernels from NumPy; biases keep their zeros)
model(tokens[:1])
init = np.random.default_rng(1)
model.set_weights([init.normal(0.0, 0.3, w.shape).astype("float32") if w.ndim > 1 else w for w in model.get_weights()])

model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=0.005), loss="binary_crossentropy", metrics=["accuracy"])
history = model.fit(tokens[:500], labels[:500], batch_size=50, epochs=4, validation_split=0.2, shuffle=False, verbose=2)

loss, accuracy = model.evaluate(tokens[500:], labels[500:], verbose=0)
scores = model.predict(tokens[500:505], verbose=0)
print("scores:", np.round(scores[:, 0], 3).tolist())
print(f"final loss: {history.history['loss'][-1]:.6f}")
print(f"held-out loss: {loss:.6f}  accuracy: {accuracy:.4f}")
