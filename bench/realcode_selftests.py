"""A repository's own tests, run on the original and on its directory-run translation.

Model zoos test their blocks in the same module: ``def _test_resblock():`` makes a block,
calls it on ``tf.random.uniform((32, 112, 112, 64))`` and asserts the output's shape and the
parameter count. Nothing else of this project runs what a directory run (``xlate to-tf REPO
-o OUT``, ``kerastf_xlate/tree.py``) writes for a zoo: its models are classes built from other
modules' blocks, with no inputs declared, which ``realcode_models.py`` skips. This script, per
repository of a corpus made by ``realcode.py --export``:

1. translates the repository as a directory into a temporary folder (the installed command);
2. in every ``.py`` file the run changed, finds the top-level functions named ``test*`` or
   ``_test*`` that take no argument (or only defaulted ones) and runs each, in the original
   tree and in the translated one, each side in its own process with the file's folder first
   on ``sys.path`` (as ``python module.py`` runs it; a timeout per file). Outcomes: the same
   (both pass, or both raise the same exception type), **broken** (the original passes, the
   translation raises: a wrong translation), **runs where Keras fails** (the translation
   passes where the original raises: a program that fails under Keras 3 should fail
   translated too), or a different exception type;
3. pairs the models those functions make: in each, an assignment ``x = tf.random.uniform(
   (N, ...))`` gives the input shape (the batch cut to 2) and each ``name = F(...)`` with ``F``
   a top-level name of the module gives a model; the original's is built on the input, its
   weights perturbed (``kerastf_xlate.testing.perturb``) and saved, the translation's is built
   the same way and given them, and the two outputs in inference are compared:
   ``max|a - b| <= 1e-4 * max(1, max|a|)``.

    python bench/realcode_selftests.py --corpus /work/corpus10 [--only NAME] [--json out.json]
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TOLERANCE = 1e-4
_MARK = "XLATE-SELFTESTS "


def test_functions(tree: ast.Module) -> list[str]:
    """Top-level functions named ``test*``/``_test*`` callable without arguments."""
    out = []
    for s in tree.body:
        if isinstance(s, ast.FunctionDef) and s.name.lstrip("_").startswith("test"):
            a = s.args
            if len(a.defaults) == len(a.posonlyargs + a.args) and all(d is not None for d in a.kw_defaults):
                out.append(s.name)
    return out


def paired_models(tree: ast.Module) -> list[tuple[str, str, list[int]]]:
    """(test function, model expression, input shape) for the models the test functions make
    (the module docstring's step 3)."""
    top = {s.name for s in tree.body if isinstance(s, (ast.FunctionDef, ast.ClassDef))}
    top |= {a.asname or a.name for s in tree.body if isinstance(s, ast.ImportFrom) for a in s.names}
    tests = set(test_functions(tree))
    out = []
    for fn in tree.body:
        if not (isinstance(fn, ast.FunctionDef) and fn.name in tests):
            continue
        shape = None
        for st in fn.body:
            if not (isinstance(st, ast.Assign) and len(st.targets) == 1 and isinstance(st.targets[0], ast.Name)):
                continue
            v = st.value
            if (isinstance(v, ast.Call) and ast.unparse(v.func) == "tf.random.uniform" and v.args
                    and shape is None):
                try:
                    shape = list(ast.literal_eval(v.args[0]))
                except (ValueError, TypeError, SyntaxError):
                    shape = None
            elif (isinstance(v, ast.Call) and isinstance(v.func, ast.Name) and v.func.id in top and shape
                  and all(isinstance(n, (ast.Constant, ast.Name, ast.Load, ast.keyword, ast.Tuple, ast.List,
                                         ast.UnaryOp, ast.USub, ast.Call, ast.Attribute))
                          for n in ast.walk(v))):
                out.append((fn.name, ast.unparse(v), [2, *shape[1:]]))
    return out


# --- the child: one module, one side -------------------------------------------------------


def _child(payload_path: str) -> int:
    import importlib
    import traceback

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    p = json.loads(Path(payload_path).read_text(encoding="utf-8"))
    sys.path.insert(0, p["folder"])
    os.chdir(p["folder"])
    results: dict[str, Any] = {"tests": {}, "models": {}}
    try:
        module = importlib.import_module(p["module"])
    except Exception as exc:
        results["import"] = f"{type(exc).__name__}: {str(exc)[:200]}"
        print(_MARK + json.dumps(results), flush=True)
        return 0
    for name in p["tests"]:
        try:
            getattr(module, name)()
            results["tests"][name] = ["ok", ""]
        except Exception as exc:  # the outcome, whatever it is
            where = traceback.format_exc().strip().splitlines()[-1][:200]
            results["tests"][name] = [type(exc).__name__, where]
    import numpy as np
    import tensorflow as tf

    from kerastf_xlate.testing.perturb import perturbed

    for test, expr, shape in p["models"]:
        key = f"{test}: {expr}"
        weights = os.path.join(p["store"], hashlib.sha1(f"{p['module']}:{key}".encode()).hexdigest() + ".npz")
        if p["side"] != "original" and not os.path.exists(weights):
            continue  # Keras's did not build (the original raises, or the expression needs the test's locals)
        try:
            tf.random.set_seed(0)
            model = eval(expr, vars(module))
            x = np.random.default_rng(0).uniform(0, 1, shape).astype("float32")
            model(x)
            if p["side"] == "original":
                moved = perturbed(model.get_weights(), seed=1)
                model.set_weights(moved)
                np.savez(weights, *moved)
                np.save(weights[:-4] + ".out.npy", np.asarray(model(x, training=False)))
                results["models"][key] = ["built", len(moved)]
            else:
                saved = np.load(weights)
                moved = [saved[f"arr_{i}"] for i in range(len(saved.files))]
                mine = model.get_weights()
                if [w.shape for w in mine] != [w.shape for w in moved]:
                    results["models"][key] = ["FAIL", f"weights: {len(moved)} arrays in Keras, {len(mine)} translated"]
                    continue
                model.set_weights(moved)
                out = np.asarray(model(x, training=False), dtype="float64")
                ref = np.load(weights[:-4] + ".out.npy").astype("float64")
                worst, scale = float(np.max(np.abs(out - ref))), float(np.max(np.abs(ref)))
                ok = out.shape == ref.shape and worst <= TOLERANCE * max(1.0, scale)
                results["models"][key] = ["pass" if ok else "FAIL", worst, scale]
        except Exception as exc:
            if p["side"] != "original":  # the translation raises where Keras's model was built and called
                results["models"][key] = ["FAIL", f"raised {type(exc).__name__}: {str(exc)[:150]}"]
    print(_MARK + json.dumps(results), flush=True)
    return 0


# --- the parent ----------------------------------------------------------------------------


def _side(folder: str, module: str, tests: list[str], models: list[Any], side: str, store: str,
          timeout: float) -> dict[str, Any]:
    payload = os.path.join(store, f"{side}-{module}.json")
    Path(payload).write_text(json.dumps({"folder": folder, "module": module, "tests": tests, "models": models,
                                         "side": side, "store": store}), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}
    try:
        proc = subprocess.run([sys.executable, __file__, "--child", payload], capture_output=True, text=True,
                              timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return {"timeout": timeout}
    for line in proc.stdout.splitlines():
        if line.startswith(_MARK):
            return dict(json.loads(line[len(_MARK):]))
    return {"crash": proc.stderr.strip().splitlines()[-1:] if proc.stderr.strip() else proc.returncode}


def outcome(original: list[str], translated: list[str]) -> str:
    if original[0] == translated[0]:
        return "same"
    if original[0] == "ok":
        return "broken"
    if translated[0] == "ok":
        return "runs where Keras fails"
    return "different error"


def measure(repo_dir: str, timeout: float) -> dict[str, Any]:
    rec: dict[str, Any] = {"repo": os.path.basename(repo_dir), "files": []}
    with tempfile.TemporaryDirectory(prefix="xlate-selftests-") as tmp:
        out_dir = os.path.join(tmp, "out")
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "kerastf_xlate", "to-tf", repo_dir, "-o", out_dir],
                              capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
        rec["translate_s"], rec["rc"] = round(time.perf_counter() - start, 1), proc.returncode
        for dirpath, dirnames, filenames in os.walk(repo_dir):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for f in sorted(filenames):
                if not f.endswith(".py"):
                    continue
                rel = os.path.relpath(os.path.join(dirpath, f), repo_dir)
                before, after = Path(repo_dir, rel).read_bytes(), Path(out_dir, rel)
                if not after.exists() or after.read_bytes() == before:
                    continue
                try:
                    tree = ast.parse(before)
                except SyntaxError:
                    continue
                tests, models = test_functions(tree), paired_models(tree)
                if not tests:
                    continue
                store = os.path.join(tmp, "store")
                os.makedirs(store, exist_ok=True)
                module = f[:-3]
                o = _side(os.path.dirname(os.path.join(repo_dir, rel)), module, tests, models, "original", store,
                          timeout)
                t = _side(os.path.dirname(os.path.join(out_dir, rel)), module, tests, models, "translation", store,
                          timeout)
                entry: dict[str, Any] = {"path": rel, "tests": {}, "models": t.get("models", {})}
                for name in tests:
                    a = o.get("tests", {}).get(name, ["missing", str(o)[:200]])
                    b = t.get("tests", {}).get(name, ["missing", str(t)[:200]])
                    entry["tests"][name] = {"original": a, "translation": b, "outcome": outcome(a, b)}
                rec["files"].append(entry)
                print(f"  {rec['repo']}/{rel}: " + ", ".join(f"{n} {v['outcome']}" for n, v in entry["tests"].items()),
                      file=sys.stderr, flush=True)
    return rec


def render(recs: list[dict[str, Any]]) -> str:
    lines = ["| repo | files with tests | tests | same | broken | runs where Keras fails | other error | models "
             "compared | pass | FAIL | worst |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in recs:
        c: Counter[str] = Counter(v["outcome"] for f in r["files"] for v in f["tests"].values())
        models = [m for f in r["files"] for m in f["models"].values() if m[0] in ("pass", "FAIL")]
        worst = max((m[1] for m in models), default=0.0)
        lines.append(f"| {r['repo']} | {len(r['files'])} | {sum(c.values())} | {c['same']} | {c['broken']} | "
                     f"{c['runs where Keras fails']} | {c['different error']} | {len(models)} | "
                     f"{sum(m[0] == 'pass' for m in models)} | {sum(m[0] == 'FAIL' for m in models)} | {worst:.3g} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", default="/work/corpus10")
    ap.add_argument("--only", action="append", help="only repositories whose folder contains this (repeatable)")
    ap.add_argument("--timeout", type=float, default=600, help="seconds per file and side")
    ap.add_argument("--json", help="write every record here")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        return _child(args.child)
    repos = sorted(d for d in os.listdir(args.corpus) if os.path.isdir(os.path.join(args.corpus, d))
                   and (not args.only or any(o in d for o in args.only)))
    recs = [measure(os.path.join(args.corpus, d), args.timeout) for d in repos]
    print(render(recs))
    bad = [(r["repo"], f["path"], n, v) for r in recs for f in r["files"] for n, v in f["tests"].items()
           if v["outcome"] != "same"]
    bad_models = [(r["repo"], f["path"], k, m) for r in recs for f in r["files"] for k, m in f["models"].items()
                  if m[0] == "FAIL"]
    for repo, path, name, v in bad:
        print(f"- {repo}/{path} {name}: {v['outcome']}: original {v['original']}, translation {v['translation']}")
    for repo, path, key, m in bad_models:
        print(f"- {repo}/{path} {key}: {m}")
    if args.json:
        Path(args.json).write_text(json.dumps(recs, indent=1), encoding="utf-8")
    return 1 if any(v["outcome"] == "broken" for *_, v in bad) or any(m[0] == "FAIL" for *_, m in bad_models) else 0


if __name__ == "__main__":
    sys.exit(main())
