"""Turn an evaluation (the dict ``training.evaluate.evaluate`` returns) into ``report.md``.

The report is meant to be looked at: three PNG plots — a reliability diagram, the
per-category F1 scores and a confusion heat-map among the most-confused categories — and
short tables of the headline figures, the weakest categories and the most-confused pairs.

Korean category names need a Korean font. :func:`korean_font` looks for one known to
matplotlib, then asks fontconfig (``fc-list :lang=ko``; on Debian ``apt-get install
fonts-nanum`` provides one). Without any, the plots number the categories and the report
lists the numbers, so nothing is drawn as empty boxes.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from core.classify.model_folder import MANIFEST, read_manifest
from core.errors import ModelError

log = logging.getLogger(__name__)

REPORT = "report.md"
RELIABILITY_PNG = "reliability.png"
F1_PNG = "per_category_f1.png"
CONFUSION_PNG = "confusion.png"
PLOTS = (RELIABILITY_PNG, F1_PNG, CONFUSION_PNG)
KOREAN_FAMILIES = (
    "NanumGothic", "NanumBarunGothic", "Noto Sans CJK KR", "Noto Sans KR", "Malgun Gothic",
    "AppleGothic", "UnDotum", "Baekmuk Gulim",
)
WEAKEST_SHOWN = 25
PAIRS_SHOWN = 15
CONFUSION_MAX = 12


def korean_font() -> str | None:
    """The family name of a Korean-capable font matplotlib can use, or None."""
    from matplotlib import font_manager

    known = {f.name for f in font_manager.fontManager.ttflist}
    for family in KOREAN_FAMILIES:
        if family in known:
            return family
    fc_list = shutil.which("fc-list")
    if not fc_list:
        return None
    try:
        listing = subprocess.run(
            [fc_list, ":lang=ko", "file"], capture_output=True, text=True, timeout=20, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    for line in listing.splitlines():
        path = line.strip().rstrip(":")
        if not path.lower().endswith((".ttf", ".otf", ".ttc")):
            continue
        try:
            font_manager.fontManager.addfont(path)
            return font_manager.FontProperties(fname=path).get_name()
        except (OSError, RuntimeError, ValueError):
            continue
    return None


def _num(metrics: Mapping[str, Any], *keys: str) -> float | None:
    """The first of ``keys`` present as a number, looking one level into sub-dicts too."""
    for key in keys:
        value = metrics.get(key)
        if isinstance(value, int | float):
            return float(value)
        if isinstance(value, Mapping):
            for inner in ("value", "threshold"):
                if isinstance(value.get(inner), int | float):
                    return float(value[inner])
    return None


def _per_category(metrics: Mapping[str, Any]) -> dict[str, dict[str, float]]:
    raw: Any = metrics.get("per_category") or {}
    if isinstance(raw, list):  # [{"category": ..., "f1": ...}, ...]
        return {str(r.get("category")): dict(r) for r in raw if isinstance(r, Mapping)}
    return {str(k): dict(v) for k, v in raw.items() if isinstance(v, Mapping)}


def _pairs(metrics: Mapping[str, Any]) -> list[tuple[str, str, int]]:
    """``(true, predicted, count)`` from dicts or ``[true, predicted, count]`` lists."""
    out = []
    for p in metrics.get("confused_pairs") or []:
        if isinstance(p, Mapping):
            true = p.get("true", p.get("gold", p.get("actual")))
            pred = p.get("predicted", p.get("pred"))
            out.append((str(true), str(pred), int(p.get("count", 0))))
        elif isinstance(p, Sequence) and len(p) >= 3:
            out.append((str(p[0]), str(p[1]), int(p[2])))
    return out


def _bins(metrics: Mapping[str, Any]) -> list[dict[str, float]]:
    raw = metrics.get("reliability") or metrics.get("reliability_bins") or []
    if isinstance(raw, Mapping):
        raw = raw.get("bins", [])
    return [dict(b) for b in raw if isinstance(b, Mapping)]


class _Namer:
    """Category names on plots: the names themselves, or numbers without a Korean font."""

    def __init__(self, use_names: bool) -> None:
        self.use_names = use_names
        self.numbers: dict[str, int] = {}

    def __call__(self, category: str) -> str:
        if self.use_names:
            return category
        return f"#{self.numbers.setdefault(category, len(self.numbers) + 1)}"


def plot_reliability(bins: list[dict[str, float]], ece: float | None, path: Path) -> None:
    """Accuracy against confidence per bin, with the diagonal of perfect calibration."""
    import matplotlib.pyplot as plt

    fig, (top, bottom) = plt.subplots(
        2, 1, figsize=(6, 6.5), sharex=True, gridspec_kw={"height_ratios": [3, 1]}
    )
    filled = [b for b in bins if b.get("count", 0)]
    lows = [float(b.get("lo", b.get("lower", 0.0))) for b in bins]
    highs = [float(b.get("hi", b.get("upper", 1.0))) for b in bins]
    widths = [h - lo for lo, h in zip(lows, highs, strict=True)]
    top.plot([0, 1], [0, 1], "--", color="grey", label="perfect calibration")
    top.bar(lows, [float(b.get("accuracy", 0.0)) for b in bins], width=widths, align="edge",
            edgecolor="black", alpha=0.7, label="accuracy in bin")
    top.plot([float(b.get("confidence", 0.0)) for b in filled],
             [float(b.get("accuracy", 0.0)) for b in filled], "o", color="crimson",
             label="mean confidence vs accuracy")
    top.set_ylabel("accuracy")
    top.set_ylim(0, 1)
    title = "Reliability diagram"
    top.set_title(title + (f" (ECE {ece:.3f})" if ece is not None else ""))
    top.legend(loc="upper left", fontsize=8)
    bottom.bar(lows, [float(b.get("count", 0)) for b in bins], width=widths, align="edge",
               color="steelblue", edgecolor="black")
    bottom.set_xlabel("confidence of the top category")
    bottom.set_ylabel("utterances")
    bottom.set_xlim(0, 1)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_f1(per_cat: dict[str, dict[str, float]], name: _Namer, path: Path) -> None:
    """All categories' F1 sorted (left) and the weakest ones by name (right)."""
    import matplotlib.pyplot as plt

    ranked = sorted(per_cat.items(), key=lambda kv: (kv[1].get("f1", 0.0), kv[0]))
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 7), gridspec_kw={"width_ratios": [3, 2]})
    scores = [v.get("f1", 0.0) for _, v in ranked]
    left.bar(range(len(scores)), scores, width=1.0, color="steelblue")
    left.set_xlabel(f"{len(scores)} categories, weakest first")
    left.set_ylabel("F1")
    left.set_ylim(0, 1)
    left.set_title("F1 of every category")
    weakest = ranked[:WEAKEST_SHOWN]
    right.barh([name(k) for k, _ in weakest][::-1], [v.get("f1", 0.0) for _, v in weakest][::-1],
               color="indianred")
    right.set_xlim(0, 1)
    right.set_xlabel("F1")
    right.set_title(f"{len(weakest)} weakest categories")
    right.tick_params(axis="y", labelsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def confusion_subset(
    metrics: Mapping[str, Any], per_cat: dict[str, dict[str, float]]
) -> tuple[list[str], list[list[int]]]:
    """Categories of the most-confused pairs and their counts (rows true, columns predicted).

    Uses ``metrics["confusion"]`` (``{"labels": [...], "matrix": [[...]]}``) when evaluate
    provides it; otherwise rebuilds the cells from the pairs and the diagonal from recall ×
    support (cells of pairs not listed are then 0).
    """
    full = metrics.get("confusion")
    pairs = _pairs(metrics)
    cats: list[str] = []
    for true, pred, _ in pairs:
        for c in (true, pred):
            if c not in cats and len(cats) < CONFUSION_MAX:
                cats.append(c)
    if isinstance(full, Mapping) and full.get("labels") and full.get("matrix"):
        index = {c: i for i, c in enumerate(full["labels"])}
        cats = [c for c in cats if c in index] or list(full["labels"])[:CONFUSION_MAX]
        matrix = [[int(full["matrix"][index[r]][index[c]]) for c in cats] for r in cats]
        return cats, matrix
    pos = {c: i for i, c in enumerate(cats)}
    matrix = [[0] * len(cats) for _ in cats]
    for true, pred, count in pairs:
        if true in pos and pred in pos:
            matrix[pos[true]][pos[pred]] = count
    for c in cats:
        stats = per_cat.get(c, {})
        matrix[pos[c]][pos[c]] = round(stats.get("recall", 0.0) * stats.get("support", 0))
    return cats, matrix


def plot_confusion(cats: list[str], matrix: list[list[int]], name: _Namer, path: Path) -> None:
    """A heat-map of counts among the most-confused categories."""
    import matplotlib.pyplot as plt

    size = max(4.0, 0.55 * len(cats) + 3)
    fig, ax = plt.subplots(figsize=(size + 1.5, size))
    if cats:
        image = ax.imshow(matrix, cmap="Blues")
        fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="utterances")
        labels = [name(c) for c in cats]
        ax.set_xticks(range(len(cats)), labels, rotation=60, ha="right", fontsize=8)
        ax.set_yticks(range(len(cats)), labels, fontsize=8)
        peak = max((max(row) for row in matrix), default=0)
        for r, row in enumerate(matrix):
            for c, value in enumerate(row):
                if value:
                    ax.text(c, r, str(value), ha="center", va="center", fontsize=7,
                            color="white" if value > peak / 2 else "black")
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
    else:
        ax.text(0.5, 0.5, "no confusions", ha="center", va="center")
        ax.set_axis_off()
    ax.set_title("Confusion among the most-confused categories")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _f(value: float | None, digits: int = 3) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def write_report(metrics: Mapping[str, Any], out_dir: Path, title: str = "") -> Path:
    """Write ``report.md`` and its three PNG plots into ``out_dir``; return the report path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    font = korean_font()
    name = _Namer(use_names=font is not None)
    if font:
        plt.rcParams["font.family"] = [font, "DejaVu Sans"]
    else:
        log.info("no Korean font found (Debian: apt-get install fonts-nanum); numbering categories")
    plt.rcParams["axes.unicode_minus"] = False

    per_cat = _per_category(metrics)
    ece = _num(metrics, "ece", "expected_calibration_error")
    plot_reliability(_bins(metrics), ece, out_dir / RELIABILITY_PNG)
    plot_f1(per_cat, name, out_dir / F1_PNG)
    cats, matrix = confusion_subset(metrics, per_cat)
    plot_confusion(cats, matrix, name, out_dir / CONFUSION_PNG)

    lines = [f"# {title or 'Evaluation report'}", ""]
    for key, label in (("model_id", "Model"), ("backend", "Backend"), ("data", "Data"),
                       ("split", "Split")):
        value = metrics.get(key)
        if value:
            if isinstance(value, list):
                value = ", ".join(Path(str(v)).name for v in value)
            elif isinstance(value, Mapping):
                value = ", ".join(f"{k} {v}" for k, v in value.items())
            lines.append(f"- {label}: {value}")
    lines.append(f"- Written: {datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}")
    n = metrics.get("n", metrics.get("n_examples", metrics.get("support")))
    if n is not None:
        lines.append(f"- Utterances evaluated: {n}")
    lines += [
        "",
        "| figure | value |",
        "|---|---|",
        f"| accuracy | {_f(_num(metrics, 'accuracy'))} |",
        f"| top-3 accuracy | {_f(_num(metrics, 'top3_accuracy', 'top_3_accuracy', 'top3'))} |",
        f"| macro-F1 | {_f(_num(metrics, 'macro_f1'))} |",
        f"| expected calibration error | {_f(ece)} |",
        f"| suggested fallback threshold | {_f(_num(metrics, 'suggested_threshold'), 2)} |",
        "",
    ]
    coverage = _num(metrics, "coverage_at_threshold")
    kept_accuracy = _num(metrics, "accuracy_at_threshold")
    if coverage is not None and kept_accuracy is not None:
        lines += [
            f"At the suggested threshold {coverage:.0%} of the utterances get a category's "
            f"answer, {kept_accuracy:.0%} of them the right one"
            + (f" (target {_num(metrics, 'threshold_target_accuracy'):.0%})."
               if _num(metrics, "threshold_target_accuracy") is not None else "."),
            "",
        ]
    lines += [
        "Below the threshold Buddy gives its gentle fallback reply instead of a category's "
        "answer; set it with `CONFIDENCE_THRESHOLD` in `.env`.",
        "",
        "## Calibration",
        "",
        f"![reliability diagram]({RELIABILITY_PNG})",
        "",
        "Bars under the diagonal: the model is more confident than it is right.",
        "",
        "## Per-category F1",
        "",
        f"![per-category F1]({F1_PNG})",
        "",
        "| category | precision | recall | F1 | utterances |",
        "|---|---|---|---|---|",
    ]
    ranked = sorted(per_cat.items(), key=lambda kv: (kv[1].get("f1", 0.0), kv[0]))
    for cat, s in ranked[:WEAKEST_SHOWN]:
        lines.append(
            f"| {cat} | {_f(s.get('precision'))} | {_f(s.get('recall'))} | {_f(s.get('f1'))} "
            f"| {s.get('support', '–')} |"
        )
    lines += [
        "",
        "## Most-confused categories",
        "",
        f"![confusion heat-map]({CONFUSION_PNG})",
        "",
        "| true | predicted as | times |",
        "|---|---|---|",
    ]
    lines += [f"| {t} | {p} | {c} |" for t, p, c in _pairs(metrics)[:PAIRS_SHOWN]]
    if name.numbers:
        lines += ["", "## Category numbers on the plots", "",
                  "No Korean font was found (Debian: `apt-get install fonts-nanum`), so the "
                  "plots number the categories:", ""]
        lines += [f"- #{i}: {c}" for c, i in name.numbers.items()]
    lines += ["", "All figures: `metrics.json`.", ""]
    path = out_dir / REPORT
    path.write_text("\n".join(lines), encoding="utf-8")
    refresh_model_card(out_dir)
    return path


def refresh_model_card(folder: Path) -> None:
    """Rewrite a KoBERT model folder's card so it shows the figures just measured."""
    if not (folder / MANIFEST).is_file():
        return
    try:
        backend = read_manifest(folder).backend
    except ModelError:
        return
    if backend in ("transformer", "kobert"):
        from training.kobert.save import write_model_card  # needs the kobert extra's names

        write_model_card(folder)
