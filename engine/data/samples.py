"""Sample datasets that ship inside installed packages (no downloads).

>>> load_sample("iris").shape
(150, 5)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import pandas as pd
from sklearn import datasets

from engine.errors import DataError

__all__ = ["SAMPLES", "Sample", "load_sample"]


class Sample(NamedTuple):
    label: str
    target: str
    description: str
    loader: Callable[[], pd.DataFrame]


def _from_sklearn(loader: Callable, target: str, labels: bool = True) -> Callable[[], pd.DataFrame]:
    def load() -> pd.DataFrame:
        bunch = loader(as_frame=True)
        frame = bunch.frame.copy()
        if labels and hasattr(bunch, "target_names"):
            frame["target"] = np.asarray(bunch.target_names)[bunch.target]
        return frame.rename(columns={"target": target})

    return load


def _customer_churn(n: int = 1500, seed: int = 7) -> pd.DataFrame:
    """A generated churn table with the mess of real data: categories, dates, gaps, an ID."""
    rng = np.random.default_rng(seed)
    plan = rng.choice(["basic", "standard", "premium"], n, p=[0.5, 0.35, 0.15])
    region = rng.choice(["north", "south", "east", "west"], n)
    tenure = rng.integers(1, 72, n)
    charges = np.round(20 + 30 * (plan == "standard") + 60 * (plan == "premium") + rng.normal(0, 8, n), 2)
    tickets = rng.poisson(1.2, n)
    signup = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 1800, n), unit="D")
    logit = -1.0 + 0.6 * tickets - 0.05 * tenure + 0.8 * (plan == "basic") + rng.normal(0, 0.5, n)
    churned = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "yes", "no")
    frame = pd.DataFrame({
        "customer_id": [f"C{100000 + i}" for i in range(n)],
        "plan": plan, "region": region, "tenure_months": tenure.astype(float),
        "monthly_charges": charges, "support_tickets": tickets,
        "signup_date": signup.strftime("%Y-%m-%d"), "churned": churned,
    })
    for column, share in (("monthly_charges", 0.05), ("region", 0.03), ("tenure_months", 0.02)):
        frame.loc[rng.random(n) < share, column] = np.nan
    return frame


SAMPLES: dict[str, Sample] = {
    "iris": Sample("Iris flowers (3 classes, 150 rows)", "species",
                   "Classify iris species from petal and sepal sizes.",
                   _from_sklearn(datasets.load_iris, "species")),
    "breast_cancer": Sample("Breast cancer (2 classes, 569 rows)", "diagnosis",
                            "Classify tumours as malignant or benign from 30 measurements.",
                            _from_sklearn(datasets.load_breast_cancer, "diagnosis")),
    "wine": Sample("Wine cultivars (3 classes, 178 rows)", "cultivar",
                   "Classify wines by cultivar from their chemistry.",
                   _from_sklearn(datasets.load_wine, "cultivar")),
    "diabetes": Sample("Diabetes progression (regression, 442 rows)", "progression",
                       "Predict disease progression one year after baseline.",
                       _from_sklearn(datasets.load_diabetes, "progression", labels=False)),
    "customer_churn": Sample("Customer churn (generated, 1,500 rows, messy)", "churned",
                             "Predict churn from plan, usage and support tickets; has gaps, dates and an ID.",
                             _customer_churn),
}


def load_sample(name: str) -> pd.DataFrame:
    """Load the bundled sample ``name`` as a DataFrame."""
    if name not in SAMPLES:
        raise DataError(f"Unknown sample dataset '{name}'; choose one of {list(SAMPLES)}.")
    return SAMPLES[name].loader()
