"""Forward-pass speed of the translated recurrent layers against Keras (not a test).

Keras's LSTM / GRU (TensorFlow backend, CPU: its ``tf.while_loop`` path; the cuDNN kernel is
GPU only) against the runtime classes ``xlate to-tf`` writes into a translated program
(``src/kerastf_xlate/runtime/tfr_recurrent.py``, loaded as the bundler writes them), on the
same weights and inputs, eager and inside ``tf.function``. Prints a Markdown table: median
milliseconds per forward pass over ``--rounds`` timed calls after warm-up (tracing not
counted), and the largest output difference.

    PYTHONPATH=src python bench/rnn_speed.py                 # batch 32, 50 steps, 64 -> 128
    PYTHONPATH=src python bench/rnn_speed.py --steps 200 --rounds 10
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def runtime_layers() -> dict[str, Any]:
    """The runtime classes as a translated file holds them (written to a file: autograph
    reads the source of what ``tf.function`` traces, as it does in a translated program)."""
    import runpy
    import tempfile

    from kerastf_xlate.totf.program.bundle import load_runtime

    rt = load_runtime()
    path = os.path.join(tempfile.mkdtemp(prefix="xlate-rnn-bench-"), "runtime_bundle.py")
    with open(path, "w", encoding="utf-8") as f:
        f.write("import tensorflow as tf\n" + rt.source(set(rt.public)))
    return runpy.run_path(path)


def median_ms(fn: Any, rounds: int) -> float:
    fn()  # warm-up (and tracing, for a tf.function)
    fn()
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        out = fn()
        _ = [t.numpy() for t in (out if isinstance(out, (list, tuple)) else [out])]
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--features", type=int, default=64)
    parser.add_argument("--units", type=int, default=128)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args(argv)

    import keras
    import numpy as np
    import tensorflow as tf

    rt = runtime_layers()
    rng = np.random.default_rng(0)
    x = tf.constant(rng.standard_normal((args.batch, args.steps, args.features)).astype("float32"))
    lengths = rng.integers(args.steps // 2, args.steps + 1, args.batch)
    mask = tf.constant(np.arange(args.steps)[None, :] < lengths[:, None])
    configs = [
        ("LSTM", "LSTM({u}, return_sequences=True)", {}),
        ("LSTM, masked", "LSTM({u}, return_sequences=True)", {"mask": mask}),
        ("LSTM, unroll=True", "LSTM({u}, unroll=True)", {}),
        ("GRU", "GRU({u}, return_sequences=True)", {}),
        ("Bidirectional(LSTM)", "Bidirectional(LSTM({u}, return_sequences=True))", {}),
    ]
    if args.steps > 100:
        configs = [c for c in configs if "unroll" not in c[0]]
    print(f"batch {args.batch}, {args.steps} steps, {args.features} features, {args.units} units; "
          f"TensorFlow {tf.__version__}, Keras {keras.__version__}; median of {args.rounds} calls (ms)\n")
    print("| layer | Keras eager | runtime eager | Keras tf.function | runtime tf.function | max abs diff |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, expr, call in configs:
        expr = expr.format(u=args.units)
        keras.utils.set_random_seed(0)
        k = eval(expr, {n: getattr(keras.layers, n) for n in ("LSTM", "GRU", "Bidirectional")})
        t = eval(expr, rt)
        k(x, **call)
        t(x, **call)
        t.set_weights(k.get_weights())
        diff = float(np.max(np.abs(np.asarray(k(x, **call)) - np.asarray(t(x, **call)))))
        k_fn = tf.function(lambda k=k, call=call: k(x, **call))
        t_fn = tf.function(lambda t=t, call=call: t(x, **call))
        row = [median_ms(lambda k=k, call=call: k(x, **call), args.rounds),
               median_ms(lambda t=t, call=call: t(x, **call), args.rounds),
               median_ms(k_fn, args.rounds), median_ms(t_fn, args.rounds)]
        print(f"| {label} | " + " | ".join(f"{v:.1f}" for v in row) + f" | {diff:.2g} |")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
