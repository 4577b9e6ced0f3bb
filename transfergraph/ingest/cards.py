"""`tg ingest model-cards` as an ingest job: read every source card by card, validate, then write
through `jobs.Job` (transactionally, or with `bulk` one import into the empty database), and account
for every card and result read.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from transfergraph.errors import ParameterError
from transfergraph.ingest.jobs import IngestResult, Job
from transfergraph.loaders import model_cards, storable
from transfergraph.loaders.records import Records

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class CardsResult:
    """What one ingest of model cards read, skipped and wrote.

    `ingest`: per entity (rows, created, updated, unchanged, skipped), as every ingest; `cards`: the
    account of every card and result read (`account()`, `account_frame()`); `last_modified`: the
    latest card date read (pass it as `since` next time to read only newer cards)."""

    ingest: IngestResult
    cards: model_cards.Tally

    @property
    def source(self) -> str:
        return self.ingest.source

    @property
    def dry_run(self) -> bool:
        return self.ingest.dry_run

    @property
    def last_modified(self) -> str | None:
        return self.cards.last_modified

    def frame(self) -> pd.DataFrame:
        """Per entity: rows, created, updated, unchanged, skipped (as `IngestResult.frame()`)."""
        return self.ingest.frame()

    def account(self) -> list[dict[str, Any]]:
        """Every card and result read, by what became of it (one row per reason)."""
        c = self.cards
        rows: list[dict[str, Any]] = [
            {"level": "cards", "outcome": "read", "count": c.cards},
            {"level": "cards", "outcome": "gave runs", "count": c.with_runs},
            *_rows("cards", "skipped: ", c.cards_skipped),
            {"level": "results", "outcome": "read", "count": c.results},
            {"level": "results", "outcome": "became runs", "count": c.runs},
            *_rows("results", "skipped: ", c.results_skipped),
            *_rows("runs", "normalised: ", c.normalised),
            *_rows("cards", "base model from ", c.base_from),
        ]
        return rows

    def account_frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(self.account(), columns=["level", "outcome", "count"])


def _rows(level: str, prefix: str, counter: Counter[str]) -> list[dict[str, Any]]:
    ordered = sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))
    return [{"level": level, "outcome": prefix + reason, "count": n} for reason, n in ordered]


def sources(paths: Sequence[Path]) -> tuple[list[Path], list[Path]]:
    """(JSONL files, card folders): a folder is read as OWNER/NAME/README.md cards."""
    return [p for p in paths if not p.is_dir()], [p for p in paths if p.is_dir()]


def rules(metrics: Sequence[str], modality: str | None, since: str | datetime | None) -> model_cards.Rules:
    """Rules from arguments; ParameterError naming the bad one."""
    try:
        return model_cards.check_rules(metrics, modality, since)
    except ValueError as e:
        name, _, problem = str(e).partition(":")
        raise ParameterError(name.strip(), problem.strip()) from None


def model_cards_job(
    job: Job,
    paths: Sequence[Path] = (),
    *,
    hub: tuple[str | None, str | None, int] | None = None,
    metrics: Sequence[str] = ("accuracy",),
    modality: str | None = None,
    since: str | datetime | None = None,
    report: Path | None = None,
) -> CardsResult:
    """Read every card of `paths` (JSONL files of Hub records, folders of cards) and `hub` (search,
    pipeline tag, limit), validate all, then write. InvalidInput (nothing written) for a machine-made
    file that is not what it claims; `report` lists every skipped card and result."""
    if not paths and hub is None:
        raise ParameterError("sources", "name a JSONL file or a folder of cards, or read the Hub")
    chosen = rules(metrics, modality, since)
    files, folders = sources(paths)
    account: list[model_cards.Tally] = []

    def load() -> list[Records]:
        records, tally = model_cards.load(files, folders, chosen, hub, report)
        account.append(tally)
        return [storable.check(records)]

    done = job.run(load)
    return CardsResult(done, account[0])
