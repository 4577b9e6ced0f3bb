"""`tg evaluate --report DIR`: a markdown report and PNG plots (matplotlib, the [ml] extra)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from transfergraph.errors import MissingExtra


def _plt() -> Any:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise MissingExtra("matplotlib", "ml", "--report") from None
    return plt


def write_report(result: dict[str, Any], folder: Path) -> Path:
    """report.md, methods.png (every method and baseline side by side) and, when the evaluation
    kept them, predicted-vs-measured panels (scatter.png)."""
    plt = _plt()
    folder.mkdir(parents=True, exist_ok=True)
    summary = result["summary"]
    names = [s["method"] for s in summary]
    fig, axes = plt.subplots(1, 4, figsize=(19, max(3.0, 0.4 * len(names) + 1)))
    for ax, (key, label) in zip(
        axes,
        [("pearson_plain", "Pearson (plain mean)"), ("pearson_weighted", "Pearson (weighted mean)"),
         ("top1_regret_mean", "top-1 regret (points)"), ("top3_regret_mean", "top-3 regret (points)")],
        strict=True,
    ):  # fmt: skip
        values = [s[key] for s in summary]
        colours = ["tab:blue" if s["kind"] == "method" else "tab:grey" for s in summary]
        ax.barh(names[::-1], values[::-1], color=colours[::-1])
        ax.set_title(label)
        if result.get("paper") and "regret" not in key:
            ax.axvline(result["paper"][key], color="tab:red", linestyle="--", label="paper (leaky)")
            ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(folder / "methods.png", dpi=110)
    plt.close(fig)
    compared = _regret_per_target(plt, result, folder)
    scatter = result.get("predictions")
    if scatter:
        targets = list(scatter)
        cols = min(4, len(targets))
        rows = (len(targets) + cols - 1) // cols
        fig, axes = plt.subplots(rows, cols, figsize=(4 * cols, 3.5 * rows), squeeze=False)
        for ax, t in zip(axes.flat, targets, strict=False):
            pts = scatter[t]
            ax.scatter([p[1] for p in pts], [p[2] for p in pts], s=8)
            ax.set_title(t, fontsize=9)
            ax.set_xlabel("predicted")
            ax.set_ylabel("measured accuracy")
        for ax in list(axes.flat)[len(targets) :]:
            ax.axis("off")
        fig.suptitle(f"{result['best']}: predicted vs measured")
        fig.tight_layout()
        fig.savefig(folder / "scatter.png", dpi=110)
        plt.close(fig)
    lines = [
        f"# tg evaluate: {result['modality']}",
        "",
        f"Targets ({len(result['targets'])}): {', '.join(result['targets'])}; seeds: {result['seeds']}; "
        f"{result['seconds']} s. Leak-free: each target's runs hidden from the view, features, "
        "embeddings, training rows and normalisation.",
        "",
        f"**Best: `{result['best']}`** "
        + ("(a baseline: `tg recommend` uses it)" if _kind(summary, result["best"]) == "baseline" else ""),
        "",
        "| method | kind | targets | Pearson | Pearson (weighted) | std | w-Kendall (weighted) | top-1 regret | top-3 regret | NDCG@5 |",  # noqa: E501
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for s in summary:
        lines.append(
            f"| {s['method']} | {s['kind']} | {s['n_targets']} | {s['pearson_plain']:.3f} | "
            f"{s['pearson_weighted']:.3f} | {s['pearson_std']:.3f} | {s['weighted_kendall_weighted']:.3f} | "
            f"{s['top1_regret_mean']:.2f} | {s['top3_regret_mean']:.2f} | {s['ndcg5_mean']:.3f} |"
        )
    if result.get("paper"):
        p = result["paper"]
        lines.append(f"| paper {p['method']} (leaky protocol) | published | {p['pearson_plain']:.3f} | "
                     f"{p['pearson_weighted']:.3f} | | | | | | |")  # fmt: skip
    lines += ["", "![methods](methods.png)", ""]
    if result.get("comparisons"):
        lines += [f"## Paired with the strongest baseline, `{result['baseline']}`", "",
                  f"Rule: {result['rule']}.", "",
                  "| method | metric | targets | mean difference | 95% interval | |",
                  "|---|---|---|---|---|---|"]  # fmt: skip
        for c in result["comparisons"]:
            mark = "better" if c["better"] else "worse" if c["worse"] else ""
            lines.append(f"| {c['method']} | {c['metric']} | {c['n_targets']} | {c['mean']:+.3f} | "
                         f"[{c['low']:+.3f}, {c['high']:+.3f}] | {mark} |")  # fmt: skip
        lines.append("")
    if compared:
        lines += ["![top-3 regret per target](regret.png)", ""]
    if scatter:
        lines += ["![predicted vs measured](scatter.png)", ""]
    if result.get("similarity_agreement") is not None:
        lines += ["Similarity from computed probes only (`--similarity computed`). Rank agreement of the "
                  "computed distances with the published matrix on the pairs both cover:", ""]  # fmt: skip
        for a in result["similarity_agreement"]:
            rho = "n/a" if a["spearman"] is None else f"{a['spearman']:.3f}"
            lines.append(f"- {a['modality']}: {a['computed_probe']} vs {a['published_probe']}: Spearman "
                         f"{rho} over {a['pairs']} pairs")  # fmt: skip
        lines.append("")
    if result["missing_features"]:
        lines += [f"Missing features: {', '.join(result['missing_features'])}.", ""]
    for name, notes in result["notes"].items():
        lines.append(f"- {name}: {', '.join(notes)}")
    lines += ["", "## Per target", "", "| method | target | seed | Pearson | top-1 regret | NDCG@5 | models |",  # noqa: E501
              "|---|---|---|---|---|---|---|"]  # fmt: skip
    for r in result["rows"]:
        lines.append(
            f"| {r['method']} | {r['target']} | {r['seed']} | {r['pearson']:.3f} | {r['top1_regret']:.2f} | "
            f"{r['ndcg5']:.3f} | {r['n_models']} |"
        )
    (folder / "report.md").write_text("\n".join(lines) + "\n")
    (folder / "result.json").write_text(json.dumps(result, indent=2, default=str))
    return folder / "report.md"


def _regret_per_target(plt: Any, result: dict[str, Any], folder: Path) -> bool:
    """regret.png: top-3 regret per target, the strongest baseline beside the recorded best and the
    method with the lowest mean top-3 regret (mean over seeds)."""
    baseline = result.get("baseline")
    if not baseline:
        return False
    methods = [s for s in result["summary"] if s["kind"] == "method"]
    shown = [baseline, result["best"]]
    if methods:
        shown.append(min(methods, key=lambda s: s["top3_regret_mean"])["method"])
    shown = list(dict.fromkeys(shown))
    targets = result["targets"]
    fig, ax = plt.subplots(figsize=(max(6.0, 0.8 * len(targets) + 2), 4))
    width = 0.8 / len(shown)
    for i, name in enumerate(shown):
        per: dict[str, list[float]] = {}
        for r in result["rows"]:
            if r["method"] == name:
                per.setdefault(r["target"], []).append(r["top3_regret"])
        values = [sum(per[t]) / len(per[t]) if t in per else float("nan") for t in targets]
        ax.bar([j + i * width for j in range(len(targets))], values, width, label=name)
    ax.set_xticks([j + width * (len(shown) - 1) / 2 for j in range(len(targets))])
    ax.set_xticklabels(targets, rotation=45, ha="right", fontsize=8)
    ax.set_ylabel("top-3 regret (points)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(folder / "regret.png", dpi=110)
    plt.close(fig)
    return True


def _kind(summary: list[dict[str, Any]], method: str) -> str:
    return next((s["kind"] for s in summary if s["method"] == method), "method")


def write_interval_report(data: dict[str, Any], folder: Path) -> Path:
    """intervals.md (the coverage table) and intervals.png: coverage and mean error by runs revealed,
    one line per rank band, the 75-85% goal shaded."""
    plt = _plt()
    folder.mkdir(parents=True, exist_ok=True)
    summary = data["summary"]
    runs = list(dict.fromkeys(r["runs"] for r in summary))
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    left.axhspan(*data["goal"], color="tab:green", alpha=0.15, label="goal")
    for band in dict.fromkeys(r["band"] for r in summary):
        by = {r["runs"]: r for r in summary if r["band"] == band}
        xs = [i for i, k in enumerate(runs) if k in by]
        left.plot(xs, [by[runs[i]]["coverage"] for i in xs], marker="o", label=band)
        right.plot(xs, [by[runs[i]]["error"] for i in xs], marker="o", label=band)
    for ax, label in ((left, "coverage of the 80% interval"), (right, "mean(expected - measured)")):
        ax.set_xticks(range(len(runs)))
        ax.set_xticklabels(runs)
        ax.set_xlabel("runs revealed on the target")
        ax.set_title(label)
        ax.legend(fontsize=8)
    right.axhline(0, color="grey", linewidth=0.8)
    left.set_ylim(0, 1)
    fig.suptitle(f"{data['modality']}: {data['method']}, {len(data['targets'])} held-out targets")
    fig.tight_layout()
    fig.savefig(folder / "intervals.png", dpi=110)
    plt.close(fig)
    lines = [
        f"# 80% intervals: {data['modality']}, {data['method']}",
        "",
        f"{len(data['targets'])} held-out targets, {data['draws']} draws, {data['seconds']} s.",
        "",
        "| rank band | runs | coverage | mean error | width | targets |",
        "|---|---|---:|---:|---:|---:|",
    ]
    lines += [f"| {r['band']} | {r['runs']} | {r['coverage']:.2f} | {r['error']:+.3f} | {r['width']:.3f} | "
              f"{r['targets']} |" for r in summary]  # fmt: skip
    lines += [f"- no interval on {s['target']}: {s['why']}" for s in data["skipped"]]
    lines += ["", "![coverage](intervals.png)", "", "```json", json.dumps(data["summary"], indent=2), "```"]
    out = folder / "intervals.md"
    out.write_text("\n".join(lines) + "\n")
    return out
