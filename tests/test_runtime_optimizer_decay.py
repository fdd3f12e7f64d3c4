"""``decay=`` given to a Keras 3 optimizer (issue #13; found by ``bench/realcode_models.py
--scripts`` on a book's notebook that writes ``keras.optimizers.SGD(learning_rate=0.01,
decay=1e-4)``): Keras 3 warns that the argument is no longer supported and ignores it; the
runtime's optimizers raised "Argument(s) not recognized", so the translation stopped where
the original ran on. Now they warn with Keras's words and ignore it too. (In a Keras 2 program
``decay`` means a decayed learning rate, and that model stays Keras: tests/test_program_keras2.py.)

Compared with Keras 3 itself: the same warning, and the same variable after two steps of SGD
with momentum and of Adam from the same start and gradients (tolerance 1e-6 absolute).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
from runtime_ns import runtime_of


@pytest.fixture(scope="module")
def runtime() -> Any:
    return runtime_of({"Adam", "SGD"}, "xlate_optimizer_decay")


@pytest.mark.tf
@pytest.mark.parametrize("name, kwargs", [("SGD", {"learning_rate": 0.1, "momentum": 0.9, "decay": 1e-2}),
                                          ("Adam", {"learning_rate": 0.01, "decay": 0.5})])
def test_decay_is_ignored_with_keras_warning(runtime: Any, name: str, kwargs: dict[str, float]) -> None:
    import keras
    import tensorflow as tf

    rng = np.random.default_rng(0)
    start = rng.normal(size=(3, 2)).astype("float32")
    grads = [rng.normal(size=(3, 2)).astype("float32") for _ in range(2)]
    results, messages = [], []
    for make in (getattr(keras.optimizers, name), getattr(runtime, name)):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            opt = make(**kwargs)
        messages.append([str(w.message) for w in caught if "decay" in str(w.message)])
        var = keras.Variable(start) if make is getattr(keras.optimizers, name) else tf.Variable(start)
        for g in grads:
            opt.apply_gradients([(tf.constant(g), var)])
        results.append(np.asarray(var))
    assert messages[0] == messages[1] == ["Argument `decay` is no longer supported and will be ignored."], messages
    worst = float(np.max(np.abs(results[0] - results[1])))
    print(f"worst difference {worst:.2e}")
    assert worst <= 1e-6 and not np.allclose(results[0], start)


def test_an_unknown_argument_still_raises(runtime: Any) -> None:
    with pytest.raises(ValueError, match="Argument\\(s\\) not recognized: {'lr_decay': 0.1}"):
        runtime.SGD(learning_rate=0.1, lr_decay=0.1)
