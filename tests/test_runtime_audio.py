"""STFTSpectrogram and MelSpectrogram runtime classes (``tfr_audio.py``) against Keras 3.

- STFTSpectrogram: for every mode, padding, data format and ``expand_dims``, Keras's layer
  and the runtime's on the same signal, Keras's kernels perturbed and moved with
  ``set_weights``: equal within ``atol = rtol = 1e-5`` (float32; measured 0). A fresh layer's
  kernels equal Keras's ``STFT`` initializer's. Keras reads string windows with SciPy (not
  installed here), so Keras gets them as arrays (NumPy's ``hanning``/``hamming``/``blackman``
  are SciPy's symmetric windows, and the periodic ones are those of ``N + 1`` points without
  the last), and the runtime's string windows are checked against the same arrays.
- MelSpectrogram: Keras's output for windows, strides, mel ranges, decibel settings and a
  single (unbatched) signal, within ``atol = 1e-4`` on decibels up to ~100 (measured 0).
"""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

np = pytest.importorskip("numpy")
tf = pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")

from runtime_ns import layers, perturbed, runtime  # noqa: E402

pytestmark = pytest.mark.tf


def signal(shape, seed=0):  # type: ignore[no-untyped-def]
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


STFT = [
    ("STFTSpectrogram(window=np.hanning(256))", (2, 600, 1)),
    ("STFTSpectrogram(mode='magnitude', frame_length=64, frame_step=16, padding='same', window=np.hamming(64))", (2, 300, 2)),
    ("STFTSpectrogram(mode='psd', frame_length=50, fft_length=64, window=np.hanning(51)[:-1], periodic=True, "
     "scaling='spectrum')", (2, 300, 2)),
    ("STFTSpectrogram(mode='stft', frame_length=32, window=np.blackman(32), scaling=None, expand_dims=True)", (2, 200, 3)),
    ("STFTSpectrogram(mode='angle', frame_length=32, window=None, data_format='channels_first')", (2, 3, 200)),
    ("STFTSpectrogram(mode='real', frame_length=32, window=np.ones(32), expand_dims=True, data_format='channels_first')",
     (2, 3, 200)),
    ("STFTSpectrogram(mode='imag', frame_length=33, window=None)", (2, 200, 1)),
]


@pytest.mark.parametrize("expr, shape", STFT)
def test_stft_spectrogram_matches_keras(expr: str, shape) -> None:  # type: ignore[no-untyped-def]
    k = eval("layers." + expr, {"layers": keras.layers, "np": np})
    t = eval("layers." + expr, {"layers": layers(), "np": np})
    x = signal(shape)
    k(x)
    t(x)
    fresh = [np.asarray(w) for w in t.get_weights()]
    assert [w.shape for w in fresh] == [w.shape for w in k.get_weights()]
    for a, b in zip(fresh, k.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-6, rtol=0)
    moved = perturbed(k.get_weights())
    k.set_weights(moved)
    t.set_weights(moved)
    expected, got = np.asarray(k(x)), np.asarray(t(x))
    assert got.shape == expected.shape and got.dtype == expected.dtype
    np.testing.assert_allclose(got, expected, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("name, numpy_window", [("hann", "hanning"), ("hamming", "hamming"), ("blackman", "blackman"),
                                                ("boxcar", "ones")])
@pytest.mark.parametrize("length", [1, 2, 7, 64])
def test_string_windows_are_scipys(name: str, numpy_window: str, length: int) -> None:
    window = runtime()["_stft_window"]
    make = getattr(np, numpy_window)
    np.testing.assert_allclose(window(name, length, False), make(length), atol=1e-12)
    np.testing.assert_allclose(window(name, length, True), make(length + 1)[:length], atol=1e-12)


def test_string_window_kernels_equal_the_array_windows() -> None:
    """A layer given ``window='hann'`` builds the kernels Keras builds from the same window
    as numbers (so the kernels of a fresh translated layer are Keras's)."""
    t_str = layers().STFTSpectrogram(mode='stft', frame_length=48, window='hann', periodic=True)
    k_arr = keras.layers.STFTSpectrogram(mode='stft', frame_length=48, window=np.hanning(49)[:-1], periodic=True)
    x = signal((1, 100, 1))
    t_str(x)
    k_arr(x)
    for a, b in zip(t_str.get_weights(), k_arr.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-6, rtol=0)
    with pytest.raises(NotImplementedError):
        layers().STFTSpectrogram(window="tukey")


MEL = [
    ("MelSpectrogram()", (2, 4000)),
    ("MelSpectrogram(fft_length=256, sequence_stride=64, sequence_length=200, window='hamming', num_mel_bins=40, "
     "power_to_db=False, mag_exp=1.0)", (2, 3000)),
    ("MelSpectrogram(fft_length=256, sequence_stride=128, top_db=20.0, ref_power=2.0, max_freq=6000)", (3000,)),
    ("MelSpectrogram(fft_length=128, sequence_stride=32, window=None, sampling_rate=8000, min_freq=0.0)", (2, 1000)),
]


@pytest.mark.parametrize("expr, shape", MEL)
def test_mel_spectrogram_matches_keras(expr: str, shape) -> None:  # type: ignore[no-untyped-def]
    k = eval("layers." + expr, {"layers": keras.layers})
    t = eval("layers." + expr, {"layers": layers()})
    x = signal(shape, seed=len(expr))
    expected, got = np.asarray(k(x)), np.asarray(t(x))
    assert got.shape == expected.shape and got.dtype == expected.dtype
    np.testing.assert_allclose(got, expected, atol=1e-4, rtol=1e-5)
    assert np.ptp(got) > 1.0  # not a constant output (a test that could not fail)
