"""Whole models: the speed of the translation against Keras, four ways of running (not a test).

Models:

- **examples**: every program of ``examples/`` that binds a Keras model which ``xlate to-tf``
  turns into a ``tf.Module`` (both executed from files, Keras's weights moved into the module
  with ``verify.compare``, which also gives the largest output difference);
- **applications**: keras.applications builders, translated and built by
  ``bench/applications.py`` (``translate_tree`` and ``compare_builder``: same weights,
  perturbed, BatchNorm statistics of real activations), ``--quick`` the first two of its
  quick subset, ``--app NAME`` any builder.

Modes, each Keras and translation on the same input (batch ``--batch``):

- ``eager``: ``model(x, training=False)``;
- ``function``: the same call inside ``tf.function``;
- ``xla``: inside ``tf.function(jit_compile=True)``;
- ``saved_model``: a ``tf.Module`` holding the model with a ``serve`` ``tf.function`` traced
  from an ``input_signature`` (batch left open) saved with ``tf.saved_model.save`` and
  loaded back with ``tf.saved_model.load``, as a server loads it; ``loaded.serve(x)`` is timed.

Timing: ``bench/rule_speed.py``'s ``time_pair``: after warm-up, alternating blocks of calls of
each side (the order flips every repeat), the median time per call; ratio = translation /
Keras (< 1: the translation is faster). The summary gives the geometric mean of the ratios
per mode and over all. ``graph ops``: the ops of each side's traced ``tf.function`` graph
(variable reads, placeholders, constants and identities left out) and the op types whose
counts differ: two graphs with the same ops run at the same speed, whatever the timings of
a loaded machine say.

    PYTHONPATH=src python bench/model_speed.py                       # examples + quick applications
    PYTHONPATH=src python bench/model_speed.py --no-apps --repeats 21 --json out.json
    PYTHONPATH=src python bench/model_speed.py --app ResNet50 --app MobileNetV2 --mode function
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(REPO / "src"))

from rule_speed import graph_ops, time_pair  # noqa: E402

MODES = ("eager", "function", "xla", "saved_model")
QUICK_APPS = ["MobileNetV2", "EfficientNetB0"]
_LOADED: list[Any] = []


def example_models(work: Path, batch: int) -> list[tuple[str, Any, Any, Any, float]]:
    """(name, keras model, tf module, input, max diff) for every translatable example."""
    import keras
    import tensorflow as tf

    from kerastf_xlate.totf import translate
    from kerastf_xlate.verify import compare, exec_source, models_in, random_inputs

    out = []
    for path in sorted((REPO / "examples").glob("*.py")):
        source = path.read_text(encoding="utf-8")
        translated, _ = translate(source, str(path))
        if translated == source:
            continue
        target = work / f"{path.stem}_tf.py"
        target.write_text(translated, encoding="utf-8")  # from a file: autograph reads the source
        keras.backend.clear_session()
        keras.utils.set_random_seed(0)
        try:
            original = exec_source(source, f"__speed_{path.stem}__", str(path))
            tf.random.set_seed(0)
            converted = exec_source(translated, f"__speed_{path.stem}_tf__", str(target))
        except Exception as exc:
            print(f"{path.name}: not run: {type(exc).__name__}: {exc}", file=sys.stderr)
            continue
        for name, model in models_in(original).items():
            module = converted.get(name)
            if not isinstance(module, tf.Module) or type(module).__module__.startswith("keras"):
                continue
            x = random_inputs(model, None, seed=0, batch=batch)
            diff = compare(name, model, module, x, training=False)[0].max_abs_diff
            x = tf.nest.map_structure(tf.convert_to_tensor, x)
            out.append((f"{path.stem}.{name}" if name != "model" else path.stem, model, module, x, diff))
    return out


def application_model(name: str, tree: Path, batch: int) -> tuple[str, Any, Any, Any, float]:
    import tensorflow as tf
    from applications import BUILDERS, compare_builder

    stem, size = next((f, s) for n, f, s in BUILDERS if n == name)
    keep: dict[str, Any] = {}
    result = compare_builder(name, stem, size, tree, batch=batch, runs=0, keep=keep)
    if not result.get("pass"):
        raise AssertionError(f"{name}: the translation does not match Keras: {result}")
    return name, keep["keras"], keep["tf"], tf.convert_to_tensor(keep["x"]), float(result["inference_diff"])


def _spec(x: Any) -> Any:
    import tensorflow as tf

    return tf.nest.map_structure(lambda t: tf.TensorSpec([None, *t.shape[1:]], t.dtype), x)


def served(model: Any, x: Any, path: Path) -> Any:
    """``model`` exported as a SavedModel with a ``serve`` signature, loaded back."""
    import tensorflow as tf

    holder = tf.Module()
    holder.model = model

    def serve(v: Any) -> Any:
        return model(v, training=False)

    holder.serve = tf.function(serve, input_signature=[_spec(x)])
    tf.saved_model.save(holder, str(path))
    loaded = tf.saved_model.load(str(path))
    _LOADED.append(loaded)  # the loaded object owns the variables its functions read
    return loaded.serve


def callers(model: Any, x: Any, mode: str, work: Path, tag: str) -> Any:
    import tensorflow as tf

    def call(v: Any) -> Any:
        return model(v, training=False)

    if mode == "eager":
        return call
    if mode == "function":
        return tf.function(call)
    if mode == "xla":
        return tf.function(call, jit_compile=True)
    return served(model, x, work / f"saved_{tag}")


def time_model(name: str, k_model: Any, t_model: Any, x: Any, diff: float, args: argparse.Namespace,
               work: Path) -> dict[str, Any]:
    row: dict[str, Any] = {"model": name, "max_abs_diff": diff, "modes": {}}
    for mode in args.mode or MODES:
        try:
            k_fn = callers(k_model, x, mode, work, f"{name}_keras_{mode}")
            t_fn = callers(t_model, x, mode, work, f"{name}_tf_{mode}")
            if mode == "function":
                k_ops, t_ops = graph_ops(k_fn, x), graph_ops(t_fn, x)
                row["graph_ops"] = {"keras": sum(k_ops.values()), "tf": sum(t_ops.values()),
                                    "differ": {op: [k_ops.get(op, 0), t_ops.get(op, 0)] for op in sorted(set(k_ops) | set(t_ops))
                                               if k_ops.get(op, 0) != t_ops.get(op, 0)}}
            k_us, t_us = time_pair(k_fn, t_fn, x, args.repeats, args.block_ms)
            row["modes"][mode] = {"keras_ms": k_us / 1000, "tf_ms": t_us / 1000, "ratio": t_us / k_us}
        except Exception as exc:
            row["modes"][mode] = {"error": f"{type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}"}
        state = row["modes"][mode].get("error") or f"{row['modes'][mode]['ratio']:.2f}"
        print(f"{name} {mode}: {state}", file=sys.stderr, flush=True)
    return row


def training_rows(args: argparse.Namespace, work: Path) -> list[dict[str, Any]]:
    """The step time of ``fit`` for every script of ``examples/training/``: the Keras script and
    its translation are executed (their own training runs as written, output hidden), then the
    script's own ``model.fit(x, y, batch_size=...)`` data is fitted again by both models
    (Keras's ``model.fit``; the translation's ``model.fit`` in the program form, the ``_fit``
    loop it writes in the flat form), ``shuffle=False, verbose=0``, calls alternating, of 1
    and of ``1 + --fit-epochs`` (15) epochs. Step time = (median of the long calls - median of
    the short ones) / the long calls' extra steps: what a call does once (tracing, the
    dataset) cancels out, the loop's per-step and per-epoch work stays."""
    import ast
    import contextlib
    import functools
    import io
    import statistics

    from kerastf_xlate.totf import translate
    from kerastf_xlate.verify import exec_source

    rows = []
    for path in sorted((REPO / "examples" / "training").glob("*.py")):
        source = path.read_text(encoding="utf-8")
        translated, _ = translate(source, str(path))
        target = work / f"train_{path.stem}_tf.py"
        target.write_text(translated, encoding="utf-8")
        fit = next((n for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Call)
                    and isinstance(n.func, ast.Attribute) and n.func.attr == "fit"), None)
        if fit is None or len(fit.args) < 2:
            continue
        row: dict[str, Any] = {"script": path.name}
        try:
            spaces = []
            for text, name, where in ((source, "k", str(path)), (translated, "t", str(target))):
                with contextlib.redirect_stdout(io.StringIO()):
                    spaces.append(exec_source(text, f"__train_{path.stem}_{name}__", where))
            k_ns, t_ns = spaces
            x = eval(ast.unparse(fit.args[0]), k_ns)
            y = eval(ast.unparse(fit.args[1]), k_ns)
            batch = next((ast.literal_eval(k.value) for k in fit.keywords if k.arg == "batch_size"), 32)
            steps = -(-len(x) // batch) * args.fit_epochs
            k_model, t_model = k_ns["model"], t_ns["model"]
            if type(t_model).__module__.startswith("keras"):
                raise AssertionError("the translation kept a Keras model")
            t_fit = getattr(t_model, "fit", None)
            loop = "model.fit (runtime)" if t_fit is not None else "_fit (flat form)"
            if t_fit is None:
                t_fit = functools.partial(t_ns["_fit"], t_model)
            fits = {"keras": k_model.fit, "tf": t_fit}

            def run(fit: Any, epochs: int, x: Any = x, y: Any = y, batch: int = batch) -> float:
                start = time.perf_counter()
                fit(x, y, batch_size=batch, epochs=epochs, shuffle=False, verbose=0)
                return time.perf_counter() - start

            run(fits["keras"], 1)
            run(fits["tf"], 1)
            samples: dict[tuple[str, int], list[float]] = {}
            for r in range(args.fit_repeats):
                for which in (("keras", "tf") if r % 2 == 0 else ("tf", "keras")):
                    for epochs in (1, 1 + args.fit_epochs):
                        samples.setdefault((which, epochs), []).append(run(fits[which], epochs))
            med = {key: statistics.median(v) for key, v in samples.items()}
            k_ms, t_ms = ((med[(w, 1 + args.fit_epochs)] - med[(w, 1)]) / steps * 1000 for w in ("keras", "tf"))
            if k_ms <= 0 or t_ms <= 0:
                raise RuntimeError("a long fit call was not slower than a short one: the machine's load; "
                                   "more --fit-epochs or --fit-repeats")
            row.update(batch=batch, steps=steps, loop=loop, keras_ms=k_ms, tf_ms=t_ms, ratio=t_ms / k_ms,
                       keras_call_s=med[("keras", 1)], tf_call_s=med[("tf", 1)])
        except Exception as exc:
            row["error"] = f"{type(exc).__name__}: {str(exc)[:200]}"
        print(f"training {path.name}: {row.get('error') or format(row['ratio'], '.2f')}", file=sys.stderr, flush=True)
        rows.append(row)
    return rows


def training_markdown(rows: list[dict[str, Any]], args: argparse.Namespace) -> str:
    lines = [f"fit step time, ms: (median fit call of {1 + args.fit_epochs} epochs - median of 1 epoch) / the extra "
             f"steps, {args.fit_repeats} alternating repeats; a 1-epoch call, s (tracing included)", "",
             "| script | translated loop | batch | extra steps | Keras step | translated step | ratio | 1-epoch call Keras / translated |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['script']} | | | | | | not run: {r['error'][:80]} | |")
        else:
            lines.append(f"| {r['script']} | {r['loop']} | {r['batch']} | {r['steps']} | {r['keras_ms']:.2f} | "
                         f"{r['tf_ms']:.2f} | **{r['ratio']:.2f}** | {r['keras_call_s']:.2f} / {r['tf_call_s']:.2f} |")
    ratios = [r["ratio"] for r in rows if "ratio" in r]
    lines.append(f"| **geometric mean** | | | | | | **{geomean(ratios):.2f}** | |")
    return "\n".join(lines)


def geomean(values: list[float]) -> float:
    values = [v for v in values if v > 0]
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else float("nan")


def markdown(rows: list[dict[str, Any]], args: argparse.Namespace) -> str:
    import keras
    import tensorflow as tf

    modes = list(args.mode or MODES)
    lines = [f"TensorFlow {tf.__version__}, Keras {keras.__version__}, CPU; batch {args.batch}; median of "
             f"{args.repeats} alternating blocks of ~{args.block_ms:g} ms; ms per call, Keras / translation (ratio)", "",
             "| model | max abs diff | graph ops Keras / translation | " + " | ".join(modes) + " |",
             "|---|---:|---:|" + "---:|" * len(modes)]
    for r in rows:
        cells = []
        for m in modes:
            got = r["modes"].get(m, {})
            if "ratio" in got:
                cells.append(f"{got['keras_ms']:.2f} / {got['tf_ms']:.2f} (**{got['ratio']:.2f}**)")
            else:
                cells.append(f"not run: {got.get('error', '')[:80]}")
        ops = r.get("graph_ops")
        op_cell = "" if ops is None else f"{ops['keras']} / {ops['tf']}" + (
            " (" + ", ".join(f"{k} {a}/{b}" for k, (a, b) in list(ops["differ"].items())[:4]) + ")" if ops["differ"] else "")
        lines.append(f"| {r['model']} | {r['max_abs_diff']:.2g} | {op_cell} | " + " | ".join(cells) + " |")
    per_mode = {m: [r["modes"][m]["ratio"] for r in rows if "ratio" in r["modes"].get(m, {})] for m in modes}
    lines.append("| **geometric mean** | | | " + " | ".join(f"**{geomean(v):.2f}** ({len(v)})" for v in per_mode.values()) + " |")
    every = [v for vs in per_mode.values() for v in vs]
    lines.append(f"\nAll modes: {len(every)} ratios, geometric mean **{geomean(every):.3f}**")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--mode", action="append", choices=MODES, help="a mode (repeatable; default all)")
    parser.add_argument("--app", action="append", default=[], help="a keras.applications builder (repeatable)")
    parser.add_argument("--no-apps", action="store_true", help="the examples only")
    parser.add_argument("--no-examples", action="store_true", help="the applications only")
    parser.add_argument("--quick", action="store_true", help="7 repeats of ~10 ms blocks")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--block-ms", type=float, default=50.0)
    parser.add_argument("--training", action="store_true", help="also the fit step time of examples/training/")
    parser.add_argument("--training-only", action="store_true", help="the fit step time only")
    parser.add_argument("--fit-epochs", type=int, default=15, help="extra epochs of the long fit calls")
    parser.add_argument("--fit-repeats", type=int, default=7)
    parser.add_argument("--work", type=Path, help="scratch directory (default: a fresh temporary one)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    if args.quick:
        args.repeats, args.block_ms = min(args.repeats, 7), min(args.block_ms, 10.0)

    import tensorflow as tf

    tf.config.set_visible_devices([], "GPU")
    work = args.work or Path(tempfile.mkdtemp(prefix="xlate-model-speed-"))
    work.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    rows: list[dict[str, Any]] = []
    if args.training_only:
        args.no_examples = args.no_apps = True
    if not args.no_examples:
        for name, k, t, x, diff in example_models(work, args.batch):
            rows.append(time_model(name, k, t, x, diff, args, work))
    apps = args.app or ([] if args.no_apps else QUICK_APPS)
    if apps:
        from applications import translate_tree

        tree = translate_tree(work / "applications")
        for name in apps:
            try:
                got = application_model(name, Path(tree["out"]), args.batch)
            except Exception as exc:
                print(f"{name}: not run: {type(exc).__name__}: {str(exc)[:300]}", file=sys.stderr)
                continue
            rows.append(time_model(*got, args, work))
    training = training_rows(args, work) if args.training or args.training_only else []
    if rows:
        print(markdown(rows, args))
    if training:
        print("\n" + training_markdown(training, args))
    print(f"\n({time.perf_counter() - start:.0f} s)", file=sys.stderr)
    if args.json:
        args.json.write_text(json.dumps({"batch": args.batch, "repeats": args.repeats, "block_ms": args.block_ms,
                                         "rows": rows, "training": training}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
