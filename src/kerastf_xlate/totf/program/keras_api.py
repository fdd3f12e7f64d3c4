"""Keras's functions (``keras.ops``, ``keras.activations``, ``keras.random``, ...) as TensorFlow.

The table lives in ``rules/keras_api/*.toml`` (one file per namespace; schema in
``rules/keras_api/README.md``). Each entry is one Keras function with its Keras signature and
EITHER TensorFlow templates that are exact under stated conditions, and/or a runtime helper
(``src/kerastf_xlate/runtime/tfr_ops.py``, ``tfr_random.py``) with Keras's signature that
reproduces Keras's semantics for every input, OR the reason it blocks.

The program form of ``xlate to-tf`` asks, for each call it meets::

    translate_call("keras.ops.mean", ["x"], {"axis": "1"}, dtypes={"x": "float32"})
    -> Translated(source="tf.reduce_mean(x, axis=1)", helpers=(), ...)
    translate_call("keras.ops.mean", ["x"], {"axis": "1"})
    -> Translated(source="_ops_mean(x, axis=1)", helpers=("_ops_mean",), ...)

and, for a function used as a value (``activation=keras.activations.gelu``)::

    translate_reference("keras.activations.gelu") -> Translated(source="_act_gelu", ...)

Arguments are the *source text* of the call's arguments. A template is used only when its
conditions hold for that text: literal values are read from it, and the dtype of a tensor is
known only from ``dtypes`` (source text -> ``"float32"``, ``"float"``, ``"int32"``, ``"bool"``,
...) or, where the caller accepts it, ``assume_float`` (then the result lists what it assumed).
Otherwise the helper is called with the arguments exactly as written. This module is static:
it never imports TensorFlow or Keras.
"""

from __future__ import annotations

import ast
import functools
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kerastf_xlate.rules import RuleError, rules_dir

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

__all__ = [
    "Blocked", "Entry", "Param", "Template", "Translated", "ApiTable", "load_api", "default_api",
    "translate_call", "translate_reference", "api_dir", "coverage", "parse_signature",
]

# Blocked.kind values
UNKNOWN = "unknown"  # not a Keras function the table knows
NO_EQUIVALENT = "no-equivalent"  # the entry blocks: nothing in TensorFlow means the same
NOT_YET = "not-yet"  # could be translated; the table has no translation yet
ARGUMENTS = "arguments"  # the call's arguments don't fit the signature, or a value blocks it

FLOAT_DTYPES = ("bfloat16", "float16", "float32", "float64")
INT_DTYPES = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64")
DTYPE_NAMES = FLOAT_DTYPES + INT_DTYPES + ("bool", "complex64", "complex128", "string")
KINDS = ("float", "int", "bool", "pyfloat", "pyint", "pybool")  # besides the dtype names

_HEADER_KEYS = {"namespace", "summary", "submodules", "submodule_only"}
_ENTRY_KEYS = {"signature", "module", "aliases", "tf", "templates", "helper", "reference", "blocks", "todo",
               "notes", "tests", "legacy"}
_TEMPLATE_KEYS = {"tf", "when"}
_TEST_KEYS = {"call", "graph", "atol", "values", "repeat", "assume_float", "expect"}
_PLACEHOLDER = re.compile(r"\{(\*{0,2})(\w+)(\??)\}")
_KWARG_OPTIONAL = re.compile(r"(,\s*)?\b(\w+)=\{(\w+)\?\}")
_PREDICATES = ("dtype", "promotes", "promotes_strong", "uniform", "literal", "int", "ints", "nonneg", "equals", "absent",
               "str", "tfdtype", "given", "seed")


# ------------------------------------------------------------------------------------ records


@dataclass(frozen=True)
class Param:
    """One parameter of the Keras signature."""

    name: str
    default: str | None  # Python source of the default; None when required (or * / **)
    kind: str = "positional"  # positional | keyword | varargs | varkw

    @property
    def required(self) -> bool:
        return self.default is None and self.kind in ("positional", "keyword")


@dataclass(frozen=True)
class Condition:
    """``predicate(param, values...)`` from a template's ``when`` list (see the README)."""

    predicate: str
    param: str
    values: tuple[Any, ...]
    text: str


@dataclass(frozen=True)
class Template:
    """A TensorFlow expression with ``{param}`` placeholders, exact when every condition holds."""

    tf: str
    when: tuple[Condition, ...] = ()


@dataclass(frozen=True)
class ApiTest:
    """One execution test (tests/test_keras_api.py): an expression using the entry."""

    call: str
    graph: bool = False  # also run inside tf.function with an unknown leading dimension
    atol: float = 1e-5
    values: bool = True  # compare values (False: shapes and dtypes only, e.g. unseeded draws)
    repeat: int = 1  # evaluate the expression this many times (seed generators advance)
    assume_float: bool = True  # also translate with assume_float (False: a template's documented limit)
    expect: str | None = None  # what Keras gives, for functions the installed Keras lacks (legacy)


@dataclass(frozen=True)
class Entry:
    """One Keras function (or class) and its TensorFlow translation."""

    name: str  # qualified: "keras.ops.mean"
    key: str  # the table key: "mean", "image.resize"
    path: str
    names: tuple[str, ...]  # every qualified name this entry answers to
    params: tuple[Param, ...]
    signature: str
    module: str | None = None
    tf: str | None = None  # one line for the docs (defaults to the first template / helper)
    templates: tuple[Template, ...] = ()
    helper: str | None = None
    reference: str | None = None
    blocks: str | None = None
    todo: bool = False
    notes: str | None = None
    legacy: bool = False  # a Keras 2 (tf.keras) function Keras 3 no longer has
    tests: tuple[ApiTest, ...] = ()

    @property
    def status(self) -> str:
        """``translated``, ``blocked`` (no TensorFlow meaning) or ``not-yet``."""
        if self.blocks is None:
            return "translated"
        return "not-yet" if self.todo else "blocked"

    def param(self, name: str) -> Param | None:
        for p in self.params:
            if p.name == name:
                return p
        return None

    @property
    def summary(self) -> str:
        if self.blocks is not None:
            return self.blocks
        if self.tf:
            return self.tf
        if self.templates:
            return self.templates[0].tf
        return f"{self.helper}(...)"


@dataclass(frozen=True)
class Translated:
    """The TensorFlow source of one call or reference.

    ``source`` can replace the Keras expression anywhere (it is parenthesised when it is not
    an atom); ``helpers`` are the runtime names it uses, for the bundler
    (:meth:`kerastf_xlate.totf.program.bundle.Runtime.source`); ``assumed`` lists the
    argument sources taken to be floating tensors because the caller passed ``assume_float``;
    ``template`` is the template used (None when the helper is called).
    """

    name: str
    source: str
    helpers: tuple[str, ...] = ()
    assumed: tuple[str, ...] = ()
    template: str | None = None


@dataclass(frozen=True)
class Blocked:
    """Why a call can't be translated. ``kind``: unknown | no-equivalent | not-yet | arguments."""

    name: str
    kind: str
    reason: str


# ------------------------------------------------------------------------------- the table


@dataclass(frozen=True)
class ApiTable:
    entries: tuple[Entry, ...]
    by_name: Mapping[str, Entry]
    namespaces: tuple[str, ...]

    def get(self, qualified_name: str) -> Entry | None:
        return self.by_name.get(qualified_name)

    def __iter__(self):
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)


def api_dir() -> Path:
    return rules_dir() / "keras_api"


_TOP_LEVEL_NAME = re.compile(r"^(?:(?:async\s+)?def|class)\s+(\w+)|^(\w+)\s*(?::[^=\n]*)?=", re.M)


@functools.lru_cache(maxsize=1)
def _runtime_names() -> frozenset[str]:
    """The top-level names of the runtime files (what templates and helpers may name), read
    by a line scan: the bundler's full parse is only needed to bundle."""
    from kerastf_xlate.totf.program.bundle import RUNTIME_DIR

    names: set[str] = set()
    for path in RUNTIME_DIR.glob("tfr_*.py"):
        for m in _TOP_LEVEL_NAME.finditer(path.read_text(encoding="utf-8")):
            names.add(m.group(1) or m.group(2))
    return frozenset(names)


def load_api(directory: Path | None = None, runtime_names: frozenset[str] | None = None, *,
             check_tests: bool = True) -> ApiTable:
    """Load and validate every ``*.toml`` of the table; :class:`RuleError` names file and key.
    ``check_tests=False`` skips parsing the test expressions (the translator never runs them)."""
    directory = directory or api_dir()
    if not directory.is_dir():
        raise RuleError(directory, "-", "keras_api directory not found")
    known = _runtime_names() if runtime_names is None else runtime_names
    entries: list[Entry] = []
    by_name: dict[str, Entry] = {}
    namespaces: list[str] = []
    for path in sorted(directory.glob("*.toml")):
        try:
            with path.open("rb") as fh:
                data = tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            raise RuleError(path, "-", f"invalid TOML: {exc}") from None
        except OSError as exc:
            raise RuleError(path, "-", f"unreadable: {exc.strerror}") from None
        namespace = _expect(path, data, "namespace", str)
        if not namespace.startswith("keras."):
            raise RuleError(path, "namespace", f"{namespace!r} is not a keras namespace")
        namespaces.append(namespace)
        submodules = tuple(_str_list(path, data, "submodules"))
        only = tuple(_str_list(path, data, "submodule_only"))
        for key, value in data.items():
            if key in _HEADER_KEYS:
                continue
            if not isinstance(value, dict):
                raise RuleError(path, key, "unknown key (entries are tables)")
            entry = _parse_entry(path, namespace, key, value, submodules, only, known, check_tests)
            for name in entry.names:
                other = by_name.get(name)
                if other is not None:
                    raise RuleError(path, key, f"{name!r} is already claimed by {Path(other.path).name}:{other.key}")
                by_name[name] = entry
            entries.append(entry)
    return ApiTable(tuple(entries), by_name, tuple(namespaces))


@functools.lru_cache(maxsize=1)
def default_api() -> ApiTable:
    """The installed table, loaded once per process (its test expressions are not parsed:
    tests/test_keras_api.py loads it in full)."""
    return load_api(check_tests=False)


def _expect(path: Path, data: dict[str, Any], key: str, typ: type | tuple[type, ...], required: bool = True,
            prefix: str = "") -> Any:
    if key not in data:
        if required:
            raise RuleError(path, prefix + key, "missing")
        return None
    value = data[key]
    if not isinstance(value, typ) or (typ is int and isinstance(value, bool)):
        names = typ.__name__ if isinstance(typ, type) else " or ".join(t.__name__ for t in typ)
        raise RuleError(path, prefix + key, f"expected {names}, got {type(value).__name__}")
    return value


def _str_list(path: Path, data: dict[str, Any], key: str, prefix: str = "") -> list[str]:
    value = _expect(path, data, key, list, required=False, prefix=prefix) or []
    for i, item in enumerate(value):
        if not isinstance(item, str):
            raise RuleError(path, f"{prefix}{key}[{i}]", f"expected str, got {type(item).__name__}")
    return value


def parse_signature(text: str) -> tuple[Param, ...]:
    """``"x, axis=None, *, keepdims=False"`` -> parameters (raises SyntaxError/ValueError)."""
    fn = ast.parse(f"def f({text}): pass").body[0]
    assert isinstance(fn, ast.FunctionDef)
    a = fn.args
    if a.posonlyargs:
        raise ValueError("positional-only parameters are not supported")
    params: list[Param] = []
    defaults = [None] * (len(a.args) - len(a.defaults)) + list(a.defaults)
    for arg, d in zip(a.args, defaults):
        params.append(Param(arg.arg, None if d is None else ast.unparse(d), "positional"))
    if a.vararg:
        params.append(Param(a.vararg.arg, None, "varargs"))
    for arg, d in zip(a.kwonlyargs, a.kw_defaults):
        params.append(Param(arg.arg, None if d is None else ast.unparse(d), "keyword"))
    if a.kwarg:
        params.append(Param(a.kwarg.arg, None, "varkw"))
    for p in params:
        if p.default is not None:
            ast.literal_eval(p.default)  # defaults must be literals
    return tuple(params)


def _parse_condition(path: Path, key: str, text: str, params: tuple[Param, ...]) -> Condition:
    try:
        node = ast.parse(text, mode="eval").body
    except SyntaxError:
        raise RuleError(path, key, f"not a condition: {text!r}") from None
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.args
            and isinstance(node.args[0], ast.Name) and not node.keywords):
        raise RuleError(path, key, f"expected predicate(param, ...): {text!r}")
    pred = node.func.id
    if pred not in _PREDICATES:
        raise RuleError(path, key, f"unknown predicate {pred!r} (one of {', '.join(_PREDICATES)})")
    names = {p.name for p in params}
    param = node.args[0].id
    if param not in names:
        raise RuleError(path, key, f"{param!r} is not a parameter")
    rest = node.args[1:]
    if pred in ("promotes", "promotes_strong"):
        if len(rest) != 1 or not isinstance(rest[0], ast.Name) or rest[0].id not in names:
            raise RuleError(path, key, "promotes(a, b) takes two parameters")
        return Condition(pred, param, (rest[0].id,), text)
    try:
        values = tuple(ast.literal_eval(v) for v in rest)
    except ValueError:
        raise RuleError(path, key, f"values must be literals: {text!r}") from None
    if pred in ("dtype", "uniform"):
        if pred == "dtype" and not values:
            raise RuleError(path, key, "dtype(param, ...) needs at least one dtype or kind")
        for v in values:
            if v not in DTYPE_NAMES and v not in KINDS:
                raise RuleError(path, key, f"unknown dtype or kind {v!r}")
    elif pred == "equals":
        if not values:
            raise RuleError(path, key, "equals(param, value, ...) needs values")
    elif values:
        raise RuleError(path, key, f"{pred}(param) takes no values")
    return Condition(pred, param, values, text)


def _check_template(path: Path, key: str, text: str, params: tuple[Param, ...], known: frozenset[str]) -> None:
    names = {p.name: p for p in params}
    for stars, name, optional in _PLACEHOLDER.findall(text):
        if name not in names:
            raise RuleError(path, key, f"placeholder {{{stars}{name}{optional}}} is not a parameter")
        kind = names[name].kind
        if stars == "*" and kind != "varargs" or stars == "**" and kind != "varkw":
            raise RuleError(path, key, f"{{{stars}{name}}}: {name!r} is a {kind} parameter")
        if not stars and kind in ("varargs", "varkw"):
            raise RuleError(path, key, f"{{{name}}}: write {{{'*' if kind == 'varargs' else '**'}{name}}}")
    for _, _, name in _KWARG_OPTIONAL.findall(text):
        if names[name].default is None:
            raise RuleError(path, key, f"{{{name}?}} can only leave out a parameter with a default")
    if re.search(r"\{\w+\?\}", _KWARG_OPTIONAL.sub("", text)):
        raise RuleError(path, key, "{param?} is only allowed as a keyword argument: name={param?}")
    probe = _PLACEHOLDER.sub(lambda m: "_p_" + m.group(2), text)
    try:
        tree = ast.parse(probe, mode="eval")
    except SyntaxError as exc:
        raise RuleError(path, key, f"not a Python expression: {exc.msg}") from None
    for name in _free_names(tree):
        if name.startswith("_p_") or name == "tf":
            continue
        if name not in known:
            raise RuleError(path, key, f"{name!r} is neither tf nor a runtime definition (src/kerastf_xlate/runtime)")


def _free_names(tree: ast.AST) -> list[str]:
    bound = {a.arg for n in ast.walk(tree) if isinstance(n, ast.Lambda) for a in n.args.args}
    bound |= {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    out: list[str] = []
    for n in ast.walk(tree):
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and n.id not in bound and n.id not in out:
            if n.id in ("None", "True", "False", "len", "tuple", "list", "int", "float", "bool", "str", "dict",
                        "range", "isinstance", "getattr", "max", "min", "abs", "sum", "zip", "map"):
                continue
            out.append(n.id)
    return out


def _parse_test(path: Path, key: str, data: Any, check: bool = True) -> ApiTest:
    if isinstance(data, str):
        data = {"call": data}
    if not isinstance(data, dict):
        raise RuleError(path, key, "expected a string or a table")
    unknown = set(data) - _TEST_KEYS
    if unknown:
        raise RuleError(path, f"{key}.{sorted(unknown)[0]}", "unknown key")
    call = _expect(path, data, "call", str, prefix=key + ".")
    if check:
        try:
            ast.parse(call, mode="eval")
        except SyntaxError as exc:
            raise RuleError(path, key + ".call", f"not a Python expression: {exc.msg}") from None
    atol = data.get("atol", 1e-5)
    if not isinstance(atol, (int, float)) or isinstance(atol, bool):
        raise RuleError(path, key + ".atol", "expected a number")
    return ApiTest(
        call=call,
        graph=bool(_expect(path, data, "graph", bool, required=False, prefix=key + ".")),
        atol=float(atol),
        values=_expect(path, data, "values", bool, required=False, prefix=key + ".") is not False,
        repeat=_expect(path, data, "repeat", int, required=False, prefix=key + ".") or 1,
        assume_float=_expect(path, data, "assume_float", bool, required=False, prefix=key + ".") is not False,
        expect=_expect(path, data, "expect", str, required=False, prefix=key + "."),
    )


def _parse_entry(path: Path, namespace: str, key: str, data: dict[str, Any], submodules: tuple[str, ...],
                 only: tuple[str, ...], known: frozenset[str], check_tests: bool = True) -> Entry:
    for k in data:
        if k not in _ENTRY_KEYS:
            raise RuleError(path, f"{key}.{k}", "unknown key")
    signature = _expect(path, data, "signature", str, prefix=key + ".")
    try:
        params = parse_signature(signature)
    except (SyntaxError, ValueError) as exc:
        raise RuleError(path, f"{key}.signature", f"not a parameter list with literal defaults: {exc}") from None
    module = _expect(path, data, "module", str, required=False, prefix=key + ".")
    leaf = key.split(".")[-1]
    if "." in key:
        prefix = key.rsplit(".", 1)[0]
        if module is not None and module != prefix:
            raise RuleError(path, f"{key}.module", f"{module!r} contradicts the key's prefix {prefix!r}")
        module = prefix
        if prefix not in only:
            raise RuleError(path, key, f"a dotted key names a submodule listed in submodule_only, not {prefix!r}")
    names: list[str] = []
    if module is None or module not in only:
        names.append(f"{namespace}.{leaf}")
    if module is not None and (module in submodules or module in only):
        names.append(f"{namespace}.{module}.{leaf}")
    for i, alias in enumerate(_str_list(path, data, "aliases", prefix=key + ".")):
        if not alias.startswith("keras."):
            raise RuleError(path, f"{key}.aliases[{i}]", f"{alias!r} is not a keras name")
        names.append(alias)
    templates: list[Template] = []
    for i, t in enumerate(_expect(path, data, "templates", list, required=False, prefix=key + ".") or []):
        tkey = f"{key}.templates[{i}]"
        if not isinstance(t, dict):
            raise RuleError(path, tkey, "expected a table")
        for k in t:
            if k not in _TEMPLATE_KEYS:
                raise RuleError(path, f"{tkey}.{k}", "unknown key")
        text = _expect(path, t, "tf", str, prefix=tkey + ".")
        _check_template(path, tkey + ".tf", text, params, known)
        when = tuple(_parse_condition(path, f"{tkey}.when[{j}]", c, params)
                     for j, c in enumerate(_str_list(path, t, "when", prefix=tkey + ".")))
        templates.append(Template(text, when))
    helper = _expect(path, data, "helper", str, required=False, prefix=key + ".")
    if helper is not None and helper not in known:
        raise RuleError(path, f"{key}.helper", f"{helper!r} is not defined in src/kerastf_xlate/runtime")
    reference = _expect(path, data, "reference", str, required=False, prefix=key + ".")
    if reference is not None:
        _check_template(path, f"{key}.reference", reference, (), known)
    blocks = _expect(path, data, "blocks", str, required=False, prefix=key + ".")
    todo = bool(_expect(path, data, "todo", bool, required=False, prefix=key + "."))
    if blocks is not None and (templates or helper or reference):
        raise RuleError(path, f"{key}.blocks", "an entry that blocks has no templates, helper or reference")
    if blocks is None and not (templates or helper or reference):
        raise RuleError(path, key, "needs templates, a helper, a reference, or blocks")
    if todo and blocks is None:
        raise RuleError(path, f"{key}.todo", "todo = true marks a block that could be translated; add blocks")
    tests = tuple(_parse_test(path, f"{key}.tests[{i}]", t, check_tests)
                  for i, t in enumerate(_expect(path, data, "tests", list, required=False, prefix=key + ".") or []))
    if blocks is None and not tests:
        raise RuleError(path, f"{key}.tests", "a translated entry needs at least one test")
    return Entry(
        name=names[0], key=key, path=str(path), names=tuple(names), params=params, signature=signature,
        module=module, tf=_expect(path, data, "tf", str, required=False, prefix=key + "."),
        templates=tuple(templates), helper=helper, reference=reference, blocks=blocks, todo=todo,
        notes=_expect(path, data, "notes", str, required=False, prefix=key + "."),
        legacy=bool(_expect(path, data, "legacy", bool, required=False, prefix=key + ".")), tests=tests,
    )


# ----------------------------------------------------------------------------- translation


_MISSING = object()


@dataclass(frozen=True)
class _Arg:
    source: str
    value: Any = _MISSING  # the literal value, when the source is a literal

    @property
    def is_literal(self) -> bool:
        return self.value is not _MISSING


def _arg(source: str) -> _Arg:
    try:
        return _Arg(source, ast.literal_eval(source.strip()))
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return _Arg(source)


@dataclass
class _Bound:
    given: dict[str, _Arg] = field(default_factory=dict)  # positional / keyword parameters
    varargs: list[_Arg] = field(default_factory=list)
    varkw: dict[str, _Arg] = field(default_factory=dict)


def _bind(entry: Entry, args: Sequence[str], kwargs: Mapping[str, str]) -> _Bound | str:
    """Python's argument binding on the Keras signature; a string says why it fails."""
    bound = _Bound()
    positional = [p for p in entry.params if p.kind == "positional"]
    varargs = next((p for p in entry.params if p.kind == "varargs"), None)
    varkw = next((p for p in entry.params if p.kind == "varkw"), None)
    for i, src in enumerate(args):
        if src.lstrip().startswith("*"):
            return "unpacked arguments (*args, **kwargs) can't be matched to the signature"
        if i < len(positional):
            bound.given[positional[i].name] = _arg(src)
        elif varargs is not None:
            bound.varargs.append(_arg(src))
        else:
            return f"takes at most {len(positional)} positional arguments ({len(args)} given)"
    for name, src in kwargs.items():
        if name.startswith("*") or src.lstrip().startswith("**"):
            return "unpacked arguments (*args, **kwargs) can't be matched to the signature"
        p = entry.param(name)
        if p is not None and p.kind in ("positional", "keyword"):
            if name in bound.given:
                return f"got multiple values for argument {name!r}"
            bound.given[name] = _arg(src)
        elif varkw is not None:
            bound.varkw[name] = _arg(src)
        else:
            return f"got an unexpected keyword argument {name!r}"
    for p in entry.params:
        if p.required and p.name not in bound.given:
            return f"missing required argument {p.name!r}"
    return bound


@dataclass(frozen=True)
class _Facts:
    dtypes: Mapping[str, str]
    assume_float: bool


def _kind_of(arg: _Arg | None, facts: _Facts, assumed: list[str]) -> str | None:
    """The dtype (or kind) of an argument, if known."""
    if arg is None:
        return None
    if arg.is_literal:
        v = arg.value
        if isinstance(v, bool):
            return "pybool"
        if isinstance(v, int):
            return "pyint"
        if isinstance(v, float):
            return "pyfloat"
        return None
    hint = facts.dtypes.get(arg.source.strip())
    if hint is not None:
        return hint
    if facts.assume_float:
        if arg.source not in assumed:
            assumed.append(arg.source)
        return "float"
    return None


def _dtype_matches(kind: str | None, allowed: tuple[Any, ...]) -> bool:
    if kind is None:
        return False
    if kind in allowed:
        return True
    if kind in FLOAT_DTYPES and "float" in allowed:
        return True
    if kind in INT_DTYPES and "int" in allowed:
        return True
    return False


def _elements(arg: _Arg | None) -> list[_Arg]:
    """The elements of a list or tuple display (``[a, b]``), by their source text."""
    if arg is None:
        return []
    text = arg.source.strip()
    try:
        node = ast.parse(text, mode="eval").body
    except SyntaxError:
        return []
    if not isinstance(node, (ast.List, ast.Tuple)) or any(isinstance(e, ast.Starred) for e in node.elts):
        return []
    return [_arg(ast.get_source_segment(text, e) or ast.unparse(e)) for e in node.elts]


def _promotes_strong(a: str | None, b: str | None) -> bool:
    """Keras's promotion when Python scalars are first made int32/float32 tensors (comparisons)
    is what TensorFlow does."""
    if a is None or b is None:
        return False
    py = {"pyint", "pyfloat", "pybool"}
    if a in py and b in py:
        return False
    if b in py:
        a, b = b, a
    if a == "pyint":
        return b in ("float", "int") or b in FLOAT_DTYPES or b in ("int8", "int16", "int32", "int64")
    if a == "pyfloat":
        return b in ("float32", "float64")
    if a == "pybool":
        return b == "bool"
    return a == b and (a in DTYPE_NAMES or a == "float")


def _promotes(a: str | None, b: str | None) -> bool:
    """Keras's promotion of ``a`` and ``b`` is what TensorFlow does (nothing to promote)."""
    if a is None or b is None:
        return False
    py = {"pyint", "pyfloat", "pybool"}
    if a in py and b in py:
        return False
    if b in py:
        a, b = b, a
    if a in py:  # a Python scalar with a tensor: weakly typed on both sides
        if b == "bool" or b == "pybool" or a == "pybool":
            return False
        if a == "pyfloat":
            return b == "float" or b in FLOAT_DTYPES
        return b in ("float", "int") or b in FLOAT_DTYPES or b in INT_DTYPES
    if a == b and a in DTYPE_NAMES:
        return True
    return a == b == "float"  # both "the model's float dtype"


_DTYPE_ATTR = re.compile(r"^(tf\.(" + "|".join(DTYPE_NAMES) + r")|[\w.]*\.(dtype|compute_dtype|variable_dtype))$")


def _holds(cond: Condition, bound: _Bound, entry: Entry, facts: _Facts, assumed: list[str]) -> bool:
    arg = bound.given.get(cond.param)
    p = entry.param(cond.param)
    default = _MISSING if p is None or p.default is None else ast.literal_eval(p.default)
    value = arg.value if arg is not None else default
    is_literal = arg.is_literal if arg is not None else default is not _MISSING
    pred = cond.predicate
    if pred == "dtype":
        return _dtype_matches(_kind_of(arg, facts, assumed), cond.values)
    if pred in ("promotes", "promotes_strong"):
        other = bound.given.get(cond.values[0])
        a, b = _kind_of(arg, facts, assumed), _kind_of(other, facts, assumed)
        return _promotes(a, b) if pred == "promotes" else _promotes_strong(a, b)
    if pred == "uniform":
        items = bound.varargs if p is not None and p.kind == "varargs" else _elements(arg)
        if not items:
            return False
        kinds = [_kind_of(x, facts, assumed) for x in items]
        if any(k is None or k.startswith("py") for k in kinds) or len(set(kinds)) != 1:
            return False
        return not cond.values or _dtype_matches(kinds[0], cond.values)
    if pred == "given":
        return arg is not None
    if pred == "absent":
        return arg is None or (is_literal and default is not _MISSING and _same(value, default))
    if pred == "literal":
        return is_literal
    if pred == "int":
        return is_literal and type(value) is int
    if pred == "ints":
        return is_literal and (type(value) is int or (isinstance(value, (tuple, list))
                                                      and all(type(v) is int for v in value)))
    if pred == "str":
        return is_literal and isinstance(value, str)
    if pred == "seed":
        return is_literal and type(value) is int and 0 <= value < 2 ** 31 - 2
    if pred == "nonneg":
        return is_literal and (type(value) is int and value >= 0 or isinstance(value, (tuple, list)) and all(
            type(v) is int and v >= 0 for v in value))
    if pred == "equals":
        return is_literal and any(_same(value, v) for v in cond.values)
    if pred == "tfdtype":
        if arg is None:
            return True
        if arg.is_literal:
            return arg.value is None or arg.value in DTYPE_NAMES
        return bool(_DTYPE_ATTR.match(arg.source.strip()))
    raise AssertionError(pred)  # validated at load time


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b or (isinstance(a, (tuple, list)) and isinstance(b, (tuple, list))
                                            and list(a) == list(b))


_ATOMS = (ast.Name, ast.Attribute, ast.Call, ast.Subscript, ast.List, ast.Tuple, ast.Dict, ast.Set,
          ast.ListComp, ast.DictComp, ast.SetComp, ast.GeneratorExp, ast.JoinedStr)


def _is_atom(source: str) -> bool:
    """Needs no parentheses next to an operator (names, calls, subscripts, displays, literals)."""
    text = source.strip()
    try:
        node = ast.parse(text, mode="eval").body
    except SyntaxError:
        return False
    if isinstance(node, ast.Tuple):
        return text.startswith("(") and text.endswith(")")
    if isinstance(node, ast.Constant):
        return not (isinstance(node.value, (int, float, complex)) and text.startswith("-"))
    return isinstance(node, _ATOMS)


def _in_argument_position(text: str, start: int, end: int) -> bool:
    before = text[:start].rstrip()
    after = text[end:].lstrip()
    return (before.endswith(("(", ",", "[", "=")) and not before.endswith(("==", "<=", ">=", "!="))
            and after.startswith((")", ",", "]")))


def _render(template: str, bound: _Bound, entry: Entry) -> str:
    def default_of(name: str) -> str:
        p = entry.param(name)
        assert p is not None and p.default is not None, name
        return p.default

    def omit(name: str) -> bool:
        arg = bound.given.get(name)
        if arg is None:
            return True
        p = entry.param(name)
        return p is not None and p.default is not None and arg.is_literal and _same(
            arg.value, ast.literal_eval(p.default))

    def kwarg(m: re.Match[str]) -> str:
        sep, tf_name, name = m.group(1) or "", m.group(2), m.group(3)
        if omit(name):
            return ""
        return f"{sep}{tf_name}={{{name}}}"

    text = _KWARG_OPTIONAL.sub(kwarg, template)
    text = re.sub(r"\(\s*,\s*", "(", text)  # a first keyword left out after "("

    out: list[str] = []
    pos = 0
    for m in _PLACEHOLDER.finditer(text):
        out.append(text[pos:m.start()])
        stars, name = m.group(1), m.group(2)
        if stars == "*":
            piece = ", ".join(_code(a.source) for a in bound.varargs)
        elif stars == "**":
            piece = ", ".join(f"{k}={_code(a.source)}" for k, a in bound.varkw.items())
        else:
            arg = bound.given.get(name)
            piece = _code(arg.source) if arg is not None else default_of(name)
            if not _in_argument_position(text, m.start(), m.end()) and not _is_atom(piece):
                piece = f"({piece})"
        out.append(piece)
        pos = m.end()
    out.append(text[pos:])
    rendered = "".join(out)
    return rendered if _is_atom(rendered) else f"({rendered})"


def _code(source: str) -> str:
    """An argument's source, safe to place before more code: a trailing comment gets its
    line end back (``x  # the input`` would otherwise swallow the rest of the call)."""
    text = source.strip()
    if "#" in text:
        import io
        import tokenize

        try:
            tokens = [t for t in tokenize.generate_tokens(io.StringIO(text).readline)
                      if t.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.ENDMARKER, tokenize.INDENT,
                                        tokenize.DEDENT)]
        except (tokenize.TokenError, SyntaxError):
            return text + "\n"
        if tokens and tokens[-1].type == tokenize.COMMENT:
            return text + "\n"
    return text


def _helpers_in(template: str) -> tuple[str, ...]:
    """The runtime names a template (not the user's arguments) uses."""
    tree = ast.parse(_PLACEHOLDER.sub(lambda m: "_p_" + m.group(2), template), mode="eval")
    return tuple(n for n in _free_names(tree) if n != "tf" and not n.startswith("_p_"))


def _renamed(template: str, rename: Mapping[str, str]) -> str:
    """A template (or reference) with the runtime names of ``rename`` renamed: names only,
    never an attribute (``tf.nn.gelu``), a placeholder (``{x}``) or a keyword (``axis=``)."""
    for old, new in rename.items():
        template = re.sub(r"(?<![\w.{])" + re.escape(old) + r"(?![\w}])(?!\s*=(?!=))", new, template)
    return template


def _call_helper(entry: Entry, args: Sequence[str], kwargs: Mapping[str, str], rename: Mapping[str, str]) -> str:
    assert entry.helper is not None
    parts = [_code(a) for a in args] + [f"{k}={_code(v)}" if not k.startswith("*") else _code(v)
                                         for k, v in kwargs.items()]
    return f"{rename.get(entry.helper, entry.helper)}({', '.join(parts)})"


def translate_call(
    qualified_name: str,
    args: Sequence[str],
    kwargs: Mapping[str, str],
    *,
    dtypes: Mapping[str, str] | None = None,
    assume_float: bool = False,
    table: ApiTable | None = None,
    rename: Mapping[str, str] | None = None,
) -> Translated | Blocked:
    """TensorFlow for the call ``qualified_name(*args, **kwargs)``.

    ``args``/``kwargs``: the source text of the arguments, in call order (starred arguments
    keep their star: ``"*xs"``). ``dtypes`` maps an argument's source text to its dtype
    (``"float32"``, ``"int64"``, ``"bool"``, ...) or kind (``"float"``: the model's floating
    dtype, ``"int"``); ``assume_float`` treats every other non-literal tensor as floating
    (the result lists them in ``assumed``). The first template whose conditions hold is used,
    else the runtime helper, called with the arguments exactly as written. ``rename`` gives
    runtime names the file binds itself their new names (``Translated.helpers`` keeps the
    runtime's names, for the bundler).
    """
    out = _translate_call(qualified_name, args, kwargs, dtypes, assume_float, table or default_api(), rename or {})
    if isinstance(out, Translated):
        try:
            ast.parse(out.source, mode="eval")
        except SyntaxError:  # never emit code that does not parse (an argument the table can't place)
            return Blocked(out.name, ARGUMENTS, f"{qualified_name}: the translation of these arguments does not parse")
    return out


def _translate_call(qualified_name: str, args: Sequence[str], kwargs: Mapping[str, str],
                    dtypes: Mapping[str, str] | None, assume_float: bool, table: ApiTable,
                    rename: Mapping[str, str]) -> Translated | Blocked:
    entry = table.get(qualified_name)
    if entry is None:
        return Blocked(qualified_name, UNKNOWN, f"{qualified_name} is not in the keras_api table")
    if entry.blocks is not None:
        return Blocked(entry.name, NOT_YET if entry.todo else NO_EQUIVALENT, entry.blocks)
    bound = _bind(entry, args, kwargs)
    if isinstance(bound, str):
        if entry.helper is not None and "unpacked" in bound:
            source = _call_helper(entry, args, kwargs, rename)
            return Translated(entry.name, source, (entry.helper,))
        if "unexpected keyword" in bound:  # e.g. Keras 3.0's `image=` of image.resize, now `images=`
            bound += f" (the installed Keras's are {', '.join(p.name for p in entry.params)})"
        return Blocked(entry.name, ARGUMENTS, f"{qualified_name}: {bound}")
    facts = _Facts(dict(dtypes or {}), assume_float)
    for template in entry.templates:
        assumed: list[str] = []
        if all(_holds(c, bound, entry, facts, assumed) for c in template.when):
            source = _render(_renamed(template.tf, rename), bound, entry)
            return Translated(entry.name, source, _helpers_in(template.tf), tuple(assumed), template.tf)
    if entry.helper is None:
        conds = "; ".join(" and ".join(c.text for c in t.when) for t in entry.templates)
        return Blocked(entry.name, ARGUMENTS, f"{qualified_name}: translated only when {conds}")
    return Translated(entry.name, _call_helper(entry, args, kwargs, rename), (entry.helper,))


def translate_reference(qualified_name: str, *, assume_float: bool = False,
                        table: ApiTable | None = None, rename: Mapping[str, str] | None = None) -> Translated | Blocked:
    """TensorFlow for the function ``qualified_name`` used as a value (``fn = ops.relu``).

    The entry's ``reference`` (a TensorFlow callable taking Keras's positional arguments, exact
    for floating tensors) with ``assume_float`` (an activation passed to a layer is always
    called on the layer's floating output) or when it is exact for every input; otherwise the
    helper (Keras's signature, exact for every input).
    """
    table = table or default_api()
    rename = rename or {}
    entry = table.get(qualified_name)
    if entry is None:
        return Blocked(qualified_name, UNKNOWN, f"{qualified_name} is not in the keras_api table")
    if entry.blocks is not None:
        return Blocked(entry.name, NOT_YET if entry.todo else NO_EQUIVALENT, entry.blocks)
    if entry.reference is not None and (assume_float or _reference_is_exact(entry)):
        reference = _renamed(entry.reference, rename)
        source = reference if _is_atom(reference) else f"({reference})"
        return Translated(entry.name, source, _helpers_in(entry.reference),
                          () if _reference_is_exact(entry) else ("<called with floating tensors>",))
    if entry.helper is not None:
        return Translated(entry.name, rename.get(entry.helper, entry.helper), (entry.helper,))
    return Blocked(entry.name, ARGUMENTS, f"{qualified_name} used as a value: no exact TensorFlow callable "
                   "for every input; call it directly, or pass assume_float")


def _reference_is_exact(entry: Entry) -> bool:
    """A reference is exact for every input when the entry has an unconditional template, or
    one whose only conditions are arguments left out (a runtime class without them, such as
    the initializers without ``input_axes``, raises TypeError when given one)."""
    return any(all(c.predicate == "absent" for c in t.when) for t in entry.templates)


# ------------------------------------------------------------------------------- coverage


def coverage(table: ApiTable | None = None) -> dict[str, dict[str, int]]:
    """Per namespace file: how many entries are translated / blocked / not-yet."""
    table = table or default_api()
    out: dict[str, dict[str, int]] = {}
    for e in table:
        ns = Path(e.path).stem
        counts = out.setdefault(ns, {"translated": 0, "blocked": 0, "not-yet": 0})
        counts[e.status] += 1
    return out
