"""scikit-learn partner of bench/real-data.ts.

Usage: /usr/bin/python3 bench/real_data_sklearn.py TABLE.csv N_ESTIMATORS SEED

TABLE.csv has columns id, label, fold, then numeric features (empty = missing). For each fold,
trains RandomForestClassifier(n_estimators, n_jobs=1, oob_score=True, random_state=SEED) on the
other folds and scores the fold: ROC-AUC, average precision, and F1 at the best-F1 threshold
chosen on the out-of-bag scores of the training folds (the same rule as models/byo.ts).
Missing values become -1e30 (lower than any value; scikit-learn < 1.4 rejects NaN in forests),
which is how the TypeScript forest routes NaN. Prints one JSON object on the last line.
"""
import csv
import json
import sys
import time
import warnings

import numpy as np
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import average_precision_score, roc_auc_score


def best_f1_threshold(labels: np.ndarray, scores: np.ndarray) -> float:
    keep = ~np.isnan(scores)
    s, l = scores[keep], labels[keep]
    order = np.argsort(-s, kind="stable")
    s, l = s[order], l[order]
    total_pos = l.sum()
    tp = np.cumsum(l)
    predicted = np.arange(1, len(s) + 1)
    group_end = np.r_[s[1:] != s[:-1], True]
    f1 = np.where(group_end, 2 * tp / (predicted + total_pos), -1.0)
    best = int(np.argmax(f1))  # first maximum = highest threshold, as in metrics.ts
    return float(s[best]) if f1[best] > 0 else float("inf")


def f1_at(labels: np.ndarray, scores: np.ndarray, threshold: float) -> float:
    pred = scores >= threshold
    tp = int(np.sum(pred & (labels == 1)))
    fp = int(np.sum(pred & (labels == 0)))
    fn = int(np.sum(~pred & (labels == 1)))
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return 2 * p * r / (p + r) if p + r else 0.0


def main(path: str, n_estimators: int, seed: int) -> None:
    with open(path, encoding="utf-8") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    li, fi = header.index("label"), header.index("fold")
    feat = [j for j, h in enumerate(header) if h not in ("id", "label", "fold")]
    y = np.array([int(r[li]) for r in body])
    folds = np.array([int(r[fi]) for r in body])
    x = np.array([[float(r[j]) if r[j] != "" else np.nan for j in feat] for r in body], dtype=np.float64)
    x = np.where(np.isnan(x), -1e30, x).astype(np.float32)
    results = []
    t_all = time.perf_counter()
    for k in sorted(set(folds.tolist())):
        train, test = folds != k, folds == k
        clf = RandomForestClassifier(n_estimators=n_estimators, n_jobs=1, oob_score=True, random_state=seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            clf.fit(x[train], y[train])
            oob = clf.oob_decision_function_[:, 1]
        p = clf.predict_proba(x[test])[:, 1]
        thr = best_f1_threshold(y[train], oob)
        results.append(
            {
                "fold": k,
                "roc_auc": roc_auc_score(y[test], p),
                "pr_auc": average_precision_score(y[test], p),
                "threshold": thr,
                "f1": f1_at(y[test], p, thr),
            }
        )
    out = {
        "roc_auc": float(np.mean([r["roc_auc"] for r in results])),
        "pr_auc": float(np.mean([r["pr_auc"] for r in results])),
        "f1": float(np.mean([r["f1"] for r in results])),
        "seconds": time.perf_counter() - t_all,
        "folds": results,
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
