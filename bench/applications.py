"""Executed benchmark: ``xlate to-tf`` on keras.applications, Keras vs the translation.

The installed ``keras/src/applications/`` directory (real code nobody here wrote) is copied
to a temporary directory and translated as one tree (``xlate to-tf SRC -o OUT``, one
program: ``resnet_v2.py`` calls ``resnet.py``'s blocks). Then, for every builder, a child
process (one per builder, with a timeout):

1. builds the Keras model from the installed module and the TensorFlow model from the
   translated module, with ``weights=None``, the same small ``input_shape`` (the builder's
   minimum: 32x32, 71x71 or 75x75), ``classes=10`` and ``classifier_activation=None`` (logits
   are compared, not a softmax that would flatten differences); construction time of each;
2. sets ``rate = 0`` on every ``Dropout`` layer of both models (the builders fix
   EfficientNet's rates; a dropped unit is random, so only rate 0 is comparable in
   training); gives Keras's BatchNormalization layers the moving statistics of real
   activations (one training call on another random batch with momentum 0: with unit
   statistics the signal of many of these deep networks dies out in inference, every input
   gives nearly the same output, and the inference comparison would see little; the
   output's ``spread`` over the batch is reported to show it does not);
3. perturbs every Keras weight (``kerastf_xlate.testing.perturb``: no zero biases, no unit
   BatchNorm statistics or scales) and moves them with
   ``tf_model.set_weights(keras_model.get_weights())`` (Keras's ``Normalization`` computes
   from a copy of its weights: ``finalize_state()`` renews it, as after ``adapt``);
4. inference: both models on the same random batch (``training=False``);
5. training: calls both with ``training=True`` and compares the outputs and every weight
   afterwards (the BatchNorm moving mean and variance updates);
6. forward speed: the median of a few eager inference calls of each, after one warm-up.

Pass: ``max|a - b| <= 1e-4 * max(1, max|a|)`` for the inference output, the training
output and every weight array after the training call (``a`` is Keras's).

``--policy mixed_float16`` (or another): both models are built under that global dtype
policy (Keras's ``keras.config.set_dtype_policy``, the runtime's shared policy slot), and
every layer's compute and variable dtypes, the output's dtype and the weights' dtypes must be
Keras's. The BatchNorm statistics are set again from the perturbed network's own activations
on the compared batch (perturbed kernels grow EfficientNet's activations past float16's range,
in Keras). The tolerance is 4 ulps of the compute dtype at the output's scale (``4 * 2**-10``
for float16); most builders agree bit for bit. The table also gives how far Keras's output
under the policy is from a float32 Keras model with the same weights (informative only: with
statistics of a batch of 4 on 1x1 maps, float32 and float16 can part widely).

A translated module imports the Keras utilities it keeps (``imagenet_utils``, XL309) from
the installed package. A file of the tree that imports a *sibling* file the run translated
(``from keras.src.applications import resnet``) gets the translated sibling while it is
imported: the translated tree stands in for the package, as when it is installed in its place.

    python bench/applications.py                 # every builder (~40), Markdown table
    python bench/applications.py --quick         # a small, fast subset
    python bench/applications.py --only ResNet50V2 --only VGG16 --json out.json
    python bench/applications.py --policy mixed_float16 --runs 0   # under a mixed policy
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
TOLERANCE = 1e-4
PACKAGE = "keras.src.applications"

# name, file, side of the (square) input. Inputs: pixel values in [0, 255] for builders whose
# default preprocessing layers take them, [-128, 128] for those whose preprocess_input
# subtracts a mean ("caffe"), [-1, 1] for the others
BUILDERS: list[tuple[str, str, int]] = [
    ("ConvNeXtTiny", "convnext", 32), ("ConvNeXtSmall", "convnext", 32), ("ConvNeXtBase", "convnext", 32),
    ("ConvNeXtLarge", "convnext", 32), ("ConvNeXtXLarge", "convnext", 32),
    ("DenseNet121", "densenet", 32), ("DenseNet169", "densenet", 32), ("DenseNet201", "densenet", 32),
    *[(f"EfficientNetB{i}", "efficientnet", 32) for i in range(8)],
    *[(f"EfficientNetV2{s}", "efficientnet_v2", 32) for s in ("B0", "B1", "B2", "B3", "S", "M", "L")],
    ("InceptionResNetV2", "inception_resnet_v2", 75), ("InceptionV3", "inception_v3", 75),
    ("MobileNet", "mobilenet", 32), ("MobileNetV2", "mobilenet_v2", 32),
    ("MobileNetV3Small", "mobilenet_v3", 32), ("MobileNetV3Large", "mobilenet_v3", 32),
    ("NASNetMobile", "nasnet", 32), ("NASNetLarge", "nasnet", 32),
    ("ResNet50", "resnet", 32), ("ResNet101", "resnet", 32), ("ResNet152", "resnet", 32),
    ("ResNet50V2", "resnet_v2", 32), ("ResNet101V2", "resnet_v2", 32), ("ResNet152V2", "resnet_v2", 32),
    ("VGG16", "vgg16", 32), ("VGG19", "vgg19", 32),
    ("Xception", "xception", 71),
]
PIXEL_INPUTS = ("convnext", "efficientnet", "efficientnet_v2", "mobilenet_v3")
CAFFE_INPUTS = ("vgg16", "vgg19", "resnet")  # their preprocess_input subtracts a mean from [0, 255]
QUICK = ["MobileNetV3Small", "MobileNet", "MobileNetV2", "EfficientNetB0"]
# run last (the most parameters: a slow machine finishes the others first)
HEAVY = ["ResNet152", "ResNet152V2", "DenseNet201", "InceptionResNetV2", "EfficientNetB5", "EfficientNetB6",
         "EfficientNetV2M", "ConvNeXtBase", "NASNetLarge", "EfficientNetB7", "EfficientNetV2L", "ConvNeXtLarge",
         "ConvNeXtXLarge"]


def installed_applications() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("keras")  # the top package only: nothing is imported
    assert spec is not None and spec.submodule_search_locations, "keras is not installed"
    return Path(next(iter(spec.submodule_search_locations))).joinpath(*PACKAGE.split(".")[1:])


def translate_tree(work: Path) -> dict[str, Any]:
    """Copy the installed applications (tests left out) to ``work/src``, run ``xlate to-tf``
    on the directory into ``work/out``; per file: changed or not, the codes reported."""
    src, out = work / "src", work / "out"
    shutil.rmtree(src, ignore_errors=True)
    shutil.rmtree(out, ignore_errors=True)
    src.mkdir(parents=True)
    for path in sorted(installed_applications().glob("*.py")):
        if not path.name.endswith("_test.py"):
            shutil.copy(path, src / path.name)
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "kerastf_xlate", "to-tf", str(src), "-o", str(out)],
                          capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - start
    files: dict[str, Any] = {}
    for path in sorted(src.glob("*.py")):
        target = out / path.name
        codes: dict[str, int] = {}
        for m in re.finditer(rf"^{re.escape(str(path))}:\d+:\d+: (XL\d+)", proc.stderr, re.M):
            codes[m.group(1)] = codes.get(m.group(1), 0) + 1
        files[path.stem] = {"changed": target.exists() and target.read_bytes() != path.read_bytes(),
                            "written": target.exists(), "codes": codes}
    return {"rc": proc.returncode, "seconds": seconds, "files": files, "out": str(out),
            "stderr_tail": proc.stderr[-2000:] if proc.returncode else ""}


# --- the child: one builder --------------------------------------------------------------


def _load_translated(tree: Path, stem: str, loaded: dict[str, Any]) -> Any:
    """Import ``tree/stem.py`` as ``xlate_applications.stem``; while it runs, the package's
    siblings it imports are the translated ones (loaded first)."""
    import importlib
    import importlib.util

    if stem in loaded:
        return loaded[stem]
    path = tree / f"{stem}.py"
    source = path.read_text(encoding="utf-8")
    package = importlib.import_module(PACKAGE)
    siblings = {}
    for name in re.findall(rf"^from {re.escape(PACKAGE)} import (\w+)\s*$", source, re.M):
        original = installed_applications() / f"{name}.py"
        if (tree / f"{name}.py").exists() and original.exists() and (tree / f"{name}.py").read_bytes() != original.read_bytes():
            siblings[name] = _load_translated(tree, name, loaded)
    spec = importlib.util.spec_from_file_location(f"xlate_applications.{stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    saved = {name: (sys.modules.get(f"{PACKAGE}.{name}"), getattr(package, name, None)) for name in siblings}
    try:
        for name, translated in siblings.items():
            sys.modules[f"{PACKAGE}.{name}"] = translated
            setattr(package, name, translated)
        spec.loader.exec_module(module)
    finally:
        for name, (mod, attr) in saved.items():
            if mod is not None:
                sys.modules[f"{PACKAGE}.{name}"] = mod
            if attr is not None:
                setattr(package, name, attr)
    loaded[stem] = module
    return module


def _dropout_layers(layers: Any, seen: set[int] | None = None) -> list[Any]:
    """Every layer with a dropout ``rate`` under ``layers`` (Keras or translated), recursively."""
    seen = set() if seen is None else seen
    out = []
    for layer in layers:
        if id(layer) in seen:
            continue
        seen.add(id(layer))
        if type(layer).__name__ == "Dropout":
            out.append(layer)
        inner = getattr(layer, "_layers", None)
        if isinstance(inner, list):
            out.extend(_dropout_layers(inner, seen))
    return out


def _max_diff(a: Any, b: Any) -> tuple[float, float]:
    """(max |a - b|, max |a|) in float64."""
    import numpy as np

    a, b = np.asarray(a, dtype="float64"), np.asarray(b, dtype="float64")
    if a.shape != b.shape:
        raise AssertionError(f"shapes differ: {a.shape} vs {b.shape}")
    if not a.size:
        return 0.0, 0.0
    return float(np.max(np.abs(a - b))), float(np.max(np.abs(a)))


# the resolution of a policy's compute dtype (an ulp at 1): under float16 or bfloat16 an output is
# accepted within ULPS of them at its scale (the translation computes the same operations; where
# Keras orders a sum otherwise, as in ConvNeXt's LayerNormalization, a result moves by an ulp or
# two, and a wrong operation moves it by far more)
RESOLUTION = {"float16": 2.0 ** -10, "bfloat16": 2.0 ** -7}
ULPS = 4


def _tolerance(policy: str | None) -> float:
    compute = (policy or "float32").removeprefix("mixed_")
    return max(TOLERANCE, ULPS * RESOLUTION.get(compute, 0.0))


def _within(diff: float, scale: float, policy: str | None = None) -> bool:
    """``diff <= tolerance * max(1, scale)``: TOLERANCE in float32, :data:`ULPS` ulps of the
    compute dtype under a float16 or bfloat16 policy."""
    return diff <= _tolerance(policy) * max(1.0, scale)  # NaN fails


def _median_ms(fn: Any, runs: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1000 * sorted(times)[len(times) // 2]


def _set_policy(keras: Any, translated: Any, policy: str) -> None:
    """The global dtype policy of Keras and of the translated runtime (what a program's
    ``keras.config.set_dtype_policy(policy)`` becomes: the runtime keeps it in one shared
    per-thread slot, see runtime/tfr_dtype.py)."""
    keras.config.set_dtype_policy(policy)
    # a file whose builders are all another's (resnet_v2 calls resnet's) holds no runtime:
    # any translated module's copy sets the same slot
    runtime = next(m for m in [translated, *vars(translated).values()] if hasattr(m, "_config_dtype_policy"))
    runtime._config_dtype_policy()  # makes the shared slot
    sys.modules["_xlate_tf_dtype_policy"].local.policy = runtime.DTypePolicy(policy)


def _dtype_name(x: Any) -> str:
    import tensorflow as tf

    return tf.as_dtype(x.dtype).name


def _dtypes(model: Any) -> list[tuple[str, str]]:
    """(compute, variable) dtype of each layer of a model, in its layer order."""
    import tensorflow as tf

    return [tuple(tf.as_dtype(getattr(layer, a)).name for a in ("compute_dtype", "variable_dtype")) for layer in model.layers]


def compare_builder(name: str, stem: str, size: int, tree: Path, seed: int = 0, batch: int = 4, runs: int = 3,
                    corrupt: str | None = None, calibrate: bool = True, keep: dict[str, Any] | None = None,
                    policy: str | None = None) -> dict[str, Any]:
    """Build both models of one builder, move perturbed weights, compare (the dict of the
    report). ``corrupt="swap"`` swaps two same-shaped weight arrays on their way to the
    translation (a negative control: it must fail). ``keep`` receives both models and the
    input (``keras``, ``tf``, ``x``: ``bench/model_speed.py`` times them). ``policy``: both
    built under that global dtype policy, and a float32 Keras model with the same weights
    gives the reference difference (see :func:`_within_policy`)."""
    import importlib

    import keras
    import numpy as np

    from kerastf_xlate.testing.perturb import perturb_weights

    result: dict[str, Any] = {"builder": name, "file": f"{stem}.py", "input": [size, size, 3], "batch": batch}
    kwargs = {"weights": None, "input_shape": (size, size, 3), "classes": 10, "classifier_activation": None}
    keras_builder = getattr(importlib.import_module(f"{PACKAGE}.{stem}"), name)
    translated = _load_translated(tree, stem, {})
    tf_builder = getattr(translated, name)
    if policy:
        result["policy"] = policy
        _set_policy(keras, translated, policy)

    keras.utils.set_random_seed(seed)
    start = time.perf_counter()
    k_model = keras_builder(**kwargs)
    result["build_s_keras"] = time.perf_counter() - start
    start = time.perf_counter()
    t_model = tf_builder(**kwargs)
    result["build_s_tf"] = time.perf_counter() - start
    if type(t_model).__module__.startswith("keras"):
        raise AssertionError(f"the translated builder gave a Keras model ({type(t_model).__name__})")

    k_shapes = [tuple(w.shape) for w in k_model.get_weights()]
    t_shapes = [tuple(w.shape) for w in t_model.get_weights()]
    if k_shapes != t_shapes:
        first = next((i for i, (a, b) in enumerate(zip(k_shapes, t_shapes)) if a != b), min(len(k_shapes), len(t_shapes)))
        raise AssertionError(f"weights differ: Keras {len(k_shapes)} arrays, TF {len(t_shapes)}; first difference at #{first}: "
                             f"{k_shapes[first:first + 1]} vs {t_shapes[first:first + 1]}")
    result["weights"] = len(k_shapes)
    result["params"] = int(sum(int(np.prod(s)) for s in k_shapes))

    rng = np.random.default_rng(seed)
    low, high = (0.0, 255.0) if stem in PIXEL_INPUTS else (-128.0, 128.0) if stem in CAFFE_INPUTS else (-1.0, 1.0)
    calibration, x = (rng.uniform(low, high, size=(batch, size, size, 3)).astype("float32") for _ in range(2))

    k_drop = _dropout_layers(k_model._flatten_layers(include_self=False, recursive=True))
    t_drop = _dropout_layers(t_model.layers)
    result["dropout_layers"] = [len(k_drop), len(t_drop)]
    for layer in k_drop + t_drop:
        layer.rate = 0.0
    k_layers = list(k_model._flatten_layers(include_self=False, recursive=True))
    norms = [layer for layer in k_layers if type(layer).__name__ == "BatchNormalization"]

    def calibrate_norms(batch: Any = calibration) -> None:
        # moving statistics of real activations (one training call with momentum 0), so that a
        # deep network's signal survives inference: with unit statistics many of these networks
        # map every input to nearly the same output, and an inference comparison sees little
        momenta = [layer.momentum for layer in norms]
        for layer in norms:
            layer.momentum = 0.0
        k_model(batch, training=True)
        for layer, momentum in zip(norms, momenta):
            layer.momentum = momentum

    if calibrate:
        calibrate_norms()
    moved = perturb_weights(k_model, seed=seed)
    for layer in k_layers:  # Keras's Normalization computes from a copy of its weights made here
        if type(layer).__name__ == "Normalization":
            layer.finalize_state()
    if calibrate and policy and norms:
        # under a float16 policy the perturbed kernels grow some networks' activations past
        # float16's range (EfficientNet: inf by block 6, in Keras): the statistics are set
        # again from each BatchNormalization's own input in the perturbed network, on the
        # compared batch (at 32x32 the deepest maps are 1x1, and the statistics of another
        # batch of 4 do not bound them); they stay far from zero mean and unit variance, so a
        # swapped or unused statistic still shows
        calibrate_norms(x)
        moved = k_model.get_weights()
    if corrupt == "swap":
        i, j = next((i, j) for i in range(len(moved)) for j in range(i + 1, len(moved))
                    if moved[i].shape == moved[j].shape and moved[i].ndim >= 1)
        moved = list(moved)
        moved[i], moved[j] = moved[j], moved[i]
    t_model.set_weights(moved)

    k_out = k_model(x, training=False)
    t_out = t_model(x, training=False)
    if policy:
        # the same weights in a float32 Keras model: how far the policy's rounding alone moves
        # the output, the scale the translation's difference is judged on
        keras.config.set_dtype_policy("float32")
        reference = keras_builder(**kwargs)
        for layer in _dropout_layers(reference._flatten_layers(include_self=False, recursive=True)):
            layer.rate = 0.0
        reference.set_weights(moved)
        _set_policy(keras, translated, policy)
        result["reference_diff"] = _max_diff(np.asarray(k_out, dtype="float64"),
                                             np.asarray(reference(x, training=False), dtype="float64"))[0]
        result["dtypes_ok"] = (_dtype_name(k_out) == _dtype_name(t_out) and _dtypes(k_model) == _dtypes(t_model)
                               and [w.dtype for w in k_model.get_weights()] == [w.dtype for w in t_model.get_weights()])
        result["output_dtype"] = _dtype_name(t_out)
    k_out, t_out = np.asarray(k_out, dtype="float64"), np.asarray(t_out, dtype="float64")
    diff, scale = _max_diff(k_out, t_out)
    result["inference_diff"], result["inference_scale"] = diff, scale
    result["inference_ok"] = _within(diff, scale, policy)
    # how much the output depends on the input: a comparison of near-constant outputs is weak
    result["inference_spread"] = float(np.max(np.abs(k_out - k_out.mean(axis=0))))
    k_train = np.asarray(k_model(x, training=True), dtype="float64")
    t_train = np.asarray(t_model(x, training=True), dtype="float64")
    diff, scale = _max_diff(k_train, t_train)
    result["training_diff"], result["training_scale"] = diff, scale
    worst_state, worst_ok = 0.0, True
    for kw, tw in zip(k_model.get_weights(), t_model.get_weights()):
        d, s = _max_diff(kw, tw)
        worst_state = max(worst_state, d) if d == d else float("nan")
        worst_ok = worst_ok and _within(d, s, policy)
    result["state_diff"] = worst_state
    result["training_ok"] = _within(diff, scale, policy) and worst_ok
    result["pass"] = result["inference_ok"] and result["training_ok"] and result.get("dtypes_ok", True)

    if keep is not None:
        keep.update(keras=k_model, tf=t_model, x=x)
    if runs:
        result["forward_ms_keras"] = _median_ms(lambda: k_model(x, training=False), runs)
        result["forward_ms_tf"] = _median_ms(lambda: t_model(x, training=False), runs)
    return result


def _child(args: argparse.Namespace) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    name = args.child
    stem, size = next((f, s) for n, f, s in BUILDERS if n == name)
    try:
        result = compare_builder(name, stem, size, Path(args.tree), seed=args.seed, runs=args.runs, corrupt=args.corrupt,
                                 policy=args.policy)
    except Exception as exc:  # reported, not raised: the parent writes the table
        import traceback

        result = {"builder": name, "file": f"{stem}.py", "pass": False,
                  "error": f"{type(exc).__name__}: {exc}"[:2000], "traceback": traceback.format_exc()[-4000:]}
    print("XLATE-RESULT " + json.dumps(result), flush=True)
    return 0


# --- the parent: translation, children, table --------------------------------------------


def run_builder(name: str, tree: Path, timeout: float, seed: int = 0, runs: int = 3, corrupt: str | None = None,
                policy: str | None = None) -> dict[str, Any]:
    """One builder in a child process; the child's result, or the reason there is none."""
    stem = next(f for n, f, _ in BUILDERS if n == name)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "src"), os.environ.get("PYTHONPATH", "")]),
           "TF_CPP_MIN_LOG_LEVEL": "3"}
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", name, "--tree", str(tree),
           "--seed", str(seed), "--runs", str(runs)] + (["--corrupt", corrupt] if corrupt else []) + (
               ["--policy", policy] if policy else [])
    start = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"builder": name, "file": f"{stem}.py", "pass": False, "error": f"timed out after {timeout:.0f} s"}
    for line in proc.stdout.splitlines():
        if line.startswith("XLATE-RESULT "):
            result: dict[str, Any] = json.loads(line[len("XLATE-RESULT "):])
            result["child_s"] = time.perf_counter() - start
            return result
    return {"builder": name, "file": f"{stem}.py", "pass": False,
            "error": f"child exited {proc.returncode} without a result: {proc.stderr[-1500:]}"}


def _fmt(v: Any, spec: str) -> str:
    return "—" if v is None else format(v, spec)


def markdown(results: list[dict[str, Any]], tree: dict[str, Any]) -> str:
    rows = ["| builder | file | translated? | inference max diff | training max diff (out / state) | pass | build s Keras / TF | forward ms Keras / TF |",
            "|---|---|---|---|---|---|---|---|"]
    for r in results:
        stem = r["file"][:-3]
        info = tree["files"].get(stem, {})
        translated = "yes" if info.get("changed") else "no (unchanged; runs the translated siblings)" if info.get("written") else "no"
        if "error" in r:
            rows.append(f"| {r['builder']} | {r['file']} | {translated} | — | — | **FAIL**: {r['error'].splitlines()[0][:160]} | — | — |")
            continue
        reference = f"; Keras {r['policy']} vs float32 {r['reference_diff']:.2g}" if r.get("policy") else ""
        rows.append(
            f"| {r['builder']} | {r['file']} | {translated} | {r['inference_diff']:.2g} (max {r['inference_scale']:.3g}, spread {r['inference_spread']:.2g}{reference}) | "
            f"{r['training_diff']:.2g} / {r['state_diff']:.2g} | {'yes' if r['pass'] else '**NO**'} | "
            f"{r['build_s_keras']:.1f} / {r['build_s_tf']:.1f} | "
            f"{_fmt(r.get('forward_ms_keras'), '.0f')} / {_fmt(r.get('forward_ms_tf'), '.0f')} |")
    return "\n".join(rows)


def _write_json(path: Path, tree: dict[str, Any], results: list[dict[str, Any]], complete: bool) -> None:
    payload = {"tolerance": TOLERANCE, "translation": tree, "results": results, "complete": complete}
    path.write_text(json.dumps(payload, indent=1), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help=f"only {', '.join(QUICK)}")
    parser.add_argument("--only", action="append", default=[], metavar="NAME", help="this builder (repeatable)")
    parser.add_argument("--json", metavar="PATH", help="also write every result as JSON here ('-': stdout)")
    parser.add_argument("--work", metavar="DIR", help="where to copy and translate (default: a temporary directory)")
    parser.add_argument("--timeout", type=float, default=900, help="seconds per builder (default 900)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--runs", type=int, default=3, help="timed forward passes per model (0: no timing)")
    parser.add_argument("--policy", help="build both under this global dtype policy (mixed_float16, ...)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--tree", help=argparse.SUPPRESS)
    parser.add_argument("--corrupt", help=argparse.SUPPRESS)
    parser.add_argument("--table", metavar="JSON", help="print the table of a --json file (a run cut short too) and stop")
    args = parser.parse_args(argv)
    if args.child:
        return _child(args)
    if args.table:
        saved = json.loads(Path(args.table).read_text(encoding="utf-8"))
        print(markdown(saved["results"], saved["translation"]))
        return 0

    names = [n for n, _, _ in BUILDERS]
    selected = args.only or (QUICK if args.quick else names)
    unknown = [n for n in selected if n not in names]
    if unknown:
        parser.error(f"unknown builders {unknown}; known: {', '.join(names)}")
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="xlate-apps-"))
    tree = translate_tree(work)
    print(f"to-tf on {len(tree['files'])} files of {installed_applications()}: exit {tree['rc']}, {tree['seconds']:.1f} s",
          file=sys.stderr)
    results: list[dict[str, Any]] = []
    for name in sorted(selected, key=lambda n: HEAVY.index(n) if n in HEAVY else -1):
        r = run_builder(name, Path(tree["out"]), args.timeout, seed=args.seed, runs=args.runs, policy=args.policy)
        status = "pass" if r.get("pass") else f"FAIL {r.get('error', '')[:200]}"
        print(f"  {name}: {status} ({r.get('child_s', 0):.0f} s)", file=sys.stderr, flush=True)
        results.append(r)
        results.sort(key=lambda r: names.index(r["builder"]))
        if args.json and args.json != "-":  # after every builder: a run cut short still has its figures
            _write_json(Path(args.json), tree, results, complete=len(results) == len(selected))
    print(markdown(results, tree))
    worst = [r for r in results if "error" not in r]
    if worst:
        w = max(worst, key=lambda r: max(r["inference_diff"] / max(1, r["inference_scale"]), r["training_diff"] / max(1, r["training_scale"])))
        print(f"\ntolerance max|a-b| <= {_tolerance(args.policy):g} * max(1, max|a|); {sum(bool(r.get('pass')) for r in results)}/{len(results)} pass; "
              f"worst relative: {w['builder']} (inference {w['inference_diff']:.3g} of {w['inference_scale']:.3g}, "
              f"training {w['training_diff']:.3g} of {w['training_scale']:.3g})")
    if args.json == "-":
        print(json.dumps({"tolerance": TOLERANCE, "translation": tree, "results": results, "complete": True}, indent=1))
    return 0 if all(r.get("pass") for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
