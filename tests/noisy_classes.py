"""A generated table whose classes the columns only weakly separate: what calibration is for."""

from __future__ import annotations

import numpy as np
import pandas as pd


def noisy_three_classes(n: int = 1200, seed: int = 0) -> pd.DataFrame:
    """Three classes (50/30/20 %) that two columns only weakly separate; 'colour' is noise."""
    rng = np.random.default_rng(seed)
    y = rng.choice(["ant", "bee", "cat"], size=n, p=[0.5, 0.3, 0.2])
    shift = pd.Series(y).map({"ant": 0.0, "bee": 0.5, "cat": 1.0}).to_numpy()
    return pd.DataFrame({"x1": (shift + rng.normal(0, 1.2, n)).round(3), "x2": (shift + rng.normal(0, 1.2, n)).round(3),
                         "x3": rng.normal(0, 1, n).round(3), "colour": rng.choice(["red", "green", "blue"], n),
                         "label": y})
