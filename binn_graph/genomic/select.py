"""Gene selection from expression by an elastic net (scikit-learn ``ElasticNetCV``), as in Kontolati et al. 2025."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.linear_model import ElasticNetCV
from sklearn.preprocessing import StandardScaler

from ..errors import DataValidationError
from .data import align_samples

__all__ = ["select_genes"]


def select_genes(expression: pd.DataFrame, y: pd.Series, *, n_genes: int | None = None, l1_ratio: float = 0.1,
                 cv: int = 5, random_state: int | None = 0, max_iter: int = 5000) -> pd.Series:
    """Genes with non-zero elastic-net coefficients for ``y`` (fit on standardised expression).

    Samples are joined by id. Call it on training samples only (inside each outer fold). ``n_genes`` keeps the
    largest ``|coefficients|`` among the selected. Returns the coefficients (standardised units) of the selected genes,
    sorted by ``|coefficient|``, with the fitted model's ``alpha_`` and the join report in ``.attrs``.
    """
    aligned, report = align_samples(expression=expression, y=y)
    X, target = aligned["expression"], aligned["y"]
    if X.isna().to_numpy().any() or target.isna().any():
        raise DataValidationError("expression or y holds missing values; impute or drop them before selection")
    scaled = StandardScaler().fit_transform(X.to_numpy(dtype=np.float64))
    model = ElasticNetCV(l1_ratio=l1_ratio, cv=cv, random_state=random_state, max_iter=max_iter, n_jobs=None)
    model.fit(scaled, target.to_numpy(dtype=np.float64))
    coef = pd.Series(model.coef_, index=X.columns, name="coefficient")
    coef = coef[coef != 0]
    coef = coef.reindex(coef.abs().sort_values(ascending=False).index)
    if n_genes is not None:
        coef = coef.iloc[:n_genes]
    coef.attrs.update(alpha=float(model.alpha_), report=report)
    return coef
