"""The bundled EXP110 table (Faure et al. 2023) against the counts its source states."""

import numpy as np

from binn_graph.metabolic import amn_uptake, load_exp110


def test_exp110_counts_and_uptake_scaling():
    media, growth = load_exp110()
    assert media.shape == (110, 38) and len(growth) == 110
    assert all(c.startswith("EX_") and c.endswith("_e") for c in media.columns)
    carbon = media.columns[-10:]
    assert (media[media.columns[:28]] == 1).all().all()
    assert media[carbon].sum(axis=1).value_counts().sort_index().to_dict() == {1: 10, 2: 20, 3: 40, 4: 40}
    assert len(media[carbon].drop_duplicates()) == 110
    assert growth.min() == np.float64(0.070366424) and round(growth.max(), 3) == 0.421
    up = amn_uptake(media)
    assert set(np.unique(up.to_numpy())) == {1e-4, 2.5}
