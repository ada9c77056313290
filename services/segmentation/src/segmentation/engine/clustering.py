"""Robust feature scaling and seeded K-Means with k chosen by silhouette."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.metrics import silhouette_score
from threadpoolctl import threadpool_limits

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

# Features K-Means sees. Tenure separates newcomers from regulars who merely bought recently.
CLUSTER_FEATURES = ("recency_days", "frequency", "monetary", "tenure_days")
# Robust z-scores are capped here, so a handful of extreme buyers cannot pull a centroid of
# their own: beyond 2.5 IQRs from the median everybody looks the same to K-Means.
CLIP = 2.5
K_MIN, K_MAX = 3, 8
# A candidate k whose smallest cluster holds less than this share of customers is rejected
# (unless the data is tiny): such a cluster is a handful of outliers, not a segment. Capping
# alone is not enough: a few whales all sitting at the cap still form a tight group.
MIN_CLUSTER_SHARE = 0.02
# Sample sizes that keep k selection and the silhouette bounded on a million customers.
SELECTION_SAMPLE = 30_000
SILHOUETTE_SAMPLE = 5_000
# If several k score within this of the best silhouette, the smallest wins: fewer, broader
# segments are easier to act on and do not flip when a 1% change in data nudges the scores.
SILHOUETTE_TOLERANCE = 0.01


@dataclass(frozen=True)
class Clustering:
    """K-Means outcome: labels per row, centroids in scaled space, chosen k and its silhouette."""

    labels: IntArray
    centroids: FloatArray
    k: int
    silhouette: float
    silhouette_by_k: dict[int, float]


def scale_features(features: pd.DataFrame, columns: tuple[str, ...] = CLUSTER_FEATURES) -> FloatArray:
    """log1p, then robust z-score (median / IQR) capped at +-CLIP, per column."""
    out = np.empty((len(features), len(columns)), dtype=np.float64)
    for j, column in enumerate(columns):
        values = np.log1p(np.clip(features[column].to_numpy(dtype=np.float64), 0.0, None))
        if values.size == 0:
            out[:, j] = values
            continue
        q25, median, q75 = np.percentile(values, [25, 50, 75])
        spread = q75 - q25
        if spread <= 1e-12:
            # Half the customers share a value (e.g. one purchase): fall back to the std, or to 1.
            spread = float(values.std()) or 1.0
        out[:, j] = np.clip((values - median) / spread, -CLIP, CLIP)
    return out


def _kmeans(X: FloatArray, k: int, seed: int, n_init: int) -> KMeans:
    return KMeans(n_clusters=k, n_init=n_init, random_state=seed).fit(X)


def _silhouette(X: FloatArray, labels: IntArray, seed: int) -> float:
    if len(np.unique(labels)) < 2 or len(np.unique(labels)) >= len(X):
        return 0.0
    sample = min(len(X), SILHOUETTE_SAMPLE)
    return float(
        silhouette_score(X, labels, sample_size=sample if sample < len(X) else None, random_state=seed)
    )


def _distinct_rows(X: FloatArray, cap: int) -> int:
    """Number of distinct rows, or ``cap`` once it is known to be at least that (cheap on 1M rows)."""
    head = len(pd.DataFrame(X[:10_000]).drop_duplicates())
    if head >= cap:
        return cap
    return min(cap, len(pd.DataFrame(X).drop_duplicates()))


def cluster_customers(
    X: FloatArray, seed: int = 0, k_min: int = K_MIN, k_max: int = K_MAX, k: int | None = None
) -> Clustering:
    """Seeded K-Means on scaled features; k from k_min..k_max by silhouette unless given."""
    # One thread: on small matrices OpenMP/BLAS threads mostly spin, and on a busy 2-core worker
    # that made the same fit many times slower.
    with threadpool_limits(limits=1):
        return _cluster_customers(X, seed, k_min, k_max, k)


def _cluster_customers(X: FloatArray, seed: int, k_min: int, k_max: int, k: int | None) -> Clustering:
    n = len(X)
    if n == 0:
        return Clustering(np.zeros(0, dtype=np.int64), np.zeros((0, X.shape[1])), 0, 0.0, {})
    distinct = _distinct_rows(X, cap=k_max + 1)
    if distinct < 2:
        return Clustering(np.zeros(n, dtype=np.int64), X[:1].copy(), 1, 0.0, {})
    # Silhouette needs 2 <= k <= distinct - 1; tiny inputs get fewer clusters instead of failing.
    upper = min(k_max, distinct - 1) if distinct > 2 else 2
    lower = min(k_min, upper)
    rng = np.random.default_rng(seed)
    selection = X if n <= SELECTION_SAMPLE else X[np.sort(rng.choice(n, SELECTION_SAMPLE, replace=False))]
    min_size = MIN_CLUSTER_SHARE * len(selection) if len(selection) >= 100 else 1

    scores: dict[int, float] = {}
    models: dict[int, KMeans] = {}
    candidates = [k] if k is not None else list(range(lower, upper + 1))
    for candidate in candidates:
        model = _kmeans(selection, candidate, seed, n_init=10 if len(selection) <= 5_000 else 4)
        sizes = np.bincount(model.labels_, minlength=candidate)
        if k is None and sizes.min() < min_size and candidate > lower:
            continue
        models[candidate] = model
        scores[candidate] = _silhouette(selection, model.labels_.astype(np.int64), seed)
    best = max(scores.values())
    chosen = min(c for c, s in scores.items() if s >= best - SILHOUETTE_TOLERANCE)
    model = models[chosen]

    if selection is X:
        labels = model.labels_.astype(np.int64)
        centroids = model.cluster_centers_
        silhouette = scores[chosen]
    else:
        # Refine the sample's centroids on every customer with mini-batches: memory stays flat
        # and one pass over a million rows takes seconds.
        refined = MiniBatchKMeans(
            n_clusters=chosen,
            init=model.cluster_centers_,
            n_init=1,
            batch_size=8192,
            random_state=seed,
            max_iter=20,
        ).fit(X)
        labels = refined.predict(X).astype(np.int64)
        centroids = refined.cluster_centers_
        silhouette = _silhouette(X, labels, seed)
    return Clustering(labels, np.asarray(centroids, dtype=np.float64), chosen, silhouette, scores)
