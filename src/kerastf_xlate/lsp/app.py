"""The language server with its features, and ``xlate lsp``'s main loop.

:mod:`.server` is the server (documents, lint workers, error guard); :mod:`.features` the
LSP methods registered on it; this module puts the two together.
"""

from __future__ import annotations

import logging
import os
import sys
import threading

from kerastf_xlate.lsp.features import register
from kerastf_xlate.lsp.server import XlateLanguageServer, logger


def create_server() -> XlateLanguageServer:
    """A server with every feature registered (not started)."""
    server = XlateLanguageServer()
    register(server)
    return server


def start_server() -> None:
    """``xlate lsp``: serve on stdin/stdout until the client says exit."""
    # Logs go to stderr (editors show it in the server's output panel). XLATE_LSP_LOG=info
    # adds one line per lint with its timing; =debug also logs pygls's message traffic.
    level = getattr(logging, os.environ.get("XLATE_LSP_LOG", "WARNING").upper(), logging.WARNING)
    logging.basicConfig(stream=sys.stderr, level=min(level, logging.WARNING) if level <= logging.DEBUG else logging.WARNING,
                        format="xlate-lsp %(levelname)s %(name)s: %(message)s")
    logger.setLevel(level)
    # Deeply nested sources recurse deeply in the resolver; worker threads get room for it.
    threading.stack_size(64 * 1024 * 1024)
    server = create_server()
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # a stray print() must never corrupt the protocol stream
    try:
        server.start_io(stdin, stdout)
    finally:
        server.lint_workers.shutdown()
