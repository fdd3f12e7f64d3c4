"""The translated modules the conformance suite checks, and inputs for them."""

from __future__ import annotations

import ast
import functools
import io
import re
import zlib
from contextlib import redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
MARK = "# output\n"
BATCH = 4  # two examples per replica under the two-device strategy
UNKNOWN_DIM = 5  # a dimension the signature leaves open (a sequence length)
DEFAULT_VOCAB = 5  # token ids in [0, 5) when the case does not say

# every to-tf source whose translation the suite checks: (path, form)
FILES = [
    *(("examples/" + n, "flat") for n in ("cnn_functional.py", "mlp_sequential.py", "subclassed_model.py",
                                           "text_classifier.py", "tf_keras_ops.py")),
    ("examples/lstm_tagger.py", "program"),
    *(("examples/training/" + n, "flat") for n in ("mnist_convnet.py", "regression_mlp.py", "text_classifier.py")),
    *(("tests/cases/totf/" + n, "flat") for n in ("functional_helper.py", "sequential_add.py",
                                                  "subclass_kept_layer.py", "untouched_noise.py")),
    ("tests/cases/verify/subclass_build.py", "flat"),
    *(("tests/cases/program/" + p.name, "program") for p in sorted((ROOT / "tests/cases/program").glob("*.py"))),
]

# inputs (without the batch axis) of the flat-form subclasses, which have no input_signature
# (a Keras subclass declares none either); the program cases give theirs in `# xlate-case:`
SUBCLASS_SHAPES: dict[tuple[str, str], list[int]] = {
    ("examples/subclassed_model.py", "model"): [16],
    ("examples/tf_keras_ops.py", "model"): [28, 28, 1],
    ("tests/cases/totf/subclass_kept_layer.py", "tagger"): [6, 5, 3],
    ("tests/cases/verify/subclass_build.py", "model"): [28, 28, 1],
}

# a small set for CI (one flat Sequential, one flat functional graph, one flat subclass, one
# program-form graph with BatchNormalization, one program-form subclass); the rest is slow
FAST = {
    "examples/mlp_sequential.py:model",
    "tests/cases/totf/functional_helper.py:model",
    "examples/subclassed_model.py:model",
    "tests/cases/program/custom_layers.py:model",
    "tests/cases/program/training_flags.py:frozen",
}

LACKS = re.compile(r"^\s*Conformance: lacks ([a-z_]+): (.+)$", re.M)


@dataclass(frozen=True)
class Subject:
    path: str
    form: str
    name: str

    @property
    def id(self) -> str:
        return f"{self.path}:{self.name}"


def source(path: str) -> str:
    return (ROOT / path).read_text().partition(MARK)[0]


def case_spec(path: str) -> dict[str, Any]:
    m = re.search(r"^# xlate-case: (.*)$", source(path), re.M)
    return ast.literal_eval(m.group(1)) if m else {}


@functools.cache
def translation(path: str) -> str:
    from kerastf_xlate.totf import translate
    from kerastf_xlate.totf.program.bundle import BANNER

    src = source(path)
    out, _ = translate(src, Path(path).name)
    assert out != src, f"{path}: nothing translated"
    form = "program" if BANNER in out else "flat"
    expected = dict(FILES)[path]
    assert form == expected, f"{path}: translated in the {form} form, the suite expects the {expected} form"
    return out


def load(path: str) -> dict[str, Any]:
    """A fresh execution of the translation (its prints swallowed)."""
    from kerastf_xlate.verify import exec_source

    with redirect_stdout(io.StringIO()):
        return exec_source(translation(path), "__conformance__", Path(path).name)


@functools.cache
def loaded(path: str) -> dict[str, Any]:
    """The translation executed once per process, its modules' variables perturbed; the
    checks leave the modules as they found them."""
    ns = load(path)
    for name in module_names(ns):
        build(Subject(path, dict(FILES)[path], name), ns[name])
        perturb(ns[name], seed=zlib.crc32(name.encode()))
    return ns


def build(subject: Subject, module: Any) -> None:
    """Create the variables of a module built on its first call (a subclass no line of the
    file called): a call on one example."""
    if not module.variables:
        module(inputs(subject, module, batch=1), training=False)


def module_names(ns: dict[str, Any]) -> list[str]:
    import tensorflow as tf

    return [k for k, v in ns.items() if not k.startswith("_") and isinstance(v, tf.Module) and not isinstance(v, type)]


def subjects() -> list[Subject]:
    """Every module-level ``tf.Module`` of every translation, in file order (the translations
    are executed to find them)."""
    return [Subject(path, form, name) for path, form in FILES for name in module_names(loaded(path))]


def perturb(module: Any, seed: int = 0) -> None:
    """Move every float variable off its initial value (zero biases hide mistakes)."""
    import numpy as np

    from kerastf_xlate.testing.perturb import perturbed

    variables = list(module.variables)
    for v, new in zip(variables, perturbed([np.asarray(v) for v in variables], seed=seed)):
        v.assign(new)


def signature(subject: Subject, module: Any) -> Any:
    """``input_signature`` for ``__call__``: the module's own, or (for a subclass, which has
    none) one made from the shapes the suite knows, batch axis unknown."""
    import tensorflow as tf

    sig = getattr(module, "input_signature", None)
    if sig is not None:
        return sig
    shape = SUBCLASS_SHAPES.get((subject.path, subject.name)) or case_spec(subject.path)["models"][subject.name]
    return [tf.TensorSpec([None, *shape], tf.float32)]


def inputs(subject: Subject, module: Any, seed: int = 0, batch: int = BATCH) -> Any:
    """Random inputs matching the signature: normal floats, token ids in ``[0, vocab)``."""
    import numpy as np
    import tensorflow as tf

    rng = np.random.default_rng(seed)
    vocab = case_spec(subject.path).get("int_inputs", {}).get(subject.name, DEFAULT_VOCAB)

    def make(spec: Any) -> Any:
        shape = [batch] + [UNKNOWN_DIM if d is None else d for d in spec.shape[1:]]
        if spec.dtype.is_integer:
            return tf.constant(rng.integers(0, vocab, shape), spec.dtype)
        return tf.constant(rng.standard_normal(shape), spec.dtype)

    (spec,) = signature(subject, module)
    return tf.nest.map_structure(make, list(spec) if isinstance(spec, list) else spec)


# gaps the generated code does not declare yet (a docstring line would say them): each is
# expected to fail, so that the suite notices when one is fixed
KNOWN_GAPS: dict[tuple[str, str], str] = {
    ("tests/cases/totf/subclass_kept_layer.py:tagger", "distribute"):
        "the module keeps a Keras layer (ConvLSTM1D(unroll=True), XL201) whose variables `tf.Module.variables` does not list, "
        "so they are neither copied between modules nor trained by a step over `trainable_variables`",
    ("tests/cases/program/notebook_style.py:net", "distribute"):
        "the file's own `net.fit(...)` (the program form's loop) does not run under a strategy scope; to-tf keeps "
        "XL307 for program-form scripts that use a strategy, so no translated script does this",
}


def lacks(subject: Subject, module: Any) -> dict[str, str]:
    """The properties the module lacks: those its class's docstring declares (``Conformance:
    lacks <property>: <why>``) and the suite's known gaps: ``{property: why}``."""
    declared = dict(LACKS.findall(type(module).__doc__ or ""))
    declared.update({prop: why for (sid, prop), why in KNOWN_GAPS.items() if sid == subject.id})
    return declared
