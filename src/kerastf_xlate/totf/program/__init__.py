"""``xlate to-tf`` for Keras model *programs*: builders, loops, helper blocks, custom layers.

See docs/design.md ("Programs"). The translated file keeps the user's program and replaces
Keras by the TensorFlow classes of ``src/kerastf_xlate/runtime/``, copied into the file by
:mod:`.bundle`.
"""
