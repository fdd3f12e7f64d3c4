"""Audio preprocessing layers (``keras.layers.STFTSpectrogram``, ``keras.layers.MelSpectrogram``).

- ``STFTSpectrogram`` computes the short-time Fourier transform as Keras does: a strided 1-D
  convolution of each channel with two DFT kernels (cosine and sine, the window and its
  scaling folded in), which are the layer's weights (``real_kernel``, ``imag_kernel``, in
  that order, shape ``(frame_length, 1, fft_length // 2 + 1)``), so they move with
  ``set_weights``. A fresh layer builds them as Keras's ``STFT`` initializer does, the window
  computed as SciPy's ``get_window`` gives it for ``hann``, ``hamming``, ``blackman`` and
  ``boxcar`` (other window names raise; a window given as numbers is used as it is).
- ``MelSpectrogram`` is Keras's: a centred (reflect-padded) ``tf.signal.stft`` with a periodic
  window, magnitude to the power ``mag_exp``, the HTK mel filter bank of
  ``tf.signal.linear_to_mel_weight_matrix``, and decibels clipped at ``top_db`` below the
  largest value of the whole batch (as Keras does), as ``(batch, num_mel_bins, frames)``.
"""

import math

import numpy as np
import tensorflow as tf
from tfr_base import Layer, epsilon
from tfr_initializers import Initializer
from tfr_ops import _ops_stft

_STFT_WINDOWS = {  # SciPy's symmetric general-cosine windows: w[n] = sum_k (-1)^k a_k cos(2 pi k n / (N - 1))
    "hann": (0.5, 0.5),
    "hamming": (0.54, 0.46),
    "blackman": (0.42, 0.5, 0.08),
    "boxcar": (1.0,),
}


def _stft_window(window, length, periodic):
    """SciPy's ``get_window(window, length, fftbins=periodic)`` for the windows above (float64);
    a periodic window is the symmetric one of ``length + 1`` without its last point."""
    if window not in _STFT_WINDOWS:
        raise NotImplementedError(f"STFT window {window!r} is not translated (only {sorted(_STFT_WINDOWS)} "
                                  "or a window given as numbers)")
    size = length + 1 if periodic else length
    if size == 1:
        return np.ones(1)
    n = np.arange(size)
    taps = sum((-1) ** k * a * np.cos(2.0 * math.pi * k * n / (size - 1)) for k, a in enumerate(_STFT_WINDOWS[window]))
    return np.asarray(taps, dtype="float64")[:length]


def _stft_kernel(side, window, scaling, periodic, shape, dtype):
    """Keras's ``keras.initializers.STFT`` for ``shape = (frame_length, 1, bins)``: the cosine
    (``side="real"``) or sine (``"imag"``) DFT kernel over ``2 * (bins - 1)`` points, times the
    window, over ``sqrt(sum(window ** 2))`` (``"density"``) or ``sum(|window|)``
    (``"spectrum"``)."""
    dtype = tf.as_dtype(dtype)
    frame_length, _, bins = shape
    freq = tf.reshape(tf.range(bins, dtype=dtype), (1, 1, bins)) / tf.cast(2 * (bins - 1), dtype)
    time = tf.reshape(tf.range(frame_length, dtype=dtype), (frame_length, 1, 1))
    angle = (-2.0 * time) * freq * tf.math.acos(tf.constant(-1.0, dtype))
    kernel = tf.math.cos(angle) if side == "real" else tf.math.sin(angle)
    if window is None:
        return kernel
    taps = _stft_window(window, frame_length, periodic) if isinstance(window, str) else window
    taps = tf.convert_to_tensor(taps, dtype=dtype)
    if taps.shape.rank != 1 or taps.shape[0] != frame_length:
        raise ValueError(f"The shape of `window` must be equal to [frame_length]. Received: window shape={taps.shape}")
    taps = tf.reshape(taps, (frame_length, 1, 1))
    if scaling == "density":
        kernel = kernel * taps / tf.sqrt(tf.reduce_sum(tf.square(taps)))
    elif scaling == "spectrum":
        kernel = kernel * taps / tf.reduce_sum(tf.abs(taps))
    else:
        kernel = kernel * taps
    return kernel


class STFT(Initializer):
    """``keras.initializers.STFT``: the DFT kernel of :func:`_stft_kernel` for a shape
    ``(frame_length, 1, bins)``."""

    def __init__(self, side="real", window="hann", scaling="density", periodic=False):
        if side not in ("real", "imag"):
            raise ValueError(f"side should be 'real' or 'imag', not {side}")
        if isinstance(window, str):
            _stft_window(window, 1, periodic)
        if scaling is not None and scaling not in ("density", "spectrum"):
            raise ValueError(f"Scaling is invalid, it must be `None`, 'density' or 'spectrum'. Received scaling={scaling}")
        self.side, self.window, self.scaling, self.periodic = side, window, scaling, periodic

    def __call__(self, shape, dtype=None):
        return _stft_kernel(self.side, self.window, self.scaling, self.periodic, tuple(shape), dtype or "float32")

    def get_config(self):
        return {"side": self.side, "window": self.window, "periodic": self.periodic, "scaling": self.scaling}


class STFTSpectrogram(Layer):
    """``keras.layers.STFTSpectrogram``: per channel, frames of ``frame_length`` samples every
    ``frame_step`` (default ``frame_length // 2``), DFT over ``fft_length`` (default the next
    power of two) bins as a convolution with the kernels; ``mode`` ``"log"`` (log magnitude),
    ``"magnitude"``, ``"psd"`` (power, the inner bins doubled), ``"real"``, ``"imag"``,
    ``"angle"`` or ``"stft"`` (real then imaginary bins). Input ``(batch, time, channels)``
    (channels-first: ``(batch, channels, time)``); output ``(batch, frames, channels * bins)``,
    or with ``expand_dims`` ``(batch, frames, bins, channels)``."""

    def __init__(self, mode="log", frame_length=256, frame_step=None, fft_length=None, window="hann", periodic=False,
                 scaling="density", padding="valid", expand_dims=False, data_format=None, **kwargs):
        if frame_step is not None and (frame_step > frame_length or frame_step < 1):
            raise ValueError("`frame_step` should be a positive integer not greater than `frame_length`. "
                             f"Received frame_step={frame_step}, frame_length={frame_length}")
        if fft_length is not None and fft_length < frame_length:
            raise ValueError("`fft_length` should be not less than `frame_length`. "
                             f"Received fft_length={fft_length}, frame_length={frame_length}")
        modes = ["log", "magnitude", "psd", "real", "imag", "angle", "stft"]
        if mode not in modes:
            raise ValueError(f"Output mode is invalid, it must be one of {', '.join(modes)}. Received: mode={mode}")
        if scaling is not None and scaling not in ("density", "spectrum"):
            raise ValueError(f"Scaling is invalid, it must be `None`, 'density' or 'spectrum'. Received scaling={scaling}")
        if padding not in ("valid", "same"):
            raise ValueError(f"Padding is invalid, it should be 'valid', 'same'. Received: padding={padding}")
        if isinstance(window, str):
            _stft_window(window, 1, periodic)
        super().__init__(**kwargs)
        self.mode = mode
        self.frame_length = frame_length
        self.frame_step = frame_step
        self._frame_step = frame_step or frame_length // 2
        self.fft_length = fft_length
        self._fft_length = fft_length or 2 ** int(math.ceil(math.log2(frame_length)))
        self.window = window
        self.periodic = periodic
        self.scaling = scaling
        self.padding = padding
        self.expand_dims = expand_dims
        self.data_format = "channels_last" if data_format is None else str(data_format).lower()

    def build(self, input_shape):
        shape = (self.frame_length, 1, self._fft_length // 2 + 1)

        def initializer(side):
            return lambda shape, dtype=None: _stft_kernel(side, self.window, self.scaling, self.periodic, shape,
                                                          dtype or "float32")

        if self.mode != "imag":
            self.real_kernel = self.add_weight(shape=shape, initializer=initializer("real"), name="real_kernel")
        if self.mode != "real":
            self.imag_kernel = self.add_weight(shape=shape, initializer=initializer("imag"), name="imag_kernel")
        self.built = True

    def _convolve(self, inputs, kernel):
        """``(batch, channels, bins, frames)``: every channel convolved on its own."""
        signal = inputs if self.data_format == "channels_first" else tf.transpose(inputs, [0, 2, 1])
        shape = tf.shape(signal)
        frames = tf.nn.conv1d(tf.reshape(signal, [-1, shape[2], 1]), tf.cast(kernel, inputs.dtype),
                              stride=self._frame_step, padding=self.padding.upper())
        out = tf.transpose(frames, [0, 2, 1])
        return tf.reshape(out, tf.stack([-1, shape[1], tf.shape(out)[1], tf.shape(out)[2]]))

    def _arrange(self, outputs):
        """Keras's output layout from ``(batch, channels, bins, frames)``."""
        if self.expand_dims:
            return tf.transpose(outputs, [0, 3, 2, 1] if self.data_format == "channels_last" else [0, 1, 3, 2])
        shape = tf.shape(outputs)
        outputs = tf.reshape(outputs, tf.stack([-1, shape[1] * shape[2], shape[3]]))
        return tf.transpose(outputs, [0, 2, 1]) if self.data_format == "channels_last" else outputs

    def call(self, inputs):
        if inputs.dtype not in (tf.float16, tf.float32, tf.float64):
            raise TypeError(f"Invalid input type. Expected `float16`, `float32` or `float64`. "
                            f"Received: input type={inputs.dtype.name}")
        real = self._convolve(inputs, self.real_kernel) if self.mode != "imag" else None
        imag = self._convolve(inputs, self.imag_kernel) if self.mode != "real" else None
        if self.mode == "real":
            return self._arrange(real)
        if self.mode == "imag":
            return self._arrange(imag)
        if self.mode == "angle":
            return self._arrange(tf.math.atan2(imag, real))
        if self.mode == "stft":
            return self._arrange(tf.concat([real, imag], axis=2))
        power = tf.square(real) + tf.square(imag)
        if self.mode == "psd":
            return self._arrange(power + tf.pad(power[:, :, 1:-1, :], [[0, 0], [0, 0], [1, 1], [0, 0]]))
        magnitude = self._arrange(tf.sqrt(tf.maximum(power, epsilon())))
        if self.mode == "magnitude":
            return magnitude
        return tf.math.log(tf.maximum(magnitude, epsilon()))


class MelSpectrogram(Layer):
    """``keras.layers.MelSpectrogram``: audio ``(batch, samples)`` (or one signal
    ``(samples,)``) to a mel spectrogram ``(batch, num_mel_bins, frames)``, in decibels when
    ``power_to_db``. Frames of ``sequence_length`` (default ``fft_length``) samples every
    ``sequence_stride``, the signal reflect-padded by ``fft_length // 2`` on each side."""

    def __init__(self, fft_length=2048, sequence_stride=512, sequence_length=None, window="hann", sampling_rate=16000,
                 num_mel_bins=128, min_freq=20.0, max_freq=None, power_to_db=True, top_db=80.0, mag_exp=2.0,
                 min_power=1e-10, ref_power=1.0, **kwargs):
        self.fft_length = fft_length
        self.sequence_stride = sequence_stride
        self.sequence_length = sequence_length or fft_length
        if self.fft_length < self.sequence_length:
            raise ValueError("`fft_length` must be greater than or equal to  `sequence_length`. Received: "
                             f"`sequence_length`={self.sequence_length}, `fft_length`={self.fft_length}.")
        self.window = window
        self.sampling_rate = sampling_rate
        self.num_mel_bins = num_mel_bins
        self.min_freq = min_freq
        self.max_freq = max_freq or int(sampling_rate / 2)
        self.power_to_db = power_to_db
        self.top_db = top_db
        self.mag_exp = mag_exp
        self.min_power = min_power
        self.ref_power = ref_power
        super().__init__(**kwargs)

    def call(self, inputs):
        dtype = tf.as_dtype(self.compute_dtype)
        dtype = dtype if dtype in (tf.float32, tf.float64) else tf.float32
        inputs = tf.cast(tf.convert_to_tensor(inputs), dtype)
        real, imag = _ops_stft(inputs, self.sequence_length, self.sequence_stride, self.fft_length,
                               window=self.window, center=True)
        spectrum = tf.pow(tf.sqrt(tf.square(real) + tf.square(imag)), tf.cast(self.mag_exp, dtype))
        bins = spectrum.shape[-1]
        matrix = tf.signal.linear_to_mel_weight_matrix(self.num_mel_bins, bins, self.sampling_rate, self.min_freq,
                                                       self.max_freq, dtype=dtype)
        outputs = tf.tensordot(spectrum, matrix, axes=1)
        if self.power_to_db:
            ten = tf.constant(10.0, dtype)
            decibels = ten * (tf.math.log(tf.maximum(outputs, self.min_power)) / tf.math.log(ten))
            reference = tf.maximum(tf.abs(tf.constant(self.ref_power, dtype)), self.min_power)
            decibels -= ten * (tf.math.log(reference) / tf.math.log(ten))
            outputs = tf.maximum(decibels, tf.reduce_max(decibels) - self.top_db)
        perm = list(range(outputs.shape.rank))
        perm[-1], perm[-2] = perm[-2], perm[-1]
        return tf.cast(tf.transpose(outputs, perm), self.compute_dtype)
