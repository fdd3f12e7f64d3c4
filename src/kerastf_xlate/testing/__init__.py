"""Helpers for tests and benchmarks that execute models (Keras and translated); importing the
package imports neither TensorFlow nor Keras."""
