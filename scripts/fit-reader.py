#!/usr/bin/env python3
"""Fits the evidence reader's span weights (SpanFeatures.weights) and its confidence.

Input: the outcomes of `momd-server bench squad FILE --systems mom,full-context --outcomes OUT
--candidates`, every question with the candidate spans the reader weighed. The span weights are a
softmax over each question's candidates, fitted to put the mass on the spans that match a
reference (exact match, else the best F1 when it is at least 0.5), with an L2 penalty. The
confidence is a logistic model of whether the chosen span is right (F1 >= 0.5). Questions are
split by article: the first `--fit` articles in the file fit, the rest measure.

    momd-server bench squad fixtures/squad/train-v1.1-ten-articles.json --systems mom,full-context \
        --outcomes /tmp/outcomes.jsonl --candidates
    python3 scripts/fit-reader.py /tmp/outcomes.jsonl --fit 6

Prints the span weights (SpanFeatures.weights) and the confidence weights
(QuestionAnswerer.evidenceConfidence), then how both do on the articles fitted and the others.
Needs NumPy (Debian's python3-numpy, or pip); deterministic (full-batch, zero start).
"""
import argparse
import json
import sys

import numpy as np


# SpanFeatures.names, in the order of SpanFeatures.vector.
NAMES = [
    "support", "pull", "near", "shape", "fits", "length", "single", "passage", "asked", "cut", "adjacent", "distance", "left",
    "right", "opener", "askedBefore", "askedAfter", "closes", "opens", "comma", "bracket", "headInside", "headAround",
    "capitals", "digits", "functionWords", "afterVerb", "beforeVerb", "lengthNumber", "lengthName", "lengthPhrase",
    "capitalsName", "digitsNumber", "leftAlign", "rightAlign", "clause", "sureness", "headAfter", "unmentioned",
]


def load(path):
    """(system, article's index in the file, outcome) for every outcome."""
    rows = [json.loads(line) for line in open(path)]
    titles = []
    for row in rows:
        if row["article"] not in titles:
            titles.append(row["article"])
    return [(row["system"], titles.index(row["article"]), row) for row in rows]


def question_arrays(rows):
    """Per question: features (n × d), target mask, f1 and em per candidate."""
    data = []
    for system, article, row in rows:
        cands = row.get("candidates") or []
        if not cands:
            data.append((system, article, None, None, None, None))
            continue
        x = np.array([c["features"] for c in cands], dtype=np.float64)
        f1 = np.array([c["f1"] for c in cands])
        em = np.array([c["em"] for c in cands])
        if em.max() == 1:
            mask = em == 1
        elif f1.max() >= 0.5:
            mask = f1 == f1.max()
        else:
            mask = None
        data.append((system, article, x, mask, f1, em))
    return data


def fit(data, dim, l2, steps=400, start=None):
    w = np.zeros(dim) if start is None else start.copy()
    usable = [(x, m) for _, _, x, m, _, _ in data if m is not None]
    m1 = np.zeros(dim)
    m2 = np.zeros(dim)
    rate = 0.05
    for step in range(1, steps + 1):
        grad = l2 * w * len(usable)
        loss = 0.5 * l2 * (w @ w) * len(usable)
        for x, mask in usable:
            s = x @ w
            s -= s.max()
            p = np.exp(s)
            p /= p.sum()
            q = p * mask
            qs = q.sum()
            loss -= np.log(qs + 1e-12)
            grad += x.T @ p - x.T @ (q / (qs + 1e-12))
        grad /= len(usable)
        m1 = 0.9 * m1 + 0.1 * grad
        m2 = 0.999 * m2 + 0.001 * grad * grad
        w -= rate * (m1 / (1 - 0.9**step)) / (np.sqrt(m2 / (1 - 0.999**step)) + 1e-8)
    return w, loss / len(usable)


def evaluate(data, w):
    res = {}
    for system, article, x, mask, f1, em in data:
        key = system
        r = res.setdefault(key, [0, 0.0, 0.0])
        r[0] += 1
        if x is None:
            continue
        best = int(np.argmax(x @ w))
        r[1] += em[best]
        r[2] += f1[best]
    return {k: "EM %.3f F1 %.3f (n=%d)" % (v[1] / v[0], v[2] / v[0], v[0]) for k, v in res.items()}


CONFIDENCE = ["bias", "probability", "margin", "support", "near", "fits", "first", "sureness", "clause", "pull",
              "numberType", "nameType", "unmentioned"]


def confidence_rows(rows, w, names):
    """Per question with candidates: the confidence features of the reader's choice, whether it
    is right (F1 >= 0.5), and its system."""
    at = {name: i for i, name in enumerate(names)}
    out = []
    for system, article, row in rows:
        cands = row.get("candidates") or []
        if not cands:
            continue
        x = np.array([c["features"] for c in cands], dtype=np.float64)
        s = x @ w
        b = int(np.argmax(s))
        p = np.exp(s - s[b])
        top = cands[b]
        norm = top["answer"].lower()
        rivals = [s[i] for i, c in enumerate(cands)
                  if c["answer"].lower() != norm
                  and (c["passage"] != top["passage"] or c["end"] <= top["start"] or c["start"] >= top["end"])]
        margin = min(s[b] - max(rivals), 4.0) if rivals else 4.0
        f = x[b]
        out.append((system, article, np.array([1.0, 1.0 / p.sum(), margin, f[at["support"]], f[at["near"]], f[at["fits"]],
                                             1.0 if top["passage"] == 0 else 0.0, f[at["sureness"]], f[at["clause"]],
                                             f[at["pull"]], 1.0 if f[at["lengthNumber"]] > 0 else 0.0,
                                             1.0 if f[at["lengthName"]] > 0 else 0.0, f[at["unmentioned"]]]), top["f1"] >= 0.5))
    return out


def fit_logistic(x, y, l2=1e-2, steps=3000):
    c = np.zeros(x.shape[1])
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(x @ c)))
        grad = x.T @ (p - y) / len(y) + l2 * np.r_[0, c[1:]]
        c -= 0.5 * grad
    return c


def auroc(scores, labels):
    order = np.argsort(scores)
    ranks = np.empty(len(scores))
    ranks[order] = np.arange(1, len(scores) + 1)
    # ties share their mean rank
    for value in np.unique(scores):
        tie = scores == value
        ranks[tie] = ranks[tie].mean()
    pos = labels.sum()
    neg = len(labels) - pos
    return (ranks[labels].sum() - pos * (pos + 1) / 2) / max(pos * neg, 1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("outcomes", help="bench squad's --outcomes, written with --candidates")
    parser.add_argument("--fit", type=int, required=True, help="how many of the file's first articles fit")
    parser.add_argument("--l2", type=float, default=1e-3)
    args = parser.parse_args()
    rows = load(args.outcomes)
    data = question_arrays(rows)
    dim = next(x.shape[1] for _, _, x, _, _, _ in data if x is not None)
    assert dim == len(NAMES), (dim, len(NAMES))
    fits = lambda article: article < args.fit
    train = [d for d in data if fits(d[1])]
    held = [d for d in data if not fits(d[1])]
    w, loss = fit(train, dim, args.l2)
    print("span weights: " + ", ".join("%.3f" % v for v in w))
    print("  fitted: %s (loss %.3f)" % (evaluate(train, w), loss))
    print("  others: %s" % evaluate(held, w))
    conf = confidence_rows(rows, w, NAMES)
    fit_rows = [r for r in conf if fits(r[1])]
    c = fit_logistic(np.array([r[2] for r in fit_rows]), np.array([r[3] for r in fit_rows], dtype=float))
    print("confidence weights: " + ", ".join("%s %.3f" % (n, v) for n, v in zip(CONFIDENCE, c)))
    for system in sorted({r[0] for r in conf}):
        for part, keep in (("fitted", fits), ("others", lambda a: not fits(a))):
            mine = [r for r in conf if r[0] == system and keep(r[1])]
            x = np.array([r[2] for r in mine])
            y = np.array([r[3] for r in mine])
            score = 1 / (1 + np.exp(-(x @ c)))
            line = "  %s %s: AUROC %.3f" % (system, part, auroc(score, y))
            total = sum(1 for d in data if d[0] == system and keep(d[1]))
            for t in (0.3, 0.5, 0.7):
                a = score >= t
                line += " | >= %.1f answers %.2f, %.2f right" % (t, a.sum() / total, y[a].mean() if a.any() else 0)
            print(line)


if __name__ == "__main__":
    main()
