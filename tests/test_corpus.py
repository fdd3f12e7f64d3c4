"""Real code nobody here wrote: lint, to-tf and to-keras over the installed Keras and
TensorFlow sources (the test extras install them), through the engine functions
(``lint_bytes``, ``runner.transform_bytes`` with ``totf.make_transform()`` and
``tokeras.make_transform()``), not the command line, for speed.

For every file:

- no exception escapes, and no file error is reported (a file that is not valid Python for
  this interpreter must instead be reported as such by every command);
- every output parses, and a second run over the output changes nothing;
- a file without a Keras layer use comes back byte-identical from to-tf, and a file without
  ``tf.nn`` / ``tf.Module`` comes back byte-identical from to-keras;
- to-tf never leaves a Keras model API (``.fit``, ``.compile``, ``.save``, ...) called on a
  name bound to a ``tf.Module`` class it generated.

Coverage: every ``*.py`` under ``keras/src`` and under ``tensorflow/python/{keras,ops,data}``
(about 1,300 files, 700,000 lines; no sampling by default), on two worker processes
(about a minute on two idle cores; the slowest file, keras/src/ops/numpy_test.py, takes half
of it). ``XLATE_CORPUS_FRACTION=0.1``
runs a deterministic sample (a stable CRC32 of the relative path) for quick local runs.
The counts are printed (``-s``) and added to the terminal summary.
"""

from __future__ import annotations

import ast
import collections
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

# (package, sub-directory) pairs; each is skipped when the package is not installed.
CORPUS_DIRS = [
    ("keras", "src"),
    ("tensorflow", "python/keras"),
    ("tensorflow", "python/ops"),
    ("tensorflow", "python/data"),
]
JOBS = 2
TIMEOUT_S = 840  # below pytest-timeout's 900 s, so that a hung worker gets a clear message

# Keras model APIs that a generated tf.Module does not have (it has __call__, get_weights,
# set_weights, build, summary, variables, ...; see totf.common.MODULE_API).
KERAS_MODEL_API = {
    "fit", "compile", "evaluate", "predict", "save", "save_weights", "load_weights", "export",
    "train_on_batch", "test_on_batch", "predict_on_batch", "fit_generator", "evaluate_generator",
    "predict_generator", "to_json", "get_config", "from_config", "count_params", "get_layer",
    "layers", "compute_loss", "compute_metrics", "stateless_call", "optimizer", "loss", "metrics",
    "make_train_function", "add_loss", "add_metric", "inputs", "outputs", "input_shape", "output_shape",
}

# ----------------------------------------------------------------------------- the corpus


def _corpus_files() -> list[tuple[str, str]]:
    """(absolute path, display path) of every corpus file, in a stable order, sampled when asked."""
    fraction = float(os.environ.get("XLATE_CORPUS_FRACTION", "1"))
    out = []
    for package, sub in CORPUS_DIRS:
        spec = importlib.util.find_spec(package)  # locates without importing TensorFlow
        if spec is None or not spec.submodule_search_locations:
            continue
        base = Path(list(spec.submodule_search_locations)[0])
        root = base / sub
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*.py")):
            rel = f"{package}/{path.relative_to(base).as_posix()}"
            if fraction >= 1 or zlib.crc32(rel.encode()) % 10_000 < fraction * 10_000:
                out.append((str(path), rel))
    return out


@dataclass
class FileReport:
    rel: str
    lines: int = 0
    failures: list[str] = field(default_factory=list)
    codes: collections.Counter = field(default_factory=collections.Counter)  # "command CODE" -> count
    changed: set[str] = field(default_factory=set)  # commands that changed the file
    invalid: bool = False  # not valid Python for this interpreter: errors expected, not failures
    api_violations: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {**self.__dict__, "codes": dict(self.codes), "changed": sorted(self.changed)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FileReport:
        return cls(**{**data, "codes": collections.Counter(data["codes"]), "changed": set(data["changed"])})


def _has_keras_layer_use(tree: ast.Module) -> bool:
    from kerastf_xlate.resolve import find_uses
    from kerastf_xlate.rules import default_rules

    return bool(find_uses(tree, set(default_rules().by_name)))


def _has_tf_nn_use(tree: ast.Module) -> bool:
    """``x.nn`` anywhere, an import of ``nn`` from TensorFlow, or a class deriving from
    ``*.Module``: what to-keras may translate. Without any of them it must change nothing."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in ("nn", "Module"):
            return True
        if isinstance(node, ast.Name) and node.id == "Module":
            return True
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("tensorflow"):
            if node.module.endswith(".nn") or any(a.name in ("nn", "Module") for a in node.names):
                return True
        if isinstance(node, ast.Import) and any(a.name.endswith(".nn") for a in node.names):
            return True
    return False


def _check_translation(report: FileReport, command: str, path: str, data: bytes, transform: Any,
                       must_be_identical: bool) -> bytes | None:
    from kerastf_xlate.runner import transform_bytes

    try:
        result = transform_bytes(path, data, transform)
    except BaseException as exc:
        report.failures.append(f"{command}: exception escaped: {type(exc).__name__}: {exc}")
        return None
    report.codes.update(f"{command} {d.code}" for d in result.diagnostics)
    if report.invalid:
        if result.error is None or result.output is not None or "internal error" in result.error:
            report.failures.append(f"{command}: a file that does not parse was not reported as such ({result.error})")
        return None
    if result.error is not None or result.output is None:
        report.failures.append(f"{command}: {result.error}")
        return None
    if not result.changed:
        return None
    report.changed.add(command)
    if must_be_identical:
        report.failures.append(f"{command}: changed a file that has nothing to translate")
    try:
        ast.parse(result.output)
    except SyntaxError as exc:
        report.failures.append(f"{command}: output does not parse: {exc.msg} at line {exc.lineno}")
        return None
    again = transform_bytes(path, result.output, transform)
    if again.error is not None or again.output != result.output:
        report.failures.append(f"{command}: a second run changes the output ({again.error or 'different bytes'})")
    return result.output


def check_file(item: tuple[str, str]) -> FileReport:
    """Every check on one corpus file (it runs in the worker processes)."""
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))  # as the CLI does
    path, rel = item
    from kerastf_xlate.config import Config
    from kerastf_xlate.lint import lint_bytes
    from kerastf_xlate.rules import default_rules
    from kerastf_xlate.totf import make_transform as totf_transform

    start = time.perf_counter()
    report = FileReport(rel)
    data = Path(path).read_bytes()
    report.lines = data.count(b"\n")
    try:
        tree = ast.parse(data)
    except (SyntaxError, ValueError):  # e.g. a newer Python's syntax: must be reported, cleanly
        tree, report.invalid = ast.Module(body=[], type_ignores=[]), True
    rules, config = default_rules(), Config()

    lint_impls: list[tuple[str, Any]] = [("lint", lint_bytes)]
    tokeras = _tokeras()
    if tokeras is not None:
        lint_impls.append(("lint --to-keras", tokeras.lint_bytes))
    for name, impl in lint_impls:
        try:
            res = impl(path, data, rules, config)
        except BaseException as exc:
            report.failures.append(f"{name}: exception escaped: {type(exc).__name__}: {exc}")
            continue
        report.codes.update(f"{name} {d.code}" for d in res.diagnostics)
        if (res.error is not None) != report.invalid:
            report.failures.append(f"{name}: {res.error or 'a file that does not parse was not reported'}")

    out = _check_translation(report, "to-tf", path, data, totf_transform(), not _has_keras_layer_use(tree))
    if out is not None:
        report.api_violations = keras_api_on_modules(data, out)
    if tokeras is not None:
        _check_translation(report, "to-keras", path, data, tokeras.make_transform(), not _has_tf_nn_use(tree))
    report.seconds = time.perf_counter() - start
    return report


def _tokeras() -> Any:
    try:
        import kerastf_xlate.tokeras as tokeras
    except ImportError:
        return None
    return tokeras


# ----------------------------------------------------------- Keras APIs on generated modules


def _module_classes(tree: ast.Module) -> set[str]:
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            for b in node.bases:
                if isinstance(b, ast.Attribute) and b.attr == "Module" and isinstance(b.value, ast.Name) and b.value.id == "tf":
                    out.add(node.name)
    return out


def _scope_nodes(scope: ast.AST) -> Iterator[ast.AST]:
    """The nodes of one scope: nested functions, lambdas and classes are scopes of their own."""
    stack = list(ast.iter_child_nodes(scope))
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            continue
        stack.extend(ast.iter_child_nodes(node))


def _pos(node: ast.AST) -> tuple[int, int]:
    return (getattr(node, "lineno", 0), getattr(node, "col_offset", 0))


def keras_api_on_modules(original: bytes, translated: bytes) -> list[str]:
    """``name.fit(...)`` (and the other Keras model APIs) where ``name`` holds an instance of a
    tf.Module class that the translation generated, scope by scope, in source order, also
    through functions that return such an instance and through ``self.attr``."""
    tree = ast.parse(translated)
    generated = _module_classes(tree) - _module_classes(ast.parse(original))
    if not generated:
        return []
    scopes = [tree] + [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    # attributes the translation sets on an instance (e.g. `model.optimizer = _adam()` for
    # a translated compile) are then the module's own
    provided: dict[str, set[str]] = collections.defaultdict(set)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store) and isinstance(node.value, ast.Name):
            provided[node.value.id].add(node.attr)

    def makes_module(value: ast.AST, factories: set[str]) -> bool:
        return (isinstance(value, ast.Call) and isinstance(value.func, ast.Name)
                and (value.func.id in generated or value.func.id in factories))

    def scan(scope: ast.AST, factories: set[str]) -> tuple[list[tuple[ast.Attribute, str]], bool]:
        """(uses of Keras APIs on module instances, does the scope return one)."""
        events: list[tuple[tuple[int, int], int, Any]] = []
        for node in _scope_nodes(scope):
            if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                is_module = makes_module(node.value, factories)
                for t in targets:
                    if isinstance(t, ast.Name):
                        end = (node.end_lineno or 0, node.end_col_offset or 0)
                        events.append((end, 0, (t.id, is_module)))
            elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and isinstance(node.ctx, ast.Load):
                events.append((_pos(node), 1, node))
            elif isinstance(node, ast.Return) and node.value is not None:
                events.append((_pos(node), 2, node.value))
        events.sort(key=lambda e: (e[0], e[1]))
        bound: dict[str, bool] = {}
        uses, returns = [], False
        for _, kind, payload in events:
            if kind == 0:
                bound[payload[0]] = payload[1]
            elif kind == 1:
                name = payload.value.id
                if bound.get(name) and payload.attr in KERAS_MODEL_API - provided.get(name, set()):
                    uses.append((payload, payload.value.id))
            elif makes_module(payload, factories) or (isinstance(payload, ast.Name) and bound.get(payload.id)):
                returns = True
        return uses, returns

    factories: set[str] = set()
    while True:  # functions returning a module instance, to a fixed point
        new = {s.name for s in scopes[1:] if scan(s, factories)[1]}  # type: ignore[attr-defined]
        if new <= factories:
            break
        factories |= new
    found = []
    for scope in scopes:
        for node, name in scan(scope, factories)[0]:
            found.append(f"line {node.lineno}: `{name}.{node.attr}` on a generated tf.Module")
    # self.attr = Module() in a class, self.attr.fit(...) in the same class
    for cls in (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)):
        attrs = {t.attr for n in ast.walk(cls) if isinstance(n, ast.Assign) and makes_module(n.value, factories)
                 for t in n.targets if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id == "self"}
        for n in ast.walk(cls):
            if (isinstance(n, ast.Attribute) and n.attr in KERAS_MODEL_API and isinstance(n.value, ast.Attribute)
                    and n.value.attr in attrs and isinstance(n.value.value, ast.Name) and n.value.value.id == "self"):
                found.append(f"line {n.lineno}: `self.{n.value.attr}.{n.attr}` on a generated tf.Module")
    return sorted(set(found))


# ------------------------------------------------------------------------- running it once

_REPORTS: dict[str, FileReport] | None = None


def _run_corpus() -> dict[str, FileReport]:
    global _REPORTS
    if _REPORTS is None:
        files = _corpus_files()
        if not files:
            pytest.skip("neither keras nor tensorflow is installed (pip install '.[test]')")
        # JOBS worker processes running this file as a script: fresh interpreters (the test
        # process may have imported TensorFlow, which does not survive fork()), and nothing to
        # import by module name (pytest's import modes differ). They take the files biggest
        # first, each claiming the next one free (O_EXCL file creation), so that one slow
        # file does not hold up a share of the others.
        files.sort(key=lambda f: -os.path.getsize(f[0]))
        with tempfile.TemporaryDirectory() as tmp:
            todo = Path(tmp, "todo.json")
            todo.write_text(json.dumps(files))
            (Path(tmp) / "claims").mkdir()
            procs = []
            for i in range(JOBS):
                done = Path(tmp, f"done{i}.json")
                procs.append((subprocess.Popen([sys.executable, __file__, str(todo), str(Path(tmp) / "claims"), str(done)],
                                               env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}), done))
            reports = []
            for proc, done in procs:
                assert proc.wait(timeout=TIMEOUT_S) == 0, "a corpus worker process failed"
                reports += [FileReport.from_json(r) for r in json.loads(done.read_text())]
        assert len(reports) == len(files)
        _REPORTS = {r.rel: r for r in reports}
    return _REPORTS


def _worker_main(todo: str, claims: str, done: str) -> None:
    out = []
    for i, (path, rel) in enumerate(json.loads(Path(todo).read_text())):
        try:
            os.close(os.open(os.path.join(claims, str(i)), os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            continue  # another worker has it
        out.append(check_file((path, rel)).to_json())
    Path(done).write_text(json.dumps(out))


@pytest.fixture(scope="module")
def corpus(request: pytest.FixtureRequest) -> dict[str, FileReport]:
    start = time.perf_counter()
    reports = _run_corpus()
    summary = _summary(reports, time.perf_counter() - start)
    print("\n" + summary)
    plugin = _SummaryPlugin(summary)
    if not request.config.pluginmanager.has_plugin("xlate-corpus-summary"):
        request.config.pluginmanager.register(plugin, "xlate-corpus-summary")
    return reports


class _SummaryPlugin:
    def __init__(self, text: str) -> None:
        self.text = text

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        terminalreporter.section("corpus: lint, to-tf and to-keras over installed Keras / TensorFlow sources")
        for line in self.text.splitlines():
            terminalreporter.write_line(line)


def _summary(reports: dict[str, FileReport], seconds: float) -> str:
    by_root: collections.Counter = collections.Counter()
    for rel in reports:
        parts = rel.split("/")
        by_root["/".join(parts[:3] if parts[0] == "tensorflow" else parts[:2])] += 1
    codes: collections.Counter = collections.Counter()
    for r in reports.values():
        codes.update(r.codes)
    changed: collections.Counter = collections.Counter(c for r in reports.values() for c in r.changed)
    failures = [(r.rel, f) for r in reports.values() for f in r.failures]
    api = [(r.rel, v) for r in reports.values() for v in r.api_violations]
    tokeras = "run" if _tokeras() is not None else "skipped (kerastf_xlate.tokeras not importable)"
    fraction = os.environ.get("XLATE_CORPUS_FRACTION", "1")
    lines = [
        f"files: {len(reports)} ({', '.join(f'{k} {v}' for k, v in sorted(by_root.items()))}); sample fraction {fraction}",
        f"lines: {sum(r.lines for r in reports.values()):,}; files that are not valid Python "
        f"{sys.version_info[0]}.{sys.version_info[1]} (errors expected and checked): {sum(r.invalid for r in reports.values())}",
        f"files changed: to-tf {changed['to-tf']}, to-keras {changed['to-keras']} (to-keras {tokeras})",
        "diagnostics by code: " + (", ".join(f"{k}: {v}" for k, v in sorted(codes.items())) or "none"),
        f"failures: {len(failures)}",
        f"Keras model API on a generated tf.Module: {len(api)} in {len({r for r, _ in api})} files",
        f"time: {seconds:.1f} s wall on {JOBS} processes; slowest file "
        + max(((r.seconds, r.rel) for r in reports.values()), default=(0.0, "-"))[1]
        + f" {max((r.seconds for r in reports.values()), default=0.0):.1f} s",
    ]
    for command in ("to-tf", "to-keras"):
        names = sorted(r.rel for r in reports.values() if command in r.changed)
        if names:
            lines.append(f"  changed by {command}: " + ", ".join(names[:20]) + (" ..." if len(names) > 20 else ""))
    lines += [f"  FAIL {rel}: {f}" for rel, f in failures[:50]]
    lines += [f"  API  {rel}: {v}" for rel, v in api[:50]]
    return "\n".join(lines)


# ------------------------------------------------------------------------------- the tests


@pytest.mark.slow
def test_corpus_no_failures(corpus: dict[str, FileReport]) -> None:
    """No exception, every output parses, second runs change nothing, no-op files untouched."""
    failures = [f"{r.rel}: {f}" for r in corpus.values() for f in r.failures]
    assert not failures, "\n".join(failures[:40])


@pytest.mark.slow
def test_corpus_is_real(corpus: dict[str, FileReport]) -> None:
    """Guard against a silently empty or trivial corpus."""
    if os.environ.get("XLATE_CORPUS_FRACTION", "1") not in ("1", "1.0"):
        pytest.skip("sampled run")
    assert len(corpus) > 500
    assert sum(r.lines for r in corpus.values()) > 200_000
    assert any("to-tf" in r.changed for r in corpus.values()), "to-tf translated nothing at all"


@pytest.mark.slow
def test_no_keras_api_on_generated_module(corpus: dict[str, FileReport]) -> None:
    bad = [f"{r.rel}: {v}" for r in corpus.values() for v in r.api_violations]
    assert not bad, "\n".join(bad)


# The checker itself, on small cases (so that a silent checker cannot pass the corpus test).

_SNIPPET = (
    "import keras\nfrom keras import layers\n"
    "model = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(3, activation=\"relu\")])\n"
)


def _api_violations(before: str) -> list[str]:
    from kerastf_xlate.totf import translate

    after, _ = translate(before, "t.py")
    assert after != before, "the case must translate"
    return keras_api_on_modules(before.encode(), after.encode())


def test_api_checker_accepts_module_api() -> None:
    assert _api_violations(_SNIPPET + "y = model(x)\nw = model.get_weights()\nmodel.summary()\n") == []


@pytest.mark.parametrize("use", ["model.save('m.keras')\nos.remove('m.keras')\n", "print(model.to_json())\n",
                                 "model.export('saved')\n"])
def test_api_checker_keeps_keras_models_keras(use: str) -> None:
    """to-tf keeps a model whose instance needs Keras as Keras: nothing to flag."""
    from kerastf_xlate.totf import translate

    before = _SNIPPET + use
    after, diags = translate(before, "t.py")
    assert {d.code for d in diags} & {"XL303", "XL304", "XL306"}
    assert keras_api_on_modules(before.encode(), after.encode()) == []


def test_api_checker_accepts_translated_training() -> None:
    """compile + fit are translated to TensorFlow (model.optimizer = ..., _fit(model, ...))."""
    assert _api_violations(_SNIPPET + "model.compile('adam', 'mse')\nhistory = model.fit(x, y)\n") == []


def test_api_checker_finds_a_use() -> None:
    """The checker flags `.fit` on a generated class (given a hand-made "translation")."""
    translated = "import tensorflow as tf\nclass Model(tf.Module):\n    pass\nmodel = Model()\nmodel.fit(x, y)\n"
    assert keras_api_on_modules(b"", translated.encode()) == ["line 5: `model.fit` on a generated tf.Module"]
    through_factory = (
        "import tensorflow as tf\nclass M(tf.Module):\n    pass\n"
        "def build():\n    m = M()\n    return m\n"
        "def test():\n    model = build()\n    model.save('x')\n"
    )
    assert keras_api_on_modules(b"", through_factory.encode()) == ["line 9: `model.save` on a generated tf.Module"]
    rebound = "import tensorflow as tf\nclass M(tf.Module):\n    pass\nm = M()\nm = keras_model()\nm.fit()\n"
    assert keras_api_on_modules(b"", rebound.encode()) == []


def test_model_returned_by_name_then_saved_stays_keras() -> None:
    """The pattern of keras/src/saving/file_editor_test.py: `m = get(); m.save(...)`."""
    before = (
        "import keras\n"
        "def get():\n"
        "    inputs = keras.Input((2,))\n"
        "    outputs = keras.layers.Dense(3)(inputs)\n"
        "    model = keras.Model(inputs, outputs)\n"
        "    return model\n"
        "m = get()\n"
        "m.save('m.keras')\n"
    )
    from kerastf_xlate.totf import translate

    after, _ = translate(before, "t.py")
    assert keras_api_on_modules(before.encode(), after.encode()) == []


if __name__ == "__main__":  # a corpus worker process (see _run_corpus)
    _worker_main(sys.argv[1], sys.argv[2], sys.argv[3])
