"""The conformance suite for generated modules (issue #19): every module-level ``tf.Module``
that ``to-tf`` writes for ``examples/`` and the whole-file cases (flat and program form) must

- trace once under ``tf.function`` for calls of the same shapes (no retracing per call);
- compile with ``tf.function(jit_compile=True)`` to the same outputs;
- export to a SavedModel with a serving function from its ``input_signature`` and reload to
  the same outputs;
- round-trip through ``tf.train.Checkpoint`` (save, move every variable, restore);
- run and take one training step under ``tf.distribute.MirroredStrategy`` on two logical CPU
  devices, equal to one device (in a subprocess: ``conformance/distribute.py``);
- survive ``copy.deepcopy`` (same outputs, variables of its own).

A property a module cannot have is declared in its class docstring (``Conformance: lacks
<property>: <why>``, written by to-tf from ``kerastf_xlate.totf.conformance``; the suite's
``subjects.KNOWN_GAPS`` quotes each declaration, and ``test_known_gaps_are_declared`` checks
it is in its subject's docstring) or, where no docstring can say it (the program form's shared
runtime classes), in ``subjects.UNDECLARED_GAPS``; the test then expects exactly that property
to fail. Tolerances are in
``conformance/properties.py`` and ``conformance/distribute.py``; every test prints its worst
difference. A CI-sized subset (``subjects.FAST``) runs by default, the rest is ``slow``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from conformance import properties as P
from conformance import subjects as S

pytestmark = pytest.mark.tf

HERE = Path(__file__).resolve().parent


def _params() -> list[object]:
    # the subjects are listed statically (collection must not import TensorFlow): file:name
    out = []
    for path, name in _listed():
        sid = f"{path}:{name}"
        marks = () if sid in S.FAST else (pytest.mark.slow,)
        out.append(pytest.param(S.Subject(path, dict(S.FILES)[path], name), id=sid, marks=marks))
    return out


def _listed() -> list[tuple[str, str]]:
    """Every file's module names, as ``test_subject_list_is_complete`` checks them."""
    return [tuple(line.split(":")) for line in (HERE / "conformance" / "subjects.txt").read_text().split()]  # type: ignore[misc]


PARAMS = _params()


def _subject(subject: S.Subject):  # type: ignore[no-untyped-def]
    module = S.loaded(subject.path)[subject.name]
    return module, S.inputs(subject, module)


def _expect(subject: S.Subject, module: object, prop: str, check) -> None:  # type: ignore[no-untyped-def]
    declared = S.lacks(subject, module)
    if prop in declared:
        with pytest.raises(Exception):  # noqa: B017 - any failure of the property is the declared one
            check()
        print(f"{subject.id} lacks {prop} (declared: {declared[prop]})")
        return
    worst = check()
    print(f"{subject.id} {prop}: worst {worst:.3g}")


@pytest.mark.slow  # executes every translation (the training examples train): ~20 s
def test_subject_list_is_complete() -> None:
    """``conformance/subjects.txt`` lists every module of every translation (it names the test
    ids without executing anything at collection); ``XLATE_REGEN=1`` rewrites it."""
    found = [s.id for s in S.subjects()]
    listed = [f"{p}:{n}" for p, n in _listed()]
    if os.environ.get("XLATE_REGEN"):
        (HERE / "conformance" / "subjects.txt").write_text("\n".join(found) + "\n")
    assert found == listed
    assert S.FAST <= set(found)


@pytest.mark.parametrize("key", sorted(S.KNOWN_GAPS), ids=[f"{sid}-{prop}" for sid, prop in sorted(S.KNOWN_GAPS)])
def test_known_gaps_are_declared(key: tuple[str, str]) -> None:
    """Each known gap is declared, word for word, by the docstring of its subject's class."""
    sid, prop = key
    path, name = sid.split(":")
    declared = dict(S.LACKS.findall(type(S.loaded(path)[name]).__doc__ or ""))
    assert declared.get(prop) == S.KNOWN_GAPS[key], f"{sid}: the class docstring declares {declared}"


@pytest.mark.parametrize("prop", sorted(P.LOCAL))
@pytest.mark.parametrize("subject", PARAMS)
def test_property(subject: S.Subject, prop: str) -> None:
    module, x = _subject(subject)
    _expect(subject, module, prop, lambda: P.LOCAL[prop](subject, module, x))


def _distribute(paths: list[str]) -> dict[str, dict[str, object]]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), *sys.path]), "TF_CPP_MIN_LOG_LEVEL": "3"}
    run = subprocess.run([sys.executable, "-m", "conformance.distribute", *paths], capture_output=True, text=True,
                         env=env, cwd=HERE, timeout=1200)
    assert run.returncode == 0, run.stderr[-3000:]
    records = [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]
    return {r["id"]: r for r in records}


def _check_distribute(subjects: list[S.Subject]) -> None:
    results = _distribute(sorted({s.path for s in subjects}))
    bad = []
    for subject in subjects:
        r = results.get(subject.id, {"ok": False, "error": "no result"})
        declared = S.lacks(subject, S.loaded(subject.path)[subject.name])
        if "distribute" in declared:
            if r["ok"]:
                bad.append(f"{subject.id}: declared to lack distribute, but it holds (remove the declaration)")
            print(f"{subject.id} lacks distribute (declared: {declared['distribute']})")
        elif not r["ok"]:
            bad.append(f"{subject.id}: {r['error']}\n{r.get('trace', '')}")
        else:
            print(f"{subject.id} distribute: worst {r['worst']:.3g}")
    assert not bad, "\n".join(bad)


def test_distribute_fast() -> None:
    _check_distribute([p.values[0] for p in PARAMS if not p.marks])  # type: ignore[attr-defined]


@pytest.mark.slow
def test_distribute_all() -> None:
    _check_distribute([p.values[0] for p in PARAMS])  # type: ignore[attr-defined]
