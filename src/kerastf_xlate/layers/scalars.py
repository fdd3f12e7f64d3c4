"""Which Keras weights are scalars, as far as to-keras needs it to read a scalar
``tf.Variable`` as a layer's weight (``tokeras.patterns``).

A learned scalar is shared by every unit; most Keras weights have one entry per unit (PReLU's
``alpha``, RMSNormalization's ``scale``), so a scalar variable is not one of them. Attention's
``scale`` and ``concat_score_weight`` are scalars in Keras too. A Dense's bias of one unit
(``units=1``) is the scalar's reshape: adding either to an output whose last axis is 1 gives
the same sums (no ``LayerFamily`` here: it is read by name).
"""

from __future__ import annotations

# (layer, weight) pairs a scalar variable may be
SCALAR_WEIGHTS = frozenset({("Attention", "scale"), ("Attention", "concat_score_weight"), ("Dense", "bias")})

# layers whose bias of one unit a scalar variable is, loading as its (1,) reshape
SCALAR_BIAS = frozenset({"Dense"})
