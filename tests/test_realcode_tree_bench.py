"""bench/realcode_tree.py, the directory-run benchmark, on a tiny corpus written here: a
repository whose model file builds with a sibling module's block translates as a directory
(both files together) though not file by file, and the counts, the second run's stability
check and the table come out right."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bench_module import load_bench
from zoo_sources import BLOCKS, NET

tree_bench = load_bench("realcode_tree")


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    repo = tmp_path / "corpus" / "someone+zoo"
    repo.mkdir(parents=True)
    (repo / "blocks.py").write_text(BLOCKS)
    (repo / "net.py").write_text(NET)
    (repo / "notes.py").write_text("x = 1\n")
    return tmp_path / "corpus"


def test_a_repository_translates_as_one_program(corpus: Path, tmp_path: Path) -> None:
    rec = tree_bench.measure(str(corpus / "someone+zoo"), str(tmp_path / "work"), 1, None)
    assert rec["rc"] == 0, rec["stderr_tail"]
    assert rec["files"] == 3 and rec["calls"] == 4  # Conv2D, BatchNormalization, GlobalAveragePooling2D, Dense
    assert rec["left"] == 0 and rec["changed"] == 2, rec
    assert rec["unparsable"] == 0 and rec["unstable"] == [] and rec["rc_again"] == 0


def test_the_table_sets_the_directory_run_beside_the_per_file_figure(corpus: Path, tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    per_file = tmp_path / "per_file.json"
    per_file.write_text(json.dumps({"files": [{"repo": "someone+zoo", "cp_before": 4, "cp_after": 2}]}))
    out = tmp_path / "tree.json"
    assert tree_bench.main(["--corpus", str(corpus), "-j", "1", "--no-ruff", "--per-file", str(per_file),
                            "--json", str(out)]) == 0
    table = capsys.readouterr().out
    assert "| someone+zoo | 3 | 4 | 2 (50.0%) | 4 (100.0%) | 2 | 0 | 0 | 0 | 0 |" in table, table
    assert json.loads(out.read_text())["repos"][0]["left"] == 0
