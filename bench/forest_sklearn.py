"""Side-by-side benchmark partner of bench/forest-vs-sklearn.ts.

Reads the matrix that the TypeScript side wrote (meta.json, x.f32 row-major float32 with NaN
for missing, y.u8), trains scikit-learn's RandomForestClassifier (exact splits) and
HistGradientBoostingClassifier (histogram splits, boosting) single-threaded on the first
`train_rows` rows, scores the rest and prints stable "label: value" lines.

scikit-learn < 1.4 rejects NaN in random forests; NaN is replaced by -1e30 (lower than any
value), which is how the TypeScript forest treats missing values.
"""
import json
import sys
import time

import numpy as np
from sklearn import __version__ as sklearn_version
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.metrics import roc_auc_score, average_precision_score


def main(folder: str) -> None:
    with open(f"{folder}/meta.json", encoding="utf-8") as f:
        meta = json.load(f)
    rows, cols, train_rows = meta["rows"], meta["cols"], meta["train_rows"]
    x = np.fromfile(f"{folder}/x.f32", dtype="<f4").reshape(rows, cols)
    y = np.fromfile(f"{folder}/y.u8", dtype=np.uint8).astype(np.int64)
    x = np.where(np.isnan(x), np.float32(-1e30), x)
    x_train, y_train = x[:train_rows], y[:train_rows]
    x_test, y_test = x[train_rows:], y[train_rows:]
    params = meta.get("sklearn_params", {})
    clf = RandomForestClassifier(
        n_estimators=meta["n_estimators"], n_jobs=1, random_state=meta["seed"], **params
    )
    c0 = time.process_time()
    t0 = time.perf_counter()
    clf.fit(x_train, y_train)
    fit_s = time.perf_counter() - t0
    fit_cpu = time.process_time() - c0
    t0 = time.perf_counter()
    p = clf.predict_proba(x_test)[:, 1]
    predict_s = time.perf_counter() - t0
    nodes = sum(e.tree_.node_count for e in clf.estimators_)
    print(f"sklearn version: {sklearn_version}")
    print(f"sklearn fit seconds: {fit_s:.3f}")
    print(f"sklearn fit cpu seconds: {fit_cpu:.3f}")
    print(f"sklearn predict seconds: {predict_s:.3f}")
    print(f"sklearn nodes: {nodes}")
    print(f"sklearn roc_auc: {roc_auc_score(y_test, p):.4f}")
    print(f"sklearn pr_auc: {average_precision_score(y_test, p):.4f}")

    # Gradient-boosted histogram trees: the histogram method of LightGBM, scikit-learn's own
    # implementation. Missing values are native (NaN); one thread (OMP_NUM_THREADS=1, set by the
    # caller); as many boosting iterations as the forest has trees; no early stopping, so it
    # trains on the same rows.
    x_raw = np.fromfile(f"{folder}/x.f32", dtype="<f4").reshape(rows, cols)
    hgb = HistGradientBoostingClassifier(
        max_iter=meta["n_estimators"], early_stopping=False, random_state=meta["seed"]
    )
    c0 = time.process_time()
    t0 = time.perf_counter()
    hgb.fit(x_raw[:train_rows], y_train)
    fit_s = time.perf_counter() - t0
    fit_cpu = time.process_time() - c0
    p = hgb.predict_proba(x_raw[train_rows:])[:, 1]
    print(f"hgb fit seconds: {fit_s:.3f}")
    print(f"hgb fit cpu seconds: {fit_cpu:.3f}")
    print(f"hgb roc_auc: {roc_auc_score(y_test, p):.4f}")
    print(f"hgb pr_auc: {average_precision_score(y_test, p):.4f}")


if __name__ == "__main__":
    main(sys.argv[1])
