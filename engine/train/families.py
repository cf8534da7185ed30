"""The model families of the catalog: how each builds, its defaults, search space, grid, losses and limits.

The public API lives in ``engine.train.catalog``; this module only declares the families. A build function gets
the complete parameters (the family's defaults for the task, overridden by the caller, plus ``loss``) and
maps them onto the estimator's own arguments, so callers never need to know that the linear model's
``huber`` loss is a ``HuberRegressor`` or that a linear SVM is wrapped for probabilities.

Choices worth knowing:

- Classifiers without ``predict_proba`` (kernel SVM, linear SVM, ridge) are wrapped in
  ``CalibratedClassifierCV(..., ensemble=False, cv=3)``. scikit-learn 1.9 deprecates
  ``SVC(probability=True)`` and names this as its replacement; it is the same Platt scaling, and with
  ``ensemble=False`` ``predict`` agrees with ``predict_proba`` (it does not with ``probability=True``).
- Regressors whose settings assume a unit-scale target (kernel SVM's ``epsilon``, linear SVM, MLP) are wrapped
  in ``TransformedTargetRegressor`` with a ``StandardScaler`` on the target, so prices in the millions work.
- Each family declares the ``input`` it learns best from (``engine.prepare.pipeline.MODEL_INPUTS``), which the
  recipe's unpinned encode and scale steps compile to: gradient boosting takes categories natively (it splits on
  groups of categories, and scaling changes nothing for it), forests and single trees integer codes without
  scaling, and models that weigh or compare distances between columns (linear, SVM, k-NN, MLP, naive Bayes)
  one-hot columns and scaled numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import TransformedTargetRegressor
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.ensemble import (
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.linear_model import HuberRegressor, Lasso, LogisticRegression, Ridge, RidgeClassifier
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC, SVR, LinearSVC, LinearSVR
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from engine.errors import RecipeError

__all__ = ["AUTOML_PORTFOLIO", "BOTH", "FOREST_MAX_BYTES", "FOREST_MIN_TREES", "LARGE_ROWS", "MODELS", "ModelFamily",
           "PortfolioPoint", "forest_size"]

BOTH = ("classification", "regression")
Params = dict[str, Any]


class ModelFamily(NamedTuple):
    """Everything the trainer, the tuner and the UI need to know about one kind of model."""

    label: str
    tasks: tuple[str, ...]  # the tasks it can learn: "classification", "regression"
    build: Callable[[str, Params, int], Any]  # (task, complete params, seed) -> unfitted estimator
    defaults: dict[str, Params]  # task -> default params; also the names make_estimator accepts
    space: Callable[..., Params] | None  # space(trial, task, prefix="") -> params, via trial.suggest_*
    grid: dict[str, dict[str, list]]  # task -> values per searched parameter, for optuna's GridSampler
    needs_scaling: bool  # numeric features should be standardised first
    slow_rows: int | None  # beyond this many training rows a fit takes minutes
    losses: dict[str, tuple[str, ...]]  # task -> objectives, first is the default; one = fixed, empty = n/a
    description: str
    alternatives: tuple[str, ...] = ()  # faster families to suggest when this one is too slow
    input: str = "onehot_scaled"  # what the recipe's unpinned encode / scale steps compile to (MODEL_INPUTS)


def _calibrated(classifier) -> CalibratedClassifierCV:
    return CalibratedClassifierCV(classifier, method="sigmoid", cv=3, ensemble=False)


def _scaled_target(regressor) -> TransformedTargetRegressor:
    return TransformedTargetRegressor(regressor=regressor, transformer=StandardScaler())


# --- baseline ---------------------------------------------------------------------------------------------------

def _baseline(task: str, p: Params, seed: int):
    if task == "classification":
        return DummyClassifier(strategy=p["strategy"], random_state=seed)
    return DummyRegressor(strategy=p["strategy"])


# --- linear -----------------------------------------------------------------------------------------------------

_L1_RATIO = {"l2": 0.0, "l1": 1.0}


def _linear(task: str, p: Params, seed: int):
    if task == "regression":
        if p["loss"] == "huber":
            return HuberRegressor(alpha=p["alpha"], epsilon=1.35, max_iter=1000)
        return Ridge(alpha=p["alpha"], random_state=seed)
    if p["penalty"] not in ("l2", "l1", "elasticnet"):
        raise RecipeError(f"The 'penalty' of model 'linear' must be 'l2', 'l1' or 'elasticnet'. Got {p['penalty']!r}.")
    l1_ratio = _L1_RATIO.get(p["penalty"], p["l1_ratio"])
    solver = "lbfgs" if l1_ratio == 0 else "saga"  # lbfgs is faster for pure l2; only saga does l1
    return LogisticRegression(C=p["C"], l1_ratio=l1_ratio, solver=solver, max_iter=5000, random_state=seed)


def _linear_space(trial, task: str, prefix: str = "") -> Params:
    if task == "regression":
        return {"alpha": trial.suggest_float(f"{prefix}alpha", 1e-3, 1e3, log=True)}
    params = {"C": trial.suggest_float(f"{prefix}C", 1e-3, 1e3, log=True),
              "penalty": trial.suggest_categorical(f"{prefix}penalty", ["l2", "l1", "elasticnet"])}
    if params["penalty"] == "elasticnet":
        params["l1_ratio"] = trial.suggest_float(f"{prefix}l1_ratio", 0.1, 0.9)
    return params


# --- ridge and lasso ----------------------------------------------------------------------------------------------

def _ridge(task: str, p: Params, seed: int):
    if task == "classification":
        return _calibrated(RidgeClassifier(alpha=p["alpha"], random_state=seed))
    return Ridge(alpha=p["alpha"], random_state=seed)


def _lasso(task: str, p: Params, seed: int):
    return Lasso(alpha=p["alpha"], max_iter=10_000, random_state=seed)


def _alpha_space(low: float, high: float) -> Callable[..., Params]:
    def space(trial, task: str, prefix: str = "") -> Params:
        return {"alpha": trial.suggest_float(f"{prefix}alpha", low, high, log=True)}
    return space


# --- trees --------------------------------------------------------------------------------------------------------

_TREES = {
    "decision_tree": (DecisionTreeClassifier, DecisionTreeRegressor),
    "random_forest": (RandomForestClassifier, RandomForestRegressor),
    "extra_trees": (ExtraTreesClassifier, ExtraTreesRegressor),
}


def _tree_builder(name: str) -> Callable[[str, Params, int], Any]:
    classifier, regressor = _TREES[name]

    def build(task: str, p: Params, seed: int):
        args = {k: v for k, v in p.items() if k != "loss"}
        if name != "decision_tree":
            args["n_jobs"] = -1
        cls = classifier if task == "classification" else regressor
        return cls(criterion=p["loss"], random_state=seed, **args)
    return build


#: The most a forest fitted by the AutoML search holds (its trees' nodes and leaf values), whatever the rows: a
#: 300-tree forest of unpruned trees grows with the rows (measured on 14,000 fold rows of a regression table:
#: 140 MB, the whole search's peak, 1.6x FLAML's entire run above the libraries both load), and the refit on all
#: rows, the vote, model.skops and its check each hold it again: a training run's peak grows about 2.5x the
#: winner's size (on digits, a vote holding two 24 MiB forests peaked at 336-379 MB against FLAML's 257-298 MB).
#: Over the cap a forest first keeps fewer trees, down to ``FOREST_MIN_TREES`` (a forest's score gains little past
#: 100 unpruned trees; pruned trees lose what each tree learns), then fewer leaves each (``forest_size``); on small
#: tables, where unpruned trees stay under it, nothing changes.
FOREST_MAX_BYTES = 12 * 2**20
FOREST_MIN_TREES = 100
#: Bytes of one tree node in scikit-learn (``sklearn.tree._tree.NODE_DTYPE``), before its leaf values (8 per output
#: value: one for regression, one per class).
_NODE_BYTES = 64


def forest_size(n_estimators: int, rows: int, min_samples_leaf: int, outputs: int) -> tuple[int, int | None]:
    """``(n_estimators, max_leaf_nodes)`` that keep a forest fitted on ``rows`` rows within ``FOREST_MAX_BYTES``
    (a tree of L leaves has 2L - 1 nodes, each with ``outputs`` float64 values; an unpruned tree has at most
    ``rows / min_samples_leaf`` leaves): fewer trees first, down to ``FOREST_MIN_TREES``, then fewer leaves (None:
    unpruned).

    >>> forest_size(300, 14_000, 1, 1), forest_size(300, 500, 1, 1), forest_size(100, 200, 1, 1)
    ((100, 873), (174, None), (100, None))
    """
    per_leaf = 2 * (_NODE_BYTES + 8 * max(outputs, 1))
    unpruned = rows / max(min_samples_leaf, 1) * per_leaf
    if n_estimators * unpruned <= FOREST_MAX_BYTES:
        return n_estimators, None
    trees = min(n_estimators, max(FOREST_MIN_TREES, int(FOREST_MAX_BYTES // unpruned)))
    if trees * unpruned <= FOREST_MAX_BYTES:
        return trees, None
    return trees, max(int(FOREST_MAX_BYTES // (trees * per_leaf)), 2)


def _tree_space(trial, task: str, prefix: str = "") -> Params:
    return {"max_depth": trial.suggest_int(f"{prefix}max_depth", 2, 32, log=True),
            "min_samples_leaf": trial.suggest_int(f"{prefix}min_samples_leaf", 1, 50, log=True)}


def _forest_space(trial, task: str, prefix: str = "") -> Params:
    return {"n_estimators": trial.suggest_int(f"{prefix}n_estimators", 50, 500, step=50),
            "min_samples_leaf": trial.suggest_int(f"{prefix}min_samples_leaf", 1, 20, log=True),
            "max_features": trial.suggest_float(f"{prefix}max_features", 0.1, 1.0)}


# --- gradient boosting --------------------------------------------------------------------------------------------

def _boosting(task: str, p: Params, seed: int):
    cls = HistGradientBoostingClassifier if task == "classification" else HistGradientBoostingRegressor
    return cls(**p, random_state=seed)  # early stopping holds out scikit-learn's default 10 %, patience 10


#: ``l2_regularization`` as a few steps of a log scale plus scikit-learn's default 0.0 (which a log-uniform
#: range cannot hold, and the AutoML's first trial is the plain default model).
BOOSTING_L2 = [0.0, 0.01, 0.1, 1.0, 10.0]


def _boosting_space(trial, task: str, prefix: str = "") -> Params:
    return {"learning_rate": trial.suggest_float(f"{prefix}learning_rate", 0.01, 0.3, log=True),
            "max_leaf_nodes": trial.suggest_int(f"{prefix}max_leaf_nodes", 8, 128, log=True),
            "min_samples_leaf": trial.suggest_int(f"{prefix}min_samples_leaf", 5, 100, log=True),
            "l2_regularization": trial.suggest_categorical(f"{prefix}l2_regularization", BOOSTING_L2),
            "max_iter": trial.suggest_int(f"{prefix}max_iter", 100, 1000, log=True),
            # "auto": scikit-learn's default, on from 10,000 rows; True: always, for many slow iterations
            "early_stopping": trial.suggest_categorical(f"{prefix}early_stopping", ["auto", True])}


# --- support vector machines --------------------------------------------------------------------------------------

def _svm(task: str, p: Params, seed: int):
    kernel = {k: p[k] for k in ("kernel", "C", "gamma", "degree")}
    if task == "classification":
        return _calibrated(SVC(**kernel, random_state=seed))
    return _scaled_target(SVR(**kernel, epsilon=p["epsilon"]))


def _svm_space(trial, task: str, prefix: str = "") -> Params:
    params = {"kernel": trial.suggest_categorical(f"{prefix}kernel", ["rbf", "poly", "linear"]),
              "C": trial.suggest_float(f"{prefix}C", 1e-2, 1e3, log=True)}
    if params["kernel"] != "linear":
        params["gamma"] = trial.suggest_float(f"{prefix}gamma", 1e-4, 1.0, log=True)
    if params["kernel"] == "poly":
        params["degree"] = trial.suggest_int(f"{prefix}degree", 2, 4)
    if task == "regression":
        params["epsilon"] = trial.suggest_float(f"{prefix}epsilon", 0.01, 1.0, log=True)
    return params


def _linear_svm(task: str, p: Params, seed: int):
    if task == "classification":
        return _calibrated(LinearSVC(C=p["C"], loss=p["loss"], max_iter=20_000, random_state=seed))
    return _scaled_target(LinearSVR(C=p["C"], loss=p["loss"], epsilon=p["epsilon"], max_iter=20_000,
                                    random_state=seed))


def _linear_svm_space(trial, task: str, prefix: str = "") -> Params:
    params = {"C": trial.suggest_float(f"{prefix}C", 1e-3, 1e2, log=True)}
    if task == "regression":
        params["epsilon"] = trial.suggest_float(f"{prefix}epsilon", 0.0, 1.0)
    return params


# --- neighbours, naive Bayes, neural network ----------------------------------------------------------------------

def _knn(task: str, p: Params, seed: int):
    cls = KNeighborsClassifier if task == "classification" else KNeighborsRegressor
    return cls(n_neighbors=p["n_neighbors"], weights=p["weights"], p=p["p"], n_jobs=1)


def _knn_space(trial, task: str, prefix: str = "") -> Params:
    return {"n_neighbors": trial.suggest_int(f"{prefix}n_neighbors", 1, 50, log=True),
            "weights": trial.suggest_categorical(f"{prefix}weights", ["uniform", "distance"]),
            "p": trial.suggest_categorical(f"{prefix}p", [1, 2])}


def _naive_bayes(task: str, p: Params, seed: int):
    return GaussianNB(var_smoothing=p["var_smoothing"])


def _naive_bayes_space(trial, task: str, prefix: str = "") -> Params:
    return {"var_smoothing": trial.suggest_float(f"{prefix}var_smoothing", 1e-12, 1e-2, log=True)}


MLP_SHAPES = ["32", "64", "128", "64-32", "128-64"]


def hidden_layers(shape: str) -> tuple[int, ...]:
    """``"64-32"`` -> ``(64, 32)``: the MLP's layer sizes as the space and the grid spell them."""
    try:
        sizes = tuple(int(part) for part in str(shape).split("-"))
    except ValueError:
        sizes = ()
    if not sizes or min(sizes) < 1:
        raise RecipeError(f"The 'hidden_layer_sizes' of model 'mlp' must be layer sizes joined by '-', like "
                          f"'64-32'. Got {shape!r} instead.")
    return sizes


def _mlp(task: str, p: Params, seed: int):
    args = {"hidden_layer_sizes": hidden_layers(p["hidden_layer_sizes"]), "alpha": p["alpha"],
            "learning_rate_init": p["learning_rate_init"], "early_stopping": True, "max_iter": 500,
            "random_state": seed}
    if task == "classification":
        return MLPClassifier(**args)
    return _scaled_target(MLPRegressor(**args))


def _mlp_space(trial, task: str, prefix: str = "") -> Params:
    return {"hidden_layer_sizes": trial.suggest_categorical(f"{prefix}hidden_layer_sizes", MLP_SHAPES),
            "alpha": trial.suggest_float(f"{prefix}alpha", 1e-6, 1e-1, log=True),
            "learning_rate_init": trial.suggest_float(f"{prefix}learning_rate_init", 1e-4, 1e-2, log=True)}


# --- the catalog ----------------------------------------------------------------------------------------------------

_TREE_LOSSES = {"classification": ("gini", "log_loss"), "regression": ("squared_error", "absolute_error", "poisson")}
_FOREST_DEFAULTS = {"n_estimators": 200, "min_samples_leaf": 1, "max_features": "sqrt", "max_leaf_nodes": None}
_FOREST_GRID = {"n_estimators": [200], "min_samples_leaf": [1, 3, 10], "max_features": [0.3, 0.6, 1.0]}
_BOOSTING_DEFAULTS = {"learning_rate": 0.1, "max_leaf_nodes": 31, "min_samples_leaf": 20, "l2_regularization": 0.0,
                      "max_iter": 200, "early_stopping": True}
_BOOSTING_GRID = {"learning_rate": [0.05, 0.1, 0.2], "max_leaf_nodes": [15, 63], "min_samples_leaf": [20],
                  "l2_regularization": [0.0, 1.0], "max_iter": [300], "early_stopping": [True]}
_SVM_DEFAULTS = {"kernel": "rbf", "C": 1.0, "gamma": "scale", "degree": 3}
_SVM_GRID = {"kernel": ["rbf"], "C": [0.1, 1.0, 10.0, 100.0], "gamma": [0.01, 0.1, 1.0]}
_KNN_DEFAULTS = {"n_neighbors": 5, "weights": "uniform", "p": 2}
_KNN_GRID = {"n_neighbors": [5, 15, 30], "weights": ["uniform", "distance"], "p": [1, 2]}
_MLP_DEFAULTS = {"hidden_layer_sizes": "64", "alpha": 1e-4, "learning_rate_init": 1e-3}
_MLP_GRID = {"hidden_layer_sizes": ["32", "64", "64-32"], "alpha": [1e-4, 1e-2], "learning_rate_init": [1e-3, 1e-2]}
_TREE_DEFAULTS = {"max_depth": None, "min_samples_leaf": 5}
_TREE_GRID = {"max_depth": [3, 6, 10, 20], "min_samples_leaf": [1, 5, 20]}
_ALPHA_GRID = {"alpha": [0.01, 0.1, 1.0, 10.0, 100.0]}

MODELS: dict[str, ModelFamily] = {
    "baseline": ModelFamily(
        "Baseline (majority class / mean)", BOTH, _baseline,
        {"classification": {"strategy": "prior"}, "regression": {"strategy": "mean"}},
        None, {}, False, None, {},
        "Predicts without looking at the features; every real model must beat it.", input="ordinal"),
    "linear": ModelFamily(
        "Logistic / linear regression", BOTH, _linear,
        {"classification": {"C": 1.0, "penalty": "l2", "l1_ratio": 0.5}, "regression": {"alpha": 1.0}},
        _linear_space,
        {"classification": {"C": [0.01, 0.1, 1.0, 10.0], "penalty": ["l2", "l1"]}, "regression": _ALPHA_GRID},
        True, None, {"classification": ("log_loss",), "regression": ("squared_error", "huber")},
        "Fast and interpretable; works best when effects are roughly additive. The huber loss shrugs off outliers."),
    "ridge": ModelFamily(
        "Ridge", BOTH, _ridge,
        {"classification": {"alpha": 1.0}, "regression": {"alpha": 1.0}},
        _alpha_space(1e-3, 1e3), {"classification": _ALPHA_GRID, "regression": _ALPHA_GRID},
        True, None, {"classification": ("squared_error",), "regression": ("squared_error",)},
        "Least squares with an L2 penalty; very fast, stable when features are correlated."),
    "lasso": ModelFamily(
        "Lasso", ("regression",), _lasso,
        {"regression": {"alpha": 0.1}},
        _alpha_space(1e-4, 10.0), {"regression": {"alpha": [0.001, 0.01, 0.1, 1.0, 10.0]}},
        True, None, {"regression": ("squared_error",)},
        "Least squares with an L1 penalty: sets unhelpful features' weights to exactly zero."),
    "decision_tree": ModelFamily(
        "Decision tree", BOTH, _tree_builder("decision_tree"),
        {"classification": _TREE_DEFAULTS, "regression": _TREE_DEFAULTS},
        _tree_space, {"classification": _TREE_GRID, "regression": _TREE_GRID},
        False, None, _TREE_LOSSES,
        "One tree of yes/no questions; easy to read, but on its own usually less accurate than a forest.",
        input="ordinal"),
    "random_forest": ModelFamily(
        "Random forest", BOTH, _tree_builder("random_forest"),
        {"classification": _FOREST_DEFAULTS, "regression": {**_FOREST_DEFAULTS, "max_features": 1.0}},
        _forest_space, {"classification": _FOREST_GRID, "regression": _FOREST_GRID},
        False, None, _TREE_LOSSES,
        "Many decision trees averaged; robust, little tuning needed.", input="ordinal"),
    "extra_trees": ModelFamily(
        "Extra trees", BOTH, _tree_builder("extra_trees"),
        {"classification": _FOREST_DEFAULTS, "regression": {**_FOREST_DEFAULTS, "max_features": 1.0}},
        _forest_space, {"classification": _FOREST_GRID, "regression": _FOREST_GRID},
        False, None, _TREE_LOSSES,
        "Like a random forest with random split points: faster to fit and often as accurate.", input="ordinal"),
    "gradient_boosting": ModelFamily(
        "Gradient boosting (histogram)", BOTH, _boosting,
        {"classification": _BOOSTING_DEFAULTS, "regression": _BOOSTING_DEFAULTS},
        _boosting_space, {"classification": _BOOSTING_GRID, "regression": _BOOSTING_GRID},
        False, None,
        {"classification": ("log_loss",), "regression": ("squared_error", "absolute_error", "poisson")},
        "Trees built one after another to fix earlier errors; often the most accurate on tables.",
        input="native_categorical"),
    "svm": ModelFamily(
        "Kernel SVM", BOTH, _svm,
        {"classification": _SVM_DEFAULTS, "regression": {**_SVM_DEFAULTS, "epsilon": 0.1}},
        _svm_space, {"classification": _SVM_GRID, "regression": {**_SVM_GRID, "epsilon": [0.1]}},
        True, 20_000, {"classification": ("hinge",), "regression": ("epsilon_insensitive",)},
        "Support vector machine with a curved (kernel) boundary; strong on small and medium data.",
        ("linear_svm", "gradient_boosting")),
    "linear_svm": ModelFamily(
        "Linear SVM", BOTH, _linear_svm,
        {"classification": {"C": 1.0}, "regression": {"C": 1.0, "epsilon": 0.1}},
        _linear_svm_space,
        {"classification": {"C": [0.01, 0.1, 1.0, 10.0]},
         "regression": {"C": [0.01, 0.1, 1.0, 10.0], "epsilon": [0.1, 0.3]}},
        True, None,
        {"classification": ("squared_hinge", "hinge"),
         "regression": ("epsilon_insensitive", "squared_epsilon_insensitive")},
        "Support vector machine with a straight boundary; scales to large data."),
    "knn": ModelFamily(
        "k-nearest neighbours", BOTH, _knn,
        {"classification": _KNN_DEFAULTS, "regression": _KNN_DEFAULTS},
        _knn_space, {"classification": _KNN_GRID, "regression": _KNN_GRID},
        True, 100_000, {},
        "Predicts from the most similar training rows; simple, but slow to predict on large data.",
        ("random_forest", "gradient_boosting")),
    "naive_bayes": ModelFamily(
        "Naive Bayes (Gaussian)", ("classification",), _naive_bayes,
        {"classification": {"var_smoothing": 1e-9}},
        _naive_bayes_space, {"classification": {"var_smoothing": [1e-11, 1e-9, 1e-7, 1e-5, 1e-3]}},
        False, None, {},
        "Treats features as independent given the class; very fast, a good sanity check."),
    "mlp": ModelFamily(
        "Neural network (MLP)", BOTH, _mlp,
        {"classification": _MLP_DEFAULTS, "regression": _MLP_DEFAULTS},
        _mlp_space, {"classification": _MLP_GRID, "regression": _MLP_GRID},
        True, 200_000, {"classification": ("log_loss",), "regression": ("squared_error",)},
        "Layers of neurons trained by gradient descent; flexible, needs scaled features and more data.",
        ("gradient_boosting",)),
}


def _same(params: Params) -> dict[str, Params]:
    return {"classification": params, "regression": params}


class PortfolioPoint(NamedTuple):
    """One configuration an AutoML search tries before its sampler takes over."""

    family: str
    params: dict[str, Params]  # task -> a point of the family's search space (names without the AutoML prefix)
    min_rows: int = 0  # queued only from this many training rows: settings that pay off on large data only
    heavy: bool = False  # cost grows faster than the rows (k-NN's predictions, kernel SVM's fit): see LARGE_ROWS


#: From this many training rows the portfolio leaves out its ``heavy`` points: a k-NN trial there predicts each
#: held-out row against every training row and a kernel SVM's fit grows with the rows squared, so on this
#: 2-core machine one of them costs what several boosting trials cost, for a score that rarely beats them. The
#: sampler may still draw those families later, once the cheap strong points have a score to beat.
LARGE_ROWS = 20_000

#: The first trials of an AutoML search, in the order they run (expected gain per second: cheap and strong
#: first, so a short budget that ends after a few of them still has the best of what tables usually need).
#:
#: 1. scikit-learn's default histogram gradient boosting, exactly ``HistGradientBoosting*()`` (100 iterations,
#:    learning rate 0.1, 31 leaves, early stopping "auto"), on native categoricals: the model a two-line script
#:    would fit, so the search starts from it and its selection can only end at or above it on validation.
#: 2. Small boosted trees: 8 leaves, l2 1.0, learning rate 0.1, at most 300 iterations with early stopping. The
#:    learner benchmark (``bench/bench_learners.py``, 20 tables; bench/README.md "Learner decision") found it the
#:    cheapest setting that adds the most to the default: better beyond the test rows' bootstrap noise on 4 tables
#:    (diabetes, chem97, gss_vocab, mpls_stops), worse on 2 (randhie; storms, 9 classes, where 300 small trees
#:    are too few: the later learning-rate-0.05 points cover it), at a median fit time below the default's;
#:    it is FLAML's end of the space (its LightGBM starts from 4 leaves), which is what FLAML's wins on nass_cds
#:    (ROC-AUC 0.8989 default, 0.9015 small trees, FLAML 0.9021) and affairs came from.
#: 3. One cheap point per other family near its defaults, so each family has a finished trial early (a 350-tree
#:    forest drawn first could take a short budget's first half) and the sampler learns from every family.
#: 4. Proven settings, slower: boosting at learning rate 0.05 with up to 1,000 iterations and early stopping
#:    (AutoGluon's LightGBM default learning rate is 0.05 with early stopping on a held-out share); on 10,000+
#:    rows also larger trees, 127 leaves (AutoGluon's large-leaves LightGBM config uses 128 leaves, learning rate
#:    0.03; this family's space ends at 128) with 40 rows a leaf so the big trees do not chase noise (our
#:    choice, not measured); forests with 300 trees (more trees only lower the variance; not measured here),
#:    with scikit-learn's classic share of features per split for
#:    classification (about sqrt(p) / p: 0.3 at 10 columns) and all features for regression, which are
#:    scikit-learn's own defaults for the two tasks.
#:
#: Every point must lie in its family's search space (an out-of-range value is warned about and skews TPE).
AUTOML_PORTFOLIO: tuple[PortfolioPoint, ...] = (
    PortfolioPoint("gradient_boosting", _same({"learning_rate": 0.1, "max_leaf_nodes": 31, "min_samples_leaf": 20,
                                               "l2_regularization": 0.0, "max_iter": 100,
                                               "early_stopping": "auto"})),
    PortfolioPoint("gradient_boosting", _same({"learning_rate": 0.1, "max_leaf_nodes": 8, "min_samples_leaf": 20,
                                               "l2_regularization": 1.0, "max_iter": 300, "early_stopping": True})),
    PortfolioPoint("linear", {"classification": {"C": 1.0, "penalty": "l2"}, "regression": {"alpha": 1.0}}),
    PortfolioPoint("random_forest",
                   {"classification": {"n_estimators": 100, "min_samples_leaf": 1, "max_features": 0.3},
                    "regression": {"n_estimators": 100, "min_samples_leaf": 1, "max_features": 0.5}}),
    PortfolioPoint("extra_trees",
                   {"classification": {"n_estimators": 100, "min_samples_leaf": 1, "max_features": 0.5},
                    "regression": {"n_estimators": 100, "min_samples_leaf": 1, "max_features": 1.0}}),
    PortfolioPoint("knn", _same({"n_neighbors": 10, "weights": "distance", "p": 2}), heavy=True),
    PortfolioPoint("ridge", _same({"alpha": 1.0})),
    PortfolioPoint("lasso", {"regression": {"alpha": 0.01}}),
    PortfolioPoint("naive_bayes", {"classification": {"var_smoothing": 1e-9}}),
    PortfolioPoint("linear_svm", {"classification": {"C": 1.0}, "regression": {"C": 1.0, "epsilon": 0.1}}),
    PortfolioPoint("svm", {"classification": {"kernel": "rbf", "C": 1.0, "gamma": 0.05},
                           "regression": {"kernel": "rbf", "C": 1.0, "gamma": 0.05, "epsilon": 0.1}}, heavy=True),
    PortfolioPoint("mlp", _same({"hidden_layer_sizes": "64", "alpha": 1e-4, "learning_rate_init": 1e-3}),
                   heavy=True),
    PortfolioPoint("decision_tree", _same({"max_depth": 8, "min_samples_leaf": 5})),
    PortfolioPoint("gradient_boosting", _same({"learning_rate": 0.05, "max_leaf_nodes": 31, "min_samples_leaf": 20,
                                               "l2_regularization": 0.0, "max_iter": 1000, "early_stopping": True})),
    PortfolioPoint("gradient_boosting", _same({"learning_rate": 0.05, "max_leaf_nodes": 127, "min_samples_leaf": 40,
                                               "l2_regularization": 1.0, "max_iter": 1000, "early_stopping": True}),
                   min_rows=10_000),
    PortfolioPoint("random_forest",
                   {"classification": {"n_estimators": 300, "min_samples_leaf": 1, "max_features": 0.3},
                    "regression": {"n_estimators": 300, "min_samples_leaf": 1, "max_features": 1.0}}),
    PortfolioPoint("extra_trees",
                   {"classification": {"n_estimators": 300, "min_samples_leaf": 1, "max_features": 0.3},
                    "regression": {"n_estimators": 300, "min_samples_leaf": 2, "max_features": 1.0}}),
)
