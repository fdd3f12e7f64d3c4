"""Keras 2's scikit-learn wrappers (``keras.wrappers.scikit_learn``) on translated models.

``KerasClassifier(build_fn=create_model, epochs=..., batch_size=...)`` and ``KerasRegressor``
as tf.keras 2 wrote them (the module Keras 2.4 and later re-export; removed from TensorFlow in
2.12, absent from Keras 3): scikit-learn estimators whose ``fit`` calls ``build_fn`` with the
parameters it takes, converts the labels as Keras 2 did and fits the model it returns;
``predict``, ``predict_proba`` and ``score`` as Keras 2 computed them. The legal parameters are
those of the model's ``fit``, ``predict`` and ``evaluate`` and of ``build_fn``, as Keras 2's
``check_params`` read them (``nb_epoch`` accepted and ignored).
"""

import copy
import inspect
import types

import numpy as np
from tfr_base import Sequential


def _sklearn_has_arg(fn, name):
    """Keras 2's ``has_arg`` (``accept_all=False``): ``fn`` takes ``name`` by keyword."""
    parameter = inspect.signature(fn).parameters.get(name)
    return parameter is not None and parameter.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                                        inspect.Parameter.KEYWORD_ONLY)


def _sklearn_to_categorical(y):
    """Keras 2's ``to_categorical(y)`` (as many classes as the largest label + 1)."""
    y = np.array(y, dtype="int")
    input_shape = y.shape
    if input_shape and input_shape[-1] == 1 and len(input_shape) > 1:
        input_shape = tuple(input_shape[:-1])
    y = y.ravel()
    num_classes = np.max(y) + 1
    categorical = np.zeros((y.shape[0], num_classes), dtype="float32")
    categorical[np.arange(y.shape[0]), y] = 1
    return np.reshape(categorical, input_shape + (num_classes,))


def _sklearn_loss_name(model):
    loss = model.loss
    return loss.__name__ if hasattr(loss, "__name__") else loss


class _SKLearnBaseWrapper:
    """``keras.wrappers.scikit_learn.BaseWrapper`` (tf.keras 2's) for translated models."""

    def __init__(self, build_fn=None, **sk_params):
        self.build_fn = build_fn
        self.sk_params = sk_params
        self.check_params(sk_params)

    def check_params(self, params):
        legal_params_fns = [Sequential.fit, Sequential.predict, Sequential.evaluate]
        if self.build_fn is None:
            legal_params_fns.append(self.__call__)
        elif not isinstance(self.build_fn, (types.FunctionType, types.MethodType)):
            legal_params_fns.append(self.build_fn.__call__)
        else:
            legal_params_fns.append(self.build_fn)
        for params_name in params:
            if not any(_sklearn_has_arg(fn, params_name) for fn in legal_params_fns) and params_name != "nb_epoch":
                raise ValueError(f"{params_name} is not a legal parameter")

    def get_params(self, **params):
        res = copy.deepcopy(self.sk_params)
        res.update({"build_fn": self.build_fn})
        return res

    def set_params(self, **params):
        self.check_params(params)
        self.sk_params.update(params)
        return self

    def fit(self, x, y, **kwargs):
        if self.build_fn is None:
            self.model = self.__call__(**self.filter_sk_params(self.__call__))
        elif not isinstance(self.build_fn, (types.FunctionType, types.MethodType)):
            self.model = self.build_fn(**self.filter_sk_params(self.build_fn.__call__))
        else:
            self.model = self.build_fn(**self.filter_sk_params(self.build_fn))
        if _sklearn_loss_name(self.model) == "categorical_crossentropy" and len(y.shape) != 2:
            y = _sklearn_to_categorical(y)
        fit_args = copy.deepcopy(self.filter_sk_params(Sequential.fit))
        fit_args.update(kwargs)
        return self.model.fit(x, y, **fit_args)

    def filter_sk_params(self, fn, override=None):
        override = override or {}
        res = {}
        for name, value in self.sk_params.items():
            if _sklearn_has_arg(fn, name):
                res.update({name: value})
        res.update(override)
        return res


class KerasClassifier(_SKLearnBaseWrapper):
    """``keras.wrappers.scikit_learn.KerasClassifier`` (tf.keras 2's) for translated models."""

    def fit(self, x, y, sample_weight=None, **kwargs):
        y = np.array(y)
        if len(y.shape) == 2 and y.shape[1] > 1:
            self.classes_ = np.arange(y.shape[1])
        elif (len(y.shape) == 2 and y.shape[1] == 1) or len(y.shape) == 1:
            self.classes_ = np.unique(y)
            y = np.searchsorted(self.classes_, y)
        else:
            raise ValueError("Invalid shape for y: " + str(y.shape))
        self.n_classes_ = len(self.classes_)
        if sample_weight is not None:
            kwargs["sample_weight"] = sample_weight
        return super().fit(x, y, **kwargs)

    def predict(self, x, **kwargs):
        kwargs = self.filter_sk_params(Sequential.predict, kwargs)
        proba = self.model.predict(x, **kwargs)
        if proba.shape[-1] > 1:
            classes = proba.argmax(axis=-1)
        else:
            classes = (proba > 0.5).astype("int32")
        return self.classes_[classes]

    def predict_proba(self, x, **kwargs):
        kwargs = self.filter_sk_params(Sequential.predict, kwargs)
        probs = self.model.predict(x, **kwargs)
        if probs.shape[1] == 1:  # binary: the probabilities of class 0 and of class 1
            probs = np.hstack([1 - probs, probs])
        return probs

    def score(self, x, y, **kwargs):
        y = np.searchsorted(self.classes_, y)
        kwargs = self.filter_sk_params(Sequential.evaluate, kwargs)
        if _sklearn_loss_name(self.model) == "categorical_crossentropy" and len(y.shape) != 2:
            y = _sklearn_to_categorical(y)
        kwargs["return_dict"] = True  # (the outputs by name, in Keras 2's `metrics_names` order)
        outputs = self.model.evaluate(x, y, **kwargs)
        for name, output in outputs.items():
            if name in ("accuracy", "acc"):
                return output
        raise ValueError("The model is not configured to compute accuracy. You should pass "
                         '`metrics=["accuracy"]` to the `model.compile()` method.')


class KerasRegressor(_SKLearnBaseWrapper):
    """``keras.wrappers.scikit_learn.KerasRegressor`` (tf.keras 2's) for translated models."""

    def predict(self, x, **kwargs):
        kwargs = self.filter_sk_params(Sequential.predict, kwargs)
        return np.squeeze(self.model.predict(x, **kwargs))

    def score(self, x, y, **kwargs):
        kwargs = self.filter_sk_params(Sequential.evaluate, kwargs)
        loss = self.model.evaluate(x, y, **kwargs)
        if isinstance(loss, list):
            return -loss[0]
        return -loss
