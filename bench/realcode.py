"""The real-code benchmark: ``to-tf``, ``to-keras`` and ``lint`` on public Keras / TensorFlow code.

The corpus lives outside the repository (``/work/corpus`` or ``--corpus DIR``), one folder per
public repository, ``<owner>+<name>/`` (bench/corpus.toml lists the repositories, their commits
and the globs; bench/fetch_corpus.md says how to rebuild it; ``--export MIRRORS`` copies the
files out of local git mirrors). Nothing is fetched here and nothing of the corpus is executed:
the translators run in-process, through the package's own functions, as the CLI runs them.

For every ``.py`` and ``.ipynb`` file:

- **to-tf**: Keras layer constructor calls (layers with a rule, names resolved by the
  package's resolver, as ``lint`` finds them) before and after; which share went; files
  changed; diagnostics by code (why models were kept); outputs that do not parse; a second run
  that changes the output (unstable); internal errors; ``ruff --select F821,F811,F401`` on the
  input and the output: findings the translation adds are likely run-time breakages; time.
- **to-keras** (files that use plain TensorFlow: ``tf.Variable``, ``tf.nn.*``, ``tf.matmul``,
  ``tf.Module``): weight variables and layer-like ops before and after; files changed; errors.
- **lint**: diagnostics by code, crashes.

The translator is run raw (not through the runner's safety net, which would hide an
unparsable or unstable output by leaving the file as it was) so that those are counted;
what a user would get (the file left as it was) is what the "after" counts see.

    python bench/realcode.py -j 2 --json /tmp/realcode.json > /tmp/realcode.md
    python bench/realcode.py --sample 20 --only keras-team+keras-hub
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from kerastf_xlate.config import Config  # noqa: E402
from kerastf_xlate.lint import lint_bytes  # noqa: E402
from kerastf_xlate.resolve import ModuleNames, find_uses, keras_import_names  # noqa: E402
from kerastf_xlate.rules import RuleSet, default_rules  # noqa: E402
from kerastf_xlate.sources import NOTEBOOK_SUFFIX, SourceError, decode, join_cells, notebook_cells  # noqa: E402

DEFAULT_CORPUS = "/work/corpus"
CORPUS_TOML = ROOT / "bench" / "corpus.toml"
RUFF_SELECT = "F821,F811,F401"

# --------------------------------------------------------------------------- counting


def program_text(path: str, data: bytes) -> str | None:
    """The Python program of a file: a source as it is; a notebook's code cells that parse,
    joined (IPython magics masked as the package masks them). None when unreadable."""
    try:
        if path.endswith(NOTEBOOK_SUFFIX):
            _, cells, _ = notebook_cells(path, data)
            good = []
            for c in cells:
                try:
                    ast.parse(c.source)
                except (SyntaxError, ValueError, RecursionError, MemoryError):
                    continue
                good.append(c)
            return join_cells(good)[0]
        return decode(path, data).text
    except SourceError:
        return None


def parse_or_none(text: str) -> ast.Module | None:
    try:
        return ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


@dataclass
class LayerCalls:
    """Keras layer constructor calls of a program, by layer."""

    all: Counter[str] = field(default_factory=Counter)  # every layer with a rule
    counterpart: Counter[str] = field(default_factory=Counter)  # status translated / structural

    @property
    def n_all(self) -> int:
        return sum(self.all.values())

    @property
    def n_counterpart(self) -> int:
        return sum(self.counterpart.values())


def layer_calls(tree: ast.Module, rules: RuleSet) -> LayerCalls:
    """Calls of Keras layers (``layers.Dense(...)``, ``keras.Sequential(...)``, ``keras.Input``)
    whose name has a rule, found by the package's resolver as lint finds them."""
    out = LayerCalls()
    for use in find_uses(tree, set(rules.by_name)):
        if use.call is None or use.call.func is not use.node:
            continue
        rule = rules.get(use.layer)
        if rule is None:
            continue
        out.all[rule.layer] += 1
        if rule.has_counterpart:
            out.counterpart[rule.layer] += 1
    return out


def keras_imports(tree: ast.Module) -> int:
    """Import statements (anywhere) that bind something of Keras."""
    return sum(1 for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom)) and keras_import_names(n))


# layer-like TensorFlow ops to-keras raises (canonical names, kerastf_xlate.resolve.canonical)
_LAYER_OPS = re.compile(
    r"^tf\.(nn\.(conv[123]d|conv1d|conv2d_transpose|conv3d_transpose|depthwise_conv2d|separable_conv2d|"
    r"max_pool[123]?d?|avg_pool[123]?d?|max_pool|avg_pool|bias_add|batch_normalization|fused_batch_norm|dropout|"
    r"embedding_lookup|relu|relu6|elu|selu|gelu|leaky_relu|softmax|log_softmax|silu|softsign)|"
    r"linalg\.matmul|math\.(sigmoid|tanh|softplus)|keras\..*)$"
)


@dataclass
class TFUse:
    variables: int = 0  # tf.Variable(...) calls
    ops: Counter[str] = field(default_factory=Counter)  # layer-like op calls
    modules: int = 0  # classes deriving from tf.Module

    @property
    def n_ops(self) -> int:
        return sum(self.ops.values())

    @property
    def plain_tf(self) -> bool:
        return bool(self.variables or self.n_ops or self.modules)


def tf_use(tree: ast.Module) -> TFUse:
    names = ModuleNames(tree)
    out = TFUse()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            q = names.call(node)
            if q is None:
                continue
            if q == "tf.Variable":
                out.variables += 1
            elif _LAYER_OPS.match(q) and not q.startswith("tf.keras"):
                out.ops[q] += 1
        elif isinstance(node, ast.ClassDef):
            if any(names.qual(b) == "tf.Module" for b in node.bases):
                out.modules += 1
    return out


# --------------------------------------------------------------------------- running one translator


@dataclass
class RunOutcome:
    output: bytes | None  # what a user gets: None when the file is left as it was by an error
    diagnostics: list[tuple[str, str]] = field(default_factory=list)  # (code, message)
    errors: list[str] = field(default_factory=list)  # one-line errors the tool reports (broken cells, ...)
    crash: str | None = None  # an internal error (an exception out of the translator)
    unparsable: bool = False  # an output that does not parse
    unstable: bool = False  # a second run changes the output
    seconds: float = 0.0


class _Refused(Exception):
    """Stops a notebook's translation after a failed check (the tool leaves it as it was)."""


def run_translator(path: str, data: bytes, transform: Any) -> RunOutcome:
    """Translate one file's bytes with ``transform`` (``(text, path) -> (text, diags)``), with
    the runner's checks made visible: an output that does not parse, a second run that changes
    it, and exceptions are recorded rather than turned into a message."""
    out = RunOutcome(None)

    def checked(text: str, p: str, tr: Any, cell: int | None = None) -> tuple[str, list[Any]]:
        try:
            new, diags = tr(text, p)
        except SourceError:
            raise
        except RecursionError:
            out.crash = "RecursionError"
            raise _Refused from None
        except Exception as exc:  # a translator bug
            tb = traceback.extract_tb(exc.__traceback__)[-1]
            out.crash = f"{type(exc).__name__}: {' '.join(str(exc).split())[:160]} ({Path(tb.filename).name}:{tb.lineno})"
            raise _Refused from None
        if new != text:
            if parse_or_none(new) is None:
                out.unparsable = True
                raise _Refused
            try:
                again, _ = tr(new, p)
            except Exception as exc:  # a second run that fails is unstable too
                out.crash = f"second run: {type(exc).__name__}: {' '.join(str(exc).split())[:160]}"
                raise _Refused from None
            if again != new:
                out.unstable = True
                raise _Refused
        return new, diags

    start = time.perf_counter()
    try:
        if path.endswith(NOTEBOOK_SUFFIX):
            from kerastf_xlate.notebooks import transform_notebook

            new_bytes, diags, errors = transform_notebook(path, data, transform, checked)
            out.output = new_bytes
            out.errors = errors
        else:
            source = decode(path, data)
            new, diags = checked(source.text, path, transform)
            out.output = data if new == source.text else new.encode(source.encoding)
        out.diagnostics = [(d.code, d.message) for d in diags]
    except _Refused:
        out.output = None
    except SourceError as err:
        out.errors.append(str(err))
    except Exception as exc:  # the notebook code around the translator
        out.crash = f"{type(exc).__name__}: {' '.join(str(exc).split())[:160]}"
    out.seconds = time.perf_counter() - start
    return out


# --------------------------------------------------------------------------- one file


@dataclass
class FileRecord:
    repo: str
    path: str  # inside the repository
    lines: int = 0
    parses: bool = True  # the input (its program) parses
    # to-tf
    calls_before: dict[str, int] = field(default_factory=dict)
    calls_after: dict[str, int] = field(default_factory=dict)
    cp_before: int = 0
    cp_after: int = 0
    all_before: int = 0
    all_after: int = 0
    totf_changed: bool = False
    totf_diags: list[tuple[str, str]] = field(default_factory=list)
    totf_errors: list[str] = field(default_factory=list)
    totf_crash: str | None = None
    totf_unparsable: bool = False
    totf_unstable: bool = False
    totf_seconds: float = 0.0
    totf_output: str | None = None  # where the changed output was written (for ruff)
    ruff_before: dict[str, int] = field(default_factory=dict)
    ruff_after: dict[str, int] = field(default_factory=dict)
    ruff_new: list[str] = field(default_factory=list)  # findings the output adds ("F821 Undefined name `x`")
    keras_imports_after: int = 0  # Keras imports left in a changed output
    # to-keras
    plain_tf: bool = False
    tfvars_before: int = 0
    tfvars_after: int = 0
    tfops_before: int = 0
    tfops_after: int = 0
    tfmodules: int = 0
    tok_changed: bool = False
    tok_diags: list[tuple[str, str]] = field(default_factory=list)
    tok_errors: list[str] = field(default_factory=list)
    tok_crash: str | None = None
    tok_unparsable: bool = False
    tok_unstable: bool = False
    tok_seconds: float = 0.0
    tok_output: str | None = None
    tok_ruff_new: list[str] = field(default_factory=list)
    # lint
    lint_codes: dict[str, int] = field(default_factory=dict)
    lint_error: str | None = None
    lint_crash: str | None = None
    lint_seconds: float = 0.0


_RULES: RuleSet | None = None


def _rules() -> RuleSet:
    global _RULES
    if _RULES is None:
        _RULES = default_rules()
    return _RULES


def process_file(job: tuple[str, str, str, str | None]) -> FileRecord:
    """Run to-tf, to-keras and lint on one file. ``job`` = (corpus dir, repo folder, path in
    the repository, output dir for changed to-tf outputs or None). Never raises."""
    corpus, repo, rel, outdir = job
    rec = FileRecord(repo, rel)
    try:
        _process(rec, os.path.join(corpus, repo, rel), outdir)
    except Exception as exc:  # a bug in this script must not stop the run
        rec.totf_crash = rec.totf_crash or f"benchmark: {type(exc).__name__}: {exc}"
    return rec


def _process(rec: FileRecord, full: str, outdir: str | None) -> None:
    from kerastf_xlate.tokeras import make_transform as tok_transform
    from kerastf_xlate.totf import make_transform as totf_transform

    rules = _rules()
    data = Path(full).read_bytes()
    text = program_text(full, data)
    tree = parse_or_none(text) if text is not None else None
    rec.lines = text.count("\n") + 1 if text else 0
    if tree is None:
        rec.parses = False
    # lint
    start = time.perf_counter()
    try:
        res = lint_bytes(full, data, rules, Config())
        rec.lint_codes = dict(Counter(d.code for d in res.diagnostics))
        rec.lint_error = str(res.error) if res.error else None
    except Exception as exc:
        rec.lint_crash = f"{type(exc).__name__}: {exc}"
    rec.lint_seconds = time.perf_counter() - start
    # to-tf
    before = layer_calls(tree, rules) if tree is not None else LayerCalls()
    rec.calls_before = dict(before.all)
    rec.all_before, rec.cp_before = before.n_all, before.n_counterpart
    res_tf = run_translator(full, data, totf_transform())
    rec.totf_diags, rec.totf_errors, rec.totf_crash = res_tf.diagnostics, res_tf.errors, res_tf.crash
    rec.totf_unparsable, rec.totf_unstable, rec.totf_seconds = res_tf.unparsable, res_tf.unstable, res_tf.seconds
    after = before
    if res_tf.output is not None and res_tf.output != data:
        rec.totf_changed = True
        new_text = program_text(full, res_tf.output)
        new_tree = parse_or_none(new_text) if new_text is not None else None
        if new_tree is None:
            rec.totf_unparsable = True  # (a notebook's cells: the joined program)
        else:
            after = layer_calls(new_tree, rules)
            rec.keras_imports_after = keras_imports(new_tree)
        if outdir is not None:
            dest = os.path.join(outdir, "to-tf", rec.repo, rec.path)
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            Path(dest).write_bytes(res_tf.output)
            rec.totf_output = dest
    rec.calls_after = dict(after.all)
    rec.all_after, rec.cp_after = after.n_all, after.n_counterpart
    # to-keras, on files that use plain TensorFlow
    use = tf_use(tree) if tree is not None else TFUse()
    rec.plain_tf = use.plain_tf
    if use.plain_tf:
        rec.tfvars_before, rec.tfops_before, rec.tfmodules = use.variables, use.n_ops, use.modules
        res_k = run_translator(full, data, tok_transform())
        rec.tok_diags, rec.tok_errors, rec.tok_crash = res_k.diagnostics, res_k.errors, res_k.crash
        rec.tok_unparsable, rec.tok_unstable, rec.tok_seconds = res_k.unparsable, res_k.unstable, res_k.seconds
        after_use = use
        if res_k.output is not None and res_k.output != data:
            rec.tok_changed = True
            new_text = program_text(full, res_k.output)
            new_tree = parse_or_none(new_text) if new_text is not None else None
            if new_tree is None:
                rec.tok_unparsable = True
            else:
                after_use = tf_use(new_tree)
            if outdir is not None:
                dest = os.path.join(outdir, "to-keras", rec.repo, rec.path)
                os.makedirs(os.path.dirname(dest), exist_ok=True)
                Path(dest).write_bytes(res_k.output)
                rec.tok_output = dest
        rec.tfvars_after, rec.tfops_after = after_use.variables, after_use.n_ops


# --------------------------------------------------------------------------- ruff


# F811 names the line of the first definition: the same finding moves when lines are added above it
_LINE_REF = re.compile(r"from (?:cell \d+, )?line \d+")


def ruff_findings(paths: list[str], ruff: str) -> dict[str, list[str]]:
    """``ruff check --select F821,F811,F401`` findings per file: ["F821 Undefined name `x`", ...]."""
    out: dict[str, list[str]] = {p: [] for p in paths}
    for i in range(0, len(paths), 200):
        chunk = paths[i:i + 200]
        proc = subprocess.run(
            [ruff, "check", "--no-cache", "--isolated", "--select", RUFF_SELECT, "--output-format", "json", "--exit-zero", *chunk],
            capture_output=True, text=True, timeout=900,
        )
        try:
            found = json.loads(proc.stdout or "[]")
        except json.JSONDecodeError:
            continue
        for f in found:
            name = os.path.abspath(f.get("filename", ""))
            for p in chunk:
                if os.path.abspath(p) == name:
                    out[p].append(f"{f.get('code') or 'E999'} {_LINE_REF.sub('from an earlier line', f.get('message', ''))}")
                    break
    return out


def compare_ruff(records: list[FileRecord], corpus: str, ruff: str) -> None:
    """Fill ``ruff_before`` / ``ruff_after`` / ``ruff_new`` of the files to-tf changed, and
    ``tok_ruff_new`` of those to-keras changed."""
    changed = [r for r in records if r.totf_output or r.tok_output]
    if not changed:
        return
    inputs = [os.path.join(corpus, r.repo, r.path) for r in changed]
    before = ruff_findings(inputs, ruff)
    after = ruff_findings([o for r in changed for o in (r.totf_output, r.tok_output) if o], ruff)
    for r, i in zip(changed, inputs):
        b = Counter(before.get(i, []))
        if r.totf_output:
            a = Counter(after.get(r.totf_output, []))
            r.ruff_before = dict(Counter(m.split()[0] for m in b.elements()))
            r.ruff_after = dict(Counter(m.split()[0] for m in a.elements()))
            r.ruff_new = sorted((a - b).elements())
        if r.tok_output:
            r.tok_ruff_new = sorted((Counter(after.get(r.tok_output, [])) - b).elements())


# --------------------------------------------------------------------------- corpus


def load_corpus_toml(path: Path = CORPUS_TOML) -> list[dict[str, Any]]:
    import tomllib

    with open(path, "rb") as fh:
        return list(tomllib.load(fh).get("repo", []))


def glob_match(path: str, pattern: str) -> bool:
    """``**/`` matches any folders (none too), ``*`` stays inside one path part."""
    rx = ""
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            rx += "(?:[^/]+/)*"
            i += 3
        elif pattern[i] == "*":
            rx += "[^/]*"
            i += 1
        else:
            rx += re.escape(pattern[i])
            i += 1
    return re.fullmatch(rx, path) is not None


def selected(path: str, entry: dict[str, Any]) -> bool:
    return any(glob_match(path, g) for g in entry.get("include", [])) and not any(glob_match(path, g) for g in entry.get("exclude", []))


def export(mirrors: str, corpus: str, toml: Path = CORPUS_TOML) -> None:
    """Copy the files corpus.toml (or ``toml``) selects out of local git mirrors
    (``MIRRORS/<owner>+<name>/repo``, as the ``fetch`` tool brings them) into ``CORPUS/<owner>+<name>/``."""
    for entry in load_corpus_toml(toml):
        folder = entry["name"].replace("/", "+")
        git_dir = os.path.join(mirrors, folder, "repo")
        if not os.path.isdir(git_dir):
            print(f"{entry['name']}: no mirror at {git_dir}; skipped", file=sys.stderr)
            continue
        commit = entry.get("commit", "HEAD")
        names = subprocess.run(["git", "--git-dir", git_dir, "ls-tree", "-r", "--name-only", commit],
                               capture_output=True, text=True, check=True).stdout.splitlines()
        chosen = [n for n in names if n.endswith((".py", ".ipynb")) and selected(n, entry)]
        dest_root = os.path.join(corpus, folder)
        shutil.rmtree(dest_root, ignore_errors=True)
        missing = []
        for n in chosen:
            proc = subprocess.run(["git", "--git-dir", git_dir, "show", f"{commit}:{n}"], capture_output=True)
            if proc.returncode:  # a snapshot lacks files of 4 MiB and more (notebooks with big outputs)
                missing.append(n)
                continue
            blob = proc.stdout
            dest = os.path.join(dest_root, n)
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            Path(dest).write_bytes(blob)
        print(f"{entry['name']}@{commit[:12]}: {len(chosen) - len(missing)} files -> {dest_root}"
              f"{'; not in the mirror: ' + ', '.join(missing) if missing else ''}", file=sys.stderr)


def list_files(corpus: str, only: list[str] | None, sample: int | None, seed: int) -> list[tuple[str, str]]:
    """(repo folder, path inside it) of every .py / .ipynb file, sorted; ``sample`` per repo."""
    jobs: list[tuple[str, str]] = []
    for repo in sorted(os.listdir(corpus)):
        if not os.path.isdir(os.path.join(corpus, repo)):
            continue
        if only and not any(o.replace("/", "+") in repo for o in only):
            continue
        files = []
        for dirpath, dirnames, filenames in os.walk(os.path.join(corpus, repo)):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for f in filenames:
                if f.endswith((".py", NOTEBOOK_SUFFIX)):
                    files.append(os.path.relpath(os.path.join(dirpath, f), os.path.join(corpus, repo)))
        files.sort()
        if sample is not None and len(files) > sample:
            files = sorted(random.Random(f"{seed}:{repo}").sample(files, sample))
        jobs += [(repo, f) for f in files]
    return jobs


# --------------------------------------------------------------------------- summary


def _pct(part: float, whole: float) -> str:
    return f"{100.0 * part / whole:.1f}%" if whole else "n/a"


_NAME_IN_MSG = re.compile(r"`[^`]*`")


def message_key(message: str) -> str:
    """A diagnostic message with the user's names taken out, to group like reasons."""
    return _NAME_IN_MSG.sub("`…`", message)[:140]


def aggregate(records: list[FileRecord]) -> dict[str, Any]:
    """Totals of a set of file records (one repo, or all)."""
    a: dict[str, Any] = {
        "files": len(records),
        "lines": sum(r.lines for r in records),
        "inputs_not_parsing": sum(not r.parses for r in records),
        "files_with_layer_calls": sum(r.all_before > 0 for r in records),
        "layer_calls_before": sum(r.all_before for r in records),
        "layer_calls_after": sum(r.all_after for r in records),
        "cp_calls_before": sum(r.cp_before for r in records),
        "cp_calls_after": sum(r.cp_after for r in records),
        "totf_changed": sum(r.totf_changed for r in records),
        "totf_unparsable": sum(r.totf_unparsable for r in records),
        "totf_unstable": sum(r.totf_unstable for r in records),
        "totf_crashes": sum(r.totf_crash is not None for r in records),
        "totf_errors": sum(bool(r.totf_errors) for r in records),
        "totf_seconds": sum(r.totf_seconds for r in records),
        "ruff_new_files": sum(bool(r.ruff_new) for r in records),
        "ruff_new": sum(len(r.ruff_new) for r in records),
        "ruff_new_f821": sum(sum(m.startswith("F821") for m in r.ruff_new) for r in records),
        "ruff_new_f821_files": sum(any(m.startswith("F821") for m in r.ruff_new) for r in records),
        "totf_keras_left": sum(r.totf_changed and r.keras_imports_after > 0 for r in records),
        "totf_no_layer_left": sum(r.totf_changed and r.all_after == 0 for r in records),
        "tok_ruff_new_f821": sum(sum(m.startswith("F821") for m in r.tok_ruff_new) for r in records),
        "tok_ruff_new_f821_files": sum(any(m.startswith("F821") for m in r.tok_ruff_new) for r in records),
        "plain_tf_files": sum(r.plain_tf for r in records),
        "tfvars_before": sum(r.tfvars_before for r in records if r.plain_tf),
        "tfvars_after": sum(r.tfvars_after for r in records if r.plain_tf),
        "tfops_before": sum(r.tfops_before for r in records if r.plain_tf),
        "tfops_after": sum(r.tfops_after for r in records if r.plain_tf),
        "tok_changed": sum(r.tok_changed for r in records),
        "tok_unparsable": sum(r.tok_unparsable for r in records),
        "tok_unstable": sum(r.tok_unstable for r in records),
        "tok_crashes": sum(r.tok_crash is not None for r in records),
        "lint_crashes": sum(r.lint_crash is not None for r in records),
        "lint_errors": sum(r.lint_error is not None for r in records),
    }
    a["totf_codes"] = dict(Counter(c for r in records for c, _ in r.totf_diags).most_common())
    a["totf_code_files"] = dict(Counter(c for r in records for c in {c for c, _ in r.totf_diags}).most_common())
    a["totf_reasons"] = Counter(f"{c} {message_key(m)}" for r in records for c, m in r.totf_diags).most_common(25)
    a["tok_codes"] = dict(Counter(c for r in records for c, _ in r.tok_diags).most_common())
    a["lint_codes"] = dict(sum((Counter(r.lint_codes) for r in records), Counter()).most_common())
    a["ruff_new_messages"] = Counter(_NAME_IN_MSG.sub("`…`", m) if not m.startswith("F821") else m
                                     for r in records for m in r.ruff_new).most_common(25)
    a["tok_ruff_new_messages"] = Counter(_NAME_IN_MSG.sub("`…`", m) if not m.startswith("F821") else m
                                         for r in records for m in r.tok_ruff_new).most_common(25)
    times = [r.totf_seconds for r in records]
    a["totf_seconds_median"] = statistics.median(times) if times else 0.0
    a["totf_seconds_max"] = max(times) if times else 0.0
    return a


def render(records: list[FileRecord], by_repo: dict[str, dict[str, Any]], total: dict[str, Any], header: str) -> str:
    out = [header, "",
           f"Inputs that do not parse as a whole (a .py file, or no cell of a notebook): {total['inputs_not_parsing']}; "
           f"files with a to-tf error message (e.g. a notebook cell left as it is): {total['totf_errors']}; "
           f"to-tf time, all files: {total['totf_seconds']:.0f} s.", ""]
    out += ["### to-tf", "",
            "| repo | files | lines | with layers | layer calls | gone | gone (with counterpart) | files changed | no layer call left | Keras import left | unparsable | unstable | crashes | +F821 (files) | s/file (median, max) |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for name, a in [*by_repo.items(), ("**total**", total)]:
        gone = a["layer_calls_before"] - a["layer_calls_after"]
        gone_cp = a["cp_calls_before"] - a["cp_calls_after"]
        out.append(f"| {name} | {a['files']} | {a['lines']} | {a['files_with_layer_calls']} | {a['layer_calls_before']} | "
                   f"{gone} ({_pct(gone, a['layer_calls_before'])}) | {gone_cp}/{a['cp_calls_before']} ({_pct(gone_cp, a['cp_calls_before'])}) | "
                   f"{a['totf_changed']} | {a['totf_no_layer_left']} | {a['totf_keras_left']} | {a['totf_unparsable']} | {a['totf_unstable']} | {a['totf_crashes']} | "
                   f"{a['ruff_new_f821']} ({a['ruff_new_f821_files']}) | {a['totf_seconds_median']:.2f}, {a['totf_seconds_max']:.1f} |")
    out += ["", "Diagnostics of to-tf by code (occurrences / files):", ""]
    out += [f"- {c}: {n} / {total['totf_code_files'].get(c, 0)}" for c, n in total["totf_codes"].items()]
    out += ["", "Top reasons a model or layer was kept (code and message, user names elided):", ""]
    out += [f"{i}. {n} × {m}" for i, (m, n) in enumerate(total["totf_reasons"], 1)]
    out += ["", "ruff findings the to-tf outputs add (F821 undefined name, F811 redefinition, F401 unused import):", ""]
    out += [f"- {n} × {m}" for m, n in total["ruff_new_messages"]] or ["- none"]
    crashes = [r for r in records if r.totf_crash or r.tok_crash or r.lint_crash]
    unsafe = [r for r in records if r.totf_unparsable or r.totf_unstable or r.tok_unparsable or r.tok_unstable]
    if crashes or unsafe:
        out += ["", "Crashes, unparsable or unstable outputs:", ""]
        for r in crashes + unsafe:
            what = "; ".join(x for x in (
                r.totf_crash and f"to-tf crash: {r.totf_crash}", r.tok_crash and f"to-keras crash: {r.tok_crash}",
                r.lint_crash and f"lint crash: {r.lint_crash}", r.totf_unparsable and "to-tf output does not parse",
                r.totf_unstable and "to-tf unstable", r.tok_unparsable and "to-keras output does not parse",
                r.tok_unstable and "to-keras unstable") if x)
            out.append(f"- {r.repo}/{r.path}: {what}")
    out += ["", "### to-keras (files that use plain TensorFlow)", "",
            "| repo | files | tf.Variable | raised | layer-like ops | raised | files changed | unparsable | unstable | crashes |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for name, a in [*by_repo.items(), ("**total**", total)]:
        if not a["plain_tf_files"]:
            continue
        v = a["tfvars_before"] - a["tfvars_after"]
        o = a["tfops_before"] - a["tfops_after"]
        out.append(f"| {name} | {a['plain_tf_files']} | {a['tfvars_before']} | {v} ({_pct(v, a['tfvars_before'])}) | "
                   f"{a['tfops_before']} | {o} ({_pct(o, a['tfops_before'])}) | {a['tok_changed']} | {a['tok_unparsable']} | "
                   f"{a['tok_unstable']} | {a['tok_crashes']} |")
    out += ["", "ruff findings the to-keras outputs add:", ""]
    out += [f"- {n} × {m}" for m, n in total["tok_ruff_new_messages"]] or ["- none"]
    out += ["", "Diagnostics of to-keras by code: " + (", ".join(f"{c} {n}" for c, n in total["tok_codes"].items()) or "none")]
    out += ["", "### lint", "",
            f"Files: {total['files']}, crashes: {total['lint_crashes']}, files reported as not parsing: {total['lint_errors']}.", "",
            "Diagnostics by code: " + (", ".join(f"{c} {n}" for c, n in total["lint_codes"].items()) or "none"), ""]
    return "\n".join(out)


# --------------------------------------------------------------------------- main


def run_all(corpus: str, jobs: list[tuple[str, str]], n_jobs: int, outdir: str | None) -> list[FileRecord]:
    work = [(corpus, repo, rel, outdir) for repo, rel in jobs]
    if n_jobs <= 1:
        return [process_file(w) for w in work]
    import multiprocessing as mp

    ctx = mp.get_context("fork") if hasattr(os, "fork") else mp.get_context()
    with ctx.Pool(n_jobs, maxtasksperchild=50) as pool:
        return list(pool.imap(process_file, work, chunksize=1))


def summarise(records: list[FileRecord]) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    by_repo = {repo: aggregate([r for r in records if r.repo == repo]) for repo in sorted({r.repo for r in records})}
    return by_repo, aggregate(records)


def _git_head() -> str:
    try:
        return subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    except OSError:
        return "?"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", default=DEFAULT_CORPUS, help="corpus folder (default: %(default)s)")
    ap.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1, help="processes")
    ap.add_argument("--sample", type=int, help="at most N files per repository (random, fixed by --seed)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--only", action="append", help="only repositories whose folder contains this (repeatable)")
    ap.add_argument("--json", help="write per-file records and per-repo totals here")
    ap.add_argument("--ruff", default=shutil.which("ruff") or str(Path(sys.executable).with_name("ruff")), help="ruff executable")
    ap.add_argument("--no-ruff", action="store_true", help="skip the ruff comparison")
    ap.add_argument("--corpus-toml", type=Path, default=CORPUS_TOML,
                    help="the repositories --export takes (default: bench/corpus.toml; bench/heldout.toml is the held-out set)")
    ap.add_argument("--export", metavar="MIRRORS", help="build the corpus from git mirrors (see bench/fetch_corpus.md) and exit")
    args = ap.parse_args(argv)
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))  # as the CLI does
    if args.export:
        export(args.export, args.corpus, args.corpus_toml)
        return 0
    if not os.path.isdir(args.corpus):
        print(f"error: no corpus at {args.corpus} (see bench/fetch_corpus.md)", file=sys.stderr)
        return 2
    jobs = list_files(args.corpus, args.only, args.sample, args.seed)
    with tempfile.TemporaryDirectory(prefix="realcode-") as tmp:
        start = time.perf_counter()
        records = run_all(args.corpus, jobs, args.jobs, None if args.no_ruff else tmp)
        wall = time.perf_counter() - start
        if not args.no_ruff and os.path.exists(args.ruff):
            compare_ruff(records, args.corpus, args.ruff)
    for r in records:
        r.totf_output = r.tok_output = None
    by_repo, total = summarise(records)
    header = (f"## Real code: {total['files']} files, {total['lines']} lines "
              f"({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, commit {_git_head()}, -j {args.jobs}, "
              f"{'sample ' + str(args.sample) + ' per repo, ' if args.sample else ''}wall {wall:.0f} s)")
    print(render(records, by_repo, total, header))
    if args.json:
        Path(args.json).write_text(json.dumps({"header": header, "total": total, "by_repo": by_repo,
                                               "files": [asdict(r) for r in records]}, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
