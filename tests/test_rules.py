"""The rule table against its sources of truth.

- the seed table (``../shared/seed-mapping.tsv``): every one of its 95 rows is covered, with
  the corrections the project made to it;
- the installed TensorFlow and Keras (tests marked ``tf``): every TF symbol a rule names
  exists, every Keras name exists in ``keras.layers`` (except rules marked removed, which
  must be gone), every class ``keras.layers`` exports has a rule, and every argument a rule
  names is in the installed constructor's signature, in signature order, with its default.
"""

from __future__ import annotations

import csv
import inspect
from pathlib import Path
from typing import Any

import pytest

from kerastf_xlate.activations import ACTIVATION_SYMBOLS
from kerastf_xlate.args import BASE_KWARGS
from kerastf_xlate.rules import Rule, default_rules

REPO = Path(__file__).resolve().parent.parent
SEED = REPO / ".." / "shared" / "seed-mapping.tsv"
RULES = default_rules()


def seed_rows() -> list[dict[str, str]]:
    if not SEED.is_file():
        pytest.skip(f"the seed table {SEED} is absent (it lives in ../shared beside the repository)")
    with SEED.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def seed_layer(row: dict[str, str]) -> str:
    """The Keras 3 class a seed row means ("Base Layer" is ``Layer``, "Base RNN" is ``RNN``)."""
    return row["keras_layer"].removeprefix("Base ")


# ------------------------------------------------------------------------------ seed table


def test_seed_table_has_95_rows() -> None:
    assert len(seed_rows()) == 95


def test_every_seed_row_is_covered_by_the_rule_of_its_layer() -> None:
    missing = []
    for row in seed_rows():
        rule = RULES.get(seed_layer(row))
        if rule is None or row["row"] not in rule.seed_rows:
            missing.append(f"{row['row']!r} ({row['keras_layer']})")
    assert not missing, f"seed rows without a rule claiming them: {missing}"


def test_rules_claim_only_real_seed_rows() -> None:
    labels = {row["row"] for row in seed_rows()}
    bogus = [(r.layer, s) for r in RULES for s in r.seed_rows if s not in labels]
    assert not bogus


def test_seed_counterparts_are_kept_except_flatten() -> None:
    """Where the seed named a TF op, the rule translates with it (Flatten's was wrong)."""
    for row in seed_rows():
        seed_tf = row["seed_tf_counterpart"]
        if not seed_tf:
            continue
        rule = RULES.get(seed_layer(row))
        assert rule is not None and rule.status == "translated", row
        if rule.layer == "Flatten":
            continue
        assert seed_tf in rule.symbols, (rule.layer, seed_tf, rule.symbols)


# The seed left these rows empty although core TF has the op (shared/README.md).
MISSED_BY_SEED = [
    ("AveragePooling3D", "tf.nn.avg_pool3d"),
    ("DepthwiseConv2D", "tf.nn.depthwise_conv2d"),
    ("Embedding", "tf.nn.embedding_lookup"),
    ("Dense", "tf.matmul"),
    ("GlobalAveragePooling1D", "tf.reduce_mean"),
    ("GlobalAveragePooling2D", "tf.reduce_mean"),
    ("ZeroPadding2D", "tf.pad"),
    ("Concatenate", "tf.concat"),
    ("LayerNormalization", "tf.nn.moments"),
]


@pytest.mark.parametrize("layer, symbol", MISSED_BY_SEED, ids=[m[0] for m in MISSED_BY_SEED])
def test_counterparts_the_seed_missed(layer: str, symbol: str) -> None:
    rule = RULES.get(layer)
    assert rule is not None and rule.status == "translated"
    assert symbol in rule.symbols


def test_seed_corrections() -> None:
    flatten = RULES.get("Flatten")
    assert flatten is not None
    assert flatten.tf is not None and "tf.reshape(w,[-1])" not in flatten.tf.replace(" ", "")
    assert "tf.shape(x)[0]" in flatten.tf, "Flatten must keep the batch axis"
    # the second "Conv2DTranspose Layer" row is Conv3DTranspose
    conv3dt = RULES.get("Conv3DTranspose")
    assert conv3dt is not None and "Conv2DTranspose Layer" in conv3dt.seed_rows
    for gone in ("ThresholdedReLU", "LocallyConnected1D", "LocallyConnected2D", "CategoryCrossing"):
        rule = RULES.get(gone)
        assert rule is not None and rule.status == "removed", gone
    crossing = RULES.get("CategoryCrossing")
    assert crossing is not None and crossing.replaced_by == "HashedCrossing"


def test_every_rule_has_a_category_and_status_consistent_fields() -> None:
    for rule in RULES:
        if rule.has_counterpart:
            assert rule.tf and rule.reason is None, rule.layer
        else:
            assert rule.reason and rule.instead and not rule.symbols, rule.layer


# ------------------------------------------------------------------------------ installed TF / Keras


@pytest.fixture(scope="module")
def tf() -> Any:
    return pytest.importorskip("tensorflow")


@pytest.fixture(scope="module")
def keras() -> Any:
    return pytest.importorskip("keras")


def resolve_tf(tf: Any, symbol: str) -> Any:
    head, *rest = symbol.split(".")
    assert head == "tf", f"{symbol}: TF symbols are written tf.<...>"
    obj = tf
    for part in rest:
        obj = getattr(obj, part)
    return obj


TF_SYMBOLS = sorted({(r.layer, s) for r in RULES for s in r.symbols} | {("activations", s) for s in ACTIVATION_SYMBOLS})


@pytest.mark.tf
@pytest.mark.parametrize("layer, symbol", TF_SYMBOLS, ids=[f"{a}-{b}" for a, b in TF_SYMBOLS])
def test_tf_symbol_exists(tf: Any, layer: str, symbol: str) -> None:
    try:
        resolve_tf(tf, symbol)
    except AttributeError:
        pytest.fail(f"{layer}: {symbol} is not in TensorFlow {tf.__version__}")


def keras_class(keras: Any, name: str) -> Any:
    """A rule name in the installed Keras: keras.layers, or keras / keras.models for models."""
    for where in (keras.layers, keras.models, keras):
        obj = getattr(where, name, None)
        if obj is not None:
            return obj
    if name == "Functional":  # keras.Model(inputs, outputs) returns this class
        i = keras.Input((1,))
        return type(keras.Model(i, i))
    return None


@pytest.mark.tf
@pytest.mark.parametrize("rule", list(RULES), ids=lambda r: r.layer)
def test_keras_names_exist(keras: Any, rule: Rule) -> None:
    for name in rule.names + rule.functions:
        found = keras_class(keras, name)
        if rule.status == "removed":
            assert getattr(keras.layers, name, None) is None, f"{name} is back in keras.layers: it is not removed"
        else:
            assert found is not None, f"{rule.path}: {name} is not in keras {keras.__version__}"


@pytest.mark.tf
def test_every_keras_layer_class_has_a_rule(keras: Any) -> None:
    exported = [
        name for name in dir(keras.layers)
        if not name.startswith("_")
        and inspect.isclass(getattr(keras.layers, name))
        and issubclass(getattr(keras.layers, name), keras.layers.Layer)
    ]
    assert len(exported) > 100
    missing = sorted(n for n in exported if RULES.get(n) is None)
    assert not missing, f"keras.layers exports classes without a rule file: {missing}"


@pytest.mark.tf
def test_every_keras_layers_function_has_a_rule(keras: Any) -> None:
    helpers = [n for n in ("add", "average", "concatenate", "dot", "maximum", "minimum", "multiply", "subtract", "Input")
               if hasattr(keras.layers, n)]
    assert [n for n in helpers if RULES.get(n) is None] == []


def signature_of(keras: Any, rule: Rule) -> inspect.Signature:
    cls = keras_class(keras, rule.layer)
    if rule.layer == "Model":  # keras.Model(inputs, outputs) is the Functional class
        cls = keras_class(keras, "Functional")
    return inspect.signature(cls.__init__)


@pytest.mark.tf
@pytest.mark.parametrize("rule", [r for r in RULES if r.status != "removed"], ids=lambda r: r.layer)
def test_rule_arguments_match_the_installed_signature(keras: Any, rule: Rule) -> None:
    params = signature_of(keras, rule).parameters
    named = [p for p in params.values() if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and p.name != "self"]
    order = [p.name for p in named]
    unknown = [a.name for a in rule.args if a.name not in params]
    assert not unknown, f"{rule.path}: arguments not in {rule.layer}.__init__: {unknown}"
    mine = [a.name for a in rule.args]
    assert mine == [n for n in order if n in mine], f"{rule.path}: arguments out of signature order"
    # lint and to-tf bind call.args by index: the leading positional parameters must be the
    # rule's first arguments (up to the first engine-handled one the rule leaves out, e.g. name)
    positional = []
    for p in named:
        if p.kind != p.POSITIONAL_OR_KEYWORD or (p.name in BASE_KWARGS and p.name not in mine):
            break
        positional.append(p.name)
    k = min(len(positional), len(mine))
    assert mine[:k] == positional[:k], f"{rule.path}: positional arguments differ from Keras's"
    for spec in rule.args:
        default = params[spec.name].default
        if default is inspect.Parameter.empty:
            assert spec.required, f"{rule.path}: {spec.name} is required in Keras"
        elif spec.default is not None:
            assert spec.default_value() == default, f"{rule.path}: {spec.name} defaults to {default!r} in Keras"


def _popped_keywords(cls: Any) -> set[str]:
    """The keywords a Keras layer class takes from its ``**kwargs`` though its signature does
    not name them: ``kwargs.pop("name", ...)`` / ``kwargs.get("name")`` / ``"name" in kwargs`` in
    its own ``__init__`` or a base class's below ``Layer``."""
    import re

    out: set[str] = set()
    for klass in cls.__mro__:
        if klass.__module__ == "keras.src.layers.layer" or not klass.__module__.startswith("keras.src.layers"):
            continue
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        source = inspect.getsource(init)
        out |= set(re.findall(r"kwargs\.(?:pop|get)\(\s*[\"'](\w+)[\"']", source))
        out |= set(re.findall(r"[\"'](\w+)[\"']\s+in\s+kwargs", source))
    return out


@pytest.mark.tf
@pytest.mark.parametrize("rule", [r for r in RULES if r.status != "removed" and r.layer not in ("Model", "Input")],
                         ids=lambda r: r.layer)
def test_hidden_keywords_are_known(keras: Any, rule: Rule) -> None:
    """args.HIDDEN_KWARGS holds every keyword the installed Keras's class takes outside its
    signature: any other keyword outside the signature raises in Keras 3, which is what XL201
    then says."""
    from kerastf_xlate.args import BASE_KWARGS, HIDDEN_KWARGS

    cls = keras_class(keras, rule.layer)
    named = set(signature_of(keras, rule).parameters)
    hidden = _popped_keywords(cls) - named - BASE_KWARGS - {"dtype", "trainable", "training", "name"}
    assert hidden <= HIDDEN_KWARGS.get(rule.layer, frozenset()), f"{rule.layer}: {sorted(hidden)}"


@pytest.mark.tf
@pytest.mark.parametrize(("layer", "args", "keyword"), [
    ("Attention", {}, {"causal": True}),  # tf.keras 2.x's, now use_causal_mask= in the call
    ("Conv2D", {"filters": 2, "kernel_size": 3}, {"weights": None}),  # Keras 2's initial weights
    ("Dense", {"units": 2}, {"W_regularizer": None}),  # Keras 1's
])
def test_a_keyword_outside_the_signature_raises_in_keras(keras: Any, layer: str, args: dict[str, Any],
                                                         keyword: dict[str, Any]) -> None:
    """The premise of XL201's "Keras 3 raises ValueError on it"; and the message says it."""
    import ast

    from kerastf_xlate.args import blockers

    with pytest.raises(ValueError, match="Unrecognized keyword arguments"):
        getattr(keras.layers, layer)(**args, **keyword)
    rule = next(r for r in RULES if r.layer == layer)
    name = next(iter(keyword))
    given = [f"{k}={v!r}" for k, v in args.items()] + [f"{name}=1"]
    call = ast.parse(f"{layer}({', '.join(given)})").body[0].value  # type: ignore[attr-defined]
    got = [b.message for b in blockers(rule, call) if b.arg == name]
    assert len(got) == 1 and "Keras 3 raises ValueError on it" in got[0], got
