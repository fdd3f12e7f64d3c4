"""kerastf-xlate: translate model code between Keras layers and TensorFlow low-level ops.

The static entry points (``lint``, ``to-tf``, ``to-keras``) never import TensorFlow or
Keras and never execute the user's code; only :mod:`kerastf_xlate.verify` does.
"""

# The one place the version is written (pyproject.toml reads it; CHANGELOG.md has a section
# for it; the pre-commit snippets in README.md and docs/editors.md name its tag).
__version__ = "0.1.0"
