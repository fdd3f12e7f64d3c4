"""The keras_api table (rules/keras_api/*.toml): static checks, and every entry against Keras.

Static side (no TensorFlow): the table loads; broken files name the file and the key;
``translate_call`` picks templates only when their conditions hold, leaves out defaults,
parenthesises, binds arguments like Python, falls back on the helper; blocked entries block;
docs/keras-api.md is generated from the table.

Execution side (``tf`` marker): every ``tests`` expression of every entry is evaluated twice
on the same inputs — with Keras (``ops.mean(f, axis=1)`` on ``keras.ops``), and translated
call by call with :func:`translate_call` and executed with the runtime definitions the
translation names (the bundler's closure of them, as a translated file holds them). Each
expression is translated three ways: knowing nothing about its tensors (helpers), knowing
their dtypes (templates where their conditions hold), and, when all its tensors are floating,
with ``assume_float``. Results must have the same structure, dtypes and shapes, and values
within ``atol = rtol = 1e-5`` for floating results unless the test states another ``atol``
(integers and bools exactly). ``graph = true`` also runs both inside one ``tf.function``
whose inputs have an unknown leading dimension.

Inputs (the names tests use): ``f``, ``f2`` float32 (2, 3, 4) normal; ``r`` float32 (3, 4);
``v`` float32 (4,); ``p`` float32 (2, 3, 4) in [0.1, 3]; ``u`` float32 (2, 3, 4) in
(-0.9, 0.9); ``h`` float16 (2, 3, 4); ``d`` float64 (2, 3, 4); ``i``, ``i2`` int32
(2, 3, 4) in [-5, 5); ``ip`` int32 (2, 3, 4) in [1, 5); ``iv`` int32 (4,); ``l`` int64
(2, 3, 4); ``u8`` uint8 (2, 3, 4); ``b``, ``b2`` bool (2, 3, 4); ``m``, ``m2`` float32
(3, 3); ``mb`` float32 (2, 3, 3); ``spd`` float32 (3, 3) symmetric positive definite;
``img`` float32 (2, 8, 8, 3) in [0, 1); ``seq`` float32 (2, 5, 4); ``idx`` int32 (2, 3)
in [0, 4); ``cls`` int32 (2, 3) in [0, 5); ``logits`` float32 (2, 5); ``gen``: a fresh
``SeedGenerator(7)`` per evaluation (Keras's, and the runtime's).
"""

from __future__ import annotations

import ast
import functools
import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from kerastf_xlate.rules import RuleError
from kerastf_xlate.totf.program import keras_api as api
from kerastf_xlate.totf.program.keras_api import Blocked, Translated, translate_call, translate_reference

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

REPO = Path(__file__).resolve().parent.parent
DOC = REPO / "docs" / "keras-api.md"
TABLE = api.load_api()  # in full: its test expressions parsed too
ROOTS = {
    "ops": "keras.ops", "activations": "keras.activations", "random": "keras.random", "backend": "keras.backend",
    "config": "keras.config", "initializers": "keras.initializers", "regularizers": "keras.regularizers",
    "constraints": "keras.constraints", "keras": "keras", "applications": "keras.applications",
}
RTOL = 1e-5


# =============================================================================== static side


def test_table_loads_and_is_not_empty() -> None:
    assert len(TABLE) > 100
    assert TABLE.get("keras.ops.mean") is TABLE.get("keras.ops.numpy.mean")
    assert api.default_api().entries == TABLE.entries


def test_runtime_names_are_the_bundlers() -> None:
    from kerastf_xlate.totf.program.bundle import load_runtime

    assert api._runtime_names() == frozenset(load_runtime().by_name)


def tc(name: str, *args: str, dtypes: dict[str, str] | None = None, assume_float: bool = False,
       **kwargs: str) -> Translated | Blocked:
    return translate_call(name, list(args), kwargs, dtypes=dtypes, assume_float=assume_float)


def test_template_needs_its_conditions() -> None:
    unknown = tc("keras.ops.mean", "x", axis="1")
    assert isinstance(unknown, Translated)
    assert unknown.source == "_ops_mean(x, axis=1)" and unknown.helpers == ("_ops_mean",)
    known = tc("keras.ops.mean", "x", axis="1", dtypes={"x": "float32"})
    assert isinstance(known, Translated)
    assert known.source == "tf.reduce_mean(x, axis=1)" and known.helpers == ()
    assumed = tc("keras.ops.mean", "x", assume_float=True)
    assert isinstance(assumed, Translated)
    assert assumed.source == "tf.reduce_mean(x)" and assumed.assumed == ("x",)
    ints = tc("keras.ops.mean", "x", dtypes={"x": "int32"})
    assert isinstance(ints, Translated) and ints.source == "_ops_mean(x)"


def test_defaults_are_left_out() -> None:
    out = tc("keras.ops.mean", "x", "None", "False", dtypes={"x": "float"})
    assert isinstance(out, Translated) and out.source == "tf.reduce_mean(x)"
    out = tc("keras.ops.mean", "x", keepdims="True", dtypes={"x": "float"})
    assert isinstance(out, Translated) and out.source == "tf.reduce_mean(x, keepdims=True)"


def test_operator_templates_are_parenthesised() -> None:
    out = tc("keras.ops.add", "a + b", "1", dtypes={"a + b": "float32"})
    assert isinstance(out, Translated) and out.source == "tf.add(a + b, 1)"


def test_promotion_conditions() -> None:
    def chosen(a: str, b: str, **dt: str) -> bool:
        out = tc("keras.ops.add", a, b, dtypes=dt)
        assert isinstance(out, Translated)
        return out.template is not None

    assert chosen("x", "y", x="float32", y="float32")
    assert chosen("x", "1", x="float32") and chosen("x", "1", x="int32") and chosen("2.5", "x", x="float16")
    assert not chosen("x", "1.5", x="int32")  # Keras: float32; TensorFlow raises
    assert not chosen("x", "y", x="float16", y="float32")
    assert not chosen("x", "y", x="int32", y="float32")
    assert not chosen("x", "True", x="int32")
    assert not chosen("x", "y", x="float32")  # y unknown


def test_binding_follows_python() -> None:
    assert isinstance(tc("keras.ops.mean"), Blocked)
    bad = tc("keras.ops.mean", "x", colour="1")
    assert isinstance(bad, Blocked) and bad.kind == api.ARGUMENTS and "colour" in bad.reason
    twice = tc("keras.ops.mean", "x", "1", axis="1")
    assert isinstance(twice, Blocked) and "multiple values" in twice.reason
    starred = translate_call("keras.ops.mean", ["*args"], {})
    assert isinstance(starred, Translated) and starred.source == "_ops_mean(*args)"


def test_unknown_names_block() -> None:
    out = tc("keras.ops.no_such_function", "x")
    assert isinstance(out, Blocked) and out.kind == api.UNKNOWN


def test_blocked_entries_block() -> None:
    blocked = [e for e in TABLE if e.blocks is not None]
    for e in blocked:
        out = translate_call(e.name, [], {})
        assert isinstance(out, Blocked) and out.reason == e.blocks
        assert out.kind == (api.NOT_YET if e.todo else api.NO_EQUIVALENT)
        ref = translate_reference(e.name)
        assert isinstance(ref, Blocked)


def test_references() -> None:
    out = translate_reference("keras.ops.mean")
    assert isinstance(out, Translated) and out.source == "_ops_mean"


def test_variadic_parameters() -> None:
    out = tc("keras.ops.einsum", "'ij,jk->ik'", "a", "b", dtypes={"a": "float32", "b": "float32"})
    assert isinstance(out, Translated) and out.source == "tf.einsum('ij,jk->ik', a, b)"
    out = tc("keras.ops.einsum", "'ij,jk->ik'", "a", "b", dtypes={"a": "float32", "b": "int32"})
    assert isinstance(out, Translated) and out.source == "_ops_einsum('ij,jk->ik', a, b)"
    out = tc("keras.ops.multi_hot", "ids", num_tokens="6")
    assert isinstance(out, Translated) and out.source == "_ops_multi_hot(ids, num_tokens=6)"
    out = translate_call("keras.ops.meshgrid", ["a", "b"], {"indexing": "'ij'"})
    assert isinstance(out, Translated) and out.source == "tf.meshgrid(a, b, indexing='ij')"


def test_list_displays_and_dtype_arguments() -> None:
    out = tc("keras.ops.concatenate", "[a, b]", axis="-1", dtypes={"a": "float32", "b": "float32"})
    assert isinstance(out, Translated) and out.source == "tf.concat([a, b], axis=-1)"
    out = tc("keras.ops.concatenate", "[a, b]", dtypes={"a": "float32", "b": "int32"})
    assert isinstance(out, Translated) and out.source == "_ops_concatenate([a, b])"
    for dtype, template in [("'float32'", True), ("x.dtype", True), ("tf.float16", True), ("self.compute_dtype", True),
                            ("'int'", False), ("float", False), ("name", False)]:
        out = tc("keras.ops.cast", "x", dtype)
        assert isinstance(out, Translated) and (out.template is not None) == template, dtype


def test_comments_and_operators_in_arguments() -> None:
    out = tc("keras.ops.mean", "x  # the input", axis="1")
    assert isinstance(out, Translated)
    ast.parse(out.source, mode="eval")
    assert out.source.startswith("_ops_mean(x  # the input\n")
    out = tc("keras.ops.hard_sigmoid", "a + b", dtypes={"a + b": "float32"})
    assert isinstance(out, Translated) and out.source == "(tf.nn.relu6((a + b) + 3.0) / 6.0)"
    out = tc("keras.ops.add", "-x", "y", dtypes={"-x": "float32", "y": "float32"})
    assert isinstance(out, Translated) and out.source == "tf.add(-x, y)"


def test_a_condition_without_a_helper_blocks() -> None:
    ok = tc("keras.config.set_floatx", "'float32'")
    assert isinstance(ok, Translated) and ok.source == "None"
    bad = tc("keras.backend.set_floatx", "'float16'")
    assert isinstance(bad, Blocked) and bad.kind == api.ARGUMENTS and "equals(value, 'float32')" in bad.reason


def test_random_seeds() -> None:
    out = tc("keras.random.normal", "(2, 3)", seed="42")
    assert isinstance(out, Translated) and out.source == "tf.random.stateless_normal((2, 3), seed=[42, 0])"
    out = tc("keras.random.normal", "(2, 3)", seed=str(2 ** 40))
    assert isinstance(out, Translated) and out.helpers == ("_random_normal",)
    out = tc("keras.random.normal", "(2, 3)", seed="self.seed_generator")
    assert isinstance(out, Translated) and out.source == "_random_normal((2, 3), seed=self.seed_generator)"


def test_reference_kinds() -> None:
    exact = translate_reference("keras.ops.relu")
    assert isinstance(exact, Translated) and exact.source == "tf.nn.relu" and exact.assumed == ()
    helper = translate_reference("keras.ops.exp")
    assert isinstance(helper, Translated) and helper.source == "_ops_exp"
    assumed = translate_reference("keras.ops.exp", assume_float=True)
    assert isinstance(assumed, Translated) and assumed.source == "tf.math.exp" and assumed.assumed
    act = translate_reference("keras.activations.relu")
    assert isinstance(act, Translated) and act.source == "_act_relu"
    blocked = translate_reference("keras.backend.placeholder")
    assert isinstance(blocked, Blocked) and blocked.kind == api.NO_EQUIVALENT


def test_the_static_side_never_imports_tensorflow() -> None:
    import subprocess
    import sys

    code = ("import sys; from kerastf_xlate.totf.program import keras_api as a, keras_api_doc as d; "
            "a.load_api(); a.translate_call('keras.ops.mean', ['x'], {}); d.render_markdown(); "
            "bad = [m for m in ('tensorflow', 'keras', 'numpy') if m in sys.modules]; "
            "assert not bad, bad")
    env = dict(os.environ, PYTHONPATH=str(REPO / "src"))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr


def test_every_template_is_chosen_by_some_test() -> None:
    """A template no test selects is never executed against Keras."""
    unexercised = []
    for entry in TABLE:
        chosen: set[str] = set()
        for t in entry.tests:
            for ways in translations(t.call, _pool_kinds(), t.assume_float):
                chosen |= ways.templates.get(entry.name, set())
        for tpl in entry.templates:
            if tpl.tf not in chosen:
                unexercised.append(f"{entry.key}: {tpl.tf}")
    assert not unexercised, unexercised


# ---------------------------------------------------------------------- broken table files


def _broken(tmp_path: Path, text: str) -> Path:
    d = tmp_path / "keras_api"
    d.mkdir()
    (d / "ops.toml").write_text('namespace = "keras.ops"\n' + text, encoding="utf-8")
    return d


BROKEN = [
    ("invalid toml", "[mean\n", "-", "invalid TOML"),
    ("unknown key", '[mean]\nsignature = "x"\nhelper = "_ops_mean"\ntests = ["ops.mean(f)"]\ncolour = 1\n',
     "mean.colour", "unknown key"),
    ("bad signature", '[mean]\nsignature = "x, axis=foo()"\nhelper = "_ops_mean"\ntests = ["x"]\n',
     "mean.signature", "literal defaults"),
    ("unknown helper", '[mean]\nsignature = "x"\nhelper = "_ops_nope"\ntests = ["x"]\n', "mean.helper",
     "not defined"),
    ("bad placeholder", '[mean]\nsignature = "x"\nhelper = "_ops_mean"\ntests = ["x"]\n'
     '[[mean.templates]]\ntf = "tf.reduce_mean({y})"\n', "mean.templates[0].tf", "placeholder {y}"),
    ("bad predicate", '[mean]\nsignature = "x"\nhelper = "_ops_mean"\ntests = ["x"]\n'
     '[[mean.templates]]\ntf = "tf.reduce_mean({x})"\nwhen = ["floaty(x)"]\n', "mean.templates[0].when[0]",
     "unknown predicate"),
    ("unknown name in template", '[mean]\nsignature = "x"\nhelper = "_ops_mean"\ntests = ["x"]\n'
     '[[mean.templates]]\ntf = "np.mean({x})"\n', "mean.templates[0].tf", "'np'"),
    ("no translation", '[mean]\nsignature = "x"\n', "mean", "needs templates"),
    ("no test", '[mean]\nsignature = "x"\nhelper = "_ops_mean"\n', "mean.tests", "at least one test"),
    ("bad test", '[mean]\nsignature = "x"\nhelper = "_ops_mean"\ntests = ["ops.mean(("]\n', "mean.tests[0].call",
     "not a Python expression"),
    ("blocks and helper", '[mean]\nsignature = "x"\nhelper = "_ops_mean"\nblocks = "no"\n', "mean.blocks",
     "no templates"),
    ("optional without default", '[mean]\nsignature = "x"\nhelper = "_ops_mean"\ntests = ["x"]\n'
     '[[mean.templates]]\ntf = "tf.reduce_mean(x={x?})"\n', "mean.templates[0].tf", "with a default"),
]


@pytest.mark.parametrize("text, key, problem", [b[1:] for b in BROKEN], ids=[b[0] for b in BROKEN])
def test_broken_table_names_file_and_key(tmp_path: Path, text: str, key: str, problem: str) -> None:
    with pytest.raises(RuleError) as info:
        api.load_api(_broken(tmp_path, text))
    assert info.value.key == key, str(info.value)
    assert problem in info.value.problem, str(info.value)
    assert Path(info.value.path).name == "ops.toml"


def test_a_name_claimed_twice(tmp_path: Path) -> None:
    d = tmp_path / "keras_api"
    shutil.copytree(api.api_dir(), d)
    (d / "zz.toml").write_text('namespace = "keras.ops"\n[mean]\nsignature = "x"\nblocks = "x"\n', encoding="utf-8")
    with pytest.raises(RuleError, match="already claimed"):
        api.load_api(d)


# ----------------------------------------------------------------------------------- docs


def test_docs_are_generated_from_the_table() -> None:
    from kerastf_xlate.totf.program.keras_api_doc import render_markdown

    assert DOC.read_text(encoding="utf-8") == render_markdown(TABLE), (
        "run: python -m kerastf_xlate.totf.program.keras_api_doc > docs/keras-api.md")


# ============================================================================ execution side


class Ways:
    """One translation of a test expression: its source and the runtime names it needs."""

    def __init__(self, source: str, helpers: frozenset[str], templates: dict[str, set[str]], label: str) -> None:
        self.source, self.helpers, self.templates, self.label = source, helpers, templates, label


def _qualified(node: ast.AST) -> str | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name) and node.id in ROOTS and parts:
        return ".".join([ROOTS[node.id]] + parts[::-1])
    return None


class _Blocked(Exception):
    pass


class _Translator(ast.NodeTransformer):
    def __init__(self, dtypes: dict[str, str], assume_float: bool) -> None:
        self.dtypes, self.assume_float = dtypes, assume_float
        self.helpers: set[str] = set()
        self.templates: dict[str, set[str]] = {}

    def _use(self, out: Translated | Blocked) -> ast.expr:
        if isinstance(out, Blocked):
            if out.kind == api.ARGUMENTS and "used as a value" in out.reason:
                raise _Blocked(out.reason)  # a reference that needs assume_float: that way only
            raise AssertionError(f"blocked: {out.reason}")
        self.helpers |= set(out.helpers)
        if out.template is not None:
            self.templates.setdefault(out.name, set()).add(out.template)
        return ast.parse(out.source, mode="eval").body

    def visit_Call(self, node: ast.Call) -> ast.AST:
        name = _qualified(node.func)
        node.args = [self.visit(a) for a in node.args]
        node.keywords = [self.visit(k) for k in node.keywords]
        if name is None:
            node.func = self.visit(node.func)
            return node
        args = [("*" + ast.unparse(a.value)) if isinstance(a, ast.Starred) else ast.unparse(a) for a in node.args]
        kwargs = {(k.arg or "**"): ("**" + ast.unparse(k.value) if k.arg is None else ast.unparse(k.value))
                  for k in node.keywords}
        return self._use(translate_call(name, args, kwargs, dtypes=self.dtypes, assume_float=self.assume_float))

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        name = _qualified(node)
        if name is None:
            return self.generic_visit(node)
        return self._use(translate_reference(name, assume_float=self.assume_float))


@functools.cache
def _pool_kinds() -> tuple[tuple[str, str], ...]:
    return tuple((k, v) for k, v in POOL_DTYPES.items())


POOL_DTYPES = {
    "f": "float32", "f2": "float32", "r": "float32", "v": "float32", "p": "float32", "u": "float32",
    "h": "float16", "d": "float64", "i": "int32", "i2": "int32", "ip": "int32", "iv": "int32", "l": "int64",
    "u8": "uint8", "b": "bool", "b2": "bool", "m": "float32", "m2": "float32", "mb": "float32", "spd": "float32",
    "img": "float32", "seq": "float32", "idx": "int32", "cls": "int32", "logits": "float32",
}


_OTHER_DTYPE = re.compile(r"cast\(|dtype|'(float16|float64|bfloat16|u?int\d*|bool)'")


@functools.cache
def translations(expr: str, kinds: tuple[tuple[str, str], ...], assume_float: bool = True) -> tuple[Ways, ...]:
    """The distinct translations of ``expr``: knowing nothing, knowing the inputs' dtypes, and
    assuming floats (``assume_float``'s contract: every tensor is of the model's one float
    dtype) when every input used has the same float dtype and nothing makes another dtype."""
    tree = ast.parse(expr, mode="eval")
    used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    known = {k: v for k, v in kinds if k in used}
    ways = [({}, False, "no dtypes"), (known, False, "dtypes")]
    if (assume_float and known and len(set(known.values())) == 1 and next(iter(known.values())).startswith("float")
            and not _OTHER_DTYPE.search(expr)):
        ways.append(({}, True, "assume_float"))
    out: list[Ways] = []
    seen: set[str] = set()
    for dtypes, assume, label in ways:
        t = _Translator(dtypes, assume)
        try:
            source = ast.unparse(t.visit(ast.parse(expr, mode="eval")))
        except _Blocked:
            continue
        if source in seen:
            for w in out:
                if w.source == source:
                    for k, v in t.templates.items():
                        w.templates.setdefault(k, set()).update(v)
            continue
        seen.add(source)
        out.append(Ways(source, frozenset(t.helpers), t.templates, label))
    return tuple(out)


def _reference_case(entry: api.Entry) -> api.ApiTest | None:
    """``(lambda _fn: _fn(args))(ops.exp)`` from the entry's first plain positional test: the
    function used as a value (translate_reference) on the same inputs."""
    if entry.reference is None and entry.helper is None:
        return None
    for t in entry.tests:
        node = ast.parse(t.call, mode="eval").body
        if (isinstance(node, ast.Call) and _qualified(node.func) in entry.names and not node.keywords
                and not any(isinstance(a, ast.Starred) for a in node.args) and not t.expect):
            args = ", ".join(ast.unparse(a) for a in node.args)
            call = f"(lambda _fn: _fn({args}))({ast.unparse(node.func)})"
            return api.ApiTest(call=call, graph=t.graph, atol=t.atol, values=t.values, repeat=t.repeat)
    return None


def _entry_cases() -> list[tuple[api.Entry, api.ApiTest]]:
    cases = []
    for e in TABLE:
        cases += [(e, t) for e in [e] for t in e.tests]
        ref = _reference_case(e)
        if ref is not None:
            cases.append((e, ref))
    return cases


CASES = _entry_cases()


@functools.cache
def _namespace(helpers: frozenset[str]) -> dict[str, Any]:
    """The runtime definitions ``helpers`` need (the bundler's closure), executed."""
    from kerastf_xlate.totf.program.bundle import load_runtime

    source = "import tensorflow as tf\n" + load_runtime().source(set(helpers), banner=False)
    ns: dict[str, Any] = {"__name__": "xlate_keras_api_test"}
    exec(compile(source, "<keras_api bundle>", "exec"), ns)
    return ns


@functools.lru_cache(maxsize=1)
def _arrays() -> dict[str, Any]:
    import numpy as np

    rng = np.random.default_rng(0)
    n = rng.normal
    a = rng.normal(size=(3, 3)).astype("float32")
    out = {
        "f": n(size=(2, 3, 4)), "f2": n(size=(2, 3, 4)), "r": n(size=(3, 4)), "v": n(size=(4,)),
        "p": rng.uniform(0.1, 3.0, size=(2, 3, 4)), "u": rng.uniform(-0.9, 0.9, size=(2, 3, 4)),
        "h": n(size=(2, 3, 4)), "d": n(size=(2, 3, 4)), "i": rng.integers(-5, 5, size=(2, 3, 4)),
        "i2": rng.integers(-5, 5, size=(2, 3, 4)), "ip": rng.integers(1, 5, size=(2, 3, 4)),
        "iv": rng.integers(-5, 5, size=(4,)), "l": rng.integers(-5, 5, size=(2, 3, 4)),
        "u8": rng.integers(0, 255, size=(2, 3, 4)), "b": rng.uniform(size=(2, 3, 4)) > 0.5,
        "b2": rng.uniform(size=(2, 3, 4)) > 0.5, "m": n(size=(3, 3)), "m2": n(size=(3, 3)),
        "mb": n(size=(2, 3, 3)), "spd": a @ a.T + 3 * np.eye(3), "img": rng.uniform(size=(2, 8, 8, 3)),
        "seq": n(size=(2, 5, 4)), "idx": rng.integers(0, 4, size=(2, 3)), "cls": rng.integers(0, 5, size=(2, 3)),
        "logits": n(size=(2, 5)),
    }
    return {k: np.asarray(v).astype(POOL_DTYPES[k]) for k, v in out.items()}


def _inputs(expr: str) -> dict[str, Any]:
    import tensorflow as tf

    used = {n.id for n in ast.walk(ast.parse(expr, mode="eval")) if isinstance(n, ast.Name)}
    return {k: tf.constant(v) for k, v in _arrays().items() if k in used}


def _evaluate(expr: str, env: dict[str, Any], inputs: dict[str, Any], graph: bool, make_gen: Any,
              repeat: int) -> list[Any]:
    import tensorflow as tf

    code = compile(expr, "<test expression>", "eval")
    names = sorted(inputs)

    def run(*tensors: Any) -> Any:
        scope = dict(env)
        scope.update(zip(names, tensors))
        if "gen" in expr:
            scope["gen"] = gen
        return eval(code, scope)

    gen = make_gen() if "gen" in expr else None
    if graph:
        sig = [tf.TensorSpec([None] + list(inputs[k].shape[1:]), inputs[k].dtype) for k in names]
        fn = tf.function(run, input_signature=sig, autograph=False)
        return [fn(*[inputs[k] for k in names]) for _ in range(repeat)]
    return [run(*[inputs[k] for k in names]) for _ in range(repeat)]


def _compare(k: Any, t: Any, atol: float, values: bool, where: str = "result") -> float:
    """Same structure, types, dtypes, shapes; values within tolerance. Returns the worst diff."""
    import numpy as np
    import tensorflow as tf

    if isinstance(k, (tuple, list)):
        assert isinstance(t, (tuple, list)) and len(k) == len(t), f"{where}: {type(k).__name__} of {len(k)} vs {t!r}"
        assert isinstance(t, tuple) == isinstance(k, tuple), f"{where}: tuple vs list"
        return max([_compare(a, b, atol, values, f"{where}[{i}]") for i, (a, b) in enumerate(zip(k, t))], default=0.0)
    if isinstance(k, dict):
        assert isinstance(t, dict) and set(k) == set(t), where
        return max([_compare(k[x], t[x], atol, values, f"{where}[{x!r}]") for x in k], default=0.0)
    if k is None or isinstance(k, (str, bool, int, float)):
        assert type(t) is type(k), f"{where}: {type(k).__name__} {k!r} vs {type(t).__name__} {t!r}"
        if isinstance(k, float) and values:
            assert abs(k - t) <= atol + RTOL * abs(k), f"{where}: {k} vs {t}"
            return abs(k - t)
        if values:
            assert k == t, f"{where}: {k!r} vs {t!r}"
        return 0.0
    if isinstance(k, tf.DType):
        assert t == k, f"{where}: {k} vs {t}"
        return 0.0
    assert tf.is_tensor(t) or isinstance(t, (np.ndarray, np.generic)), f"{where}: tensor vs {type(t).__name__}"
    assert tf.is_tensor(t) == tf.is_tensor(k), f"{where}: {type(k).__name__} vs {type(t).__name__}"
    ka, ta = np.asarray(k), np.asarray(t)
    assert ka.dtype == ta.dtype, f"{where}: dtype {ka.dtype} vs {ta.dtype}"
    assert ka.shape == ta.shape, f"{where}: shape {ka.shape} vs {ta.shape}"
    if not values or ka.size == 0:
        return 0.0
    if ka.dtype.kind in "fc":
        kn, tn = np.isnan(ka), np.isnan(ta)
        assert (kn == tn).all(), f"{where}: NaN in different places"
        kf, tf_ = ka[~kn].astype("complex128" if ka.dtype.kind == "c" else "float64"), ta[~tn].astype(
            "complex128" if ka.dtype.kind == "c" else "float64")
        inf = np.isinf(kf)
        assert (kf[inf] == tf_[inf]).all(), f"{where}: infinities differ"
        diff = float(np.max(np.abs(kf[~inf] - tf_[~inf]), initial=0.0))
        bound = atol + RTOL * float(np.max(np.abs(kf[~inf]), initial=0.0))
        assert diff <= bound, f"{where}: max |diff| {diff:.3g} > {bound:.3g}"
        return diff
    assert (ka == ta).all(), f"{where}: values differ"
    return 0.0


@functools.lru_cache(maxsize=1)
def _keras_env() -> dict[str, Any]:
    import keras
    import tensorflow as tf

    return {"tf": tf, "ops": keras.ops, "activations": keras.activations, "random": keras.random, "backend": keras.backend,
            "config": keras.config, "initializers": keras.initializers, "regularizers": keras.regularizers,
            "constraints": keras.constraints, "keras": keras, "applications": keras.applications}


WORST: dict[str, float] = {}


@pytest.mark.tf
@pytest.mark.parametrize("entry, case", CASES, ids=[f"{e.key}:{c.call}" for e, c in CASES])
def test_translation_matches_keras(entry: api.Entry, case: api.ApiTest) -> None:
    import keras
    import tensorflow as tf

    inputs = _inputs(case.call)
    keras_out = _evaluate(case.expect or case.call, _keras_env(), inputs, case.graph,
                          lambda: keras.random.SeedGenerator(7), case.repeat)
    for ways in translations(case.call, _pool_kinds(), case.assume_float):
        ns = _namespace(ways.helpers | ({"SeedGenerator"} if "gen" in case.call else set()))
        env = {"tf": tf, **ns}
        ours = _evaluate(ways.source, env, inputs, case.graph, lambda ns=ns: ns["SeedGenerator"](7), case.repeat)
        where = f"{ways.label}: {ways.source}"
        diff = _compare(keras_out, ours, case.atol, case.values, where)
        WORST[entry.name] = max(WORST.get(entry.name, 0.0), diff)


# Keras 2's backend functions (the ``legacy`` entries: tf.keras's ``K.int_shape``, ``K.sum``...)
# against Keras 2 itself: each test call evaluated with tf-keras's backend (the last Keras 2, the
# version of the installed TensorFlow), where the test above compares with what Keras 3 gives
# (``expect``). A program spelled ``from keras import backend as K`` is a Keras 2 program, and
# the program form reads its ``K.<f>`` as these entries (keras2.py).
LEGACY_CASES = [(e, t) for e, t in CASES if e.legacy and "backend." in t.call]


@pytest.mark.tf
@pytest.mark.parametrize("entry, case", LEGACY_CASES, ids=[f"{e.key}:{c.call}" for e, c in LEGACY_CASES])
def test_keras2_backend_translation_matches_keras2(entry: api.Entry, case: api.ApiTest) -> None:
    import tensorflow as tf
    import tf_keras

    inputs = _inputs(case.call)
    env = {**_keras_env(), "backend": tf_keras.backend}
    keras2_out = _evaluate(case.call, env, inputs, case.graph, lambda: None, case.repeat)
    for ways in translations(case.call, _pool_kinds(), case.assume_float):
        ns = _namespace(ways.helpers)
        ours = _evaluate(ways.source, {"tf": tf, **ns}, inputs, case.graph, lambda: None, case.repeat)
        _compare(keras2_out, ours, case.atol, case.values, f"{ways.label}: {ways.source}")


def test_keras2_backend_cases_cover_the_legacy_entries() -> None:
    tested = {e.key for e, _ in LEGACY_CASES}
    untested = {e.key for e in TABLE if e.legacy and e.tests} - tested
    assert len(tested) > 40 and not untested, untested


@pytest.mark.tf
def test_the_comparison_can_fail() -> None:
    """Negative control: a wrong dtype, a wrong value and a wrong structure are caught."""
    import tensorflow as tf

    with pytest.raises(AssertionError, match="dtype"):
        _compare(tf.constant([1.0]), tf.constant([1]), 1e-5, True)
    with pytest.raises(AssertionError, match="diff"):
        _compare(tf.constant([1.0]), tf.constant([1.001]), 1e-5, True)
    with pytest.raises(AssertionError):
        _compare((1, 2), (1, tf.constant(2)), 1e-5, True)


@pytest.mark.tf
def test_signatures_match_the_installed_keras() -> None:
    """Every entry's signature is Keras's (names, order, defaults, kinds)."""
    import importlib
    import inspect

    import keras

    wrong = []
    for e in TABLE:
        if e.legacy:
            continue
        for name in e.names:
            module_name, _, attr = name.rpartition(".")
            try:
                obj = getattr(importlib.import_module(module_name), attr)
            except (ImportError, AttributeError):
                wrong.append(f"{name}: not in the installed Keras {keras.__version__}")
                continue
            try:
                sig = inspect.signature(obj)
            except (TypeError, ValueError):
                continue
            ours = api.parse_signature(e.signature)
            theirs = []
            for p in sig.parameters.values():
                kind = {p.POSITIONAL_OR_KEYWORD: "positional", p.KEYWORD_ONLY: "keyword", p.VAR_POSITIONAL: "varargs",
                        p.VAR_KEYWORD: "varkw"}[p.kind]
                default = None if p.default is p.empty else repr(p.default)
                theirs.append((p.name, default, kind))
            mine = [(p.name, None if p.default is None else repr(ast.literal_eval(p.default)), p.kind) for p in ours]
            if mine != theirs:
                wrong.append(f"{name}: table ({e.signature}) vs Keras {sig}")
    assert not wrong, "\n".join(wrong)


def _public_functions() -> dict[str, list[str]]:
    import inspect

    import keras

    spaces = {"keras.ops": keras.ops, "keras.ops.image": keras.ops.image, "keras.ops.linalg": keras.ops.linalg,
              "keras.ops.nn": keras.ops.nn, "keras.ops.numpy": keras.ops.numpy, "keras.activations": keras.activations,
              "keras.random": keras.random, "keras.backend": keras.backend, "keras.config": keras.config,
              "keras.initializers": keras.initializers, "keras.regularizers": keras.regularizers,
              "keras.constraints": keras.constraints}
    out: dict[str, list[str]] = {}
    for ns, mod in spaces.items():
        out[ns] = sorted(f"{ns}.{n}" for n in dir(mod) if not n.startswith("_") and not inspect.ismodule(getattr(mod, n)))
    return out


@pytest.mark.tf
def test_every_public_function_has_an_entry() -> None:
    """Coverage: every public name of the namespaces is in the table (translated or blocked)."""
    missing = [n for names in _public_functions().values() for n in names if TABLE.get(n) is None]
    assert not missing, f"{len(missing)} names without an entry: {missing}"


@pytest.mark.tf
def test_every_reference_is_executed() -> None:
    """Each ``reference`` is evaluated by some case (a function used as a value)."""
    missing = []
    for e in TABLE:
        if e.reference is None:
            continue
        wanted = ast.unparse(ast.parse(e.reference, mode="eval"))
        cases = [t for entry, t in CASES if entry is e]
        if not any(wanted in w.source for t in cases for w in translations(t.call, _pool_kinds(), t.assume_float)):
            missing.append(e.key)
    assert not missing, missing


def test_every_runtime_helper_is_used() -> None:
    """No dead code in the runtime files of this table: each definition is reachable from an
    entry (helper, template or reference), through the bundler's closure."""
    from kerastf_xlate.totf.program.bundle import RUNTIME_DIR, load_runtime

    rt = load_runtime()
    names: set[str] = set()
    for e in TABLE:
        if e.helper:
            names.add(e.helper)
        for text in [t.tf for t in e.templates] + ([e.reference] if e.reference else []):
            names |= set(api._helpers_in(text))
    used = {id(d) for d in rt.closure(names)}
    dead = [sorted(d.binds) for d in rt.definitions
            if d.file in ("tfr_ops.py", "tfr_random.py") and id(d) not in used]
    assert not dead, dead
    assert (RUNTIME_DIR / "tfr_ops.py").is_file()


RANDOM_INITIALIZERS = ["GlorotUniform()", "GlorotNormal()", "HeUniform()", "HeNormal()", "LecunUniform()",
                       "LecunNormal()", "RandomNormal(1.0, 2.0)", "RandomUniform(-1.0, 3.0)", "TruncatedNormal(0.5, 0.1)",
                       "VarianceScaling(2.0, 'fan_out', 'uniform')", "VarianceScaling(mode='fan_avg', "
                       "distribution='untruncated_normal')", "Orthogonal(gain=2.0)"]


@pytest.mark.tf
@pytest.mark.parametrize("expr", RANDOM_INITIALIZERS)
def test_random_initializers_draw_keras_distribution(expr: str) -> None:
    """Random initializers are not bit-identical (TensorFlow's generators): their draws have
    Keras's distribution. 32,768 draws: means within 0.05 std, stds within 5%, the same range
    (uniform and truncated draws stay inside Keras's bounds)."""
    import keras
    import numpy as np

    out = translate_call(f"keras.initializers.{expr.split('(')[0]}", [], {})
    assert isinstance(out, Translated)
    shape = (128, 256)
    k = np.asarray(eval(f"initializers.{expr}", {"initializers": keras.initializers})(shape))
    t_expr = ast.unparse(_Translator({}, False).visit(ast.parse(f"initializers.{expr}", mode="eval")))
    ns = _namespace(frozenset(_helpers_of(t_expr)))
    t = np.asarray(eval(t_expr, dict(ns))(shape))
    assert k.shape == t.shape and k.dtype == t.dtype
    std = k.std()
    assert abs(k.mean() - t.mean()) <= 0.05 * std, (k.mean(), t.mean())
    assert abs(k.std() - t.std()) <= 0.05 * std, (k.std(), t.std())
    if "Uniform" in expr or "uniform" in expr or "Truncated" in expr or expr.startswith(("Glorot", "He", "Lecun")):
        assert t.min() >= k.min() - 0.02 * std and t.max() <= k.max() + 0.02 * std
    if expr.startswith("Orthogonal"):
        gram = t @ t.T if shape[0] < shape[1] else t.T @ t
        assert np.allclose(gram, 4.0 * np.eye(min(shape)), atol=1e-3)


def _helpers_of(source: str) -> set[str]:
    from kerastf_xlate.totf.program.bundle import load_runtime

    names = {n.id for n in ast.walk(ast.parse(source, mode="eval")) if isinstance(n, ast.Name)}
    return names & set(load_runtime().by_name)
