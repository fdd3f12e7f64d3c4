"""The ``xlate`` command line. It parses arguments, calls the engines, and prints.

Imports are lazy so that ``xlate lint - --stdin-filename f.py`` (what editors run on every
keystroke) starts fast: nothing imports TensorFlow, Keras or even LibCST unless needed.
"""

from __future__ import annotations

import os
import sys
from functools import partial
from typing import Any

import click

from kerastf_xlate import __version__

EXIT_OK, EXIT_FOUND, EXIT_ERROR = 0, 1, 2


class _Path(click.Path):
    """A path option or argument; a NUL byte (no file system takes one) is a usage error."""

    def convert(self, value: Any, param: Any, ctx: Any) -> Any:
        if isinstance(value, str) and "\x00" in value:
            self.fail(f"{value!r} is not a path: it contains a NUL byte", param, ctx)
        return super().convert(value, param, ctx)


def _err(message: str) -> None:
    click.echo(message, err=True)


def _jobs(value: int | None) -> int:
    return value if value and value > 0 else (os.cpu_count() or 1)


def _load_rules() -> Any:
    from kerastf_xlate.rules import RuleError, default_rules

    try:
        return default_rules()
    except RuleError as exc:
        _err(f"error: broken rule file: {exc}")
        sys.exit(EXIT_ERROR)


def _config_for(path: str | None, explicit: str | None) -> Any:
    from kerastf_xlate.config import ConfigError, find_config, load_config_file

    try:
        if explicit:
            import stat

            if not stat.S_ISREG(os.stat(explicit).st_mode):  # a FIFO or /dev/zero would block or never end
                raise ConfigError(explicit, "-", "not a regular file")
            try:
                return load_config_file(explicit)
            except ValueError as exc:  # TOMLDecodeError, UnicodeDecodeError
                raise ConfigError(explicit, "-", f"cannot read: {' '.join(str(exc).split())}") from None
        return find_config(path)
    except (ConfigError, OSError) as exc:
        _err(f"error: {exc}")
        sys.exit(EXIT_ERROR)


def _progress_wanted(fmt: str, quiet: bool = False) -> bool:
    """A progress bar only for a person at a terminal: stderr is a TTY, the report is text,
    not ``-q``, and not in CI (whose logs may be a pseudo-terminal) nor on a dumb terminal."""
    if fmt != "text" or quiet or os.environ.get("CI") or os.environ.get("TERM") == "dumb":
        return False
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):  # closed or replaced stderr
        return False


class _ProgressBar:
    """``runner.Progress`` as click's progress bar on stderr, made on the first update (the
    total may be known only then: the models of a file ``verify`` executes), and made again
    after a ``close`` that let other output through."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.bar: Any = None
        self.shown = 0  # the position the current bar shows

    def update(self, done: int, total: int) -> None:
        if self.bar is None:
            if total <= 0:
                return
            self.bar = click.progressbar(length=total, label=self.label, file=sys.stderr, show_pos=True, show_eta=False)
            self.bar.__enter__()
            self.shown = 0
        self.bar.length = max(total, 1)
        if done > self.shown:
            self.bar.update(done - self.shown)
            self.shown = done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


def _progress(label: str, fmt: str, quiet: bool = False) -> _ProgressBar | None:
    return _ProgressBar(label) if _progress_wanted(fmt, quiet) else None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="xlate")
def main() -> None:
    """Translate model code between Keras layers and TensorFlow low-level ops, and lint
    what can't be translated."""
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))


# ------------------------------------------------------------------------------ lint


def _adjust(cfg: Any, select: str | None, ignore: str | None) -> Any:
    """Command-line --select/--ignore on top of the file's configuration."""
    import dataclasses

    if select:
        cfg = dataclasses.replace(cfg, select=tuple(s.strip() for s in select.split(",") if s.strip()))
    if ignore:
        cfg = dataclasses.replace(cfg, ignore=cfg.ignore + tuple(s.strip() for s in ignore.split(",") if s.strip()))
    return cfg


def _lint_worker(path: str, config_path: str | None, select: str | None, ignore: str | None, to_keras: bool) -> Any:
    """Lint one file (module-level so that it can run in a worker process)."""
    from kerastf_xlate.lint import FileResult
    from kerastf_xlate.lint_totf import lint_bytes
    from kerastf_xlate.sources import SourceError, read_bytes

    cfg = _adjust(_config_for(path, config_path), select, ignore)
    if to_keras:
        from kerastf_xlate.tokeras import lint_bytes as impl
    else:
        impl = lint_bytes
    try:
        data = read_bytes(path)
    except SourceError as err:
        return FileResult(path, error=err)
    return impl(path, data, _load_rules(), cfg)


@main.command()
@click.argument("paths", nargs=-1, type=_Path())
@click.option("--format", "fmt", type=click.Choice(["text", "json", "github", "sarif"]), default="text", show_default=True)
@click.option("--stdin-filename", type=_Path(), help="The path to report (and configure) for source read from '-'.")
@click.option("--config", "config_path", type=_Path(), help="Use this pyproject.toml / TOML file instead of searching.")
@click.option("--select", help="Comma-separated code prefixes to report (overrides the configuration).")
@click.option("--ignore", help="Comma-separated code prefixes to ignore (added to the configuration).")
@click.option("--to-keras", "to_keras", is_flag=True, help="Report what `to-keras` cannot translate instead.")
@click.option("-j", "--jobs", type=int, default=None, help="Processes to use (default: all cores).")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when something is reported.")
@click.option("--force-exclude", is_flag=True,
              help="Apply the configured excludes to files named on the command line too (for pre-commit).")
def lint(paths: tuple[str, ...], fmt: str, stdin_filename: str | None, config_path: str | None,
         select: str | None, ignore: str | None, to_keras: bool, jobs: int | None, exit_zero: bool,
         force_exclude: bool) -> None:
    """Report Keras layers that block a translation (static; never imports TF or Keras).

    PATHS are files, directories (searched recursively for .py and .ipynb) or '-' for
    standard input. Exit status: 0 clean, 1 something reported, 2 usage or file errors.
    """
    from kerastf_xlate.diagnostics import render
    from kerastf_xlate.lint import FileResult, source_error_diagnostic
    from kerastf_xlate.lint_totf import lint_bytes
    from kerastf_xlate.sources import SourceError, iter_files

    if not paths:
        paths = (".",)
    rules = _load_rules()
    errors: list[SourceError] = []
    results: list[FileResult] = []

    if to_keras:
        from kerastf_xlate.tokeras import lint_bytes as lint_impl
    else:
        lint_impl = lint_bytes

    file_paths: list[str] = []
    for p in paths:
        if p == "-":
            name = stdin_filename or "<stdin>"
            data = sys.stdin.buffer.read()
            cfg = _adjust(_config_for(stdin_filename, config_path), select, ignore)
            if force_exclude and stdin_filename and cfg.excludes(stdin_filename):
                continue
            results.append(lint_impl(name, data, rules, cfg))
        elif not os.path.lexists(p):
            errors.append(SourceError(p, "no such file or directory"))
        else:
            cfg = _config_for(p, config_path)
            for f in iter_files([p], cfg.exclude, errors):
                if (f != p or force_exclude) and _config_for(f, config_path).excludes(f):
                    continue
                file_paths.append(f)

    from kerastf_xlate.runner import run_parallel

    worker = partial(_lint_worker, config_path=config_path, select=select, ignore=ignore, to_keras=to_keras)
    bar = _progress("xlate lint", fmt) if any(os.path.isdir(p) for p in paths) else None
    try:
        results += run_parallel(worker, file_paths, _jobs(jobs), bar)  # type: ignore[arg-type]
    finally:
        if bar is not None:
            bar.close()

    diags = []
    for r in results:
        diags += r.diagnostics
        if r.error is not None and not any(d.code == "XL001" for d in r.diagnostics):
            errors.append(r.error)
    if fmt != "text":
        diags += [source_error_diagnostic(e) for e in errors]
    diags.sort()
    out = render(diags, fmt, __version__)
    if out:
        click.echo(out, nl=False)
    for e in errors:
        _err(f"error: {e}")
    if errors or any(r.error for r in results):
        sys.exit(EXIT_ERROR)
    sys.exit(EXIT_FOUND if diags and not exit_zero else EXIT_OK)


# ------------------------------------------------------------------------------ rules / codes


@main.command("rules")
@click.argument("layers", nargs=-1)
@click.option("--format", "fmt", type=click.Choice(["table", "markdown", "json"]), default="table", show_default=True)
@click.option("--status", type=click.Choice(["translated", "structural", "none", "removed"]), multiple=True,
              help="Only rules with this status (repeatable).")
def rules_cmd(layers: tuple[str, ...], fmt: str, status: tuple[str, ...]) -> None:
    """List every Keras layer with its TensorFlow counterpart, or why there is none.

    With LAYERS (e.g. `xlate rules LSTM`): everything the rule says about them, including
    why a layer has no counterpart and what to do instead (what XL101 points to)."""
    from kerastf_xlate.table import render_detail, render_json, render_markdown, render_table

    if layers:
        ruleset = _load_rules()
        by_lower = {n.lower(): r for r in ruleset for n in (r.layer, *r.names, *r.functions)}
        unknown = [n for n in layers if n.lower() not in by_lower]
        if unknown:
            _err(f"error: no rule for {', '.join(unknown)} (`xlate rules` lists them all)")
            sys.exit(EXIT_ERROR)
        if fmt == "json":
            click.echo(render_json([by_lower[n.lower()] for n in layers]), nl=False)
        else:
            click.echo("\n".join(render_detail(by_lower[n.lower()]) for n in layers), nl=False)
        return
    rules = [r for r in _load_rules() if not status or r.status in status]
    text = {"table": render_table, "markdown": render_markdown, "json": render_json}[fmt](rules)
    click.echo(text, nl=False)


@main.command("codes")
@click.argument("wanted", nargs=-1, metavar="[CODE]...")
@click.option("--format", "fmt", type=click.Choice(["table", "markdown"]), default="table", show_default=True)
def codes_cmd(wanted: tuple[str, ...], fmt: str) -> None:
    """List the diagnostic codes (stable) with what each means.

    With CODEs (e.g. `xlate codes XL301`): each one's full explanation (what it does, why,
    an example, the fix), as `ruff rule` prints it."""
    from kerastf_xlate.codes import CODES, render_detail, render_markdown

    if wanted:
        unknown = [c for c in wanted if c.upper() not in CODES]
        if unknown:
            _err(f"error: unknown code {', '.join(unknown)} (`xlate codes` lists them all)")
            sys.exit(EXIT_ERROR)
        click.echo("\n".join(render_detail(CODES[c.upper()]) for c in wanted), nl=False)
        return
    if fmt == "markdown":
        click.echo(render_markdown(), nl=False)
        return
    for c in CODES.values():
        click.echo(f"{c.code}  {c.name:<28} {c.summary}")


# ------------------------------------------------------------------------------ translation


def _translate_options(func: Any) -> Any:
    options = [
        click.argument("paths", nargs=-1, type=_Path()),
        click.option("-o", "--output", type=_Path(), help="Write to this file (or directory, for several inputs)."),
        click.option("--in-place", "-i", is_flag=True, help="Rewrite the files in place (atomically)."),
        click.option("--diff", is_flag=True, help="Print a unified diff instead of the translation."),
        click.option("--check", is_flag=True, help="Exit 1 when something would change; write nothing."),
        click.option("--stdin-filename", type=_Path(), help="The path to report for source read from '-'."),
        click.option("--allow-output-inside", is_flag=True, help="Allow an output directory inside an input directory."),
        click.option("-j", "--jobs", type=int, default=None, help="Processes to use (default: all cores)."),
        click.option("-q", "--quiet", is_flag=True, help="Do not report untranslated code on stderr."),
        click.option("--format", "fmt", type=click.Choice(["text", "json", "github", "sarif"]), default="text", show_default=True,
                     help="Format of the report of what is not translated (as `xlate lint`); a machine format goes to "
                          "stdout unless the translation or a diff is printed there."),
    ]
    for opt in reversed(options):
        func = opt(func)
    return func


class InputShape(click.ParamType):
    """``--input-shape``: positive integers separated by commas, optionally in parentheses
    or brackets (``28,28,1``, ``(28,28,1)``, ``[28, 28, 1]``, ``(8,)``); the batch axis is not given."""

    name = "shape"

    def convert(self, value: Any, param: Any, ctx: Any) -> tuple[int, ...]:
        if isinstance(value, tuple):
            return value
        text = str(value).strip()
        if len(text) >= 2 and (text[0], text[-1]) in (("(", ")"), ("[", "]")):
            text = text[1:-1]
        parts = [p.strip() for p in text.split(",")]
        if parts and parts[-1] == "" and len(parts) > 1:
            parts = parts[:-1]  # (8,) and 28,28,1,
        if not parts or any(not (p.isascii() and p.isdigit()) for p in parts) or any(int(p) == 0 for p in parts) \
                or len(parts) > 8 or any(len(p) > 9 for p in parts):
            self.fail(f"{value!r} is not a shape: expected up to 8 positive integers separated by commas, "
                      "e.g. 28,28,1 or (28,28,1)", param, ctx)
        return tuple(int(p) for p in parts)


@main.command("to-tf")
@_translate_options
@click.option("--input-shape", type=InputShape(),
              help="Input shape (without batch axis) for models that declare none, e.g. 28,28,1.")
@click.option("--report", "report", type=_Path(dir_okay=False),
              help="Also write a Markdown summary of the run here: files and layer calls translated, what kept the rest as Keras.")
@click.option("--keep-keras-files", is_flag=True,
              help="Keep a model whose Keras file (model.save, ModelCheckpoint) the program never reads back as Keras, "
                   "so that the file stays a Keras file (default: translate it and write a TensorFlow checkpoint, XL311).")
def to_tf(input_shape: tuple[int, ...] | None, keep_keras_files: bool, **kwargs: Any) -> None:
    """Rewrite Keras model code into TensorFlow low-level code (tf.nn, tf.Variable, tf.Module)."""
    from kerastf_xlate.totf import make_transform

    shape = input_shape
    from kerastf_xlate.translate_cmd import run_translate
    from kerastf_xlate.tree import reconcile

    _load_rules()  # a broken rule file: one line and exit 2 here, not a traceback per file
    transform = partial(make_transform, input_shape=shape, keep_keras_files=keep_keras_files)
    sys.exit(run_translate(transform, reconcile=partial(reconcile, transform=transform), version=__version__,
                           progress=_translate_progress("xlate to-tf", kwargs), **kwargs))


@main.command("to-keras")
@_translate_options
@click.option("--fit", "fit", is_flag=True,
              help="Also rewrite a GradientTape training loop that is exactly Keras's compile/fit (plain optimizer, "
                   "a Keras loss, a batched dataset) into model.compile(...) + model.fit(...); a loop that is not "
                   "stays and XL505 says why.")
def to_keras(fit: bool, **kwargs: Any) -> None:
    """Raise TensorFlow low-level code (tf.nn, tf.Module) back to Keras layers."""
    from kerastf_xlate.tokeras import make_transform
    from kerastf_xlate.translate_cmd import run_translate

    _load_rules()  # a broken rule file: one line and exit 2 here, not a traceback per file
    factory = partial(make_transform, fit=True) if fit else make_transform
    sys.exit(run_translate(factory, version=__version__, progress=_translate_progress("xlate to-keras", kwargs), **kwargs))


def _translate_progress(label: str, kwargs: dict[str, Any]) -> _ProgressBar | None:
    """A bar for a directory run only (one file is done before a bar would mean anything)."""
    if not any(os.path.isdir(p) for p in kwargs["paths"] if p != "-"):
        return None
    return _progress(label, kwargs["fmt"], kwargs["quiet"])


@main.command()
@click.argument("path", type=_Path(exists=True, dir_okay=False))
@click.option("--to-keras", "to_keras", is_flag=True, help="Verify `to-keras` instead of `to-tf`.")
@click.option("--atol", type=float, default=1e-5, show_default=True, help="Absolute tolerance.")
@click.option("--rtol", type=float, default=1e-5, show_default=True, help="Relative tolerance.")
@click.option("--input-shape", type=InputShape(), help="Input shape for models that declare none, e.g. 28,28,1.")
@click.option("--seed", type=click.IntRange(0, 2**32 - 1), default=0, show_default=True)
@click.option("--format", "fmt", type=click.Choice(["text", "json", "github", "sarif"]), default="text", show_default=True,
              help="json: an array of one record per model and mode on stdout; github / sarif: the failing ones (docs/output.md).")
@click.option("-v", "--verbose", is_flag=True, help="Also show TensorFlow's own log lines (absl, oneDNN).")
def verify(path: str, to_keras: bool, atol: float, rtol: float, input_shape: tuple[int, ...] | None, seed: int,
           fmt: str, verbose: bool) -> None:
    """Execute the original and the translation on the same inputs and weights, and compare.

    This runs your code and imports TensorFlow and Keras (the [verify] extra), in a child
    process: a crash there is a FAIL line, never the end of this command.
    """
    import importlib.util
    import math

    for name, value in (("--atol", atol), ("--rtol", rtol)):
        if not math.isfinite(value) or value < 0:
            raise click.BadParameter(f"{value!r} is not a tolerance: expected a finite number >= 0", param_hint=name)
    if importlib.util.find_spec("tensorflow") is None or importlib.util.find_spec("keras") is None:
        _err("error: `xlate verify` needs TensorFlow and Keras: pip install 'kerastf-xlate[verify]'")
        sys.exit(EXIT_ERROR)
    from kerastf_xlate.verify_process import run_verify

    sys.exit(run_verify(path, to_keras=to_keras, atol=atol, rtol=rtol, input_shape=input_shape, seed=seed,
                        echo=click.echo, echo_err=_err, fmt=fmt, verbose=verbose, progress=_progress("xlate verify: models", fmt)))


@main.command()
def lsp() -> None:
    """Start the language server on stdio (needs the [lsp] extra)."""
    try:
        from kerastf_xlate.lsp import start_server
    except ImportError as exc:
        _err(f"error: `xlate lsp` needs pygls: pip install 'kerastf-xlate[lsp]' ({exc})")
        sys.exit(EXIT_ERROR)
    start_server()


if __name__ == "__main__":  # pragma: no cover
    main()
