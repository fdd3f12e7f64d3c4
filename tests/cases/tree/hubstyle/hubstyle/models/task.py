"""The base class of models built on a backbone for one objective."""

import keras


class Task(keras.Model):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)

    @property
    def backbone(self):
        return self._backbone

    @backbone.setter
    def backbone(self, value):
        self._backbone = value
