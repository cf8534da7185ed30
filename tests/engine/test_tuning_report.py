"""What the Train page shows of a search, computed from hand-built studies: the best so far over every model, each
family's best cross-validated score with its spread, the start configurations, why the winner won, and the chosen
families left without a score."""

from __future__ import annotations

import datetime as dt

import optuna
import pytest
from optuna.distributions import CategoricalDistribution
from optuna.trial import TrialState, create_trial

from engine.train.tuning_report import (
    BEST_SO_FAR,
    best_so_far_figure,
    family_colour,
    family_table,
    portfolio_table,
    search_progress,
    unfinished_families,
    winner_verdict,
)

T0 = dt.datetime(2026, 1, 1, 12, 0, 0)
FAMILY = CategoricalDistribution(["gradient_boosting", "random_forest", "knn"])


def _trial(family: str, start: float, end: float, folds: list[float] | None, state=TrialState.COMPLETE,
           **attrs) -> optuna.trial.FrozenTrial:
    """A finished (or pruned / failed) trial of ``family`` that ran from ``start`` to ``end`` seconds."""
    value = sum(folds) / len(folds) if folds and state == TrialState.COMPLETE else None
    return create_trial(state=state, value=value, params={"family": family}, distributions={"family": FAMILY},
                        user_attrs={"family": family, **({"fold_scores": folds} if folds else {}), **attrs},
                        intermediate_values={i: f for i, f in enumerate(folds or [])})


def _study(name: str, families: list[str], trials: list[tuple]) -> optuna.Study:
    """An in-memory study with ``trials`` (family, start, end, folds, state, attrs), timed as given."""
    study = optuna.create_study(study_name=name, direction="maximize")
    study.set_user_attr("spec", {"families": families})
    for family, start, end, folds, *rest in trials:
        trial = _trial(family, start, end, folds, *rest[:1], **(rest[1] if len(rest) > 1 else {}))
        trial.datetime_start, trial.datetime_complete = T0 + dt.timedelta(seconds=start), T0 + dt.timedelta(
            seconds=end)
        study.add_trial(trial)
    return study


@pytest.fixture
def per_family() -> list[optuna.Study]:
    """A non-AutoML search: one study per family, run one after another. Boosting's best (0.84) comes first;
    the forest study that follows only reaches 0.73 — its own best so far, not the run's."""
    boosting = _study("run1-gradient_boosting", ["gradient_boosting"],
                      [("gradient_boosting", 0, 5, [0.82, 0.84, 0.86]), ("gradient_boosting", 5, 9, [0.80, 0.80])])
    forest = _study("run1-random_forest", ["random_forest"],
                    [("random_forest", 10, 12, [0.70, 0.72, 0.74]), ("random_forest", 12, 15, [0.71, 0.75, 0.73])])
    return [boosting, forest]


def test_the_best_so_far_is_over_every_model_and_never_falls(per_family):
    info = search_progress(per_family, maximize=True)
    assert info.trials["family"].tolist() == ["gradient_boosting", "gradient_boosting", "random_forest",
                                              "random_forest"]
    assert info.trials["seconds"].tolist() == [5.0, 9.0, 12.0, 15.0]
    assert info.best["value"].round(4).tolist() == [0.84, 0.84, 0.84, 0.84]
    assert info.best["family"].tolist() == ["gradient_boosting"] * 4


def test_the_figure_has_one_colour_per_family_and_one_overall_line(per_family):
    figure = best_so_far_figure(per_family, "ROC-AUC", maximize=True)
    names = [trace.name for trace in figure.data]
    assert names == ["Gradient boosting (histogram)", "Random forest", BEST_SO_FAR]
    colours = [trace.marker.color for trace in figure.data[:2]]
    assert colours == [family_colour("gradient_boosting"), family_colour("random_forest")]
    assert len(set(colours)) == 2
    assert list(figure.data[2].y) == pytest.approx([0.84] * 4)
    assert figure.layout.title.text == "Best ROC-AUC so far: 0.8400 (Gradient boosting (histogram))"


def test_family_table_gives_each_family_its_best_cv_score_and_spread(per_family):
    table = family_table(per_family, maximize=True)
    assert table["family"].tolist() == ["gradient_boosting", "random_forest"]
    assert table["score"].round(4).tolist() == [0.84, 0.73]
    assert table["spread"].round(4).tolist() == [0.0163, 0.0163]  # population std of (0.82, 0.84, 0.86)
    assert table[["folds", "finished", "trials"]].values.tolist() == [[3, 2, 2], [3, 2, 2]]
    assert table["seconds"].tolist() == [9.0, 5.0]


def test_a_chosen_family_without_a_finished_trial_says_why():
    study = _study("run2-automl", ["gradient_boosting", "knn", "random_forest"], [
        ("gradient_boosting", 0, 3, [0.8, 0.9]),
        ("knn", 3, 4, [0.5, 0.5], TrialState.PRUNED, {"pruned": True}),
    ])
    table = family_table([study], maximize=True)
    assert table["family"].tolist() == ["gradient_boosting", "knn", "random_forest"]
    assert table["why"].tolist()[1:] == [
        "its trials were stopped early, scoring below the median of the others at the same fold",
        "the search ended before any of its trials started"]
    assert unfinished_families(table) == [
        "k-nearest neighbours: no score yet. Its trials were stopped early, scoring below the median of the others "
        "at the same fold.",
        "Random forest: no score yet. The search ended before any of its trials started."]
    # a finished run's own notes win: they also cover a family whose refit ran out of time
    assert unfinished_families(table, {"knn": "the time budget ran out before any trial of this model finished"}) == [
        "k-nearest neighbours: no model. The time budget ran out before any trial of this model finished."]


def test_the_verdict_names_the_winner_with_its_cv_score_spread_and_the_runner_up(per_family):
    table = family_table(per_family, maximize=True)
    assert winner_verdict(table, "ROC-AUC", "gradient_boosting") == (
        "Gradient boosting (histogram) won: ROC-AUC 0.8400 ± 0.0163 out-of-fold (3 folds) vs 0.7300 ± 0.0163 for "
        "Random forest, the next best model.")
    assert winner_verdict(table, "ROC-AUC").startswith("Leading so far: Gradient boosting (histogram) with ROC-AUC "
                                                       "0.8400 ± 0.0163")
    # chosen on the validation rows against the folds' ranking: the page says so, with both numbers
    assert winner_verdict(table, "ROC-AUC", "random_forest", {"random_forest": 0.8, "gradient_boosting": 0.79}) == (
        "Random forest won on the validation rows (ROC-AUC 0.8000 vs 0.7900 for Gradient boosting (histogram)); "
        "out-of-fold it scored 0.7300 ± 0.0163 (3 folds), behind Gradient boosting (histogram) with ROC-AUC "
        "0.8400 ± 0.0163 (3 folds).")
    assert winner_verdict(table, "ROC-AUC", "ensemble", {"ensemble": 0.86, "gradient_boosting": 0.85}) == (
        "Voting ensemble of the best models won on the validation rows (ROC-AUC 0.8600 vs 0.8500 for Gradient "
        "boosting (histogram)); out-of-fold, the best single model was Gradient boosting (histogram) with ROC-AUC "
        "0.8400 ± 0.0163 (3 folds).")


def test_the_portfolio_lists_the_queued_start_points_in_running_order():
    study = optuna.create_study(direction="maximize")
    study.set_user_attr("spec", {"families": ["gradient_boosting", "linear"]})
    study.enqueue_trial({"family": "gradient_boosting", "gradient_boosting__max_iter": 100})
    study.enqueue_trial({"family": "linear", "linear__C": 1.0})

    def objective(trial):
        family = trial.suggest_categorical("family", ["gradient_boosting", "linear"])
        trial.suggest_float(f"{family}__C", 0.1, 10) if family == "linear" else trial.suggest_int(
            f"{family}__max_iter", 50, 500)
        folds = [0.9, 0.7] if family == "linear" else [0.6, 0.6]
        trial.set_user_attr("family", family)
        trial.set_user_attr("fold_scores", folds)
        return sum(folds) / 2

    study.optimize(objective, n_trials=3)
    table = portfolio_table([study])
    assert table["trial"].tolist() == [0, 1]  # the sampler's own third trial is not a start point
    assert table["model"].tolist() == ["Gradient boosting (histogram)", "Logistic / linear regression"]
    assert table["configuration"].tolist() == ["max_iter=100", "C=1"]
    assert table["outcome"].tolist() == ["finished", "finished"]
    assert table["score"].tolist() == pytest.approx([0.6, 0.8])
    assert table["spread"].tolist() == pytest.approx([0.0, 0.1])
