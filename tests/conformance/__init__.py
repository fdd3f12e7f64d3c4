"""Conformance checks for the ``tf.Module``s that ``xlate to-tf`` writes (not a test module).

Modelled on the idea of Sonnet 2's conformance tests: whatever a user does next with a
plain-TensorFlow model must work on a translated one. A *subject* is one module-level
``tf.Module`` of a translated file (an example, a whole-file ``to-tf`` case in the flat
form, a program case in the program form). :mod:`.properties` holds one check per property;
:mod:`.distribute` runs the ``MirroredStrategy`` one in a fresh interpreter with two logical
CPU devices. A property a module cannot have is declared in its class's docstring with a line
``Conformance: lacks <property>: <why>``, and the suite accepts exactly those.
"""
