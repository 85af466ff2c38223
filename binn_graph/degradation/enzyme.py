"""Proteases as cleavage-site weights over the P1/P1′ residue pair.

An :class:`Enzyme` scores the bond between residues P1 and P1′ as ``p1[P1] · p1_prime[P1′]`` (a 20 × 20 table,
:attr:`Enzyme.site_weights`); ``exo`` is the fraction of events that remove one terminal residue instead of cutting
a bond. :meth:`Enzyme.from_regex` turns a rule on the dipeptide ``P1P1′`` into that table, and :data:`ENZYMES` holds
presets written from the textbook specificities (ExPASy PeptideCutter rules, simplified to P1/P1′):

* trypsin: after K or R, not before P;
* chymotrypsin (high specificity): after F, Y or W, not before P; L and M at a quarter of the rate;
* elastase (neutrophil/pancreatic): after A, V, S, G, L or I;
* pepsin (pH > 2): after F, L, W or Y (and at a lower rate E, M), not before P;
* Glu-C (V8, phosphate buffer): after E, D at a tenth of the rate.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Mapping

import numpy as np
import pandas as pd

from ..errors import DataValidationError

__all__ = ["Enzyme", "ENZYMES", "RESIDUES"]

RESIDUES = "ACDEFGHIKLMNPQRSTVWY"
_INDEX = {r: i for i, r in enumerate(RESIDUES)}


def _weights(values: Mapping[str, float] | str | None, what: str) -> np.ndarray:
    """Per-residue weights from a mapping or a string of residues (weight 1); None means all 1."""
    if values is None:
        return np.ones(len(RESIDUES))
    if isinstance(values, str):
        values = {r: 1.0 for r in values}
    out = np.zeros(len(RESIDUES))
    for residue, weight in values.items():
        residue = str(residue).upper()
        if residue not in _INDEX:
            raise DataValidationError(f"{what}: {residue!r} is not one of the 20 amino acids {RESIDUES}")
        if not np.isfinite(weight) or weight < 0:
            raise DataValidationError(f"{what}: weight of {residue} must be a finite number ≥ 0, not {weight!r}")
        out[_INDEX[residue]] = float(weight)
    return out


@dataclass(frozen=True)
class Enzyme:
    """A protease: per-residue P1 weights, optional P1′ weights (None = any residue), exo fraction in [0, 1]."""

    name: str
    p1: Mapping[str, float] | str
    p1_prime: Mapping[str, float] | str | None = None
    exo: float = 0.0
    _table: np.ndarray | None = field(default=None, repr=False, compare=False)

    def __post_init__(self):
        if not 0.0 <= float(self.exo) <= 1.0:
            raise DataValidationError(f"enzyme {self.name}: exo must be a fraction in [0, 1], not {self.exo!r}")
        if self._table is None:
            table = np.outer(_weights(self.p1, f"enzyme {self.name} p1"),
                             _weights(self.p1_prime, f"enzyme {self.name} p1_prime"))
            object.__setattr__(self, "_table", table)
        if self.exo < 1.0 and not self._table.any():
            raise DataValidationError(f"enzyme {self.name} cuts no bond (all site weights are 0) and is not "
                                      "purely exo")

    @classmethod
    def from_regex(cls, name: str, pattern: str, exo: float = 0.0) -> "Enzyme":
        """An enzyme that cuts between P1 and P1′ wherever ``pattern`` fully matches the dipeptide ``P1P1′``.

        Example: trypsin is ``Enzyme.from_regex("trypsin", "[KR][^P]")``.
        """
        try:
            rule = re.compile(pattern)
        except re.error as err:
            raise DataValidationError(f"enzyme {name}: invalid regular expression {pattern!r} ({err})") from None
        table = np.array([[1.0 if rule.fullmatch(a + b) else 0.0 for b in RESIDUES] for a in RESIDUES])
        p1 = {r: 1.0 for r, row in zip(RESIDUES, table) if row.any()}
        return cls(name, p1=p1, p1_prime=None, exo=exo, _table=table)

    def with_exo(self, exo: float) -> "Enzyme":
        """The same enzyme with a different exo fraction."""
        return Enzyme(self.name, self.p1, self.p1_prime, exo, self._table)

    @property
    def site_weights(self) -> pd.DataFrame:
        """Cut weight of each bond, rows P1, columns P1′."""
        return pd.DataFrame(self._table, index=list(RESIDUES), columns=list(RESIDUES))

    def bond_weights(self, sequence: str) -> np.ndarray:
        """Weight of each bond of ``sequence``: entry ``i`` is the bond after residue ``i`` (length ``len - 1``).

        Residues outside the 20 amino acids (ambiguity codes) give weight 0.
        """
        codes = np.array([_INDEX.get(r, -1) for r in sequence], dtype=np.int64)
        a, b = codes[:-1], codes[1:]
        ok = (a >= 0) & (b >= 0)
        out = np.zeros(len(a))
        out[ok] = self._table[a[ok], b[ok]]
        return out


ENZYMES: dict[str, Enzyme] = {
    "trypsin": Enzyme("trypsin", p1="KR", p1_prime={r: 1.0 for r in RESIDUES if r != "P"}),
    "chymotrypsin": Enzyme("chymotrypsin", p1={"F": 1.0, "Y": 1.0, "W": 1.0, "L": 0.25, "M": 0.25},
                           p1_prime={r: 1.0 for r in RESIDUES if r != "P"}),
    "elastase": Enzyme("elastase", p1="AVSGLI"),
    "pepsin": Enzyme("pepsin", p1={"F": 1.0, "L": 1.0, "W": 1.0, "Y": 1.0, "E": 0.25, "M": 0.25},
                     p1_prime={r: 1.0 for r in RESIDUES if r != "P"}),
    "glu-c": Enzyme("glu-c", p1={"E": 1.0, "D": 0.1}),
}
