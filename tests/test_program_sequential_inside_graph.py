"""A Sequential made inside a functional graph, between its layer calls, is no node of it.

A conditional GAN book chapter builds its generator so::

    z = Input(shape=(z_dim,))
    label = Input(shape=(1,), dtype="int32")
    label_embedding = Flatten()(Embedding(num_classes, z_dim)(label))
    joined = Multiply()([z, label_embedding])
    generator = build_generator(z_dim)        # Sequential([Dense(..., input_dim=z_dim), ...])
    return Model([z, label], generator(joined))

The Sequential declares its input, so it is built when its first layer is added: the runtime
called it on a placeholder there, inside the running graph function, which recorded that call
as a node of the model. Keras's layer order then started from the Sequential's first node (the
placeholder's) and never reached the embedding: the translated model had no Embedding, Flatten
or Multiply among its layers and one weight array fewer than Keras's (found by
``bench/realcode_models.py`` on a GAN book's notebook, 2026-12-08). The Sequential is now
built on its own, outside the running graph, as Keras builds it on its own KerasTensors.

Executed both ways with weights perturbed in the model's ``get_weights()`` order; tolerance
``1e-5 * (1 + max |keras|)``, the worst difference printed.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from nested_compare import worst_absolute
from program_text import run_both, script_head, tf_, user_code

from kerastf_xlate.totf.program.bundle import BANNER

ATOL = 1e-5

PROGRAM = """\
    def build_generator(z_dim):
        model = keras.Sequential()
        model.add(layers.Dense(12, input_dim=z_dim))
        model.add(layers.BatchNormalization())
        model.add(layers.Activation("tanh"))
        return model


    def build_cgan_generator(z_dim):
        z = keras.Input(shape=(z_dim,))
        label = keras.Input(shape=(1,), dtype="int32")
        label_embedding = layers.Flatten()(layers.Embedding(10, z_dim)(label))
        joined = layers.Multiply()([z, label_embedding])
        generator = build_generator(z_dim)
        return keras.Model([z, label], generator(joined))


    model = build_cgan_generator(5)
    moved(model)
    z = rng.normal(0, 1, (3, 5)).astype("float32")
    label = np.array([[1], [4], [7]], "int32")
    json.dump({"out": arrays(model([z, label])), "layers": [layer.name for layer in model.layers],
               "weights": [list(w.shape) for w in model.get_weights()]}, open(OUT, "w"))
    """


def script() -> str:
    return script_head(67) + textwrap.dedent(PROGRAM)


def test_the_builder_is_translated() -> None:
    out, diags = tf_(script())
    assert BANNER in out, diags
    assert "keras." not in user_code(out), diags


@pytest.mark.tf
def test_a_sequential_made_inside_the_graph_keeps_the_graphs_layers(tmp_path: Path) -> None:
    source = script()
    translated, diags = tf_(source)
    assert BANNER in translated, diags
    keras_report, tf_report = run_both(tmp_path, source, translated)
    assert keras_report["layers"] == tf_report["layers"]
    assert keras_report["weights"] == tf_report["weights"]
    worst = worst_absolute(keras_report, tf_report, ATOL)
    print(f"\na Sequential made inside a functional graph: worst |tf - keras| {worst:.1e} "
          f"(tolerance {ATOL} * (1 + max |keras|))")
