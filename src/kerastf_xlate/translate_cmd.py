"""The file handling shared by ``to-tf`` and ``to-keras``: inputs, outputs, diffs, checks.

Rules that keep users' files safe:

- ``--in-place`` writes atomically (temporary file + rename) and keeps the file mode;
- an output directory is never inside an input directory unless asked, an input is never
  overwritten through ``-o``, and symbolic links out of the input tree are not followed;
- a file that cannot be read or parsed is reported (exit 2) and the others are processed.
"""

from __future__ import annotations

import difflib
import os
import sys
from collections.abc import Callable
from functools import partial

import click

from kerastf_xlate.codes import Severity
from kerastf_xlate.diagnostics import Diagnostic, render
from kerastf_xlate.runner import Progress, Transform, TransformResult, run_parallel, transform_bytes, transform_file
from kerastf_xlate.sources import SourceError, iter_files
from kerastf_xlate.writer import atomic_write

EXIT_OK, EXIT_CHANGES, EXIT_ERROR = 0, 1, 2


def _diff(result: TransformResult, label: str) -> str:
    def lines(data: bytes | None) -> list[str]:
        return (data or b"").decode("utf-8", errors="replace").splitlines(keepends=True)

    return "".join(difflib.unified_diff(lines(result.original), lines(result.output), f"a/{label}", f"b/{label}"))


def _inside(child: str, parent: str) -> bool:
    child, parent = os.path.realpath(child), os.path.realpath(parent)
    return child == parent or child.startswith(parent.rstrip(os.sep) + os.sep)


def _write(dest: str, data: bytes, label: str, errors: list[str]) -> bool:
    """Write atomically; a failure (permissions, full disk) is reported and the run goes on."""
    try:
        os.makedirs(os.path.dirname(os.path.abspath(dest)), exist_ok=True)
        atomic_write(dest, data)
    except OSError as exc:
        errors.append(f"{label}: cannot write: {exc.strerror or exc}; left as it was")
        return False
    return True


def _error_record(error: str) -> Diagnostic:
    """A file error (``path: message``) as an XL001 record for the machine formats."""
    path, sep, message = error.partition(": ")
    if not sep or "\n" in path:
        path, message = "", error
    return Diagnostic(path, 1, 0, "XL001", " ".join(message.split()), Severity.ERROR)


def _worker(path: str, factory: Callable[[], Transform]) -> TransformResult:
    return transform_file(path, factory())


def _reconciled(reconcile: Callable[..., list[TransformResult]], computed: list[TransformResult],
                roots: list[str]) -> list[TransformResult]:
    """The run-wide pass (kerastf_xlate.tree) over the files' results. Without it no file can
    be shown consistent with the others (a class translated here, used by a Keras graph
    there), so an internal error in it leaves every file of the run untouched, each with an
    error (exit 2), rather than aborting the run or writing unchecked output."""
    try:
        return list(reconcile(computed, roots))
    except Exception as exc:  # (RecursionError too)
        detail = " ".join(str(exc).split())[:200]
        why = f"internal error in the run-wide pass: {type(exc).__name__}: {detail}; file left untouched"
        return [r if r.error is not None or not r.changed
                else TransformResult(r.path, r.original, r.original, r.diagnostics, f"{r.path}: {why}")
                for r in computed]


def run_translate(
    factory: Callable[[], Transform],
    paths: tuple[str, ...],
    output: str | None,
    in_place: bool,
    diff: bool,
    check: bool,
    stdin_filename: str | None,
    allow_output_inside: bool,
    jobs: int | None,
    quiet: bool,
    reconcile: Callable[[list[TransformResult], list[str]], list[TransformResult]] | None = None,
    fmt: str = "text",
    version: str = "",
    report: str | None = None,
    command: str = "xlate to-tf",
    progress: Progress | None = None,
) -> int:
    """Translate ``paths``; return the exit status.

    The report of what was not translated is printed in ``fmt`` (lint's formats): text on
    stderr; a machine format (json, github, sarif) on stdout when no code goes there (``-o``,
    ``--in-place``, ``--check``), else on stderr, with file errors as XL001 records."""
    if not paths:
        raise click.UsageError("give at least one PATH (or '-' for standard input)")
    if output == "-":  # standard output, as '-' is standard input (not a file named '-')
        if len(paths) > 1 or any(os.path.isdir(p) for p in paths):
            raise click.UsageError("-o - (standard output) takes one input; give a directory for several")
        output = None
    modes = sum(bool(m) for m in (output, in_place, diff, check))
    if modes > 1:
        raise click.UsageError("--output, --in-place, --diff and --check are mutually exclusive")
    status = EXIT_OK
    errors: list[str] = []
    results: list[tuple[TransformResult, str]] = []  # (result, destination or '')

    if "-" in paths:
        if len(paths) > 1:
            raise click.UsageError("'-' (standard input) cannot be combined with other paths")
        if in_place:
            raise click.UsageError("--in-place needs files, not standard input")
        name = stdin_filename or "<stdin>"
        result = transform_bytes(name, sys.stdin.buffer.read(), factory())
        if reconcile is not None:
            result = reconcile([result], [os.getcwd()])[0]
        results.append((result, output or ""))
    else:
        several = len(paths) > 1 or any(os.path.isdir(p) for p in paths)
        if output and several and (os.path.isfile(output) or (not os.path.exists(output) and output.endswith((".py", ".ipynb")))):
            raise click.UsageError(f"-o {output} names a file, but there are several inputs: give a directory "
                                   "(the input tree is mirrored there), or one input")
        if output and several:
            for p in paths:
                if os.path.isdir(p) and _inside(output, p) and not allow_output_inside:
                    raise click.UsageError(
                        f"output directory {output} is inside the input directory {p}; "
                        "pass --allow-output-inside to allow it"
                    )
        jobs_n = jobs if jobs and jobs > 0 else (os.cpu_count() or 1)
        walk_errors: list[SourceError] = []
        plan: list[tuple[str, str]] = []  # (input file, destination)
        for p in paths:
            if not os.path.lexists(p):
                errors.append(f"{p}: no such file or directory")
                continue
            if os.path.isdir(p):
                root = p
                for f in iter_files([p], (), walk_errors):
                    if not _inside(f, root):
                        errors.append(f"{f}: symbolic link out of the input tree; not followed")
                        continue
                    if output and _inside(f, output) and _inside(output, root):
                        continue  # never re-read our own output tree
                    dest = os.path.join(output, os.path.relpath(f, root)) if output else ""
                    plan.append((f, dest))
            else:
                dest = ""
                if output:
                    # `-o DIR` for one file means DIR/name, as for several (not: replace DIR)
                    into_dir = several or os.path.isdir(output) or output.endswith(("/", os.sep))
                    dest = os.path.join(output, os.path.basename(p)) if into_dir else output
                plan.append((p, dest))
        errors += [str(e) for e in walk_errors]
        inputs = {os.path.realpath(f) for f, _ in plan}
        kept: list[tuple[str, str]] = []
        targets: dict[str, str] = {}  # real destination -> the input written there
        for f, dest in plan:
            real = os.path.realpath(dest if dest else f)
            if dest and real in inputs:
                errors.append(f"{dest}: refusing to overwrite an input file")
            elif dest and real in targets:
                errors.append(f"{dest}: both {targets[real]} and {f} would be written here; {f} skipped")
            elif not dest and in_place and real in targets:
                continue  # a symbolic link to a file already in the run: rewrite it once
            else:
                targets[real] = f
                kept.append((f, dest))
        plan = kept
        try:
            computed = run_parallel(partial(_worker, factory=factory), [f for f, _ in plan], jobs_n, progress)
        finally:
            if progress is not None:
                progress.close()
        if reconcile is not None:
            # the files of one run are one program (kerastf_xlate.tree)
            roots = [p if os.path.isdir(p) else (os.path.dirname(p) or ".") for p in paths if os.path.lexists(p)]
            computed = _reconciled(reconcile, computed, roots)  # type: ignore[arg-type, assignment]
        results += [(r, d) for r, (_, d) in zip(computed, plan)]  # type: ignore[misc]

    if report:
        from kerastf_xlate.report import render_markdown, summarise
        from kerastf_xlate.rules import default_rules

        summary = render_markdown(summarise([r for r, _ in results], default_rules()), command)
        _write(report, summary.encode("utf-8"), report, errors)
    diags = []  # type: ignore[var-annotated]
    for result, dest in results:
        diags += result.diagnostics
        if result.error is not None:
            errors.append(result.error)
            if result.output is None:
                continue  # nothing to write; with an output (a notebook's broken cell), the rest is written
        assert result.output is not None
        if check:
            if result.changed:
                status = max(status, EXIT_CHANGES)
                click.echo(f"would translate {result.path}", err=True)
        elif diff:
            if result.changed:
                click.echo(_diff(result, result.path), nl=False)
        elif in_place:
            if result.changed:
                # through a symbolic link to its file: replacing the link itself would turn
                # it into a copy
                if _write(os.path.realpath(result.path), result.output, result.path, errors):
                    click.echo(f"translated {result.path}", err=True)
        elif dest:
            _write(dest, result.output, dest, errors)
        else:
            sys.stdout.buffer.write(result.output)
            sys.stdout.flush()
    code_on_stdout = not (output or in_place or check)
    if fmt == "text":
        if diags and not quiet:
            click.echo(render(sorted(diags), fmt, version), err=True, nl=False)
    else:
        records = ([] if quiet else list(diags)) + [_error_record(e) for e in errors]
        click.echo(render(sorted(records), fmt, version), err=code_on_stdout, nl=False)
    for e in errors if fmt == "text" or not code_on_stdout else ():
        click.echo(f"error: {e}", err=True)
    if errors:
        return EXIT_ERROR
    return status
