"""The runtime's own layer classes, told apart from the user's (``tfr_serialization.py``).

Keras serializes its built-in layers under their Keras module (``"keras.layers"``) and finds
them again by name; the user's classes only by registration or ``custom_objects``. In a
translated file both are classes of one module, so the runtime records which are its own:
this file's name sorts last and the bundle keeps the runtime's file order, so its one
definition runs after every runtime class a file holds and before the user's classes.
"""

from tfr_base import Layer


def _subclasses_of(cls):
    out, todo = [], [cls]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub not in out:
                out.append(sub)
                todo.append(sub)
    return out


_RUNTIME_LAYERS = frozenset([Layer, *_subclasses_of(Layer)])
