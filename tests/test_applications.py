"""keras.applications translated by ``xlate to-tf`` and executed next to Keras.

Real code nobody here wrote: the installed ``keras/src/applications/*.py``, copied to a
temporary directory and translated there. ``bench/applications.py`` holds the comparison
(``compare_builder``: same builder, ``weights=None``, a small input, Keras's weights
perturbed and moved with ``set_weights``, inference and training compared, BatchNorm
moving statistics included; tolerance ``max|a-b| <= 1e-4 * max(1, max|a|)``).

Unmarked: MobileNetV3Small at its minimum input (32x32), in this process, and the same with
two weights swapped on their way to the translation (it must fail). ``slow``: every builder
of the benchmark, each in a child process, the applications directory translated as one
tree (``resnet_v2.py`` uses ``resnet.py``'s blocks).
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.tf

REPO = Path(__file__).resolve().parent.parent


def _bench() -> Any:
    spec = importlib.util.spec_from_file_location("xlate_bench_applications", REPO / "bench" / "applications.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


BENCH = _bench()


def _translate(files: list[str], work: Path) -> Path:
    src, out = work / "src", work / "out"
    src.mkdir(parents=True)
    for name in files:
        shutil.copy(BENCH.installed_applications() / name, src / name)
    subprocess.run([sys.executable, "-m", "kerastf_xlate", "to-tf", str(src), "-o", str(out), "-q", "-j", "1"],
                   check=True, env={"PYTHONPATH": str(REPO / "src"), "PATH": ""}, capture_output=True)
    return out


@pytest.fixture(scope="module")
def mobilenet_v3(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _translate(["mobilenet_v3.py"], tmp_path_factory.mktemp("apps"))


def test_mobilenet_v3_small_matches_keras(mobilenet_v3: Path) -> None:
    r = BENCH.compare_builder("MobileNetV3Small", "mobilenet_v3", 32, mobilenet_v3, runs=0)
    assert r["weights"] > 100 and r["dropout_layers"] == [1, 1]
    # the output depends on the input (the comparison is not of near-constant outputs)
    assert r["inference_spread"] > 1e-2 * max(1.0, r["inference_scale"])
    assert r["inference_ok"], f"inference: max |diff| {r['inference_diff']:.3g} of {r['inference_scale']:.3g}"
    assert r["training_ok"], (f"training: output max |diff| {r['training_diff']:.3g} of {r['training_scale']:.3g}, "
                              f"weights after the call {r['state_diff']:.3g}")


def test_a_swapped_weight_is_caught(mobilenet_v3: Path) -> None:
    r = BENCH.compare_builder("MobileNetV3Small", "mobilenet_v3", 32, mobilenet_v3, runs=0, corrupt="swap")
    assert not r["inference_ok"] and not r["pass"]


@pytest.fixture(scope="module")
def whole_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    files = sorted(p.name for p in BENCH.installed_applications().glob("*.py") if not p.name.endswith("_test.py"))
    return _translate(files, tmp_path_factory.mktemp("apps_tree"))


@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n, _, _ in BENCH.BUILDERS])
def test_builder_matches_keras(name: str, whole_tree: Path) -> None:
    r = BENCH.run_builder(name, whole_tree, timeout=900, runs=0)
    assert "error" not in r, r["error"] + "\n" + r.get("traceback", "")
    assert r["pass"], (f"{name}: inference {r['inference_diff']:.3g} of {r['inference_scale']:.3g}; training "
                       f"{r['training_diff']:.3g} of {r['training_scale']:.3g}; weights after training {r['state_diff']:.3g}")
