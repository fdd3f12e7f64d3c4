"""Static output-shape arithmetic shared by convolution and pooling handlers."""

from __future__ import annotations

from kerastf_xlate.layerkit.emit import DimT


def conv_out(n: DimT, k: int, s: int, d: int, padding: str) -> DimT:
    """Spatial size after a convolution / pooling window (None when unknown)."""
    if not isinstance(n, int):
        return None
    if padding.lower() == "same":
        return -(-n // s)
    effective = (k - 1) * d + 1
    return -(-(n - effective + 1) // s)


def padding_value(ctx_value: str) -> str:
    return "SAME" if ctx_value.lower() == "same" else "VALID"


def rank_of(layer: str) -> int:
    """Spatial rank from the layer name: Conv2D -> 2, MaxPooling1D -> 1."""
    for r in (1, 2, 3):
        if f"{r}D" in layer:
            return r
    raise ValueError(layer)
