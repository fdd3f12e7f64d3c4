"""Shared pytest fixtures and the session summary of the rule round-trip tests."""

from __future__ import annotations

from typing import Any

import pytest

_ROUNDTRIP = pytest.StashKey[dict]()
_RUNTIME = pytest.StashKey[dict]()
_TOKERAS = pytest.StashKey[dict]()


@pytest.fixture(scope="session")
def roundtrip_report(request: pytest.FixtureRequest) -> dict[str, Any]:
    """case id -> {rule, worst, modes, ok, seconds}, filled by tests/test_rule_roundtrip.py."""
    return request.config.stash.setdefault(_ROUNDTRIP, {})


@pytest.fixture(scope="session")
def runtime_report(request: pytest.FixtureRequest) -> dict[str, float]:
    """rule -> worst max |Keras - runtime class| over its examples, filled by
    tests/test_runtime_layers.py."""
    return request.config.stash.setdefault(_RUNTIME, {})


@pytest.fixture(scope="session")
def tokeras_report(request: pytest.FixtureRequest) -> dict[str, Any]:
    """case id -> (worst |F - K|, to-tf(K) == T), filled by tests/test_tokeras_roundtrip.py."""
    return request.config.stash.setdefault(_TOKERAS, {})


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    tokeras: dict[str, Any] = config.stash.get(_TOKERAS, {})
    if tokeras:
        worst_case = max(tokeras, key=lambda c: tokeras[c][0])
        unstable = sorted(c for c, (_, stable) in tokeras.items() if not stable)
        terminalreporter.section("to-keras round trip: Keras -> to-tf -> to-keras, executed")
        terminalreporter.write_line(f"{len(tokeras)} cases, worst max |diff| = {tokeras[worst_case][0]:.3g} ({worst_case}); "
                                    f"textually stable: {len(tokeras) - len(unstable)}; unstable: {unstable}")
    runtime: dict[str, float] = config.stash.get(_RUNTIME, {})
    if runtime:
        terminalreporter.section("runtime layer classes: worst max |Keras - runtime| per rule (atol = rtol = 1e-5)")
        for rule, worst in sorted(runtime.items()):
            terminalreporter.write_line(f"{rule:<28} {worst:.3g}")
    results: dict[str, Any] = config.stash.get(_ROUNDTRIP, {})
    if not results:
        return
    tr = terminalreporter
    tr.section("rule round-trip: worst max |Keras - translation| per example (atol = rtol = 1e-5)")
    tr.write_line(f"{'example':<28} {'modes':<20} {'max |diff|':>11}  {'s':>5}  ok")
    for case, r in sorted(results.items()):
        tr.write_line(f"{case:<28} {'+'.join(r['modes']):<20} {r['worst']:>11.3g}  {r['seconds']:>5.2f}  {'yes' if r['ok'] else 'NO'}")
    per_rule: dict[str, float] = {}
    for r in results.values():
        per_rule[r["rule"]] = max(per_rule.get(r["rule"], 0.0), r["worst"])
    worst_rule = max(per_rule, key=per_rule.__getitem__)
    tr.write_line(
        f"{len(results)} examples of {len(per_rule)} rules; worst: {worst_rule} "
        f"{per_rule[worst_rule]:.3g}; total {sum(r['seconds'] for r in results.values()):.1f} s"
    )
    tr.section("rule round-trip: worst max |diff| per rule")
    for rule, worst in sorted(per_rule.items()):
        tr.write_line(f"{rule:<28} {worst:.3g}")
