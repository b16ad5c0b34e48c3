"""How a segmentation model's join scores become probabilities: :class:`Calibration`.

This module imports nothing of tieng.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

__all__ = ["Calibration"]


@dataclass(frozen=True)
class Calibration:
    """How a model's join scores become probabilities (fitted on held-out data).

    A gap's probability of being what the model decided is ``sigmoid(scale * score + shift)``
    for a join (and one minus it for a boundary).  A word's confidence is the product over
    its gaps, through ``sigmoid(word_scale * logit(p) + word_shift)`` when the model holds a
    word-level map: the decisions are not quite independent.
    """

    scale: float = 1.0
    shift: float = 0.0
    word_scale: float | None = None
    word_shift: float = 0.0
    fitted_on: str = ""  # what data it was fitted on, in words

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"fitted_on": self.fitted_on} if self.fitted_on else {}
        d.update(scale=self.scale, shift=self.shift)
        if self.word_scale is not None:
            d.update(word_scale=self.word_scale, word_shift=self.word_shift)
        return d

    @classmethod
    def from_metadata(cls, meta: object) -> Calibration | None:
        """The calibration a model's metadata holds (``None``: none, or not usable)."""
        if not isinstance(meta, dict):
            return None
        try:
            values = {
                k: float(meta[k])
                for k in ("scale", "shift", "word_scale", "word_shift")
                if k in meta
            }
        except (TypeError, ValueError):
            return None
        if not all(math.isfinite(v) for v in values.values()):
            return None
        return cls(**values, fitted_on=str(meta.get("fitted_on", "")))
