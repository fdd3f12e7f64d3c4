"""``xlate lsp``: a language server with live diagnostics, hovers and one-click translation.

Needs the ``[lsp]`` extra (pygls, lsprotocol): importing this package without them raises
ImportError, which ``xlate lsp`` turns into an install hint. Static like ``xlate lint``:
it never imports TensorFlow or Keras.

Modules: :mod:`.positions` (LSP lines and UTF-16 columns), :mod:`.worker` (the lint run in
a worker process), :mod:`.analysis` (diagnostics, layer uses, hovers), :mod:`.actions` and
:mod:`.inline` (the edits behind code actions), :mod:`.server` (the server object,
debouncing, error handling) and :mod:`.features` (the LSP methods).

The package itself stays light (the heavy pygls/lsprotocol imports happen in
:mod:`.server` and :mod:`.app`), so that lint worker processes, which import :mod:`.worker`, start fast.
"""

from __future__ import annotations

from typing import Any

import lsprotocol  # noqa: F401  (fail here, with ImportError, when the extra is missing)
import pygls  # noqa: F401

__all__ = ["create_server", "start_server"]


def create_server() -> Any:
    """A server with every feature registered (not started)."""
    from kerastf_xlate.lsp.app import create_server as create

    return create()


def start_server() -> None:
    """Serve LSP on stdin/stdout until the client says exit."""
    from kerastf_xlate.lsp.app import start_server as start

    start()
