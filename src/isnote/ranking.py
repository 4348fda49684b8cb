"""Ranking of every operation of the wave from the screening signals.

Each operation gets binary features: one per keyword group (`kw_<group>`: at least one hit in its
texts), one per structured signal (`sig_<name>`: its category or objective code is listed) and
`actor` (its beneficiary is an ecosystem actor). Its score is

- by default (`method = "regles"`), the sum of the weights of the features it raises: a group's or
  signal's `weight` in params/keywords.yaml, by default 2 for a strong (pre-identifying) one and 1
  for a weak one; `actor_weight` of params/actors.yaml (default 2) for the actor;
- when the review register holds decisions of an earlier wave (`method = "modele"`), the
  probability of being retained given by a logistic regression (scikit-learn, lbfgs, C = 1) fitted
  on the operations of that wave (retained = 1, every other operation = 0). Its weights are the
  model's coefficients, reported in the note's method annex.

Both are explainable: the `signals` column lists, for each operation, the features it raises
with their weight, largest first.

Evaluation (`evaluate`): on the earlier wave, out-of-fold scores of a stratified k-fold
cross-validation (at most 5 folds, shuffled with a fixed seed: deterministic) rank its
operations; the share of its retained operations found in the first k of that ranking is compared
with the share found in the first k pre-identified operations read in file order (programme,
number), the keyword-only way, with k = the number of operations the reviewer actually examined
(decisions recorded) in that wave.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

SEED = 0
MAX_FOLDS = 5


@dataclass
class Features:
    """Binary signal features of a set of operations (RangeIndex aligned with them)."""

    frame: pd.DataFrame                       # one 0/1 int column per feature
    labels: dict[str, str]                    # feature -> French label
    weights: dict[str, float]                 # feature -> default weight
    strong: np.ndarray                        # bool per row: pre-identified by text/structured/actor


def build_features(counts: pd.DataFrame, groups: Sequence, structured: pd.DataFrame | None, signals: Sequence,
                   actor: pd.Series, actor_weight: float = 2.0) -> Features:
    """Features from the screening of some operations (`text_screen` counts and actors,
    `signals.structured_hits` flags)."""
    n = len(counts)
    cols, labels, weights = {}, {}, {}
    strong = np.zeros(n, dtype=bool)
    for g in groups:
        on = (counts[f"hits_{g.name}"].to_numpy() > 0)
        cols[f"kw_{g.name}"] = on.astype("int64")
        labels[f"kw_{g.name}"] = g.label
        weights[f"kw_{g.name}"] = g.rank_weight
        if g.preidentify:
            strong |= on
    for s in signals:
        on = structured[f"sig_{s.name}"].to_numpy() > 0 if structured is not None else np.zeros(n, bool)
        cols[f"sig_{s.name}"] = on.astype("int64")
        labels[f"sig_{s.name}"] = s.label
        weights[f"sig_{s.name}"] = s.rank_weight
        if s.preidentify:
            strong |= on
    on = actor.notna().to_numpy()
    cols["actor"] = on.astype("int64")
    labels["actor"] = "Porteur : acteur de l'écosystème"
    weights["actor"] = float(actor_weight)
    strong |= on
    return Features(frame=pd.DataFrame(cols, index=pd.RangeIndex(n)), labels=labels, weights=weights,
                    strong=strong)


@dataclass
class Model:
    method: str                               # "regles" or "modele"
    weights: dict[str, float]
    intercept: float = 0.0
    training: dict = field(default_factory=dict)

    def score(self, X: pd.DataFrame) -> np.ndarray:
        z = X[list(self.weights)].to_numpy(dtype=float) @ np.array(list(self.weights.values()), dtype=float)
        if self.method == "modele":
            return 1.0 / (1.0 + np.exp(-(z + self.intercept)))
        return z


def _fit_logistic(X: np.ndarray, y: np.ndarray):
    from sklearn.linear_model import LogisticRegression
    return LogisticRegression(C=1.0, max_iter=1000, solver="lbfgs").fit(X, y)


def can_learn(y: np.ndarray) -> bool:
    return int(y.sum()) >= 2 and int((1 - y).sum()) >= 2


def fit(train: Features | None, y: np.ndarray | None, default: Features) -> Model:
    """The logistic model learnt from decisions when possible, otherwise the rule weights."""
    if train is None or y is None or not can_learn(y):
        return Model("regles", dict(default.weights))
    cols = list(train.frame.columns)
    clf = _fit_logistic(train.frame[cols].to_numpy(dtype=float), y)
    return Model("modele", {c: float(w) for c, w in zip(cols, clf.coef_[0])}, float(clf.intercept_[0]),
                 {"n": int(len(y)), "retained": int(y.sum())})


def _order(score: np.ndarray) -> np.ndarray:
    """Positions by decreasing score, ties in the given (file) order."""
    return np.argsort(-np.asarray(score, dtype=float), kind="stable")


def rank(features: Features, model: Model) -> pd.DataFrame:
    """score, rank (1 = first to read) and signals (labels and weights of the raised features)."""
    score = model.score(features.frame)
    order = _order(score)
    rnk = np.empty(len(score), dtype="int64")
    rnk[order] = np.arange(1, len(score) + 1)
    # signals: built once per distinct combination of raised features (vectorised, no row loop)
    items = [(c, w) for c, w in sorted(model.weights.items(), key=lambda kv: (-kv[1], kv[0]))
             if c in features.frame.columns]
    if items:
        X = (features.frame[[c for c, _ in items]].to_numpy() > 0)
        packed = np.packbits(X, axis=1, bitorder="little")
        key = np.zeros(len(X), dtype=object if packed.shape[1] > 8 else np.uint64)
        for j in range(packed.shape[1]):                 # one integer per combination of features
            key = key * 256 + packed[:, packed.shape[1] - 1 - j].astype(key.dtype)
        uniq, first, inverse = np.unique(key, return_index=True, return_inverse=True)
        combos = X[first]
        texts = np.array([" ; ".join(f"{features.labels.get(c, c)} ({w:+.2f})"
                                     for (c, w), on in zip(items, combo) if on) for combo in combos], dtype=object)
        sig = texts[np.asarray(inverse).reshape(-1)]
    else:
        sig = np.array([""] * len(score), dtype=object)
    return pd.DataFrame({"score": np.round(score.astype(float), 6), "rank": rnk, "signals": sig})


def recall_at(order: np.ndarray, y: np.ndarray, k: int) -> float | None:
    total = int(y.sum())
    if total == 0:
        return None
    return float(y[order[:k]].sum()) / total


def evaluate(train: Features, y: np.ndarray, reviewed: int) -> dict:
    """Cross-validated share of retained operations in the first k of the ranking (k = `reviewed`),
    against the keyword-only reading (pre-identified operations in file order) and the rule score."""
    from sklearn.model_selection import StratifiedKFold

    n_pos, n_neg = int(y.sum()), int((1 - y).sum())
    k = int(reviewed)
    out = {"k": k, "operations": int(len(y)), "retained": n_pos}
    pre = np.flatnonzero(train.strong)
    out["preidentified"] = int(pre.size)
    out["recall_keywords"] = recall_at(pre, y, k)
    rules = Model("regles", dict(train.weights)).score(train.frame)
    out["recall_rules"] = recall_at(_order(rules), y, k)
    folds = min(MAX_FOLDS, n_pos, n_neg)
    if folds < 2:
        out.update({"folds": 0, "recall_model": None})
        return out
    X = train.frame.to_numpy(dtype=float)
    oof = np.zeros(len(y), dtype=float)
    for tr, te in StratifiedKFold(n_splits=folds, shuffle=True, random_state=SEED).split(X, y):
        if can_learn(y[tr]):
            oof[te] = _fit_logistic(X[tr], y[tr]).predict_proba(X[te])[:, 1]
        else:                                          # a fold too small to learn: rule score
            oof[te] = rules[te] / max(float(rules.max()), 1.0)
    out["folds"] = folds
    out["recall_model"] = recall_at(_order(oof), y, k)
    return out


def key_figures(model: Model, features: Features, evaluation: dict | None, training_wave: str | None,
                current: pd.DataFrame) -> dict:
    """The `ranking` block of key_figures.json."""
    weights = [{"signal": features.labels.get(c, c), "feature": c, "weight": round(float(w), 4)}
               for c, w in sorted(model.weights.items(), key=lambda kv: (-abs(kv[1]), kv[0]))]
    block = {
        "method": model.method,
        "training_wave": training_wave if model.method == "modele" else None,
        "weights": weights,
        "intercept": round(float(model.intercept), 4),
        "operations": int(len(current)),
        "scored": int((current["score"] > 0).sum()) if model.method == "regles" else int(len(current)),
    }
    if evaluation:
        block["evaluation"] = {k: (round(v, 6) if isinstance(v, float) else v) for k, v in evaluation.items()}
    return block
