"""Models built in a script's main block, or in a branch of it, one from another's graph names.

A GAN book's programs build every model under ``if __name__ == "__main__":``, often inside
``if mode == "train":``: the generator and the discriminator, then the adversarial model on the
generator's graph tensors (``probs = discriminator(generated)``), and the training loop reads a
name of that graph again. A graph name read after its model statement is bound from the traced
run (``... = model.traced(...)``), which was done only for a model statement straight in a
module or function body (or a ``with`` block): in a branch the models stayed Keras. The main
block runs once, in order, when the file runs as a program (not at all when imported); a branch
binds the names right after its model statement, as the original bound them there, so a read
after the ``if`` sees them exactly when the original did. A branch inside a loop is not taken
(the names read after the loop would be the last turn's).

Executed both ways with weights perturbed in each model's ``get_weights()`` order; tolerance
``1e-5 * (1 + max |keras|)`` per array, the worst difference printed.
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
    mode = "train"

    if __name__ == "__main__":
        if mode == "train":
            input_z = keras.Input((4,), name="z")
            input_label = keras.Input((3,), name="label")
            x = layers.Concatenate()([input_z, input_label])
            x = layers.Dense(8, activation="relu")(x)
            generated = layers.Dense(6, activation="tanh")(x)
            generator = keras.Model([input_z, input_label], generated)

            disc_in = keras.Input((6,))
            valid = layers.Dense(1, activation="sigmoid")(layers.Dense(5, activation="relu")(disc_in))
            discriminator = keras.Model(disc_in, valid)

            probs = discriminator(generated)
            adversarial = keras.Model(inputs=[input_z, input_label], outputs=[probs, generated])
            shape = tuple(generated.shape)[1:]

            for m in (generator, discriminator):
                moved(m)
            z = rng.normal(0, 1, (2, 4)).astype("float32")
            label = rng.uniform(0, 1, (2, 3)).astype("float32")
            json.dump({"adv": arrays(adversarial([z, label])), "gen": arrays(generator([z, label])), "shape": list(shape),
                       "weights": [list(w.shape) for w in adversarial.get_weights()]}, open(OUT, "w"))
    """


def script(body: str = PROGRAM) -> str:
    return script_head(61) + textwrap.dedent(body)


def test_the_names_are_read_back_in_the_branch() -> None:
    out, diags = tf_(script())
    assert BANNER in out, diags
    code = user_code(out)
    assert "keras." not in code, diags
    assert 'generated, input_label, input_z = generator.traced("generated", "input_label", "input_z")' in code, code


def test_a_branch_inside_a_loop_is_not_taken() -> None:
    # (the loop around it: the names the next turn's graph binds are read by this turn's code)
    body = PROGRAM.replace('    if __name__ == "__main__":', '    for _ in range(1):')
    out, diags = tf_(script(body))
    assert BANNER not in out
    assert any("`generated`" in d for d in diags), diags


@pytest.mark.tf
def test_models_of_a_main_block_branch_run_as_keras(tmp_path: Path) -> None:
    source = script()
    translated, diags = tf_(source)
    assert BANNER in translated, diags
    keras_report, tf_report = run_both(tmp_path, source, translated)
    assert keras_report["weights"] == tf_report["weights"]
    assert keras_report["shape"] == tf_report["shape"]
    worst = worst_absolute(keras_report, tf_report, ATOL)
    print(f"\nmodels in a main block's branch: worst |tf - keras| {worst:.1e} (tolerance {ATOL} * (1 + max |keras|))")


def test_a_loop_of_models_in_the_main_block_reads_a_static_attribute_after_each() -> None:
    # the main block is the module's body: a loop of models there is one at module level
    out, diags = tf_(textwrap.dedent("""\
        import keras
        from keras import layers

        if __name__ == "__main__":
            models = []
            for units in (4, 8):
                inputs = keras.Input((3,))
                hidden = layers.Dense(units)(inputs)
                outputs = layers.Dense(1)(hidden)
                model = keras.Model(inputs, outputs)
                print(hidden.shape)
                models.append(model)
        """))
    assert BANNER in out, diags
    assert 'hidden = model.traced("hidden")' in user_code(out), user_code(out)
