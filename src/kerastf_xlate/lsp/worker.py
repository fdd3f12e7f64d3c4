"""The lint of one buffer, run in a worker process.

A separate process keeps a 5,000-line file from competing with the server's event loop for
the GIL (hovers and code actions keep answering), uses a second core, and contains a crash
(a C stack overflow on a pathological file costs one check, not the server). This module
imports only the static engines (lint, and to-tf's analysis for the kept-as-Keras reasons):
no pygls, no lsprotocol, no TensorFlow or Keras.
"""

from __future__ import annotations

import os
import sys
import threading
import time

from kerastf_xlate.config import Config, ConfigError, find_config
from kerastf_xlate.diagnostics import Diagnostic
from kerastf_xlate.lint import source_error_diagnostic
from kerastf_xlate.lint_totf import lint_text
from kerastf_xlate.rules import RuleSet, default_rules
from kerastf_xlate.sources import NOTEBOOK_SUFFIX, SourceError


def lint(text: str, path: str | None, uri: str, root: str | None) -> tuple[list[Diagnostic], str | None]:
    """``xlate lint - --stdin-filename PATH`` on ``text``: (diagnostics, configuration error)."""
    config, error = config_for(path, root)
    return lint_document(text, path or uri, config), error


def lint_document(text: str, path: str, config: Config, rules: RuleSet | None = None) -> list[Diagnostic]:
    """``xlate lint``'s findings for one buffer (an unparsable one gets one XL001)."""
    if path.endswith(NOTEBOOK_SUFFIX):
        return []  # raw notebook JSON; notebooks are linted cell by cell by the CLI
    rules = rules or default_rules()
    try:
        return lint_text(text, path, rules, config)
    except SourceError as err:
        return [source_error_diagnostic(err)]
    except RecursionError:  # parsed, but too deep for the resolver: say so rather than nothing
        return [source_error_diagnostic(SourceError(path, "too deeply nested to analyse"))]


# --------------------------------------------------------------------------- configuration

_seen_lock = threading.Lock()
_seen: dict[str, tuple[int, int] | None] = {}  # pyproject.toml path -> (mtime_ns, size) or None


def _stat(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size)


def _forget_stale_config(directory: str) -> None:
    """Drop ``find_config``'s cache when a pyproject.toml above ``directory`` changed.

    ``find_config`` caches per directory for the life of the process (right for a CLI run,
    wrong for a server that lives while the user edits ``[tool.xlate]``). A few ``stat``
    calls per lint tell whether any ``pyproject.toml`` on the way up appeared, changed or
    disappeared since this process last looked.
    """
    changed = False
    d = directory
    with _seen_lock:
        while True:
            candidate = os.path.join(d, "pyproject.toml")
            now = _stat(candidate)
            if candidate in _seen and _seen[candidate] != now:
                changed = True
            _seen[candidate] = now
            parent = os.path.dirname(d)
            if parent == d:
                break
            d = parent
    if changed:
        from kerastf_xlate import config as config_module

        clear = getattr(getattr(config_module, "_config_in", None), "cache_clear", None)
        if clear is not None:
            clear()


def config_for(path: str | None, root: str | None) -> tuple[Config, str | None]:
    """The ``[tool.xlate]`` configuration for a document, and an error message if it is broken.

    ``path`` is the document's file path (None for unsaved buffers, which are configured
    from the workspace root). A broken configuration falls back to the defaults so that
    the editor still gets diagnostics; the caller shows the message.
    """
    start = path or root or os.getcwd()
    directory = os.path.abspath(start)
    if not os.path.isdir(directory):
        directory = os.path.dirname(directory)
    _forget_stale_config(directory)
    try:
        return find_config(path or root), None
    except (ConfigError, OSError) as exc:
        return Config(), f"xlate: {exc}; using the default configuration"


# --------------------------------------------------------------------------- worker process


_WARM_UP_MODEL = "import keras\nclass M(keras.Model):\n    pass\nm = keras.Sequential([keras.layers.Dense(1)])\nm.fit(x, y, callbacks=[c])\n"


def warm_up() -> int:
    """Load the rules, and to-tf's tables (the runtime, the Keras API table: about a second
    on first use), before the first real request; returns the worker's pid."""
    from kerastf_xlate.lint_totf import totf_diagnostics
    from kerastf_xlate.rules import default_rules

    totf_diagnostics(_WARM_UP_MODEL, "warm_up.py", default_rules())
    return os.getpid()


def initialize(parent: int) -> None:
    """Worker set-up: stdout away from the protocol stream, the CLI's recursion limit, and
    exit when the server is gone."""
    os.dup2(2, 1)  # the inherited fd 1 is the server's LSP stream: nothing may write to it
    sys.stdout = sys.stderr
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))

    def watch() -> None:  # a server killed outright cannot shut its pool down
        while True:
            time.sleep(1.0)
            if os.getppid() != parent:
                os._exit(0)

    threading.Thread(target=watch, name="xlate-lsp-parent-watch", daemon=True).start()
