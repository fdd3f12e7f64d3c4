"""Per-rule speed of the generated TensorFlow against the Keras layer it replaces (not a test).

For every ``[[examples]]`` entry of every translated rule (``rules/*.toml``), built as the
execution round trips build them (``tests/models.py``, ``tests/runtime_ns.py``):

- **flat**: the one-layer Keras model of the example (``model_source``) and its ``xlate to-tf``
  translation (a ``tf.Module`` whose ``__call__`` the rule's handler or template wrote), with
  Keras's weights moved into the module (``verify.compare``, which also reports the largest
  output difference);
- **runtime**: the Keras layer and the runtime class a translated *program* bundles
  (``src/kerastf_xlate/runtime/tfr_*.py``) from the same expression, weights moved, for the
  program-only rules always and for the other rules with ``--runtime``.

Each side is wrapped in its own ``tf.function`` (CPU) taking the input as an argument (no
constant folding of the input), traced and warmed up, then timed in alternation: each
repeat times a block of ``n`` calls of one side and then of the other (the order flips every
repeat), ``n`` chosen so a block takes about ``--block-ms``. The figure is the median time
per call; the ratio is translation / Keras (> 1: the translation is slower). The input is the
example's own shape with a batch that makes it about ``--elements`` values (default 2**18,
batch at least 2 and at most 65536; ``--batch`` fixes it), so that the kernels rather than the
call overhead count; ``overhead`` is the time of an identity
``tf.function`` on the same input, the part of each figure that is no kernel work.

    PYTHONPATH=src python bench/rule_speed.py                    # every example, Markdown
    PYTHONPATH=src python bench/rule_speed.py --quick            # first example per rule, fewer repeats
    PYTHONPATH=src python bench/rule_speed.py --only ELU --only Dense --repeats 31 --json out.json
    PYTHONPATH=src python bench/rule_speed.py --runtime          # also the runtime classes of flat rules
    PYTHONPATH=src python bench/rule_speed.py --quick --recheck 21   # rows over 10% measured again

``graph ops``: the ops of each traced graph (variable reads, placeholders, constants and
identities left out) and the op types whose counts differ, a view no load disturbs.
A row is flagged **slower** when both the median ratio and the ratio of the fastest blocks are
over 1.10 (other processes only add time, so a ratio the fastest blocks share is not theirs).
TensorFlow runs on one thread by default (``--threads``): steadier figures on a shared machine.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))  # the round trips' model sources and runtime namespace
sys.path.insert(0, str(REPO / "src"))

SLOWER = 1.10  # the bound: a translation more than 10% slower than Keras is flagged

# Why a translation stays slower than Keras (rule layer -> reason), shown in the table. Filled
# from measurements: a rule is listed here only when no exact faster form was found.
WHY: dict[str, str] = {
    "EinsumDense": "Keras's TensorFlow backend rewrites a fixed list of equations ('ab,bc->ac', 'abc,cd->abd', "
                   "'abc,cde->abde', ...) to tf.matmul; the translation keeps tf.einsum, the spelling to-keras reads "
                   "back as EinsumDense (a matmul would come back as Dense)",
}


def _note(row: dict[str, Any]) -> str:
    """Why a flagged row is over the bound: a known reason, or its graph has no more ops than Keras's."""
    if row["rule"] in WHY:
        return WHY[row["rule"]]
    ops = row.get("graph_ops")
    if ops and ops["tf"] <= ops["keras"]:
        return "no more graph ops than Keras's (column): the machine's load, not the code"
    return ""


def _median_per_call(samples: list[float], n: int) -> float:
    return statistics.median(samples) / n * 1e6  # microseconds


def _block(fn: Any, x: Any, n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        fn(x)
    return time.perf_counter() - start


def time_pair(k_fn: Any, t_fn: Any, x: Any, repeats: int, block_ms: float,
              best: dict[str, float] | None = None) -> tuple[float, float]:
    """Median microseconds per call of each function, blocks alternating, order flipping;
    ``best`` receives the fastest block of each (``keras_us``, ``tf_us``): other processes
    only ever add time, so a ratio the fastest blocks share is not their doing."""
    for _ in range(3):  # warm-up after tracing
        k_fn(x)
        t_fn(x)
    once = min(_block(k_fn, x, 1), _block(t_fn, x, 1))
    n = max(1, min(2000, int(block_ms / 1000 / max(once, 1e-6))))
    k_samples: list[float] = []
    t_samples: list[float] = []
    for r in range(repeats):
        if r % 2 == 0:
            k_samples.append(_block(k_fn, x, n))
            t_samples.append(_block(t_fn, x, n))
        else:
            t_samples.append(_block(t_fn, x, n))
            k_samples.append(_block(k_fn, x, n))
    if best is not None:
        best.update(keras_us=min(k_samples) / n * 1e6, tf_us=min(t_samples) / n * 1e6)
    return _median_per_call(k_samples, n), _median_per_call(t_samples, n)


def graph_ops(fn: Any, x: Any) -> dict[str, int]:
    """Op type -> count in the graph ``tf.function`` traces for ``x`` (placeholders and
    variable reads left out): a noise-free view of what each side runs."""
    import collections

    graph = fn.get_concrete_function(x).graph
    skip = {"Placeholder", "ReadVariableOp", "Const", "NoOp", "Identity"}
    return dict(collections.Counter(op.type for op in graph.get_operations() if op.type not in skip))


def _overhead(x: Any, repeats: int, block_ms: float) -> float:
    import tensorflow as tf

    def identity(v: Any) -> Any:
        return tf.nest.map_structure(tf.identity, v)

    ident = tf.function(identity)
    a, b = time_pair(ident, ident, x, max(3, repeats // 2), block_ms)
    return (a + b) / 2


def _tensors(x: Any) -> Any:
    import tensorflow as tf

    return tf.nest.map_structure(tf.convert_to_tensor, x)


def _max_diff(a: Any, b: Any) -> float:
    import numpy as np

    fa = [np.asarray(v, dtype="float64") for v in (a if isinstance(a, (list, tuple)) else [a])]
    fb = [np.asarray(v, dtype="float64") for v in (b if isinstance(b, (list, tuple)) else [b])]
    return max((float(np.max(np.abs(p - q))) if p.size else 0.0 for p, q in zip(fa, fb)), default=0.0)


def batch_for(ex: Any, args: argparse.Namespace) -> int:
    """The batch giving about ``args.elements`` input values (the largest input counts)."""
    from models import _shapes

    if args.batch:
        return int(args.batch)
    size = max(max(1, __import__("math").prod(s)) for s in _shapes(ex))
    return max(2, min(65536, args.elements // size))


def flat_pair(rule: Any, index: int, ex: Any, batch: int) -> tuple[Any, Any, Any, float, str]:
    """(keras fn, translation fn, input, max diff, translated __call__) for the flat form."""
    import keras
    import tensorflow as tf
    from models import make_inputs, model_source

    from kerastf_xlate.totf import translate
    from kerastf_xlate.verify import compare, exec_source

    case = f"{rule.layer}-{index}"
    source = model_source(rule, ex)
    translated, diags = translate(source, f"{case}.py")
    if translated == source or any(d.code.startswith("XL3") for d in diags):
        raise RuntimeError("not translated: " + ", ".join(sorted({d.code for d in diags})))
    keras.backend.clear_session()
    keras.utils.set_random_seed(0)
    model = exec_source(source, "__speed_keras__", f"{case}.py")["model"]
    tf.random.set_seed(0)
    # from a file, as a user runs it: autograph reads the source of what tf.function traces
    path = Path(tempfile.mkdtemp(prefix="xlate-rule-speed-")) / f"{case}.py"
    path.write_text(translated, encoding="utf-8")
    module = exec_source(translated, "__speed_tf__", str(path))["model"]
    x = _tensors(make_inputs(ex, batch=batch))
    results = compare(case, model, module, x, atol=1e-5, rtol=1e-5, training=False)

    def k_call(v: Any) -> Any:
        return model(v, training=False)

    def t_call(v: Any) -> Any:
        return module(v, training=False)

    k_fn, t_fn = tf.function(k_call), tf.function(t_call)
    body = translated.split("def __call__", 1)[-1]
    return k_fn, t_fn, x, results[0].max_abs_diff, body


_RUNTIME: dict[str, Any] = {}


def runtime_namespace() -> Any:
    """The runtime classes as a translated file holds them: written to a file and run from
    there, so that autograph can read their source when ``tf.function`` traces them, as in a
    translated program (``tests/runtime_ns.py`` runs them from a string)."""
    import runpy
    import types

    if not _RUNTIME:
        from kerastf_xlate.totf.program.bundle import load_runtime

        rt = load_runtime()
        path = os.path.join(tempfile.mkdtemp(prefix="xlate-rule-speed-"), "runtime_bundle.py")
        with open(path, "w", encoding="utf-8") as f:
            f.write("import tensorflow as tf\n" + rt.source(set(rt.public)))
        _RUNTIME.update(runpy.run_path(path, run_name="xlate_runtime"))
    ns = types.SimpleNamespace()
    base = _RUNTIME["Layer"]
    for name, value in _RUNTIME.items():
        if isinstance(value, type) and issubclass(value, base) and not name.startswith("_"):
            setattr(ns, name, value)
    return ns


def runtime_pair(rule: Any, index: int, ex: Any, batch: int) -> tuple[Any, Any, Any, float, str]:
    """(keras fn, runtime-class fn, input, max diff, "") for the program form's class."""
    import inspect

    import keras
    import tensorflow as tf
    from models import make_inputs
    from runtime_ns import perturbed

    keras.utils.set_random_seed(0)
    k_layer = eval(ex.keras, {"layers": keras.layers, "keras": keras})
    t_layer = eval(ex.keras, {"layers": runtime_namespace(), "keras": None, "tf": tf})
    x = _tensors(make_inputs(ex, batch=batch))

    def apply(layer: Any, v: Any) -> Any:
        if isinstance(v, list) and next(iter(inspect.signature(layer.call).parameters)) != "inputs":
            return layer(*v, training=False)
        return layer(v, training=False)

    apply(k_layer, x)
    apply(t_layer, x)
    moved = perturbed(k_layer.get_weights(), seed=index)
    k_layer.set_weights(moved)
    t_layer.set_weights(moved)
    diff = _max_diff(apply(k_layer, x), apply(t_layer, x))

    def k_call(v: Any) -> Any:
        return apply(k_layer, v)

    def t_call(v: Any) -> Any:
        return apply(t_layer, v)

    return tf.function(k_call), tf.function(t_call), x, diff, ""


def measure(rule: Any, index: int, ex: Any, form: str, args: argparse.Namespace) -> dict[str, Any]:
    row: dict[str, Any] = {"rule": rule.layer, "example": index, "keras": ex.keras, "form": form}
    try:
        build = flat_pair if form == "flat" else runtime_pair
        k_fn, t_fn, x, diff, body = build(rule, index, ex, batch_for(ex, args))
        k_ops, t_ops = graph_ops(k_fn, x), graph_ops(t_fn, x)
        row["graph_ops"] = {"keras": sum(k_ops.values()), "tf": sum(t_ops.values()),
                            "differ": {op: [k_ops.get(op, 0), t_ops.get(op, 0)] for op in sorted(set(k_ops) | set(t_ops))
                                       if k_ops.get(op, 0) != t_ops.get(op, 0)}}
        best: dict[str, float] = {}
        k_us, t_us = time_pair(k_fn, t_fn, x, args.repeats, args.block_ms, best)
    except Exception as exc:  # a row that cannot run says why; the run goes on
        row["error"] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:160] if str(exc) else ''}"
        return row
    row.update(keras_us=k_us, tf_us=t_us, ratio=t_us / k_us, best_ratio=best["tf_us"] / best["keras_us"], max_abs_diff=diff,
               shape=[list(getattr(v, "shape", ())) for v in (x if isinstance(x, list) else [x])])
    if args.show_code and body:
        row["code"] = body
    return row


def cases(args: argparse.Namespace) -> list[tuple[Any, int, Any, str]]:
    from runtime_ns import runtime

    from kerastf_xlate.rules import default_rules

    rules = default_rules()
    has_class = runtime()
    out = []
    for rule in rules:
        if rule.status != "translated" or rule.layer in ("InputLayer",):
            continue
        if args.only and rule.layer not in args.only:
            continue
        examples = list(enumerate(rule.examples))[: 1 if args.quick else None]
        for i, ex in examples:
            if not rule.program_only:
                out.append((rule, i, ex, "flat"))
            if (rule.program_only or args.runtime) and rule.layer in has_class:
                out.append((rule, i, ex, "runtime"))
    return out


def slower(row: dict[str, Any]) -> bool:
    """Over the bound by the median blocks and by the fastest ones (noise moves one of them)."""
    return "ratio" in row and row["ratio"] > SLOWER and row["best_ratio"] > SLOWER


def _fmt_us(v: float) -> str:
    return f"{v:.0f}" if v >= 100 else f"{v:.1f}"


def markdown(rows: list[dict[str, Any]], overhead: float, args: argparse.Namespace) -> str:
    import keras
    import tensorflow as tf

    lines = [f"TensorFlow {tf.__version__}, Keras {keras.__version__}, CPU; batch {args.batch or f'for ~{args.elements} input values'}; "
             f"median of {args.repeats} alternating blocks of ~{args.block_ms:g} ms; "
             f"identity tf.function overhead {overhead:.1f} us/call; "
             f"TensorFlow threads: {args.threads or 'default'}", "",
             "| rule | example | form | Keras us | translation us | ratio | fastest-block ratio | graph ops Keras / translation "
             "| max abs diff | note |",
             "|---|---|---|---:|---:|---:|---:|---:|---:|---|"]
    for r in rows:
        ex = f"`{r['keras']}`"
        if "error" in r:
            lines.append(f"| {r['rule']} | {ex} | {r['form']} | | | | | | | not timed: {r['error']} |")
            continue
        flag = "**slower**" if slower(r) else ""
        note = _note(r) if slower(r) else ""
        if "first_run" in r:
            note = (note + "; " if note else "") + f"rechecked (first run {r['first_run']['ratio']:.2f})"
        ops = r["graph_ops"]
        op_cell = f"{ops['keras']} / {ops['tf']}" + (
            " (" + ", ".join(f"{k} {a}/{b}" for k, (a, b) in list(ops["differ"].items())[:3]) + ")" if ops["differ"] else "")
        lines.append(f"| {r['rule']} | {ex} | {r['form']} | {_fmt_us(r['keras_us'])} | {_fmt_us(r['tf_us'])} | "
                     f"{r['ratio']:.2f} {flag} | {r['best_ratio']:.2f} | {op_cell} | {r['max_abs_diff']:.2g} | {note} |")
    timed = [r for r in rows if "ratio" in r]
    if timed:
        import math

        for form in ("flat", "runtime"):
            sel = [r["ratio"] for r in timed if r["form"] == form]
            if sel:
                geo = math.exp(sum(math.log(v) for v in sel) / len(sel))
                slow = sum(slower(r) for r in timed if r["form"] == form)
                lines.append(f"\n{form}: {len(sel)} examples, geometric mean ratio {geo:.3f}, "
                             f"{slow} more than {SLOWER - 1:.0%} slower (median and fastest blocks)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--only", action="append", default=[], help="a rule's layer name (repeatable)")
    parser.add_argument("--repeats", type=int, default=15, help="alternating blocks per side (median)")
    parser.add_argument("--block-ms", type=float, default=20.0, help="about this long per timed block")
    parser.add_argument("--batch", type=int, default=0, help="fixed batch (default: from --elements)")
    parser.add_argument("--elements", type=int, default=2**18, help="about this many input values per call")
    parser.add_argument("--quick", action="store_true", help="first example per rule, 5 repeats, 10 ms blocks")
    parser.add_argument("--runtime", action="store_true", help="also time the runtime class of flat rules")
    parser.add_argument("--slower-only", action="store_true", help="print only rows over the 10%% bound")
    parser.add_argument("--show-code", action="store_true", help="keep the translated __call__ in the JSON")
    parser.add_argument("--recheck", type=int, default=0, metavar="REPEATS",
                        help="measure the rows over the bound again with this many repeats (the table keeps those)")
    parser.add_argument("--threads", type=int, default=1,
                        help="TensorFlow's intra- and inter-op threads (default 1: steadier on a shared machine; 0: TF's own)")
    parser.add_argument("--json", type=Path, help="write every row to this file")
    parser.add_argument("--render", type=Path, metavar="JSON", help="print the table of an earlier --json run")
    args = parser.parse_args(argv)
    if args.render:
        saved = json.loads(args.render.read_text())
        for key in ("batch", "elements", "repeats", "block_ms", "threads"):
            if key in saved:
                setattr(args, key, saved[key])
        print(markdown(saved["rows"], saved["overhead_us"], args))
        return 0
    if args.quick:
        args.repeats, args.block_ms = min(args.repeats, 5), min(args.block_ms, 10.0)

    import tensorflow as tf

    tf.config.set_visible_devices([], "GPU")
    if args.threads:
        tf.config.threading.set_intra_op_parallelism_threads(args.threads)
        tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    todo = cases(args)
    rows = []
    start = time.perf_counter()
    for rule, i, ex, form in todo:
        row = measure(rule, i, ex, form, args)
        rows.append(row)
        state = row.get("error") or f"{row['ratio']:.2f}"
        print(f"[{len(rows)}/{len(todo)}] {rule.layer}-{i} {form}: {state}", file=sys.stderr, flush=True)
    if args.recheck:
        # a row over the bound is measured again with more repeats (other load on a shared
        # machine flags rows whose ops are Keras's own); the table keeps the second figures
        again = argparse.Namespace(**{**vars(args), "repeats": args.recheck, "block_ms": max(args.block_ms, 20.0)})
        for k, row in enumerate(rows):
            if slower(row):
                rule, i, ex, form = todo[k]
                first = {key: row[key] for key in ("ratio", "best_ratio")}
                rows[k] = measure(rule, i, ex, form, again)
                rows[k]["first_run"] = first
                state = rows[k].get("error") or f"{rows[k]['ratio']:.2f}"
                print(f"[recheck] {rule.layer}-{i} {form}: {first['ratio']:.2f} -> {state}", file=sys.stderr, flush=True)
    overhead = _overhead(_tensors(__import__("numpy").zeros((args.batch or args.elements,), "float32")),
                         args.repeats, args.block_ms)
    shown = [r for r in rows if not args.slower_only or slower(r) or "error" in r]
    print(markdown(shown, overhead, args))
    print(f"\n({time.perf_counter() - start:.0f} s)", file=sys.stderr)
    if args.json:
        args.json.write_text(json.dumps({"batch": args.batch, "elements": args.elements, "threads": args.threads, "repeats": args.repeats, "block_ms": args.block_ms,
                                         "overhead_us": overhead, "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
