"""Whole models, op by op: the graph Keras's model traces under ``tf.function`` against its
translation's, before and after Grappler (TensorFlow's graph optimiser, what the runtime
executes; loop bodies inlined), every op type counted (reads, constants and identities too).
No timing: two graphs with the same ops run at the same speed, whatever a loaded machine says.
``--hlo``: also the instructions of the optimized HLO module XLA compiles for each side under
``tf.function(jit_compile=True)``, counted by opcode (what runs under XLA).

    PYTHONPATH=src python bench/model_ops.py                  # every example of examples/
    PYTHONPATH=src python bench/model_ops.py lstm_tagger      # chosen ones
    PYTHONPATH=src python bench/model_ops.py --hlo            # and the XLA programs
"""

from __future__ import annotations

import collections
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import model_speed


def raw_ops(concrete: Any) -> collections.Counter[str]:
    return collections.Counter(op.type for op in concrete.graph.get_operations())


def optimized_ops(concrete: Any) -> collections.Counter[str]:
    """The op types of the graph after Grappler's default passes (functions inlined)."""
    import tensorflow as tf
    from tensorflow.core.protobuf import config_pb2, meta_graph_pb2
    from tensorflow.python.grappler import tf_optimizer

    graph = concrete.graph
    meta = tf.compat.v1.train.export_meta_graph(graph_def=graph.as_graph_def(), graph=graph)
    fetch = meta_graph_pb2.CollectionDef()
    for t in concrete.outputs:
        fetch.node_list.value.append(t.name)
    meta.collection_def["train_op"].CopyFrom(fetch)  # what Grappler must keep
    optimized = tf_optimizer.OptimizeGraph(config_pb2.ConfigProto(), meta, graph_id=b"model")
    return collections.Counter(node.op for node in optimized.node)


def hlo_ops(function: Any, x: Any) -> collections.Counter[str]:
    """The opcodes of the optimized HLO module XLA compiles for ``function`` (jit_compile) on ``x``."""
    text = function.experimental_get_compiler_ir(x)(stage="optimized_hlo")
    return collections.Counter(m.group(1) for m in re.finditer(r"=\s*\S+\s+([a-z][a-z0-9\-]*)\(", text))


def _caller(model: Any, jit: bool = False) -> Any:
    import tensorflow as tf

    def call(v: Any) -> Any:
        return model(v, training=False)

    return tf.function(call, jit_compile=jit)


def differences(a: collections.Counter[str], b: collections.Counter[str]) -> str:
    keys = sorted(k for k in set(a) | set(b) if a.get(k, 0) != b.get(k, 0))
    return ", ".join(f"{k} {a.get(k, 0)}/{b.get(k, 0)}" for k in keys) or "none"


def main(names: list[str]) -> int:
    hlo = "--hlo" in names
    names = [n for n in names if n != "--hlo"]
    head = "| model | traced ops Keras / translation | differing | after Grappler | differing |"
    print(head + (" XLA HLO instructions | differing |" if hlo else ""))
    print("|---|---:|---|---:|---|" + ("---:|---|" if hlo else ""))
    with tempfile.TemporaryDirectory() as work:
        for name, keras_model, module, x, _ in model_speed.example_models(Path(work), 32):
            if names and name not in names:
                continue
            sides = [_caller(m).get_concrete_function(x) for m in (keras_model, module)]
            (rk, rt), (ok, ot) = ([raw_ops(c) for c in sides]), ([optimized_ops(c) for c in sides])
            row = (f"| {name} | {sum(rk.values())} / {sum(rt.values())} | {differences(rk, rt)} "
                   f"| {sum(ok.values())} / {sum(ot.values())} | {differences(ok, ot)} |")
            if hlo:
                hk, ht = (hlo_ops(_caller(m, jit=True), x) for m in (keras_model, module))
                row += f" {sum(hk.values())} / {sum(ht.values())} | {differences(hk, ht)} |"
            print(row, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
