"""How many of the layer classes Keras exports are translated (not a test).

Every public name of ``keras.layers`` that is a ``keras.layers.Layer`` subclass (aliases such
as ``Convolution2D`` counted as the names they are), looked up in the rule table
(``rules/*.toml``, the table ``xlate rules`` prints): counted by the rule's status. A name's
rule is ``translated`` (a TensorFlow counterpart: the flat form, the program form's layer
class, or both), ``structural`` (a container or an input, translated as the model around
it) or ``none`` (kept as Keras, the rule says why). Prints a Markdown summary and the names
still ``none`` with their rule's reason.

    PYTHONPATH=src python bench/keras_layer_count.py
    PYTHONPATH=src python bench/keras_layer_count.py --json counts.json
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import sys
from collections import Counter
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))


def exported_layer_names() -> list[str]:
    import keras

    return sorted(n for n in dir(keras.layers) if not n.startswith("_") and inspect.isclass(getattr(keras.layers, n))
                  and issubclass(getattr(keras.layers, n), keras.layers.Layer))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", help="write {name: status} and the totals to this file")
    args = parser.parse_args(argv)

    import keras

    from kerastf_xlate.rules import default_rules

    rules = default_rules()
    names = exported_layer_names()
    status = {}
    for name in names:
        rule = rules.get(name)
        status[name] = rule.status if rule is not None else "no rule"
    counts = Counter(status.values())
    with_counterpart = counts["translated"] + counts["structural"]
    print(f"Keras {keras.__version__}: {len(names)} layer class names in keras.layers (aliases included)\n")
    print("| status | names |\n|---|---:|")
    for key in ("translated", "structural", "none", "removed", "no rule"):
        if counts[key]:
            print(f"| {key} | {counts[key]} |")
    print(f"\ntranslated or structural: {with_counterpart} of {len(names)}\n")
    print("| still none | reason |\n|---|---|")
    for name in names:
        if status[name] == "none":
            rule = rules.get(name)
            reason = (rule.reason or "") if rule is not None else ""
            print(f"| {name} | {reason.replace('|', '/')} |")
    if args.json:
        Path(args.json).write_text(json.dumps({"keras": keras.__version__, "total": len(names), "counts": dict(counts),
                                               "status": status}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
