"""What `evaluate` measured, as one typed result; `tg evaluate --format json` is its serialisation."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True, eq=False)
class Evaluation:
    """The leave-one-target-out protocol's result: one row per (method, target, seed) (and per shots
    and draw with `shots`), one summary row per method, and the method the choice rule picked."""

    modality: str
    targets: tuple[str, ...]
    seeds: int
    rows: tuple[dict[str, Any], ...]  # per (method, target, seed): the metrics of that ranking
    summary_rows: tuple[dict[str, Any], ...]  # per method: means over targets
    seconds: float
    missing_features: tuple[str, ...]
    notes: dict[str, list[str]]
    weights: dict[str, float]  # per target: its weight in the weighted means
    # zero-shot only
    best: str | None = None  # the method the rule recorded for `tg recommend`
    baseline: str | None = None  # the strongest baseline, what `best` had to beat
    comparisons: tuple[dict[str, Any], ...] = ()  # each method minus the baseline, paired over targets
    rule: str | None = None
    similarity: str | None = None
    similarity_agreement: tuple[dict[str, Any], ...] | None = None
    predictions: dict[str, Any] = field(default_factory=dict)  # the best method's points per target
    paper: dict[str, Any] | None = None  # the paper's published (leaky) numbers
    # few-shot only
    shots: tuple[int, ...] = ()
    draws: int | None = None

    @property
    def per_target(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(list(self.rows))

    @property
    def summary(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(list(self.summary_rows))

    def frame(self) -> pd.DataFrame:
        return self.summary

    @classmethod
    def from_protocol(cls, result: dict[str, Any]) -> Evaluation:
        """Built from the protocol's tallies (`protocol.evaluate`)."""
        agreement = result.get("similarity_agreement")
        return cls(
            modality=result["modality"], targets=tuple(result["targets"]), seeds=result["seeds"],
            rows=tuple(result["rows"]), summary_rows=tuple(result["summary"]), seconds=result["seconds"],
            missing_features=tuple(result["missing_features"]), notes=result["notes"],
            weights=result["weights"], best=result.get("best"), baseline=result.get("baseline"),
            comparisons=tuple(result.get("comparisons", ())), rule=result.get("rule"),
            similarity=result.get("similarity"),
            similarity_agreement=None if agreement is None else tuple(agreement),
            predictions=result.get("predictions", {}), paper=result.get("paper"),
            shots=tuple(result.get("shots", ())), draws=result.get("draws"),
        )  # fmt: skip

    def json(self) -> dict[str, Any]:
        """The JSON object `tg evaluate --format json` prints."""
        common = {"modality": self.modality, "targets": list(self.targets), "seeds": self.seeds}
        tail = {"missing_features": list(self.missing_features), "notes": self.notes}
        if self.shots:
            return common | {
                "shots": list(self.shots), "draws": self.draws, "draw_seeds": list(range(self.draws or 0)),
                "rows": list(self.rows), "summary": list(self.summary_rows), "seconds": self.seconds,
            } | tail  # fmt: skip
        agreement = None if self.similarity_agreement is None else list(self.similarity_agreement)
        return common | {
            "rows": list(self.rows), "summary": list(self.summary_rows), "best": self.best,
            "baseline": self.baseline, "comparisons": list(self.comparisons), "rule": self.rule,
            "similarity": self.similarity, "similarity_agreement": agreement, "seconds": self.seconds,
        } | tail  # fmt: skip

    def report_data(self) -> dict[str, Any]:
        """Everything `--report` draws from: the JSON plus the best method's points and the paper's."""
        return self.json() | {"predictions": self.predictions, "weights": self.weights, "paper": self.paper}

    def write_report(self, folder: Path) -> Path:
        """report.md and PNG plots in `folder` (matplotlib, the [ml] extra); a zero-shot result only."""
        from transfergraph.errors import ParameterError
        from transfergraph.evaluation.report import write_report

        if self.shots:
            raise ParameterError("report", "describes the zero-shot evaluation: run it without shots")
        return write_report(self.report_data(), folder)
