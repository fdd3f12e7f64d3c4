"""A layer adapted, while a model's graph is built, on a tf.data pipeline made there (issue #13).

The structured-data tutorials (keras-io's classification from scratch, TensorFlow's
preprocessing-layers tutorial, a machine-learning course's feature exercises) encode each
feature with a helper: ``normalizer = Normalization()``, ``feature_ds = dataset.map(lambda x,
y: x[name])``, ``normalizer.adapt(feature_ds)``, ``return normalizer(feature)``, called between
the ``Input``s and the model statement with the module's training dataset. Keras runs that
once, eagerly. The translation moves those statements into the graph function, which the
runtime traces: a pipeline made there is a graph-mode dataset that ``adapt`` cannot read, so
such models stayed Keras (XL301 "adapts a layer while the model's graph is built ... on data
made there"). The pipeline is now made eagerly (the runtime's ``eagerly``, ``tf.init_scope``),
as Keras made it, when it is built only from values the graph does not make (a dataset the
helper is given, a feature name) and every binding of its name there makes it so; the runtime
adapts the layer once, when the model is made (``_adapting_once``).

Our own program, written after reading those tutorials. Executed: the translation's adapted
statistics and vocabularies against Keras's (the weights before any are moved), then outputs
with moved Dense and Embedding weights, eagerly and inside a ``tf.function``. Tolerance 1e-5, scaled by
1 + the largest magnitude; the worst difference is printed.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from nested_compare import worst_absolute
from program_text import run_both, script_head, tf_, user_code

from kerastf_xlate.totf.program.bundle import BANNER

ATOL = 1e-5

PROGRAM = textwrap.dedent("""\
    import tensorflow as tf
    from keras.layers import IntegerLookup, Normalization, StringLookup

    n = 32
    frame = {
        "age": rng.uniform(20, 70, n).astype("float32"),
        "chol": rng.uniform(100, 300, n).astype("float32"),
        "cp": rng.integers(0, 4, n).astype("int64"),
        "thal": rng.choice(["fixed", "normal", "reversible"], n),
    }
    labels = rng.integers(0, 2, (n, 1)).astype("float32")
    train_ds = tf.data.Dataset.from_tensor_slices((frame, labels)).batch(8)


    def encode_numerical_feature(feature, name, dataset):
        normalizer = Normalization()
        feature_ds = dataset.map(lambda x, y: x[name])
        feature_ds = feature_ds.map(lambda x: tf.expand_dims(x, -1))
        normalizer.adapt(feature_ds)
        return normalizer(feature)


    def encode_categorical_feature(feature, name, dataset, is_string):
        lookup_class = StringLookup if is_string else IntegerLookup
        lookup = lookup_class(output_mode="int")
        feature_ds = dataset.map(lambda x, y: x[name])
        lookup.adapt(feature_ds)
        return layers.Flatten()(layers.Embedding(lookup.vocabulary_size(), 2)(lookup(feature)))


    age = keras.Input(shape=(1,), name="age")
    chol = keras.Input(shape=(1,), name="chol")
    cp = keras.Input(shape=(1,), name="cp", dtype="int64")
    thal = keras.Input(shape=(1,), name="thal", dtype="string")
    all_inputs = [age, chol, cp, thal]
    all_features = layers.concatenate([
        encode_numerical_feature(age, "age", train_ds),
        encode_numerical_feature(chol, "chol", train_ds),
        encode_categorical_feature(cp, "cp", train_ds, False),
        encode_categorical_feature(thal, "thal", train_ds, True),
    ])
    x = layers.Dense(8, activation="relu")(all_features)
    output = layers.Dense(1, activation="sigmoid")(x)
    model = keras.Model(all_inputs, output)
    """)

TAIL = textwrap.dedent("""\
    adapted = [arrays(layer.get_weights()) for layer in model.layers if type(layer).__name__ == "Normalization"]
    vocabularies = [layer.get_vocabulary() for layer in model.layers if hasattr(layer, "get_vocabulary")]
    dense = [layer for layer in model.layers if type(layer).__name__ in ("Dense", "Embedding")]
    for layer in dense:
        layer.set_weights([rng.standard_normal(w.shape).astype("float32") / 3 for w in layer.get_weights()])
    batch = [frame["age"][:5, None], frame["chol"][:5, None], frame["cp"][:5, None], frame["thal"][:5, None]]
    traced = tf.function(lambda *b: model(list(b)))
    json.dump({"adapted": adapted, "vocabularies": [[str(v) for v in voc] for voc in vocabularies],
               "out": arrays(model(batch)), "traced": arrays(traced(*batch)), "n": len(model.get_weights())},
              open(OUT, "w"))
    """)

SCRIPT = script_head(41) + PROGRAM + TAIL

# TensorFlow's preprocessing-layers tutorial's shape: the helper returns a function of the
# feature (a lookup then a CategoryEncoding sized by the adapted vocabulary), is tried once at
# the top level on a batch, then called in a loop that fills a dict of Inputs
LOOPED = script_head(43) + textwrap.dedent("""\
    import tensorflow as tf

    n = 24
    frame = {
        "Type": rng.choice(["cat", "dog"], n),
        "Color": rng.choice(["black", "brown", "white", "golden"], n),
        "Age": rng.integers(1, 9, n).astype("int64"),
    }
    labels = rng.integers(0, 2, n).astype("float32")
    train_ds = tf.data.Dataset.from_tensor_slices((frame, labels)).batch(6)


    def get_category_encoding_layer(name, dataset, dtype, max_tokens=None):
        if dtype == "string":
            index = layers.StringLookup(max_tokens=max_tokens)
        else:
            index = layers.IntegerLookup(max_tokens=max_tokens)
        feature_ds = dataset.map(lambda x, y: x[name])
        index.adapt(feature_ds)
        encoder = layers.CategoryEncoding(num_tokens=index.vocabulary_size())
        return lambda feature: encoder(index(feature))


    tried = get_category_encoding_layer(name="Type", dataset=train_ds, dtype="string")(frame["Type"][:3, None])

    all_inputs = {}
    encoded_features = []
    for header in ["Type", "Color"]:
        categorical_col = keras.Input(shape=(1,), name=header, dtype="string")
        encoding_layer = get_category_encoding_layer(name=header, dataset=train_ds, dtype="string", max_tokens=4)
        all_inputs[header] = categorical_col
        encoded_features.append(encoding_layer(categorical_col))
    age_col = keras.Input(shape=(1,), name="Age", dtype="int64")
    all_inputs["Age"] = age_col
    encoded_features.append(get_category_encoding_layer(name="Age", dataset=train_ds, dtype="int64")(age_col))
    all_features = layers.concatenate(encoded_features)
    output = layers.Dense(1)(layers.Dense(6, activation="relu")(all_features))
    model = keras.Model(all_inputs, output)
    moved(model)
    batch = {key: value[:5, None] for key, value in frame.items()}
    json.dump({"tried": arrays(tried), "out": arrays(model(batch)), "n": len(model.get_weights())}, open(OUT, "w"))
    """)


def test_a_pipeline_made_in_a_helper_for_adapt_is_made_eagerly() -> None:
    out, diags = tf_(SCRIPT)
    assert BANNER in out, diags
    code = user_code(out)
    assert "feature_ds = eagerly(lambda: dataset.map(lambda x, y: x[name]))" in code, code
    assert "feature_ds = eagerly(lambda: feature_ds.map(lambda x: tf.expand_dims(x, -1)))" in code, code
    assert "keras." not in code.replace("tf.keras", ""), diags
    assert not any("adapts a layer" in d for d in diags), diags


@pytest.mark.parametrize("change, why", [
    # the pipeline is built on the graph's own tensor: not a dataset Keras made eagerly
    ("feature_ds = dataset.map(lambda x, y: x[name])\n    feature_ds = feature_ds.map(",
     "feature_ds = dataset.map(lambda x, y: x[name] + feature)\n    feature_ds = feature_ds.map("),
    # one of the name's bindings is a function of the file's, not a pipeline step
    ("    normalizer.adapt(feature_ds)\n",
     "    feature_ds = prepare(feature_ds)\n    normalizer.adapt(feature_ds)\n"),
])
def test_a_pipeline_not_plainly_made_from_outside_values_keeps_the_model(change: str, why: str) -> None:
    program = SCRIPT.replace(change, why).replace("def encode_numerical_feature",
                                                  "def prepare(ds):\n    return ds.map(lambda x: x * 1.0)\n\n\n"
                                                  "def encode_numerical_feature")
    out, diags = tf_(program)
    assert "model = keras.Model(all_inputs, output)" in user_code(out), diags


@pytest.mark.tf
def test_the_adapted_model_matches_keras(tmp_path: Path) -> None:
    translated, diags = tf_(SCRIPT)
    assert BANNER in translated, diags
    keras_report, tf_report = run_both(tmp_path, SCRIPT, translated)
    assert keras_report["vocabularies"] == tf_report["vocabularies"]
    assert len(keras_report["adapted"]) == 2  # each Normalization: mean, variance, count
    assert keras_report["n"] == tf_report["n"]
    worst = worst_absolute(keras_report, tf_report, ATOL)
    print(f"\nlayers adapted on pipelines made in a helper: worst |tf - keras| {worst:.1e} "
          f"(tolerance {ATOL} * (1 + max |keras|))")


@pytest.mark.tf
def test_the_tutorial_shaped_model_matches_keras(tmp_path: Path) -> None:
    translated, diags = tf_(LOOPED)
    assert BANNER in translated, diags
    assert "feature_ds = eagerly(lambda: dataset.map(lambda x, y: x[name]))" in user_code(translated)
    keras_report, tf_report = run_both(tmp_path, LOOPED, translated)
    assert keras_report["n"] == tf_report["n"] == 4
    worst = worst_absolute(keras_report, tf_report, ATOL)
    print(f"\nthe tutorial-shaped encoders: worst |tf - keras| {worst:.1e} (tolerance {ATOL} * (1 + max |keras|))")
