"""The ``MirroredStrategy`` property, run in a fresh interpreter (``python -m
conformance.distribute PATH...``; prints one JSON line per subject): two logical CPU devices
must be configured before TensorFlow initialises its devices, which no other test may see.

For every module of each translation: the file is executed again under
``strategy.scope()`` (so the variables are mirrored), the variables get the single-device
module's perturbed values, and then

- inference: ``strategy.run`` on a distributed batch, outputs gathered, equals the
  single-device outputs (``FORWARD``);
- training: one SGD step (learning rate ``LR``) on ``sum(outputs**2) / global batch``, the
  loss scaled by the global batch size as Keras does, gradients summed over the replicas,
  equals the same step on one device (``STEP``, on the updated variables).

``training=False`` in the step: Dropout would draw different masks per replica, and
BatchNormalization's batch statistics are per replica under a strategy (Keras's too).
"""

from __future__ import annotations

import json
import os
import sys
import traceback

FORWARD = 1e-5  # atol = rtol, on (1 + |x|)
STEP = 1e-5
LR = 0.1


def _check(subject, single, mirrored, strategy):  # type: ignore[no-untyped-def]
    import tensorflow as tf

    from conformance import properties as P
    from conformance import subjects as S

    x = S.inputs(subject, single)
    for v, w in zip(mirrored.variables, single.variables):
        v.assign(w)
    expected = single(x, training=False)
    structure = tuple(x) if isinstance(x, list) else x  # a list would be stacked into one tensor
    dist_x = next(iter(strategy.experimental_distribute_dataset(
        tf.data.Dataset.from_tensors(structure).unbatch().batch(S.BATCH))))

    def call(t):  # type: ignore[no-untyped-def]
        return mirrored(list(t) if isinstance(x, list) else t, training=False)

    per_replica = strategy.experimental_local_results(strategy.run(call, args=(dist_x,)))
    got = tf.nest.map_structure(lambda *parts: tf.concat(parts, axis=0), *per_replica)
    forward = P.assert_close(expected, got, FORWARD, "mirrored inference against one device")

    def loss_of(module, inputs):  # type: ignore[no-untyped-def]
        inputs = list(inputs) if isinstance(x, list) else inputs
        out = tf.nest.flatten(module(inputs, training=False))
        return tf.add_n([tf.reduce_sum(tf.cast(o, tf.float32) ** 2) for o in out]) / S.BATCH

    with tf.GradientTape() as tape:
        loss = loss_of(single, x)
    grads = tape.gradient(loss, single.trainable_variables)
    for v, g in zip(single.trainable_variables, grads):
        if g is not None:
            v.assign_sub(LR * tf.convert_to_tensor(g))

    @tf.function
    def step(inputs):  # type: ignore[no-untyped-def]
        def replica(t):  # type: ignore[no-untyped-def]
            with tf.GradientTape() as tape:
                loss = loss_of(mirrored, t)
            grads = tape.gradient(loss, mirrored.trainable_variables)
            pairs = [(g, v) for g, v in zip(grads, mirrored.trainable_variables) if g is not None]
            summed = tf.distribute.get_replica_context().all_reduce("sum", [tf.convert_to_tensor(g) for g, _ in pairs])

            def update(distribution, pairs):  # type: ignore[no-untyped-def]
                for g, v in pairs:
                    distribution.extended.update(v, lambda var, grad: var.assign_sub(LR * grad), args=(g,))

            tf.distribute.get_replica_context().merge_call(update, args=(list(zip(summed, [v for _, v in pairs])),))
            return loss

        return strategy.reduce("sum", strategy.run(replica, args=(inputs,)), axis=None)

    step(dist_x)
    trained = P.assert_close([v.numpy() for v in single.variables], [v.numpy() for v in mirrored.variables], STEP,
                             "mirrored training step against one device")
    return max(forward, trained)


def main(paths: list[str]) -> None:
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    assert strategy.num_replicas_in_sync == 2

    from conformance import subjects as S

    for path in paths:
        single_ns = S.loaded(path)
        try:
            with strategy.scope():
                mirrored_ns = S.load(path)
        except Exception as e:
            for name in S.module_names(single_ns):
                print(json.dumps({"id": f"{path}:{name}", "ok": False, "error": f"exec under scope: {type(e).__name__}: {e}"[:500]}))
            continue
        for name in S.module_names(single_ns):
            subject = S.Subject(path, dict(S.FILES)[path], name)
            record = {"id": subject.id}
            try:
                mirrored = mirrored_ns[name]
                single = single_ns[name]
                with strategy.scope():
                    S.build(subject, mirrored)  # a module built on its first call
                assert len(mirrored.variables) == len(single.variables)
                assert all(isinstance(v, tf.distribute.DistributedValues) or "Mirrored" in type(v).__name__
                           for v in mirrored.variables), "variables made under the scope are not mirrored"
                record.update(ok=True, worst=_check(subject, single, mirrored, strategy))
            except Exception as e:
                record.update(ok=False, error=f"{type(e).__name__}: {e}"[:800], trace=traceback.format_exc()[-1500:])
            print(json.dumps(record))


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    main(sys.argv[1:])
