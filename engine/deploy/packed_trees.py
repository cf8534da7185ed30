"""Fitted trees stored as a few arrays in a skops file: a forest's trees and a histogram boosting model's predictors.

skops writes every Python object as its own entry of the file's schema, each array as its own file in the zip, and
builds a node object for each when it loads: a forest of 950 small trees took 1.3 s and +55 MB to write and 1.5 s
and +84 MB to load back (a 3.3 MB file), and a vote of two 9-class boosting models 6.2 s together. Packed, each
forest is one array of nodes and one of values, each boosting model one of nodes and two of categorical bitsets,
plus the per-tree counts to cut them apart again.

``pack_trees`` returns a copy of a fitted model in which every forest's ``estimators_`` is a ``PackedForest`` and
every boosting model's ``_predictors`` a ``PackedPredictors`` (what holds them is copied, nothing else: the model
passed in is unchanged). Both unpack when skops constructs them (``__setstate__``) and then behave as the list they
replace, so a file loaded by ``skops.io.load`` outside the workbench predicts as it should; ``unpack_trees`` puts
plain lists back in a loaded model. Unpacking checks that every child index stays inside its own tree and every
feature index inside the model's features, which skops' own loading of a tree does not.

>>> from sklearn.ensemble import RandomForestRegressor
>>> forest = RandomForestRegressor(n_estimators=3, random_state=0).fit([[0.0], [1.0], [2.0]], [0.0, 1.0, 2.0])
>>> packed = pack_trees(forest)
>>> type(packed.estimators_).__name__, len(packed.estimators_), type(forest.estimators_).__name__
('PackedForest', 3, 'list')
>>> import copy
>>> restored = copy.deepcopy(packed)  # a copy is built through __getstate__ / __setstate__, as skops does
>>> unpack_trees(restored).predict([[1.0]]).tolist() == forest.predict([[1.0]]).tolist()
True
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.ensemble._forest import BaseForest
from sklearn.ensemble._hist_gradient_boosting.gradient_boosting import BaseHistGradientBoosting
from sklearn.ensemble._hist_gradient_boosting.predictor import TreePredictor
from sklearn.tree._tree import Tree

__all__ = ["CHUNK_BYTES", "PackedForest", "PackedPredictors", "PackedTreesError", "TreeChunk", "pack_trees",
           "unpack_trees"]

_KEPT_PER_TREE = ("tree_", "random_state")  # a forest's trees differ in these only
#: About how many bytes of nodes and values one ``TreeChunk`` holds: what loading a forest holds beyond its trees.
CHUNK_BYTES = 4 * 2**20


_NO_SUCH_FEATURE = "A packed tree splits on a feature the model does not have; the file is damaged or forged."


class PackedTreesError(ValueError):
    """Packed trees that would read outside their own arrays: a damaged or forged file."""


class PackedForest(Sequence):
    """A forest's fitted trees (``estimators_``) as arrays; a sequence of the trees themselves once constructed.

    The arrays are cut in ``TreeChunk``s of about ``CHUNK_BYTES``: each chunk builds its trees as skops constructs it
    and lets its arrays go, so loading holds the trees and one chunk's arrays, not the trees and all their arrays
    (a tree copies its nodes in)."""

    def __init__(self, trees: list) -> None:
        self._trees = list(trees)

    @staticmethod
    def packable(trees) -> bool:
        """Whether ``trees`` are fitted trees of one class that differ only in their tree and random state."""
        if not isinstance(trees, list) or not trees or not all(hasattr(tree, "tree_") for tree in trees):
            return False
        first = trees[0]
        args = first.tree_.__reduce__()[1]
        return all(type(tree) is type(first) and _same_attributes(tree, first)
                   and _same(tree.tree_.__reduce__()[1], args) for tree in trees[1:])

    def __getstate__(self) -> dict:
        chunks, start, size = [], 0, 0
        for i, tree in enumerate(self._trees):
            size += tree.tree_.node_count * (64 + tree.tree_.value.itemsize * tree.tree_.value[0].size)
            if size >= CHUNK_BYTES or i == len(self._trees) - 1:
                chunks.append(TreeChunk(self._trees[start:i + 1]))
                start, size = i + 1, 0
        return {"prototype": _without(self._trees[0], ("tree_",)), "chunks": chunks}

    def __setstate__(self, state: dict) -> None:
        prototype = state["prototype"]
        cls = type(prototype)
        self._trees = []
        for chunk in state["chunks"]:
            if not isinstance(chunk, TreeChunk):
                raise PackedTreesError("A packed forest holds something other than its trees; the file is forged.")
            for random_state, fitted in chunk.built:
                tree = cls.__new__(cls)
                tree.__dict__.update(vars(prototype))
                tree.random_state, tree.tree_ = random_state, fitted
                self._trees.append(tree)

    def __getitem__(self, index):
        return self._trees[index]

    def __len__(self) -> int:
        return len(self._trees)


class TreeChunk:
    """Some of a forest's trees as a few arrays (``PackedForest``); once constructed, ``built`` holds each tree's
    random state and its fitted ``Tree``, and the arrays are gone."""

    def __init__(self, trees: list) -> None:
        self._trees = trees
        self.built: list[tuple[int, Tree]] = []

    def __getstate__(self) -> dict:
        reduced = [tree.tree_.__reduce__() for tree in self._trees]
        n_features, n_classes, n_outputs = reduced[0][1]
        states = [state for _, _, state in reduced]
        return {
            "random_state": np.array([tree.random_state for tree in self._trees], dtype=np.int64),
            "n_features": int(n_features), "n_classes": np.asarray(n_classes, dtype=np.intp),
            "n_outputs": int(n_outputs),
            "max_depth": np.array([state["max_depth"] for state in states], dtype=np.int64),
            "node_count": np.array([state["node_count"] for state in states], dtype=np.int64),
            "nodes": np.concatenate([state["nodes"] for state in states]),
            "values": np.concatenate([state["values"] for state in states]),
        }

    def __setstate__(self, state: dict) -> None:
        self._trees = []
        self.built = _unpack_chunk(state)


class PackedPredictors(Sequence):
    """A histogram boosting model's predictors (``_predictors``: one list of trees per iteration) as arrays; a
    sequence of those lists once constructed."""

    def __init__(self, predictors: list[list[TreePredictor]], n_features: int) -> None:
        self._predictors, self.n_features = predictors, int(n_features)

    @staticmethod
    def packable(predictors) -> bool:
        """Whether ``predictors`` are the same number of fitted trees in every iteration."""
        return (isinstance(predictors, list) and bool(predictors)
                and all(isinstance(it, list) and len(it) == len(predictors[0]) for it in predictors)
                and all(type(tree) is TreePredictor and len(tree.raw_left_cat_bitsets) == len(
                    tree.binned_left_cat_bitsets) for it in predictors for tree in it))

    def __getstate__(self) -> dict:
        flat = [tree for iteration in self._predictors for tree in iteration]
        return {
            "shape": np.array([len(self._predictors), len(self._predictors[0])], dtype=np.int64),
            "n_features": self.n_features,
            "node_count": np.array([len(tree.nodes) for tree in flat], dtype=np.int64),
            "bitset_count": np.array([len(tree.binned_left_cat_bitsets) for tree in flat], dtype=np.int64),
            "nodes": np.concatenate([tree.nodes for tree in flat]),
            "binned_bitsets": np.concatenate([tree.binned_left_cat_bitsets for tree in flat]),
            "raw_bitsets": np.concatenate([tree.raw_left_cat_bitsets for tree in flat]),
        }

    def __setstate__(self, state: dict) -> None:
        # The predictors read views of the arrays (no copy), so nothing is held twice.
        self._predictors, self.n_features = _unpack_predictors(state), int(state["n_features"])

    def __getitem__(self, index):
        return self._predictors[index]

    def __len__(self) -> int:
        return len(self._predictors)


def pack_trees(model):
    """A copy of ``model`` whose forests hold ``PackedForest`` and boosting models ``PackedPredictors``, made only
    along the way to them (estimators, pipelines, lists, tuples and dicts on that way; everything else is shared)."""
    return _pack(model, {})


def unpack_trees(model):
    """``model`` (as loaded), with the plain lists of trees a fit makes in place of packed ones; returns it."""
    _unpack(model, set())
    return model


def _pack(value, memo: dict):
    if id(value) in memo:
        return memo[id(value)]
    memo[id(value)] = value  # a cycle comes back to the object as it is
    out = value
    if isinstance(value, BaseForest) and PackedForest.packable(getattr(value, "estimators_", None)):
        out = _with(value, estimators_=PackedForest(value.estimators_))
    elif isinstance(value, BaseHistGradientBoosting) and PackedPredictors.packable(getattr(value, "_predictors", None)):
        out = _with(value, _predictors=PackedPredictors(value._predictors, value.n_features_in_))
    elif type(value) in (list, tuple):
        items = [_pack(item, memo) for item in value]
        if any(new is not old for new, old in zip(items, value, strict=True)):
            out = type(value)(items)
    elif type(value) is dict:
        items = {key: _pack(item, memo) for key, item in value.items()}
        if any(items[key] is not item for key, item in value.items()):
            out = items
    elif _walked(value):
        changed = {key: new for key, item in vars(value).items() if (new := _pack(item, memo)) is not item}
        if changed:
            out = _with(value, **changed)
    memo[id(value)] = out
    return out


def _unpack(value, seen: set) -> None:
    if id(value) in seen:
        return
    seen.add(id(value))
    if isinstance(value, list | tuple):
        for item in value:
            _unpack(item, seen)
    elif isinstance(value, dict):
        for item in value.values():
            _unpack(item, seen)
    elif _walked(value):
        if isinstance(value, BaseForest) and isinstance(getattr(value, "estimators_", None), PackedForest):
            if not len(value.estimators_):
                raise PackedTreesError("A packed forest holds no trees; the file is damaged or forged.")
            _check_features(value, value.estimators_[0].tree_.n_features)
            value.estimators_ = list(value.estimators_)
        if isinstance(value, BaseHistGradientBoosting) and isinstance(getattr(value, "_predictors", None),
                                                                      PackedPredictors):
            _check_features(value, value._predictors.n_features)
            value._predictors = [list(iteration) for iteration in value._predictors]
        for item in vars(value).values():
            _unpack(item, seen)


def _walked(value) -> bool:
    """Objects whose attributes may hold a model: scikit-learn's and the workbench's."""
    return type(value).__module__.split(".")[0] in ("sklearn", "engine") and hasattr(value, "__dict__")


def _with(obj, **attributes):
    """A shallow copy of ``obj`` with ``attributes`` set (through ``__new__``, as skops builds objects)."""
    made = type(obj).__new__(type(obj))
    made.__dict__.update(vars(obj))
    made.__dict__.update(attributes)
    return made


def _without(obj, names: tuple[str, ...]):
    made = type(obj).__new__(type(obj))
    made.__dict__.update({key: value for key, value in vars(obj).items() if key not in names})
    return made


def _same(a, b) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.dtype == b.dtype \
            and np.array_equal(a, b)
    if isinstance(a, tuple | list) and isinstance(b, tuple | list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def _same_attributes(tree, first) -> bool:
    mine = {key: value for key, value in vars(tree).items() if key not in _KEPT_PER_TREE}
    theirs = {key: value for key, value in vars(first).items() if key not in _KEPT_PER_TREE}
    return mine.keys() == theirs.keys() and all(_same(mine[key], theirs[key]) for key in mine)


def _offsets(counts: np.ndarray, total: int, what: str) -> np.ndarray:
    counts = np.asarray(counts, dtype=np.int64)
    if counts.ndim != 1 or (counts < 0).any() or counts.sum() != total:
        raise PackedTreesError(f"A packed model's {what} counts do not add up to its {total} {what}.")
    return np.concatenate([[0], np.cumsum(counts)])


def _check_children(left: np.ndarray, right: np.ndarray, leaf: np.ndarray, counts: np.ndarray) -> None:
    """Every split's children inside its own tree (indices from the tree's first node), and leaves without any."""
    size = np.repeat(counts, counts)
    for child in (left, right):
        inside = (child[~leaf] > 0) & (child[~leaf] < size[~leaf])
        if not inside.all():
            raise PackedTreesError("A packed tree points to a node outside itself; the file is damaged or forged.")


def _check_features(owner, n_features: int) -> None:
    if getattr(owner, "n_features_in_", n_features) != n_features:
        raise PackedTreesError("A packed model's trees read another number of features than the model has.")


def _unpack_chunk(state: dict) -> list[tuple[int, Tree]]:
    nodes, values, counts = state["nodes"], state["values"], state["node_count"]
    starts = _offsets(counts, len(nodes), "node")
    if len(values) != len(nodes) or not (len(state["max_depth"]) == len(state["random_state"]) == len(counts)):
        raise PackedTreesError("A packed forest's arrays disagree in length; the file is damaged or forged.")
    leaf = nodes["left_child"] == -1
    if ((nodes["right_child"] == -1) != leaf).any() or ((nodes["feature"][~leaf] < 0)
                                                         | (nodes["feature"][~leaf] >= state["n_features"])).any():
        raise PackedTreesError(_NO_SUCH_FEATURE)
    _check_children(nodes["left_child"], nodes["right_child"], leaf, counts)
    built = []
    for i in range(len(counts)):
        fitted = Tree(int(state["n_features"]), np.asarray(state["n_classes"], dtype=np.intp), int(state["n_outputs"]))
        fitted.__setstate__({"max_depth": int(state["max_depth"][i]), "node_count": int(counts[i]),
                             "nodes": nodes[starts[i]:starts[i + 1]], "values": values[starts[i]:starts[i + 1]]})
        built.append((int(state["random_state"][i]), fitted))
    return built


def _unpack_predictors(state: dict) -> list[list[TreePredictor]]:
    nodes, counts, bitset_counts = state["nodes"], state["node_count"], state["bitset_count"]
    binned, raw = state["binned_bitsets"], state["raw_bitsets"]
    iterations, per_iteration = (int(n) for n in state["shape"])
    starts = _offsets(counts, len(nodes), "node")
    bitset_starts = _offsets(bitset_counts, len(binned), "bitset")
    if len(raw) != len(binned) or len(counts) != iterations * per_iteration or len(bitset_counts) != len(counts):
        raise PackedTreesError("A packed boosting model's arrays disagree in length; the file is damaged or forged.")
    leaf = nodes["is_leaf"].astype(bool)
    if (nodes["feature_idx"][~leaf] < 0).any() or (nodes["feature_idx"][~leaf] >= state["n_features"]).any():
        raise PackedTreesError(_NO_SUCH_FEATURE)
    categorical = nodes["is_categorical"].astype(bool) & ~leaf
    if (nodes["bitset_idx"][categorical] >= np.repeat(bitset_counts, counts)[categorical]).any():
        raise PackedTreesError("A packed tree's split points outside its categories; the file is damaged or forged.")
    _check_children(nodes["left"].astype(np.int64), nodes["right"].astype(np.int64), leaf, counts)
    flat = [TreePredictor(nodes[starts[i]:starts[i + 1]], binned[bitset_starts[i]:bitset_starts[i + 1]],
                          raw[bitset_starts[i]:bitset_starts[i + 1]]) for i in range(len(counts))]
    return [flat[i * per_iteration:(i + 1) * per_iteration] for i in range(iterations)]
