"""Load and validate the rule files in ``rules/`` (one TOML file per Keras layer).

A malformed or contradictory file raises :class:`RuleError` naming the file and the key;
callers print it as one line, never a traceback. The schema is documented in
``rules/README.md``.
"""

from __future__ import annotations

import ast
import os
import re
import sys
from dataclasses import dataclass, field, fields
from functools import cache
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

STATUSES = ("translated", "structural", "none", "removed")
CATEGORIES = (
    "Models",
    "Core",
    "Convolution",
    "Pooling",
    "Recurrent",
    "Preprocessing",
    "Image augmentation",
    "Normalization",
    "Regularization",
    "Attention",
    "Reshaping",
    "Merging",
    "Locally-connected",
    "Activation",
    "Backend integration",
)
ARG_KINDS = ("activation", "initializer", "shape", "int", "float", "bool", "any", "str")
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


class RuleError(Exception):
    """A rule file is malformed; the message starts with the file and names the key."""

    def __init__(self, path: Path | str, key: str, problem: str) -> None:
        self.path = str(path)
        self.key = key
        self.problem = problem
        super().__init__(f"{path}: key '{key}': {problem}")


@dataclass(frozen=True)
class ArgSpec:
    name: str
    default: str | None  # Python source; None means required
    values: dict[str, str] = field(default_factory=dict)
    supported: tuple[str, ...] | None = None
    kind: str = "any"
    blocks: str | None = None
    tf: str | None = None
    flat_only: bool = False  # ``blocks`` holds for the flat form only (the program form honours the value)
    aliases: tuple[str, ...] = ()  # deprecated keywords Keras still takes for this argument (LeakyReLU's ``alpha``)

    @property
    def required(self) -> bool:
        return self.default is None

    def default_value(self) -> Any:
        """The default as a Python value (``ast.literal_eval`` of the source)."""
        return None if self.default is None else ast.literal_eval(self.default)

    def supported_values(self) -> list[Any] | None:
        if self.supported is None:
            return None
        return [ast.literal_eval(s) for s in self.supported]


@dataclass(frozen=True)
class Example:
    keras: str
    input_shape: tuple[Any, ...]
    input_dtype: str = "float32"
    input_range: int = 10
    training: bool = False
    tf: str | None = None  # the expected ``__call__`` of its translation (tests/test_rule_examples.py)


@dataclass(frozen=True)
class NoopCase:
    """Code that a command must leave exactly as it is (Fixit's VALID cases)."""

    command: str  # to-tf | to-keras
    code: str
    why: str


@dataclass(frozen=True)
class LintCase:
    code: str
    codes: tuple[str, ...]


@dataclass(frozen=True)
class Rule:
    layer: str
    names: tuple[str, ...]
    functions: tuple[str, ...]
    category: str
    seed_rows: tuple[str, ...]
    status: str
    summary: str
    path: str
    tf: str | None = None
    symbols: tuple[str, ...] = ()
    handler: str | None = None
    call: str | None = None
    weights: tuple[str, ...] = ()
    program_only: bool = False  # translated only in the program form (a runtime class, no flat handler)
    reason: str | None = None
    instead: str | None = None
    replaced_by: str | None = None
    args: tuple[ArgSpec, ...] = ()
    examples: tuple[Example, ...] = ()
    lint: tuple[LintCase, ...] = ()
    noop: tuple[NoopCase, ...] = ()

    @property
    def has_counterpart(self) -> bool:
        return self.status in ("translated", "structural")

    def arg(self, name: str) -> ArgSpec | None:
        for a in self.args:
            if a.name == name:
                return a
        return None


def _expect(path: Path, data: dict[str, Any], key: str, typ: type | tuple[type, ...], required: bool = True) -> Any:
    if key not in data:
        if required:
            raise RuleError(path, key, "missing")
        return None
    value = data[key]
    if not isinstance(value, typ):
        names = typ.__name__ if isinstance(typ, type) else " or ".join(t.__name__ for t in typ)
        raise RuleError(path, key, f"expected {names}, got {type(value).__name__}")
    return value


def _str_list(path: Path, data: dict[str, Any], key: str, required: bool = True) -> tuple[str, ...]:
    value = _expect(path, data, key, list, required)
    if value is None:
        return ()
    for i, item in enumerate(value):
        if not isinstance(item, str):
            raise RuleError(path, f"{key}[{i}]", f"expected str, got {type(item).__name__}")
    return tuple(value)


def _no_unknown(path: Path, data: dict[str, Any], allowed: set[str], prefix: str = "") -> None:
    for key in data:
        if key not in allowed:
            raise RuleError(path, prefix + key, "unknown key")


def _literal(path: Path, key: str, source: str) -> None:
    try:
        ast.literal_eval(source)
    except (ValueError, SyntaxError):
        raise RuleError(path, key, f"not a Python literal: {source!r}") from None


def _parse_arg(path: Path, name: str, data: Any) -> ArgSpec:
    key = f"args.{name}"
    if not isinstance(data, dict):
        raise RuleError(path, key, "expected a table")
    _no_unknown(path, data, {"default", "values", "supported", "kind", "blocks", "tf", "flat_only", "aliases"}, key + ".")
    default = _expect(path, data, "default", str, required=False)
    if default is not None:
        _literal(path, key + ".default", default)
    values = _expect(path, data, "values", dict, required=False) or {}
    for k, v in values.items():
        if not isinstance(v, str):
            raise RuleError(path, f"{key}.values.{k}", "expected str")
    supported = None
    if "supported" in data:
        supported = _str_list(path, data, "supported")
        for i, s in enumerate(supported):
            _literal(path, f"{key}.supported[{i}]", s)
    kind = _expect(path, data, "kind", str, required=False) or "any"
    if kind not in ARG_KINDS:
        raise RuleError(path, key + ".kind", f"unknown kind {kind!r} (one of {', '.join(ARG_KINDS)})")
    blocks = _expect(path, data, "blocks", str, required=False)
    if blocks is not None and default is None:
        raise RuleError(path, key + ".blocks", "a blocking argument needs a default")
    flat_only = _expect(path, data, "flat_only", bool, required=False) or False
    if flat_only and blocks is None:
        raise RuleError(path, key + ".flat_only", "flat_only qualifies `blocks`; add blocks")
    return ArgSpec(
        name=name,
        default=default,
        values=dict(values),
        supported=supported,
        kind=kind,
        blocks=blocks,
        tf=_expect(path, data, "tf", str, required=False),
        flat_only=flat_only,
        aliases=tuple(_str_list(path, data, "aliases")) if "aliases" in data else (),
    )


def _parse_example(path: Path, i: int, data: Any) -> Example:
    key = f"examples[{i}]"
    if not isinstance(data, dict):
        raise RuleError(path, key, "expected a table")
    _no_unknown(path, data, {"keras", "input_shape", "input_dtype", "input_range", "training", "tf"}, key + ".")
    keras_src = _expect(path, data, "keras", str)
    try:
        ast.parse(keras_src, mode="eval")
    except SyntaxError as exc:
        raise RuleError(path, key + ".keras", f"not a Python expression: {exc.msg}") from None
    shape = _expect(path, data, "input_shape", list)

    def freeze(v: Any) -> Any:
        return tuple(freeze(x) for x in v) if isinstance(v, list) else v

    dtype = _expect(path, data, "input_dtype", str, required=False) or "float32"
    if dtype not in ("float32", "int32", "int64", "string"):
        raise RuleError(path, key + ".input_dtype", f"unsupported dtype {dtype!r}")
    return Example(
        keras=keras_src,
        input_shape=freeze(shape),
        input_dtype=dtype,
        input_range=_expect(path, data, "input_range", int, required=False) or 10,
        training=bool(_expect(path, data, "training", bool, required=False)),
        tf=_expect(path, data, "tf", str, required=False),
    )


def parse_rule(path: Path, data: dict[str, Any]) -> Rule:
    """Validate one parsed TOML document and build its :class:`Rule`."""
    _no_unknown(
        path,
        data,
        {"layer", "names", "functions", "category", "seed_rows", "status", "summary",
         "counterpart", "none", "args", "examples", "lint", "noop"},
    )
    layer = _expect(path, data, "layer", str)
    if path.stem != layer:
        raise RuleError(path, "layer", f"{layer!r} does not match the file name {path.name!r}")
    names = _str_list(path, data, "names")
    if layer not in names:
        raise RuleError(path, "names", f"must include the layer name {layer!r}")
    functions = _str_list(path, data, "functions", required=False)
    category = _expect(path, data, "category", str)
    if category not in CATEGORIES:
        raise RuleError(path, "category", f"unknown category {category!r}")
    status = _expect(path, data, "status", str)
    if status not in STATUSES:
        raise RuleError(path, "status", f"unknown status {status!r} (one of {', '.join(STATUSES)})")
    summary = _expect(path, data, "summary", str)

    args_data = _expect(path, data, "args", dict, required=False) or {}
    args = tuple(_parse_arg(path, n, d) for n, d in args_data.items())
    arg_names = {a.name for a in args}

    cp = _expect(path, data, "counterpart", dict, required=False)
    nn = _expect(path, data, "none", dict, required=False)
    tf_expr = handler = call = None
    program_only = False
    symbols: tuple[str, ...] = ()
    weights: tuple[str, ...] = ()
    reason = instead = replaced_by = None
    if status in ("translated", "structural"):
        if cp is None:
            raise RuleError(path, "counterpart", f"required when status is {status!r}")
        if nn is not None:
            raise RuleError(path, "none", f"contradicts status {status!r} (a layer with a counterpart)")
        _no_unknown(path, cp, {"tf", "symbols", "handler", "call", "weights", "form"}, "counterpart.")
        tf_expr = _expect(path, cp, "tf", str)
        symbols = _str_list(path, cp, "symbols")
        handler = _expect(path, cp, "handler", str, required=False)
        call = _expect(path, cp, "call", str, required=False)
        weights = _str_list(path, cp, "weights", required=False)
        form = _expect(path, cp, "form", str, required=False)
        if form not in (None, "program"):
            raise RuleError(path, "counterpart.form", "the only form is 'program' (no flat handler)")
        program_only = form == "program"
        if program_only:
            if status != "translated" or handler is not None or call is not None:
                raise RuleError(path, "counterpart.form", "form = 'program' is for a translated layer without handler or call")
        elif status == "translated":
            if (handler is None) == (call is None):
                raise RuleError(path, "counterpart", "give exactly one of 'handler' or 'call'")
            if call is not None:
                for ph in _PLACEHOLDER.findall(call):
                    if ph not in arg_names and not re.fullmatch(r"x\d*|xs", ph):
                        raise RuleError(path, "counterpart.call", f"placeholder {{{ph}}} is not an argument")
        elif handler is not None or call is not None:
            raise RuleError(path, "counterpart", "a structural rule has no handler or call")
    else:
        if nn is None:
            raise RuleError(path, "none", f"required when status is {status!r}")
        if cp is not None:
            raise RuleError(path, "counterpart", f"contradicts status {status!r} (no counterpart)")
        _no_unknown(path, nn, {"reason", "instead", "replaced_by"}, "none.")
        reason = _expect(path, nn, "reason", str)
        instead = _expect(path, nn, "instead", str)
        replaced_by = _expect(path, nn, "replaced_by", str, required=False)

    examples_data = _expect(path, data, "examples", list, required=False) or []
    examples = tuple(_parse_example(path, i, e) for i, e in enumerate(examples_data))
    lint_cases = []
    for i, case in enumerate(_expect(path, data, "lint", list, required=False) or []):
        if not isinstance(case, dict):
            raise RuleError(path, f"lint[{i}]", "expected a table")
        _no_unknown(path, case, {"code", "codes"}, f"lint[{i}].")
        lint_cases.append(LintCase(_expect(path, case, "code", str), _str_list(path, case, "codes")))
    noop_cases = []
    for i, case in enumerate(_expect(path, data, "noop", list, required=False) or []):
        if not isinstance(case, dict):
            raise RuleError(path, f"noop[{i}]", "expected a table")
        _no_unknown(path, case, {"command", "code", "why"}, f"noop[{i}].")
        command = _expect(path, case, "command", str)
        if command not in ("to-tf", "to-keras"):
            raise RuleError(path, f"noop[{i}].command", f"expected 'to-tf' or 'to-keras', got {command!r}")
        code = _expect(path, case, "code", str)
        try:
            ast.parse(code)
        except SyntaxError as exc:
            raise RuleError(path, f"noop[{i}].code", f"not Python: {exc.msg}") from None
        noop_cases.append(NoopCase(command, code, _expect(path, case, "why", str)))

    return Rule(
        layer=layer, names=names, functions=functions, category=category,
        seed_rows=_str_list(path, data, "seed_rows", required=False), status=status,
        summary=summary, path=str(path), tf=tf_expr, symbols=symbols, handler=handler,
        call=call, weights=weights, program_only=program_only, reason=reason, instead=instead, replaced_by=replaced_by,
        args=args, examples=examples, lint=tuple(lint_cases), noop=tuple(noop_cases),
    )


def rules_dir() -> Path:
    """Where the rules live: ``$XLATE_RULES_DIR``, the wheel's copy, or the source tree's."""
    env = os.environ.get("XLATE_RULES_DIR")
    if env:
        return Path(env)
    here = Path(__file__).resolve().parent
    packaged = here / "rules"
    if packaged.is_dir():
        return packaged
    return here.parent.parent / "rules"


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...]
    by_name: dict[str, Rule]  # class names and functional helpers -> rule

    def __iter__(self):
        return iter(self.rules)

    def __len__(self) -> int:
        return len(self.rules)

    def get(self, name: str) -> Rule | None:
        return self.by_name.get(name)


def load_rules(directory: Path | None = None) -> RuleSet:
    """Load every ``*.toml`` in the rules directory; raise :class:`RuleError` on the first problem."""
    directory = directory or rules_dir()
    if not directory.is_dir():
        raise RuleError(directory, "-", "rules directory not found")
    rules: list[Rule] = []
    by_name: dict[str, Rule] = {}
    for path in sorted(directory.glob("*.toml")):
        try:
            with path.open("rb") as fh:
                data = tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            raise RuleError(path, "-", f"invalid TOML: {exc}") from None
        except OSError as exc:
            raise RuleError(path, "-", f"unreadable: {exc.strerror}") from None
        rule = parse_rule(path, data)
        for name in rule.names + rule.functions:
            other = by_name.get(name)
            if other is not None:
                raise RuleError(path, "names", f"{name!r} is already claimed by {Path(other.path).name}")
            by_name[name] = rule
        rules.append(rule)
    return RuleSet(tuple(rules), by_name)


# --------------------------------------------------------------------------- rule-table cache
#
# Parsing and validating the 150-odd TOML files costs ~60 ms, paid by every ``xlate`` start
# (an editor lints on every keystroke). The validated table is cached with ``marshal``
# (plain tuples, strings and numbers: loading it never executes code, unlike pickle) in
# ``$XDG_CACHE_HOME/kerastf-xlate`` (``~/.cache/kerastf-xlate``). The key covers every entry
# of the rules directory (name, inode, size, mtime and ctime in ns), this module's own file,
# the package and Python versions and the dataclass layouts, so any edit, addition or removal
# of a rule file invalidates it. A table is only written when no file changed in the last
# two seconds (an edit within the timestamp granularity could otherwise go unseen), and
# every failure (unwritable directory, corrupt file, foreign value types) falls back
# silently to parsing. ``XLATE_NO_CACHE=1`` turns it off. Only the installed rules are
# cached, not a directory named by ``$XLATE_RULES_DIR``.

_CACHE_FORMAT = 1
_CACHE_CLASSES: dict[str, type] = {}  # filled below: the dataclasses a cached table holds
_RACY_SECONDS = 2.0


def cache_dir() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "kerastf-xlate")


def _cache_key(directory: Path) -> tuple[bytes, bool] | None:
    """(digest, fresh) for the directory's current state; fresh when some file changed in
    the last seconds (then the table is not written). None when anything fails."""
    import hashlib
    import time

    from kerastf_xlate import __version__

    try:
        entries = []
        newest = 0
        with os.scandir(directory) as it:
            for entry in it:
                st = entry.stat(follow_symlinks=True)
                entries.append((entry.name, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns))
                newest = max(newest, st.st_mtime_ns, st.st_ctime_ns)
        me = os.stat(__file__)
    except OSError:
        return None
    entries.sort()
    layouts = tuple((n, tuple(f.name for f in fields(c))) for n, c in sorted(_CACHE_CLASSES.items()))
    key = (_CACHE_FORMAT, __version__, sys.version, str(directory), (me.st_size, me.st_mtime_ns), layouts, tuple(entries))
    fresh = newest > (time.time() - _RACY_SECONDS) * 1e9
    return hashlib.blake2b(repr(key).encode("utf-8", "surrogatepass"), digest_size=20).digest(), fresh


def _cache_file(directory: Path) -> str:
    import hashlib

    name = hashlib.blake2b(str(directory).encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()
    return os.path.join(cache_dir(), f"rules-{name}.marshal")


def _encode(value: Any) -> Any:
    """Rule-table values as marshal-able data: a dataclass becomes a list [class, *fields]."""
    cls = type(value)
    if cls in (str, int, float, bool, type(None)):
        return value
    if cls is tuple:
        return tuple(_encode(v) for v in value)
    if cls is dict:
        return {_encode(k): _encode(v) for k, v in value.items()}
    if _CACHE_CLASSES.get(cls.__name__) is cls:
        return [cls.__name__] + [_encode(getattr(value, f.name)) for f in fields(cls)]
    raise TypeError(f"not cacheable: {cls.__name__}")


_NESTED = (list, tuple, dict)


def _decode(value: Any) -> Any:
    cls = type(value)
    if cls is list:
        # what pickle does: the instance without __init__ (frozen dataclasses set their
        # fields one object.__setattr__ at a time), then its fields; the object is equal
        # in every respect to one built by the constructor
        target = _CACHE_CLASSES[value[0]]
        obj = object.__new__(target)  # type: ignore[var-annotated]
        obj.__dict__.update(zip(_FIELD_NAMES[target], [_decode(v) for v in value[1:]]))
        return obj
    if cls is tuple:
        for v in value:
            if type(v) in _NESTED:
                return tuple([_decode(v) for v in value])
        return value  # strings and numbers only: as it is
    if cls is dict:
        return {_decode(k): _decode(v) for k, v in value.items()}
    return value


def _index(rules: tuple[Rule, ...]) -> RuleSet:
    by_name: dict[str, Rule] = {}
    for rule in rules:
        for name in rule.names + rule.functions:
            by_name[name] = rule
    return RuleSet(rules, by_name)


def _read_cached(path: str, digest: bytes) -> RuleSet | None:
    import marshal

    try:
        with open(path, "rb") as fh:
            data = fh.read()
        if data[: len(digest)] != digest:
            return None
        rules = _decode(marshal.loads(data[len(digest) :]))
        if not isinstance(rules, tuple) or not all(type(r) is Rule for r in rules):
            return None
        return _index(rules)
    except Exception:  # a corrupt or foreign cache file is ignored, never fatal
        return None


def _write_cached(path: str, digest: bytes, ruleset: RuleSet) -> None:
    import marshal

    from kerastf_xlate.writer import atomic_write

    try:
        payload = digest + marshal.dumps(_encode(ruleset.rules))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        atomic_write(path, payload)  # readers see the old table or the new one, never half
        _prune(os.path.dirname(path))
    except Exception:  # unwritable cache directory, odd values: just don't cache
        pass


def _prune(directory: str, max_age_days: float = 30.0) -> None:
    """Drop tables neither read nor written for a month (atime and mtime): there is one per
    rules directory, so installations that are gone (temporary venvs, old checkouts) would
    otherwise leave theirs behind. Dropping one that is still wanted costs one parse."""
    import time

    limit = time.time() - max_age_days * 86400
    with os.scandir(directory) as it:
        for entry in it:
            if entry.name.startswith("rules-") and entry.name.endswith(".marshal"):
                try:
                    if entry.stat().st_atime < limit and entry.stat().st_mtime < limit:
                        os.unlink(entry.path)
                except OSError:
                    pass


def load_rules_cached(directory: Path) -> RuleSet:
    """:func:`load_rules` through the on-disk cache (same result, same errors)."""
    if os.environ.get("XLATE_NO_CACHE"):
        return load_rules(directory)
    key = _cache_key(directory)
    if key is None:
        return load_rules(directory)
    digest, fresh = key
    path = _cache_file(directory)
    cached = _read_cached(path, digest)
    if cached is not None:
        return cached
    ruleset = load_rules(directory)  # raises RuleError exactly as without a cache
    if not fresh:
        _write_cached(path, digest, ruleset)
    return ruleset


_CACHE_CLASSES.update({c.__name__: c for c in (Rule, ArgSpec, Example, LintCase, NoopCase)})
_FIELD_NAMES: dict[type, tuple[str, ...]] = {c: tuple(f.name for f in fields(c)) for c in _CACHE_CLASSES.values()}


@cache
def default_rules() -> RuleSet:
    """The installed rules, loaded once per process (through the on-disk cache)."""
    if os.environ.get("XLATE_RULES_DIR"):
        return load_rules()
    directory = rules_dir()
    if not directory.is_dir():
        return load_rules(directory)  # the usual RuleError
    return load_rules_cached(directory)
