"""Next-frame prediction on short clips: stacked ConvLSTM2D layers with batch normalization
and a Conv3D head over (time, rows, cols), as video examples build it; and a 1-D variant that
reads a bank of sensor traces with ConvLSTM1D, backwards, keeping its last state."""

import keras
from keras import layers

# xlate-case: {"models": {"next_frame": [4, 8, 8, 1], "traces": [5, 9, 2]}}


def build_next_frame(frame_shape, filters=(6, 4)):
    frames = keras.Input(shape=(None, *frame_shape))
    x = frames
    for i, f in enumerate(filters):
        x = layers.ConvLSTM2D(f, kernel_size=(3, 3) if i == 0 else (1, 1), padding="same", return_sequences=True,
                              activation="relu")(x)
        x = layers.BatchNormalization()(x)
    x = layers.Conv3D(filters=1, kernel_size=(3, 3, 3), activation="sigmoid", padding="same")(x)
    return keras.Model(frames, x, name="next_frame")


def build_traces(steps, channels, classes=3):
    inputs = keras.Input((None, steps, channels))
    seq, h, c = layers.ConvLSTM1D(4, 3, go_backwards=True, return_sequences=True, return_state=True)(inputs)
    x = layers.Concatenate()([layers.GlobalAveragePooling1D()(h), layers.GlobalMaxPooling1D()(c)])
    return keras.Model(inputs, layers.Dense(classes)(x), name="traces")


next_frame = build_next_frame((8, 8, 1))
traces = build_traces(9, 2)
# output
"""Next-frame prediction on short clips: stacked ConvLSTM2D layers with batch normalization
and a Conv3D head over (time, rows, cols), as video examples build it; and a 1-D variant that
reads a bank of sensor traces with ConvLSTM1D, backwards, keeping its last state."""

import tensorflow as tf

# (TensorFlow layers written out by xlate to-tf)


# xlate-case: {"models": {"next_frame": [4, 8, 8, 1], "traces": [5, 9, 2]}}


def build_next_frame(frame_shape, filters=(6, 4)):
    def build_next_frame_graph():
        frames = Input(shape=(None, *frame_shape))
        x = frames
        for i, f in enumerate(filters):
            x = ConvLSTM2D(f, kernel_size=(3, 3) if i == 0 else (1, 1), padding="same", return_sequences=True,
                                  activation="relu")(x)
            x = BatchNormalization()(x)
        x = Conv3D(filters=1, kernel_size=(3, 3, 3), activation="sigmoid", padding="same")(x)
        return frames, x

    return Model(build_next_frame_graph, name="next_frame")


def build_traces(steps, channels, classes=3):
    def build_traces_graph():
        inputs = Input((None, steps, channels))
        seq, h, c = ConvLSTM1D(4, 3, go_backwards=True, return_sequences=True, return_state=True)(inputs)
        x = Concatenate()([GlobalAveragePooling1D()(h), GlobalMaxPooling1D()(c)])
        return inputs, Dense(classes)(x)

    return Model(build_traces_graph, name="traces")


next_frame = build_next_frame((8, 8, 1))
traces = build_traces(9, 2)
