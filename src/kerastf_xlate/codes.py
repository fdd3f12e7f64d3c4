"""Stable diagnostic codes, each with its documentation (Ruff-style: what, why, example, fix).

Codes never change meaning once released. ``docs/codes.md`` is written from this table
(``xlate codes --format markdown``) and a test keeps the two in sync.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Severity(str, Enum):
    """How serious a finding is."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class Code:
    code: str
    name: str
    summary: str
    why: str
    example: str
    fix: str
    severity: Severity = Severity.WARNING


_ALL = [
    Code(
        "XL001",
        "unparsable-file",
        "The file could not be read or parsed, so nothing in it was checked or translated.",
        "A syntax error, an undecodable byte, or an unreadable path stops the analysis of that "
        "file only; every other file is still processed and the run exits with status 2.",
        "def f(:\n    pass",
        "Fix the syntax error or the encoding; the message names the line.",
        Severity.ERROR,
    ),
    Code(
        "XL101",
        "no-tf-counterpart",
        "A Keras layer that has no faithful TensorFlow low-level counterpart.",
        "`xlate to-tf` keeps such a layer as a Keras object held by the translated module, so the "
        "result still needs Keras. The message names the layer; `xlate rules LAYER` (and "
        "docs/mapping.md) give the reason and what to do instead.",
        "from keras import layers\nlayers.LSTM(64)",
        "Keep Keras for this layer, or hand-write it with the TensorFlow API `xlate rules LAYER` names.",
    ),
    Code(
        "XL102",
        "removed-from-keras3",
        "A Keras layer, module path or backend function that no longer exists in Keras 3.",
        "The code fails under Keras 3 as written. Keras 2's module paths (`keras.layers.merge`, "
        "`keras.layers.convolutional`, `keras.models.Input`) and Keras 2's backend functions spelled "
        "`keras.backend.int_shape` name what Keras 2 names `keras.layers.concatenate`, "
        "`keras.Input` and `tf.keras.backend.int_shape`: `to-tf` reads them so and says it (a "
        "note), except where Keras 2 versions compute differently from one another or from Keras 3 "
        "(recurrent defaults, `hard_sigmoid`, BatchNormalization's training update, optimizers other "
        "than Adam and SGD), where the model stays Keras. Other names (tf.keras 2's "
        "`layers.experimental` paths, `keras.engine`, removed layers) keep the model Keras; the "
        "message names the replacement.",
        "from tensorflow.keras import layers\nlayers.ThresholdedReLU(theta=1.0)",
        "Use the replacement the message names (for example `layers.ReLU(threshold=...)`).",
    ),
    Code(
        "XL201",
        "unsupported-argument-value",
        "A layer argument whose value blocks a faithful translation.",
        "Some values have no TensorFlow equivalent in the translation `to-tf` does: a dtype other "
        "than float32 that the layer's TensorFlow class does not follow, a keyword Keras 3 does not "
        "have. Where to-tf writes a model's ops inline (its flat form, for a model it keeps whole "
        "otherwise), also the values that form does not write (`data_format='channels_first'`, "
        "`padding='causal'`, `groups>1`), which its bundled layer classes take. It is reported "
        "where to-tf reports it. The layer is kept as Keras.",
        "from keras import layers\nlayers.Dense(8, dtype='int8')",
        "Use a supported value (the message lists them), or keep the Keras layer.",
    ),
    Code(
        "XL202",
        "blocking-argument",
        "A layer argument that blocks translation whenever it is set (LoRA, quantization, masks; "
        "regularizers and constraints where the layer's TensorFlow class takes none).",
        "The translation would silently change the model or its training. Most layers' TensorFlow "
        "classes add their regularizers' losses and apply their constraints as Keras does; the "
        "inline ops of to-tf's flat form do neither, so there a regularizer is reported too (where "
        "to-tf reports it). The layer is kept as Keras.",
        "from keras import layers\nlayers.Dense(8, lora_rank=4)",
        "Drop the argument, or write the loss/constraint by hand after translating.",
    ),
    Code(
        "XL203",
        "unknown-argument-value",
        "A layer argument whose value is not known statically, or is a custom callable.",
        "The inline ops of to-tf's flat form need literal values for arguments that decide shapes "
        "or ops, and call a custom activation or initializer as it is, unchecked (its bundled layer "
        "classes read such values when the program runs, and are not reported). It is reported "
        "where to-tf reports it.",
        "from keras import layers\nlayers.Conv2D(8, 3, padding=pad)",
        "Write the value as a literal, or check the translated call by hand.",
        Severity.INFO,
    ),
    Code(
        "XL301",
        "model-kept-as-keras",
        "A Keras model that `to-tf` keeps as Keras because of how it is built or used.",
        "The translator only rewrites models whose structure it can follow statically "
        "(straight-line functional graphs, Sequential lists, subclasses calling their layers). "
        "Anything else is kept untouched so that the file keeps running.",
        "for units in sizes:\n    x = layers.Dense(units)(x)",
        "Unroll the construction, or keep this model in Keras.",
    ),
    Code(
        "XL302",
        "keras-layer-kept",
        "A Keras layer that `to-tf` keeps as a Keras object inside a translated module.",
        "The layer has no counterpart (see XL101) or an argument blocks it (XL201/XL202); it is "
        "created in `__init__` and called in `__call__`, so outputs stay identical but the "
        "module still imports Keras.",
        "layers.LSTM(32)",
        "None needed; translate the layer by hand to drop the Keras dependency.",
        Severity.INFO,
    ),
    Code(
        "XL303",
        "keras-api-on-model",
        "A Keras model API that `to-tf`'s model does not have (`to_json`, `model.output` as a "
        "KerasTensor, `stateless_call`, ...) used on a model, which keeps that model as Keras.",
        "The translated model (a `tf.Module` with the runtime's `Model` API) gives what Keras "
        "programs use of a model: training and inference (`compile`, `fit`, `evaluate`, "
        "`predict`, `train_on_batch`, ...), `layers`, `get_layer`, weights, `summary`, "
        "`output_names`, `history`, `plot_model` (docs/training.md). Rather than emit code that calls "
        "a Keras-only method on it, the model is left as Keras and this diagnostic says which use "
        "blocked it. (The flat form, one `tf.Module` per model, has fewer of these; where the "
        "program form translates the file, its reasons are not reported.)",
        "print(model.to_json())",
        "Write that use with TensorFlow by hand, or keep this model in Keras.",
    ),
    Code(
        "XL304",
        "training-argument-kept",
        "Training code (`compile`, `fit`, `evaluate`, `predict`) with an argument `to-tf` cannot "
        "reproduce exactly in TensorFlow, which keeps the model as Keras.",
        "`to-tf` rewrites `compile` + `fit` into a tf.GradientTape training loop whose optimizer "
        "update, loss and metrics follow Keras 3's formulas step for step (SGD, Adam, AdamW, "
        "RMSprop; categorical, sparse categorical and binary crossentropy, mean squared and mean "
        "absolute error; accuracy variants, top-k accuracy, MAE, MSE, ROC AUC). Anything else (another "
        "optimizer, a learning-rate schedule, a custom loss or metric, sample or class weights, "
        "`steps_per_epoch`, several outputs, regularization losses or constraints, mixed "
        "precision) would change the training, so the model and all its code stay Keras. The "
        "message names the argument.",
        "model.compile(optimizer=keras.optimizers.Adam(keras.optimizers.schedules.ExponentialDecay(1e-3, 1000, 0.9)), loss='mse')\n"
        "model.fit(x, y)",
        "Use a supported value (numbers for the learning rate, a built-in loss and metrics), or "
        "keep this model in Keras.",
    ),
    Code(
        "XL305",
        "keras-callbacks",
        "A callback, optimizer or metric of `fit`/`compile` that the translated training does not "
        "run as Keras does, which keeps the model as Keras.",
        "The translated training loop runs Keras's callback hooks with Keras's logs: the file's "
        "own callbacks are translated, and a callback made by another module (a helper's "
        "`create_tensorboard_callback()`) runs on the translated model as on Keras's (XL311 "
        "notes it). What still keeps a model: a Keras callback class the translation does not "
        "have (`BackupAndRestore`, a `TensorBoard` subclass), `ModelCheckpoint` arguments it does "
        "not reproduce (`save_freq` in batches), an optimizer or metric made by another module, "
        "or, with `--keep-keras-files`, another module's callbacks (one may write a Keras file).",
        "model.fit(x, y, callbacks=[keras.callbacks.EarlyStopping(patience=2)])",
        "Drop the callbacks and write their logic in the translated loop by hand, or keep this "
        "model in Keras.",
    ),
    Code(
        "XL306",
        "keras-model-file",
        "The model is saved to a Keras file (`model.save`, `export`, `keras.models.save_model`) "
        "or loaded in a way the translation does not read (`load_weights` of sharded "
        "`.weights.json` files, with `objects_to_skip` or `**kwargs`), which keeps the model as "
        "Keras.",
        "A `.keras`/`.h5` archive written by `model.save` is written by Keras; the translated "
        "model saves its variables with `tf.train.Checkpoint` (`save_weights`). `load_weights` "
        "reads those checkpoints and the files Keras writes (`.weights.h5`, `.keras`, legacy "
        "`.h5` such as keras.applications' ImageNet weights; `skip_mismatch`, `by_name`) as "
        "Keras reads them (program form, needs h5py for Keras's files). A model file the program "
        "writes is translated to a TensorFlow checkpoint (XL311), read back or not; the message "
        "says why one is not: read by code kept as Keras, also used otherwise (`os.path.exists`, "
        "a copy), maybe read by a `load_model` that stays Keras, a name Keras does not save a "
        "model under, untranslated arguments, or `to-tf --keep-keras-files` and never loaded "
        "back in the file (a file for other programs).",
        "model.save('mnist.keras')",
        "Save with `tf.train.Checkpoint` or `tf.saved_model.save` after translating, or keep this "
        "model in Keras.",
    ),
    Code(
        "XL307",
        "distribution-strategy",
        "Training under a distribution strategy the translated loop does not reproduce (TPU, "
        "parameter-server, central storage, `keras.distribution`; `LossScaleOptimizer` under a "
        "strategy), which keeps the model as Keras.",
        "Keras splits batches across replicas, scales the loss and all-reduces gradients under a "
        "strategy. The translated loops do the same under `MirroredStrategy`, `OneDeviceStrategy` "
        "and the default strategy (the program form's also under `MultiWorkerMirroredStrategy`, "
        "tested with one worker, and with each replica's gradients clipped as Keras clips them), "
        "shown equal to Keras on two devices; other strategies are not, so the model and its "
        "training code stay Keras.",
        "strategy = tf.distribute.TPUStrategy(resolver)\nwith strategy.scope():\n    model.compile(optimizer='adam', loss='mse')",
        "Use `tf.distribute.MirroredStrategy` where it will do, keep this model in Keras, or write "
        "a distributed loop with `strategy.run` by hand.",
    ),
    Code(
        "XL308",
        "training-result-use",
        "The History returned by `fit` is used in a way the translation does not reproduce, which "
        "keeps the model as Keras.",
        "The translated `fit` returns a History-like object with `.history` (the same keys and "
        "per-epoch values as Keras: `loss`, the metrics, `val_...`), `.epoch` and `.params`. "
        "Other uses (`history.model`, passing the History to a function) stay Keras.",
        "history = model.fit(x, y)\nplot(history)",
        "Read `history.history[...]` instead, or keep this model in Keras.",
    ),
    Code(
        "XL309",
        "keras-utility-kept",
        "A Keras utility that is not model code (`keras.utils.to_categorical`, weight download, "
        "input-size validation, a model loaded from a Keras file) is kept as Keras in a translated program.",
        "The program form of `to-tf` replaces every Keras layer and model of the file by "
        "TensorFlow classes; helpers that only prepare data or validate arguments are not "
        "model code and stay as they are, so the file still imports Keras for them. A model "
        "loaded with `keras.models.load_model` is not one of the file's models: it stays a Keras "
        "object beside them. The translated models hold no Keras layer or variable.",
        "y = keras.utils.to_categorical(labels, 10)",
        "None needed; replace the utility by its NumPy/TensorFlow equivalent to drop the Keras "
        "dependency.",
        Severity.INFO,
    ),
    Code(
        "XL310",
        "follows-imported-code",
        "A model's graph (or its layers) runs code imported from another module "
        "(`from blocks import conv_block`, `tensorflow_addons`): translated only with that module.",
        "In the program form, the graph of a functional model runs again on every call and "
        "each layer it makes must be the one made at construction, and a translated model "
        "holds TensorFlow layers. Code from another module that makes Keras layers breaks that "
        "unless that module is translated in the same run: `xlate to-tf` checks it. A module "
        "the run does not translate keeps the model that runs its code as Keras, with what is "
        "linked to it; the rest of the file is translated. A module of the run is translated "
        "with the file, or both files stay as they were (XL301).",
        "from blocks import conv_block\n\ninputs = keras.Input((32, 32, 3))\nx = conv_block(inputs, 16)",
        "Translate the directory that holds both modules in one run; a package's layer "
        "(`tensorflow_addons`) keeps its model as Keras.",
        Severity.INFO,
    ),
    Code(
        "XL311",
        "model-file-round-trip",
        "A Keras model file the program writes (`model.save`, `ModelCheckpoint`, "
        "`keras.models.save_model`) is written as a TensorFlow checkpoint, not a Keras file; "
        "`keras.models.load_model` of it in the same program gives a copy of the model.",
        "Keras writes the model's config, weights and optimizer state to the file and rebuilds a "
        "new model from them; a translated model has no Keras config, and a Keras file cannot be "
        "written without Keras. So the writer writes the model's and its optimizer's variables "
        "as a TensorFlow checkpoint with the path as its prefix (`path.index`, "
        "`path.data-00000-of-00001`; nothing at `path` itself, so a reader expecting the Keras "
        "file fails loudly instead of reading something else). When the program reads the file "
        "back, `load_model(path)` gives a new model like the one that wrote it (its own "
        "variables), with the file's weights and optimizer state and the compiled loss and "
        "metrics; it reads only files written earlier in the same run. Another program reads "
        "the weights with the translated model's `model.load_weights(path)` (or "
        "`tf.train.Checkpoint(model=model).read(path)`), after building the model with the same "
        "translated code. A warning: a server or notebook expecting the Keras file needs "
        "`to-tf --keep-keras-files`, which keeps such a model in Keras (XL305, XL306). A callback "
        "made by another module (`callbacks=helpers.make_callbacks()`) gets this note too: it "
        "runs on the translated model, so a Keras `ModelCheckpoint` among them writes these "
        "checkpoints. A writer at a literal path Keras 3 does not save a model under "
        "(`model.save(\"saved_model_dir\")`, tf.keras 2's SavedModel; `ModelCheckpoint(\"ckpt\")` "
        "without `save_weights_only`) raises `ValueError` in Keras 3, and the translated writer "
        "raises the same error there: the note says so, and names the file to write instead. So "
        "does a weights writer at a name not ending in `.weights.h5` (`model.save_weights(\"cp.ckpt\")`, "
        "`ModelCheckpoint(\"training_1/cp.ckpt\", save_weights_only=True)`: tf.keras 2's TensorFlow "
        "checkpoints).",
        'model.fit(x, y, callbacks=[keras.callbacks.ModelCheckpoint("best.keras", save_best_only=True)])\n'
        'model.save("final.keras")',
        "None needed inside the program. Where another program needs the Keras file, translate "
        "with `--keep-keras-files`, or read the checkpoint there with `model.load_weights(path)`.",
    ),
    Code(
        "XL312",
        "cell-value-not-shown",
        "A notebook cell whose last line only showed a value of a model's graph (`inputs`, "
        "`x.shape`) shows nothing after `to-tf`: the cell's graph statements now run when the "
        "model is built.",
        "A functional graph built over several cells is translated into one function per cell "
        "(`<model>_graph_part1`...) that the model's graph function calls when the model is "
        "built, so that the graph can run again on every call. The cell then defines its part "
        "instead of running it, and a value it ended by showing does not exist yet. Under Keras "
        "that value was a symbolic tensor or its shape or dtype (a KerasTensor's repr, `(None, 3)`), not data; "
        "nothing the program computes changes. A cell that does anything else besides building "
        "the graph (`print(...)`, `norm.adapt(data)`) keeps the model as Keras (XL301).",
        "inputs = {name: keras.Input((1,), name=name) for name in columns}\ninputs",
        "None needed. Show the model's inputs after it is built (`model.inputs` has no "
        "translation; print the shapes you need) if the notebook's reader wants them.",
        Severity.INFO,
    ),
    Code(
        "XL501",
        "no-keras-counterpart",
        "A TensorFlow op that `to-keras` cannot raise to a Keras layer.",
        "Some ops (tf.nn.ctc_loss, tf.nn.space_to_depth, ops on variables the tool cannot attribute "
        "to a layer) have no Keras layer; they are kept as they are.",
        "tf.nn.space_to_depth(x, 2)",
        "Keep the op (wrap it in a custom layer if needed).",
    ),
    Code(
        "XL502",
        "module-kept-as-tf",
        "A tf.Module that `to-keras` keeps as it is because its structure cannot be followed.",
        "Only modules whose variables map one-to-one onto Keras layer weights are raised.",
        "class M(tf.Module): ...",
        "Restructure the module, or keep it as TensorFlow code.",
    ),
    Code(
        "XL503",
        "variable-kept-as-tf",
        "A `tf.Variable` that `to-keras` keeps: it cannot attribute it to a Keras layer, or the code holding it is not what `to-keras` raises.",
        "`to-keras` turns the variables an op uses as layer weights (a `tf.matmul` kernel, a "
        "bias, BatchNormalization statistics, ...) into the weights of that layer. A variable "
        "used any other way (a learned scale, a temperature, weights passed to a helper) is no "
        "layer's weight. A Keras 3 model does not track a `tf.Variable` it holds "
        "(`trainable_variables`, `get_weights()`, `save_weights()` and `fit()` would not see it), "
        "so a Keras layer holding one keeps it as written (XL503) and a tf.Module holding one stays "
        "a tf.Module whole (XL502 names the variable). So does a variable whose `trainable=` "
        "differs from the Keras weight it would become (`trainable=False` where a Dense bias is "
        "trainable). A variable used as a weight outside what `to-keras` raises (tf.Module subclasses, Keras "
        "layers, model functions that read their weights) stays too, and the message says where it "
        "stands: held by a plain class, given to the model function as an argument, applied at "
        "module level, or in TensorFlow 1 graph code.",
        "self.scale = tf.Variable(1.0)  # used as: x * self.scale",
        "Make it a Keras weight by hand (`self.scale = self.add_weight(shape=(), initializer='ones')`), "
        "or train it with a custom loop that lists it.",
    ),
    Code(
        "XL504",
        "program-form-kept",
        "A file `to-tf` wrote in its program form that `to-keras` keeps as it is.",
        "`to-keras` raises `to-tf`'s program form back to Keras (the bundled block of TensorFlow "
        "layers goes, its names become Keras's again, graph functions become the straight-line "
        "graph) only when `to-tf` of the result gives the file back byte for byte. A block whose "
        "runtime classes were edited, lost marker lines, or code the raise does not invert "
        "(training code or `keras.ops` calls to-tf rewrote as TensorFlow) keep the file: it is "
        "valid TensorFlow, and a raise that changed its meaning would be worse than none.",
        "# --- TensorFlow layers written out by xlate to-tf (Keras's semantics, no Keras) ---\n"
        "class LSTM(Layer): ...  # edited by hand\n"
        "# --- end of the layers written out by xlate to-tf ---",
        "Translate the original Keras file instead, or undo the edit of the block.",
    ),
    Code(
        "XL505",
        "training-loop-kept",
        "A `GradientTape` training loop that `to-keras --fit` keeps: it is not shown to be exactly one `fit`.",
        "`--fit` replaces a loop by `model.compile(optimizer=..., loss=...)` and `model.fit(ds, epochs=N)` "
        "only where `fit` runs the same step: the model called with `training=True` (or no layer of the "
        "file reads the flag), a Keras loss object of (targets, predictions) or `tf.reduce_mean` of a "
        "Keras loss function the class computes alike, no regularizer or `add_loss` (`fit` adds them), "
        "`optimizer.apply_gradients(zip(grads, model.trainable_variables))` with an optimizer made once "
        "before the loop, `for x, y in ds` over a batched `from_tensor_slices((x, y))` dataset of the "
        "file, an epoch loop holding only the batch loop, and no name the loop binds read after it. "
        "The message names the condition that does not hold; the loop stays byte for byte. Said only "
        "with `--fit`.",
        "for epoch in range(5):\n    for x, y in ds:\n        with tf.GradientTape() as tape:\n"
        "            loss = tf.reduce_mean(tf.square(y - model(x)))  # hand-written: shapes not shown equal\n"
        "        grads = tape.gradient(loss, model.trainable_variables)\n"
        "        optimizer.apply_gradients(zip(grads, model.trainable_variables))",
        "None needed: the loop is valid. To use `fit`, write the step as the message asks (a Keras "
        "loss, preprocessing in `ds.map`, validation after `fit`) or call `compile`/`fit` by hand.",
        Severity.INFO,
    ),
    Code(
        "XL506",
        "training-print-dropped",
        "A print of the loss, the epoch or the step inside a training loop that `--fit` replaced by `fit`.",
        "`fit` prints its own progress (the loss of the epoch so far, per epoch); a print in the loop "
        "that read only the loss, the epoch or the step goes with the loop. Nothing the program "
        "computes changes; only what it prints.",
        "for epoch in range(5):\n    for x, y in ds:\n        loss = train_step(x, y)\n"
        "    print('epoch', epoch, 'loss', float(loss))",
        "None needed. Pass a callback to `fit` if the exact printout matters.",
        Severity.INFO,
    ),
]

CODES: dict[str, Code] = {c.code: c for c in _ALL}


def render_detail(code: Code) -> str:
    """One code's documentation as ``xlate codes CODE`` prints it (Ruff's ``ruff rule``)."""
    example = "\n".join("    " + line for line in code.example.splitlines())
    return (f"{code.code} {code.name} ({code.severity.value})\n\n{code.summary}\n\nWhy: {code.why}\n\n"
            f"Example:\n\n{example}\n\nFix: {code.fix}\n")


def render_markdown() -> str:
    """The per-code documentation page (docs/codes.md)."""
    parts = [
        "# Diagnostic codes\n\n",
        "<!-- Written by `xlate codes --format markdown`; tests/test_docs.py keeps it in sync. -->\n\n",
        "| code | name | severity | summary |\n|---|---|---|---|\n",
    ]
    for c in _ALL:
        parts.append(f"| [{c.code}](#{c.code.lower()}) | {c.name} | {c.severity.value} | {c.summary} |\n")
    for c in _ALL:
        parts.append(
            f"\n## {c.code}\n\n**{c.name}** ({c.severity.value})\n\n"
            f"### What it does\n\n{c.summary}\n\n### Why\n\n{c.why}\n\n"
            f"### Example\n\n```python\n{c.example}\n```\n\n### Fix\n\n{c.fix}\n"
        )
    return "".join(parts)
