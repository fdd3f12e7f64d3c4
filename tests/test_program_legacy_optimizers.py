"""tf.keras 2's ``keras.optimizers.legacy.Adam`` / ``legacy.SGD`` (OptimizerV2) in the program
form: translated to runtime classes of their own (``LegacyAdam``, ``LegacySGD``) where their
update is Keras 3's, with only the arguments whose meaning is the same; the other legacy
optimizers and arguments keep the model Keras with the reason.

The reference for the runtime classes is TensorFlow's own training kernels, called as
OptimizerV2 called them (tf.keras 2's optimizer_v2/adam.py, gradient_descent.py):
``ResourceApplyAdam`` for a dense gradient, ``ResourceSparseApplyKerasMomentum`` for an
embedding's gradient with SGD momentum (indices deduplicated first), and for Adam's sparse
path its ops written out in NumPy. Variables and gradients are drawn from a seeded NumPy
generator (no zeros); tolerance 1e-6 absolute on float32 values of order 1 (the kernels and
the runtime group the same products differently); the worst difference is printed.
"""

from __future__ import annotations

import textwrap
from typing import Any

import pytest
from program_text import tf_, user_code
from runtime_ns import runtime_of

TOL = 1e-6


@pytest.mark.parametrize("call, runtime", [
    ("keras.optimizers.legacy.Adam(learning_rate=2e-4, beta_1=0.5)", "LegacyAdam(learning_rate=2e-4, beta_1=0.5)"),
    ("keras.optimizers.legacy.Adam(0.01, 0.8, 0.99, 1e-6, True)", "LegacyAdam(0.01, 0.8, 0.99, 1e-6, True)"),
    ("keras.optimizers.legacy.SGD(0.1, momentum=0.9, nesterov=True)", "LegacySGD(0.1, momentum=0.9, nesterov=True)"),
])
def test_legacy_adam_and_sgd_are_translated(call: str, runtime: str) -> None:
    out, diags = tf_(f"""\
        import keras
        from keras import layers

        model = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(2)])
        model.compile(optimizer={call}, loss="mse")
        model.fit(x, y)
        """)
    assert f"model.compile(optimizer={runtime}, loss=\"mse\")" in user_code(out), out
    assert not [d for d in diags if d.startswith(("XL30", "XL1", "XL2"))], diags
    assert "import keras" not in out


@pytest.mark.parametrize("call, why", [
    ("keras.optimizers.legacy.Adam(learning_rate=0.01, decay=1e-4)", "`legacy.Adam(decay=...)`: tf.keras's legacy"),
    ("keras.optimizers.legacy.Adam(lr=0.01)", "`legacy.Adam(lr=...)`"),
    ("keras.optimizers.legacy.SGD(0.1, clipnorm=1.0)", "`legacy.SGD(clipnorm=...)`"),
    ("keras.optimizers.legacy.SGD(**options)", "`legacy.SGD(...)`: arguments the translation cannot read"),
    ("keras.optimizers.legacy.RMSprop(0.01)", "divides by `sqrt(v) + epsilon` without momentum"),
    ("keras.optimizers.legacy.Adagrad(0.01)", "`sqrt(accumulator) + epsilon`"),
    ("keras.optimizers.legacy.Nadam()", "only legacy Adam and SGD are shown to compute Keras 3's update"),
])
def test_other_legacy_optimizers_and_arguments_keep_the_model(call: str, why: str) -> None:
    src = textwrap.dedent(f"""\
        import keras
        from keras import layers

        model = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(2)])
        model.compile(optimizer={call}, loss="mse")
        model.fit(x, y)
        """)
    out, diags = tf_(src)
    assert out == src
    messages = [d for d in diags if d.startswith("XL304")]
    assert any(why in m and "model kept as Keras" in m for m in messages), messages


@pytest.fixture(scope="module")
def runtime() -> Any:
    return runtime_of({"LegacyAdam", "LegacySGD", "Adam", "SGD"}, "xlate_legacy_optimizers")


def _worst(a: Any, b: Any) -> float:
    import numpy as np

    return float(np.max(np.abs(np.asarray(a) - np.asarray(b))))


@pytest.mark.tf
@pytest.mark.parametrize("amsgrad", [False, True])
def test_legacy_adam_is_tensorflows_adam_kernel(runtime: Any, amsgrad: bool) -> None:
    import numpy as np
    import tensorflow as tf

    rng = np.random.default_rng(3)
    start = rng.normal(size=(5, 3)).astype("float32")
    lr, b1, b2, eps = 0.05, 0.8, 0.95, 1e-6
    ours = tf.Variable(start)
    opt = runtime.LegacyAdam(lr, b1, b2, eps, amsgrad)
    ref, m, v, vhat = (tf.Variable(start), tf.Variable(tf.zeros_like(start)), tf.Variable(tf.zeros_like(start)),
                       tf.Variable(tf.zeros_like(start)))
    for step in range(1, 6):
        grad = rng.normal(size=start.shape).astype("float32")
        opt.apply_gradients([(tf.constant(grad), ours)])
        args = dict(var=ref.handle, m=m.handle, v=v.handle, beta1_power=tf.constant(b1 ** step, tf.float32),
                    beta2_power=tf.constant(b2 ** step, tf.float32), lr=tf.constant(lr), beta1=tf.constant(b1),
                    beta2=tf.constant(b2), epsilon=tf.constant(eps), grad=tf.constant(grad))
        if amsgrad:
            tf.raw_ops.ResourceApplyAdamWithAmsgrad(vhat=vhat.handle, **args)
        else:
            tf.raw_ops.ResourceApplyAdam(**args)
    worst = _worst(ours.numpy(), ref.numpy())
    print(f"\nlegacy Adam (amsgrad={amsgrad}) against ResourceApplyAdam: worst difference {worst:.1e} (tolerance {TOL:g})")
    assert worst <= TOL and int(opt.iterations) == 5 and opt.name == "Adam"


@pytest.mark.tf
def test_legacy_adam_sums_repeated_rows_of_a_sparse_gradient(runtime: Any) -> None:
    """OptimizerV2's sparse Adam, written out from optimizer_v2/adam.py: indices deduplicated
    (rows summed), then m and v decayed everywhere and the rows' scaled gradient added."""
    import numpy as np
    import tensorflow as tf

    rng = np.random.default_rng(4)
    start = rng.normal(size=(6, 2)).astype("float32")
    lr, b1, b2, eps = 0.1, 0.9, 0.999, 1e-7
    ours = tf.Variable(start)
    opt = runtime.LegacyAdam(learning_rate=lr)
    f32 = np.float32
    var, m, v = start.copy(), np.zeros_like(start), np.zeros_like(start)  # float32, as the legacy ops ran
    for step in range(1, 4):
        indices = np.array([1, 4, 1, 0])  # row 1 twice
        values = rng.normal(size=(4, 2)).astype("float32")
        opt.apply_gradients([(tf.IndexedSlices(tf.constant(values), tf.constant(indices), tf.constant([6, 2])), ours)])
        g = np.zeros_like(var)
        np.add.at(g, indices, values)
        m = m * f32(b1) + g * f32(1 - b1)
        v = v * f32(b2) + (g * g) * f32(1 - b2)
        step_size = f32(lr) * np.sqrt(f32(1) - f32(b2) ** f32(step)) / (f32(1) - f32(b1) ** f32(step))
        var = var - step_size * m / (np.sqrt(v) + f32(eps))
    worst = _worst(ours.numpy(), var)
    print(f"\nlegacy Adam, sparse: worst difference {worst:.1e} (tolerance {TOL:g})")
    assert worst <= TOL
    # Keras 3's Adam squares the repeated row's slices one by one: another number
    keras3 = tf.Variable(start)
    runtime.Adam(learning_rate=lr).apply_gradients(
        [(tf.IndexedSlices(tf.constant(values), tf.constant(indices), tf.constant([6, 2])), keras3)])
    legacy = tf.Variable(start)
    runtime.LegacyAdam(learning_rate=lr).apply_gradients(
        [(tf.IndexedSlices(tf.constant(values), tf.constant(indices), tf.constant([6, 2])), legacy)])
    assert _worst(keras3.numpy()[1], legacy.numpy()[1]) > 1e-4 and _worst(keras3.numpy()[4], legacy.numpy()[4]) <= TOL


@pytest.mark.tf
@pytest.mark.parametrize("nesterov", [False, True])
def test_legacy_sgd_is_tensorflows_keras_momentum_kernels(runtime: Any, nesterov: bool) -> None:
    import numpy as np

    rng = np.random.default_rng(5)
    start = rng.normal(size=(6, 3)).astype("float32")
    lr, mu = 0.05, 0.9
    opt = runtime.LegacySGD(lr, mu, nesterov)
    ours, ref = keras_momentum_steps(opt, start, rng, lr, mu, nesterov)
    worst = _worst(ours.numpy(), ref.numpy())
    print(f"\nlegacy SGD (nesterov={nesterov}) against the KerasMomentum kernels: worst difference {worst:.1e} "
          f"(tolerance {TOL:g})")
    assert worst <= TOL and opt.name == "SGD"


def keras_momentum_steps(opt: Any, start: Any, rng: Any, lr: float, mu: float, nesterov: bool,
                         decay: float = 0.0) -> tuple[Any, Any]:
    """Four steps of ``opt`` on a copy of ``start`` (6x3), every other one an embedding's
    gradient (rows 2, twice, and 5), beside TensorFlow's KerasMomentum kernels called as
    OptimizerV2 called them (indices deduplicated, rows summed); with ``decay``, tfa's
    decoupled decay of the reference first (``_decay_weights_op`` / ``_decay_weights_sparse_op``:
    only a sparse gradient's rows). (the optimizer's variable, the reference)."""
    import numpy as np
    import tensorflow as tf

    ours = tf.Variable(start)
    ref, accum = tf.Variable(start), tf.Variable(tf.zeros_like(start))
    for step in range(4):
        if step % 2:
            indices = np.array([2, 5, 2])
            values = rng.normal(size=(3, 3)).astype("float32")
            opt.apply_gradients([(tf.IndexedSlices(tf.constant(values), tf.constant(indices), tf.constant([6, 3])), ours)])
            unique, position = tf.unique(tf.constant(indices))
            summed = tf.math.unsorted_segment_sum(tf.constant(values), position, tf.shape(unique)[0])
            if decay:
                ref.scatter_sub(tf.IndexedSlices(decay * tf.gather(ref, unique), unique))
            tf.raw_ops.ResourceSparseApplyKerasMomentum(var=ref.handle, accum=accum.handle, lr=tf.constant(lr),
                                                        grad=summed, indices=unique, momentum=tf.constant(mu),
                                                        use_nesterov=nesterov)
        else:
            grad = rng.normal(size=start.shape).astype("float32")
            opt.apply_gradients([(tf.constant(grad), ours)])
            if decay:
                ref.assign_sub(decay * ref)
            tf.raw_ops.ResourceApplyKerasMomentum(var=ref.handle, accum=accum.handle, lr=tf.constant(lr),
                                                  grad=tf.constant(grad), momentum=tf.constant(mu), use_nesterov=nesterov)
    return ours, ref
