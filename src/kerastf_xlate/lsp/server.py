"""The pygls wiring: document sync, debounced diagnostics, hover, code actions, commands.

Threading model: pygls runs handlers on one asyncio loop; anything that parses or lints
runs in the server's thread pool so that a 5,000-line file never blocks the loop (hover and
code actions keep answering while a lint runs). Every handler is wrapped so that an
exception is logged to the client and answered with an empty result: one bad request never
takes the server down.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from kerastf_xlate import __version__
from kerastf_xlate.lsp import worker
from kerastf_xlate.lsp.analysis import Parsed, parse_document, to_lsp
from kerastf_xlate.lsp.positions import Lines

logger = logging.getLogger("kerastf_xlate.lsp")

DEBOUNCE_S = 0.3
TRANSLATE_COMMAND = "xlate.translateFile"
KIND_TO_TF = "source.xlate.toTensorFlow"
KIND_TO_KERAS = "source.xlate.toKeras"
TITLE_INLINE = "Translate to TensorFlow"
TITLE_TO_TF = "Translate file to TensorFlow"
TITLE_TO_KERAS = "Translate file to Keras"


@dataclass
class _Run:
    """One scheduled lint of one document (cancelled while it waits, never while it runs)."""

    task: asyncio.Task | None = None
    running: bool = False


@dataclass
class _Published:
    version: int | None
    diagnostics: list[types.Diagnostic] = field(default_factory=list)


class XlateLanguageServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("xlate", __version__, text_document_sync_kind=types.TextDocumentSyncKind.Incremental)
        self.debounce = DEBOUNCE_S
        self.pending: dict[str, _Run] = {}
        self.locks: dict[str, asyncio.Lock] = {}
        self.published: dict[str, _Published] = {}
        self.parsed: dict[str, tuple[int | None, asyncio.Future]] = {}
        self.shown: set[str] = set()  # configuration errors already shown
        processes = int(os.environ.get("XLATE_LSP_WORKERS", "1") or 0)
        self.lint_workers = LintWorkers(self, processes)

    # ------------------------------------------------------------------ helpers

    @property
    def encoding(self) -> str:
        enc = self.workspace.position_encoding
        return getattr(enc, "value", enc) or "utf-16"

    def root(self) -> str | None:
        try:
            return self.workspace.root_path
        except Exception:  # before initialize
            return None

    def document(self, uri: str):
        """The open Python document, or None (never reads unopened files from disk).

        Other documents a client may send (a pyproject.toml, a notebook's raw JSON) are
        not Python source: they get no diagnostics, hovers or actions.
        """
        try:
            docs = self.workspace.text_documents
        except Exception:
            return None
        from urllib.parse import unquote

        doc = docs.get(uri) or docs.get(unquote(uri))
        if doc is None:
            return None
        language = getattr(doc, "language_id", None)
        if language:
            return doc if language == "python" else None
        return doc if uri.lower().endswith((".py", ".pyi")) else None

    async def in_thread(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self.thread_pool, functools.partial(fn, *args))

    def log(self, message: str, kind: types.MessageType = types.MessageType.Info) -> None:
        try:
            self.window_log_message(types.LogMessageParams(type=kind, message=message))
        except Exception:  # pragma: no cover - the client went away
            logger.warning("%s", message)

    def show(self, message: str, kind: types.MessageType = types.MessageType.Info) -> None:
        try:
            self.window_show_message(types.ShowMessageParams(type=kind, message=message))
        except Exception:  # pragma: no cover
            logger.warning("%s", message)

    def report(self, where: str, exc: BaseException) -> None:
        logger.exception("xlate: %s failed", where, exc_info=exc)
        self.log(f"xlate: internal error in {where}: {type(exc).__name__}: {exc}", types.MessageType.Error)

    def client_supports(self, *path: str) -> Any:
        node: Any = self.client_capabilities
        for name in path:
            node = getattr(node, name, None)
            if node is None:
                return None
        return node

    def workspace_edit(self, uri: str, version: int | None, edits: list[types.TextEdit]) -> types.WorkspaceEdit:
        if self.client_supports("workspace", "workspace_edit", "document_changes"):
            ident = types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=version)
            return types.WorkspaceEdit(document_changes=[types.TextDocumentEdit(text_document=ident, edits=edits)])
        return types.WorkspaceEdit(changes={uri: edits})

    # ------------------------------------------------------------------ diagnostics

    def schedule(self, uri: str, delay: float) -> None:
        previous = self.pending.get(uri)
        if previous is not None and not previous.running and previous.task is not None:
            previous.task.cancel()  # a stale run that has not started: drop it
        run = _Run()
        run.task = asyncio.ensure_future(self._lint(uri, delay, run))
        self.pending[uri] = run

    async def _lint(self, uri: str, delay: float, run: _Run) -> None:
        try:
            if delay:
                await asyncio.sleep(delay)
            lock = self.locks.setdefault(uri, asyncio.Lock())
            async with lock:  # one lint per document at a time; newer runs wait here
                doc = self.document(uri)
                if doc is None:
                    return
                version, text = doc.version, doc.source
                run.running = True
                path = to_fs_path(uri)
                started = time.perf_counter()
                try:
                    found, error = await self.lint_workers.run(worker.lint, text, path, uri, self.root())
                except WorkerCrashed:
                    self.log(f"xlate: the checker crashed on {uri} (version {version}); it restarts at the next change",
                             types.MessageType.Error)
                    return
                diags = diagnostics_for(found, text, self.encoding)
                logger.info("lint %s v%s: %d diagnostics in %.0f ms", uri, version, len(diags),
                            (time.perf_counter() - started) * 1000)
            if error and error not in self.shown:
                self.shown.add(error)
                self.show(error, types.MessageType.Warning)
            doc = self.document(uri)
            if doc is None or doc.version != version:
                return  # edited meanwhile: a newer run publishes
            self.published[uri] = _Published(version, diags)
            self.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(uri=uri, diagnostics=diags, version=version)
            )
        except asyncio.CancelledError:
            pass
        except Exception as exc:
            self.report(f"diagnostics for {uri}", exc)
        finally:
            if self.pending.get(uri) is run:
                del self.pending[uri]

    def forget(self, uri: str) -> None:
        run = self.pending.pop(uri, None)
        if run is not None and run.task is not None:
            run.task.cancel()
        self.published.pop(uri, None)
        self.parsed.pop(uri, None)
        self.locks.pop(uri, None)

    # ------------------------------------------------------------------ parsed documents

    async def parsed_document(self, uri: str) -> tuple[Any, Parsed | None]:
        """(open document, its parse and Keras uses), cached per document version."""
        doc = self.document(uri)
        if doc is None:
            return None, None
        version = doc.version
        cached = self.parsed.get(uri)
        if cached is not None and cached[0] == version and version is not None:
            return doc, await asyncio.shield(cached[1])
        # hover, code actions, ... of one cursor position share a single parse
        future = asyncio.ensure_future(self.in_thread(parse_document, doc.source, to_fs_path(uri) or uri, self.encoding))
        self.parsed[uri] = (version, future)
        try:
            return doc, await asyncio.shield(future)
        except Exception:
            if self.parsed.get(uri, (None, None))[1] is future:
                del self.parsed[uri]
            raise


class LintWorkers:
    """Where lints run: a small process pool (see :mod:`.worker`), or threads when
    ``XLATE_LSP_WORKERS=0`` or processes cannot be started.

    A worker that dies (say, a C stack overflow on a pathological file) breaks the pool:
    that check reports the crash and the next one starts a fresh pool. It never falls back
    to a thread, where the same file would take the server down.
    """

    def __init__(self, server: XlateLanguageServer, processes: int) -> None:
        self.server = server
        self.processes = processes
        self.pool: Any = None

    def _pool(self) -> Any:
        if self.pool is None:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            self.pool = ProcessPoolExecutor(
                max_workers=self.processes, mp_context=multiprocessing.get_context("spawn"),
                initializer=worker.initialize, initargs=(os.getpid(),),
            )
        return self.pool

    async def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        if self.processes > 0:
            from concurrent.futures.process import BrokenProcessPool

            try:
                pool = self._pool()
            except (OSError, ImportError, ValueError) as exc:  # no processes here: threads it is
                logger.warning("xlate: lint worker processes unavailable (%s); using threads", exc)
                self.processes = 0
            else:
                try:
                    return await asyncio.get_running_loop().run_in_executor(pool, functools.partial(fn, *args))
                except BrokenProcessPool:
                    self.pool = None
                    raise WorkerCrashed from None
        return await self.server.in_thread(fn, *args)

    def shutdown(self) -> None:
        pool, self.pool = self.pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)


class WorkerCrashed(Exception):
    """The lint worker process died while checking a document."""


def diagnostics_for(found: list[Any], text: str, encoding: str) -> list[types.Diagnostic]:
    lines = Lines(text, encoding)
    return [to_lsp(d, lines) for d in found]


def guarded(server: XlateLanguageServer, default: Callable[..., Any] = lambda *a: None) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Catch, log and answer ``default(*args)``: one failing request never kills the server."""

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        if asyncio.iscoroutinefunction(fn):
            @functools.wraps(fn)
            async def run_async(*args: Any) -> Any:
                try:
                    return await fn(*args)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    server.report(fn.__name__, exc)
                    return default(*args)

            return run_async

        @functools.wraps(fn)
        def run(*args: Any) -> Any:
            try:
                return fn(*args)
            except Exception as exc:
                server.report(fn.__name__, exc)
                return default(*args)

        return run

    return decorate
