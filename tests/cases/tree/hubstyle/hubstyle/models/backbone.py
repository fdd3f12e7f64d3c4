"""The base class of every backbone: a functional model built by its subclass's constructor."""

import keras


class Backbone(keras.Model):
    """Takes the graph a subclass builds, and the dtype it was built with."""

    def __init__(self, *args, dtype=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._initialized = True
        if dtype is not None:
            self.dtype_policy = dtype

    @property
    def token_embedding(self):
        """The layer embedding token ids, for backbones that have one."""
        return getattr(self, "_token_embedding", None)

    @token_embedding.setter
    def token_embedding(self, value):
        self._token_embedding = value

    def get_config(self):
        # the subclass's own arguments are added by the subclass
        return {"name": self.name, "trainable": self.trainable}

    @classmethod
    def from_config(cls, config):
        return cls(**config)
