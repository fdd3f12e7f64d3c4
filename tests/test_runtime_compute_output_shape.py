"""``compute_output_shape`` given its shape by keyword, as Keras allows and a book's CNN chapter
writes it (``model.compute_output_shape(input_shape=(16, 28, 28, 1))`` after each ``add``):
the runtime's took positional shapes only and raised TypeError where Keras answered (found by
``bench/realcode_models.py --scripts``). Compared with Keras on the runtime bundle to-tf writes."""

from __future__ import annotations

import types
from typing import Any

import pytest
from runtime_ns import runtime

pytestmark = pytest.mark.tf


def _shapes(m: Any) -> list[Any]:
    model = m.Sequential()
    model.add(m.Conv2D(filters=32, kernel_size=(5, 5), padding="same"))
    out = [tuple(model.compute_output_shape(input_shape=(16, 28, 28, 1)))]
    model.add(m.MaxPooling2D(pool_size=(2, 2)))
    out.append(tuple(model.compute_output_shape(input_shape=(16, 28, 28, 1))))
    out.append(tuple(m.Dense(3).compute_output_shape(input_shape=(None, 5))))
    out.append(tuple(m.Dense(3).compute_output_shape((None, 5))))
    return out


def test_a_shape_by_keyword_as_keras() -> None:
    import keras

    theirs = _shapes(types.SimpleNamespace(Sequential=keras.Sequential, Conv2D=keras.layers.Conv2D,
                                           MaxPooling2D=keras.layers.MaxPooling2D, Dense=keras.layers.Dense))
    assert _shapes(types.SimpleNamespace(**runtime())) == theirs == [(16, 28, 28, 32), (16, 14, 14, 32), (None, 3), (None, 3)]
