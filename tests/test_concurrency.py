"""Two translations at the same time share nothing (the language server runs them on a thread
pool): each is a value passed down its stages, not module state.

The sources differ exactly where module state would leak: their module-level constants give
the input shapes (``N = 8`` / ``N = 3``), which end up in the variables' shapes and in the
``input_signature`` of the generated classes.
"""

from __future__ import annotations

import ast
import sys
import textwrap
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from kerastf_xlate.tokeras import translate as to_keras
from kerastf_xlate.totf import translate as to_tf

SOURCES = {
    name: textwrap.dedent(f'''\
        import keras
        from keras import layers

        N = {n}
        UNITS = {units}

        inputs = keras.Input(shape=(N,))
        x = layers.Dense(UNITS, activation="relu")(inputs)
        outputs = layers.Dense(2)(x)
        {name} = keras.Model(inputs, outputs)
        ''')
    for name, n, units in (("wide", 8, 16), ("narrow", 3, 5))
}


def _both(name: str) -> tuple[str, str, str]:
    t, _ = to_tf(SOURCES[name], f"{name}.py")
    k, _ = to_keras(t, f"{name}_tf.py")
    return name, t, k


def test_concurrent_translations_do_not_mix(monkeypatch: pytest.MonkeyPatch) -> None:
    if sys.version_info < (3, 12):
        # CPython 3.11's ast module keeps its recursion depth in shared state: two threads in
        # ast.parse at once can raise "SystemError: AST constructor recursion depth mismatch"
        # (python/cpython#106905). The stages still interleave between parses.
        lock = threading.Lock()
        parse = ast.parse

        def locked_parse(*args: Any, **kwargs: Any) -> ast.AST:
            with lock:
                return parse(*args, **kwargs)

        monkeypatch.setattr(ast, "parse", locked_parse)
    expected = {name: _both(name)[1:] for name in SOURCES}
    # the shapes keep the module constants' names (`[None, N]`), whose values differ
    assert "[None, N]" in expected["wide"][0] and "N = 8" in expected["wide"][0] and "N = 3" in expected["narrow"][0]
    assert expected["wide"][0] != expected["narrow"][0]
    jobs = [name for _ in range(25) for name in SOURCES]
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(_both, jobs))
    assert len(results) == len(jobs)
    for name, t, k in results:
        assert (t, k) == expected[name], f"{name}: a concurrent translation changed this one's output"
