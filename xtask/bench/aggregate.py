"""The aggregation of `cargo xtask bench aggregate`, written as an analyst would with polars
or pandas: 38 frequency tables, 36 crosstabs by region, mean and sd of a score by sex and one
weighted proportion with a 95% Wilson interval on Kish's effective n.

usage: aggregate.py polars|pandas SPEC.json DATA.csv OUT.json
Writes the results as flat {key: number} so the bench can compare every tool's figures.
"""
import json
import math
import sys

tool, spec_path, data, out_path = sys.argv[1:5]
spec = json.load(open(spec_path))
selects, crossed, region = spec["selects"], spec["crossed"], spec["region"]
score, group = spec["score"], spec["group"]
w_var, w_code, weight = spec["weighted"], spec["weighted_code"], spec["weight"]
needed = sorted(set(selects + [score, group, weight]))
out = {}


def wilson(p, n, z=1.959963984540054):
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


def weighted(share_w, total_w, total_w2):
    p = share_w / total_w
    n_eff = total_w * total_w / total_w2
    lo, hi = wilson(p, n_eff)
    out["weighted/percent"] = 100 * p
    out["weighted/ci_low"] = 100 * lo
    out["weighted/ci_high"] = 100 * hi


if tool == "polars":
    import polars as pl

    df = pl.read_csv(data, columns=needed,
                     schema_overrides={c: pl.Utf8 for c in selects} | {score: pl.Float64, weight: pl.Float64})
    queries = [df.lazy().group_by(c).len().drop_nulls() for c in selects]
    queries += [df.lazy().group_by([c, region]).len().drop_nulls() for c in crossed]
    queries.append(df.lazy().group_by(group).agg(pl.col(score).mean().alias("mean"), pl.col(score).std().alias("sd")))
    answered = pl.col(w_var).is_not_null()
    w = pl.when(pl.col(weight) > 0).then(pl.col(weight)).otherwise(1.0)
    queries.append(df.lazy().filter(answered).select(
        (w * (pl.col(w_var) == w_code).cast(pl.Float64)).sum().alias("share"),
        w.sum().alias("total"), (w * w).sum().alias("total2")))
    results = pl.collect_all(queries)
    for c, r in zip(selects, results):
        for code, n in r.iter_rows():
            out[f"frequency/{c}/{code}"] = n
    for c, r in zip(crossed, results[len(selects):]):
        for code, reg, n in r.iter_rows():
            out[f"crosstab/{c}/{code}|{reg}"] = n
    for g, mean, sd in results[-2].iter_rows():
        if g is not None:
            out[f"mean/{g}"], out[f"sd/{g}"] = mean, sd
    weighted(*results[-1].row(0))
else:
    import pandas as pd

    df = pd.read_csv(data, usecols=needed, dtype={c: "string" for c in selects} | {score: "float64", weight: "float64"})
    for c in selects:
        for code, n in df[c].value_counts(dropna=True).items():
            out[f"frequency/{c}/{code}"] = int(n)
    for c in crossed:
        for (code, reg), n in df.groupby([c, region], dropna=True).size().items():
            out[f"crosstab/{c}/{code}|{reg}"] = int(n)
    stats = df.groupby(group, dropna=True)[score].agg(["mean", "std"])
    for g, row in stats.iterrows():
        out[f"mean/{g}"], out[f"sd/{g}"] = row["mean"], row["std"]
    answered = df[df[w_var].notna()]
    w = answered[weight].where(answered[weight] > 0, 1.0).fillna(1.0)
    weighted(float((w * (answered[w_var] == w_code)).sum()), float(w.sum()), float((w * w).sum()))

json.dump(out, open(out_path, "w"))
