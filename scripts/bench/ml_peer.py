"""scikit-learn equivalents of `ecom ml segment` and `ecom ml recommend --model item-knn`,
for scripts/bench.sh: the same features and the same evaluation, read from the same
warehouse, so the times compare like with like."""
import datetime

import duckdb
import numpy as np
import scipy.sparse as sp
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score
from sklearn.metrics.pairwise import cosine_similarity
from sklearn.preprocessing import StandardScaler

RFM_SQL = """
WITH bounds AS (SELECT max(invoice_ts)::DATE + 1 AS reference_day FROM marts.fact_sales)
SELECT customer_id::BIGINT, date_diff('day', last_purchase_ts::DATE, reference_day)::DOUBLE,
       order_count::DOUBLE, lifetime_value::DOUBLE
FROM marts.dim_customer, bounds WHERE order_count > 0 ORDER BY customer_id"""


def segment(db, seed=42):
    """RFM, log-scaled and standardised; KMeans (10 inits) for k = 3..8, best silhouette;
    the segments written back as a table, as ecom does."""
    con = duckdb.connect(db)
    ids, r, f, m = (np.array(c) for c in zip(*con.execute(RFM_SQL).fetchall()))
    features = np.column_stack([np.log1p(r), np.log1p(f), np.sign(m) * np.log1p(np.abs(m))])
    x = StandardScaler().fit_transform(features)
    best = None
    for k in range(3, 9):
        labels = KMeans(n_clusters=k, n_init=10, random_state=seed).fit_predict(x)
        score = silhouette_score(x, labels)
        if best is None or score > best[0]:
            best = (score, labels)
    con.execute("CREATE OR REPLACE TABLE peer_segments (customer_id BIGINT, segment INTEGER)")
    con.executemany("INSERT INTO peer_segments VALUES (?, ?)", list(zip(ids.tolist(), best[1].tolist())))
    con.close()
    return best[0]


LINES_SQL = """
SELECT customer_id::BIGINT, stock_code, invoice_ts < TIMESTAMP '2011-09-01' AS train
FROM marts.fact_sales
WHERE customer_id IS NOT NULL AND NOT is_cancellation AND is_product AND quantity > 0"""


def top_k(scores, bought, k=10):
    scores = scores.copy()
    scores[bought] = -np.inf
    top = np.argpartition(-scores, k)[:k]
    return top[np.argsort(-scores[top], kind="stable")]


def item_knn(db, k=10):
    """Item-item cosine on the binary customer × product matrix: precision@10 on the
    temporal split, then refit on everything and top 10 for every customer, written back."""
    con = duckdb.connect(db)
    rows = con.execute(LINES_SQL).fetchall()
    customers = {c: i for i, c in enumerate(sorted({r[0] for r in rows}))}
    products = {p: i for i, p in enumerate(sorted({r[1] for r in rows}))}

    def matrix(select):
        pairs = {(customers[c], products[p]) for c, p, t in rows if select(t)}
        u, i = zip(*pairs)
        return sp.csr_matrix((np.ones(len(u), dtype=np.float32), (u, i)),
                             shape=(len(customers), len(products)))

    train, test, everything = matrix(lambda t: t), matrix(lambda t: not t), matrix(lambda t: True)
    sim = cosine_similarity(train.T, dense_output=True)
    np.fill_diagonal(sim, 0)
    scores = train @ sim
    candidates = np.asarray(train.sum(axis=0)).ravel() > 0
    hits, evaluated = 0.0, 0
    for u in range(train.shape[0]):
        seen = train[u].indices
        new = set(test[u].indices) - set(seen)
        if len(seen) == 0 or not new:
            continue
        row = np.asarray(scores[u]).ravel()
        row[~candidates] = -np.inf
        hits += len(set(top_k(row, seen, k)) & new) / k
        evaluated += 1
    sim = cosine_similarity(everything.T, dense_output=True)
    np.fill_diagonal(sim, 0)
    scores = everything @ sim
    names = {i: p for p, i in products.items()}
    out = []
    for c, u in customers.items():
        for rank, i in enumerate(top_k(np.asarray(scores[u]).ravel(), everything[u].indices, k), 1):
            out.append((c, names[i], rank))
    con.execute("CREATE OR REPLACE TABLE peer_recommendations (customer_id BIGINT, stock_code VARCHAR, rank INTEGER)")
    con.executemany("INSERT INTO peer_recommendations VALUES (?, ?, ?)", out)
    con.close()
    return hits / evaluated
