"""How much of a plain TensorFlow 2 program ``xlate to-keras`` raises (issue #17's measure).

    PYTHONPATH=src python bench/tokeras_share.py FILE.py|FILE.ipynb ...

For each file (a notebook's code cells joined, magics dropped), two shares:

- **weights**: of the ``tf.Variable`` creation sites in the file, those that became the weight
  of a Keras layer (the raised units' ``weight_order``);
- **ops**: of the layer-like op call sites (``tf.nn`` convolutions and poolings, ``tf.matmul``
  and ``@``, ``tf.nn.embedding_lookup``, ``tf.nn.batch_normalization``), those no longer
  executed as TensorFlow ops: the site is gone from the output, or it sits in a module-level
  helper function nothing calls any more.

Static (nothing is executed); prints one line per file and the totals.
"""

from __future__ import annotations

import ast
import json
import sys
from pathlib import Path

from kerastf_xlate.resolve import ModuleNames
from kerastf_xlate.sources import SourceError
from kerastf_xlate.tokeras.engine import translate_full

LAYER_OPS = {  # the "layer-like ops": tf.nn convolutions and poolings, tf.matmul
    "tf.nn.conv1d", "tf.nn.conv2d", "tf.nn.conv3d", "tf.nn.convolution", "tf.nn.conv2d_transpose",
    "tf.nn.conv1d_transpose", "tf.nn.conv3d_transpose", "tf.nn.depthwise_conv2d", "tf.nn.separable_conv2d",
    "tf.nn.max_pool", "tf.nn.max_pool1d", "tf.nn.max_pool2d", "tf.nn.max_pool3d", "tf.nn.avg_pool",
    "tf.nn.avg_pool1d", "tf.nn.avg_pool2d", "tf.nn.avg_pool3d", "tf.linalg.matmul", "tf.nn.embedding_lookup",
    "tf.nn.batch_normalization",
}


CASE_OUTPUT = "# output\n"  # a whole-file case of tests/cases/tokeras: the input, then this line and the expected output


def source_of(path: Path) -> str:
    if path.suffix != ".ipynb":
        return path.read_text().partition(CASE_OUTPUT)[0]  # (a case file: its input only)
    cells = json.loads(path.read_text())["cells"]
    out = []
    for c in cells:
        if c.get("cell_type") != "code":
            continue
        src = "".join(c["source"]) if isinstance(c["source"], list) else c["source"]
        out.append("\n".join(line for line in src.splitlines() if not line.lstrip().startswith(("%", "!"))))
    return "\n\n".join(out) + "\n"


def _dead_helpers(tree: ast.Module) -> list[ast.FunctionDef]:
    reads = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    return [f for f in tree.body if isinstance(f, ast.FunctionDef) and f.name not in reads]


def op_sites(text: str) -> tuple[int, int]:
    """(layer-like op sites, the ones in helper functions nothing calls)."""
    tree = ast.parse(text)
    names = ModuleNames(tree)
    dead = {id(n) for f in _dead_helpers(tree) for n in ast.walk(f)}
    total = in_dead = 0
    for n in ast.walk(tree):
        if (isinstance(n, ast.Call) and names.call(n) in LAYER_OPS) or (isinstance(n, ast.BinOp) and isinstance(n.op, ast.MatMult)):
            total += 1
            in_dead += id(n) in dead
    return total, in_dead


def variables(text: str) -> int:
    tree = ast.parse(text)
    names = ModuleNames(tree)
    return sum(1 for n in ast.walk(tree) if isinstance(n, ast.Call) and names.call(n) == "tf.Variable")


def measure(path: Path) -> tuple[int, int, int, int]:
    text = source_of(path)
    r = translate_full(text, str(path))
    n_vars = variables(text)
    raised_vars = sum(len(u.weight_order) for u in r.units if u.kind == "module")
    ops, _ = op_sites(text)
    left, dead = op_sites(r.text)
    return n_vars, min(raised_vars, n_vars), ops, ops - (left - dead)


def main(paths: list[str]) -> None:
    tv = rv = to = ro = 0
    for p in paths:
        try:
            nv, v, no, o = measure(Path(p))
        except (SyntaxError, SourceError) as exc:
            print(f"{p}: not parsed ({getattr(exc, 'msg', exc)})")
            continue
        tv, rv, to, ro = tv + nv, rv + v, to + no, ro + o
        print(f"{Path(p).name:40s} weights {v:3d}/{nv:<3d} ops {o:3d}/{no:<3d}")
    share = (rv + ro) / (tv + to) if tv + to else 0.0
    print(f"{'total':40s} weights {rv:3d}/{tv:<3d} ops {ro:3d}/{to:<3d} share {share:.0%}")


if __name__ == "__main__":
    main(sys.argv[1:])
