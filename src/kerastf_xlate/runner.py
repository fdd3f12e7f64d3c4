"""Run a source-to-source transform over files safely (shared by to-tf and to-keras).

Safety checks after every rewrite (Black's discipline): the output must parse, and a second
pass over the output must change nothing; otherwise the file is left untouched and reported.
Results are frozen and picklable so files can be processed in parallel.
"""

from __future__ import annotations

import contextlib
import gc
import os
from dataclasses import dataclass
from typing import Callable, Iterator, Protocol

from kerastf_xlate.diagnostics import Diagnostic
from kerastf_xlate.sources import NOTEBOOK_SUFFIX, STABILITY_CHECK, SourceError, decode, read_bytes


class Transform(Protocol):
    def __call__(self, text: str, path: str) -> tuple[str, list[Diagnostic]]: ...


class Progress(Protocol):
    """Where a long run reports how far it is (the command line draws a bar on a terminal)."""

    def update(self, done: int, total: int) -> None: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class TransformResult:
    path: str
    original: bytes | None
    output: bytes | None  # None when the file could not be processed
    diagnostics: tuple[Diagnostic, ...] = ()
    error: str | None = None  # message (path included); with an output: part of the file was left as it was

    @property
    def changed(self) -> bool:
        return self.output is not None and self.original is not None and self.output != self.original


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while one file's syntax tree is built and used.

    A tree has about 200,000 objects per MB of source and no reference cycles (it goes
    when the transform returns); while it grows, the collector would walk it again and
    again, which doubles the time a big file takes."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _check_output(path: str, text: str, new: str, transform: Transform) -> None:
    """The output parses and a second run changes nothing (the second run parses it first)."""
    token = STABILITY_CHECK.set(True)
    with _gc_paused():
        try:
            again, _ = transform(new, path)
        except SourceError as exc:  # pragma: no cover - a bug in a translator
            raise SourceError(path, f"internal error: the translated output fails a second run ({exc.message}"
                                    f"{f' at line {exc.line}' if exc.line else ''}); file left untouched") from None
        finally:
            STABILITY_CHECK.reset(token)
    if again != new:  # pragma: no cover - a bug in a translator
        raise SourceError(path, "internal error: translation is not stable (a second run changes it); file left untouched")


def transform_text(text: str, path: str, transform: Transform, cell: int | None = None) -> tuple[str, list[Diagnostic]]:
    with _gc_paused():
        new, diags = transform(text, path)
    if new != text:
        _check_output(path, text, new, transform)
    if cell is not None:
        diags = [Diagnostic(d.path, d.line, d.col, d.code, d.message, d.severity, d.end_line, d.end_col, cell, d.fix) for d in diags]
    return new, diags


def transform_bytes(path: str, data: bytes, transform: Transform) -> TransformResult:
    try:
        if path.endswith(NOTEBOOK_SUFFIX):
            # the cells run as one program: translated together; a broken cell costs only itself
            from kerastf_xlate.notebooks import transform_notebook

            out, diags, errors = transform_notebook(path, data, transform, transform_text)
            return TransformResult(path, data, out, tuple(diags), "\nerror: ".join(errors) if errors else None)
        source = decode(path, data)
        new, diags = transform_text(source.text, path, transform)
        if new == source.text:
            return TransformResult(path, data, data, tuple(diags))
        out = new.encode(source.encoding)
        if source.encoding == "utf-8-sig" and not out.startswith(b"\xef\xbb\xbf"):
            out = b"\xef\xbb\xbf" + out
        return TransformResult(path, data, out, tuple(diags))
    except SourceError as err:
        return TransformResult(path, data, None, (), str(err))
    except RecursionError:
        return TransformResult(path, data, None, (), f"{path}: too deeply nested to translate; file left untouched")
    except Exception as exc:  # a bug in a translator must not abort the other files of the run
        detail = " ".join(str(exc).split())[:200]
        return TransformResult(path, data, None, (), f"{path}: internal error: {type(exc).__name__}: {detail}; file left untouched")


def transform_file(path: str, transform: Transform) -> TransformResult:
    try:
        data = read_bytes(path)
    except SourceError as err:
        return TransformResult(path, None, None, (), str(err))
    return transform_bytes(path, data, transform)


def run_parallel(func: Callable[[str], object], paths: list[str], jobs: int, progress: Progress | None = None) -> list[object]:
    """Map ``func`` over ``paths`` in order, using processes when it pays off; ``progress``
    hears of every path done."""
    total = len(paths)
    if progress is not None:
        progress.update(0, total)
    if jobs <= 1 or total < 8:
        out = []
        for p in paths:
            out.append(func(p))
            if progress is not None:
                progress.update(len(out), total)
        return out
    import multiprocessing as mp

    ctx = mp.get_context("fork") if hasattr(os, "fork") else mp.get_context()
    chunksize = max(1, total // (jobs * 8))
    with ctx.Pool(jobs) as pool:
        if progress is None:
            return pool.map(func, paths, chunksize=chunksize)
        out = []
        for result in pool.imap(func, paths, chunksize=chunksize):  # in order, as they come
            out.append(result)
            progress.update(len(out), total)
        return out
