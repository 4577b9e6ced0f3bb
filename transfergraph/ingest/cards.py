"""`tg ingest model-cards` as a library call: read every source card by card, validate, then write
(transactionally, or `--bulk` into an empty database) and account for every card.

Kept apart from the CLI so that `TransferGraph.ingest_model_cards` and the command make the same
one call (and the ingest orchestration can take it over as it is).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from transfergraph import db, ingest
from transfergraph.config import Settings
from transfergraph.errors import ParameterError
from transfergraph.loaders import model_cards, storable
from transfergraph.schema import ENTITIES

if TYPE_CHECKING:
    import neo4j
    import pandas as pd


@dataclass(frozen=True)
class CardsResult:
    """What one ingest of model cards read, skipped and wrote.

    `summary` per entity (rows, created, updated, unchanged, skipped); `cards` accounts for every
    card and result read; `last_modified` is the latest card date read (give it as `since` next
    time to read only newer cards)."""

    source: str
    dry_run: bool
    counts: dict[str, int]
    summary: dict[str, ingest.Tally]
    cards: model_cards.Tally

    @property
    def last_modified(self) -> str | None:
        return self.cards.last_modified

    def rows(self) -> list[dict[str, Any]]:
        """One row per entity, as every `tg ingest` prints it."""
        out = []
        for entity in ENTITIES:
            t = self.summary.get(entity, ingest.Tally())
            row: dict[str, Any] = {"entity": entity, "rows": self.counts[entity]}
            if not self.dry_run:
                row |= {"created": t.created, "updated": t.updated, "unchanged": t.unchanged}
            row |= {"skipped": t.skipped, "reasons": t.reasons}
            out.append(row)
        return out

    def account(self) -> list[dict[str, Any]]:
        """Every card and result read, by what became of it (one row per reason)."""
        c = self.cards
        rows: list[dict[str, Any]] = [
            {"level": "cards", "outcome": "read", "count": c.cards},
            {"level": "cards", "outcome": "gave runs", "count": c.with_runs},
        ]
        rows += [
            {"level": "cards", "outcome": f"skipped: {r}", "count": n} for r, n in _by_count(c.cards_skipped)
        ]
        rows += [
            {"level": "results", "outcome": "read", "count": c.results},
            {"level": "results", "outcome": "became runs", "count": c.runs},
        ]
        rows += [
            {"level": "results", "outcome": f"skipped: {r}", "count": n}
            for r, n in _by_count(c.results_skipped)
        ]
        rows += [
            {"level": "runs", "outcome": f"normalised: {r}", "count": n} for r, n in _by_count(c.normalised)
        ]
        rows += [
            {"level": "cards", "outcome": f"base model from {r}", "count": n}
            for r, n in _by_count(c.base_from)
        ]
        return rows

    def frame(self) -> pd.DataFrame:
        """The per-entity summary as a DataFrame (`account_frame()`: the cards' account)."""
        import pandas as pd

        return pd.DataFrame([{k: v for k, v in r.items() if k != "reasons"} for r in self.rows()])

    def account_frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(self.account())


def _by_count(counter: Any) -> list[tuple[str, int]]:
    return sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))


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


def ingest_model_cards(
    settings: Settings,
    paths: Sequence[Path] = (),
    *,
    hub: tuple[str | None, str | None, int] | None = None,
    metrics: Sequence[str] = ("accuracy",),
    modality: str | None = None,
    since: str | datetime | None = None,
    report: Path | None = None,
    batch_size: int = 5000,
    dry_run: bool = False,
    use_bulk: bool = False,
    driver: neo4j.Driver | None = None,
    on_batch: Callable[[str, int], None] | None = None,
) -> CardsResult:
    """Read every card of `paths` (JSONL files of Hub records, folders of cards) and `hub` (search,
    pipeline tag, limit), validate all, then write. InvalidInput (nothing written) for a machine-made
    file that is not what it claims; `report` lists every skipped card and result."""
    from transfergraph.ingest import bulk

    if not paths and hub is None:
        raise ParameterError("paths", "name a JSONL file or a folder of cards, or read the Hub")
    chosen = rules(metrics, modality, since)
    if use_bulk and not dry_run:
        bulk.check_empty(settings)  # refuse before reading a large source
    files, folders = sources(paths)
    records, cards = model_cards.load(files, folders, chosen, hub, report)
    storable.check(records)
    counts = records.counts()
    if dry_run:
        summary = ingest.planned(records)
    elif use_bulk:
        summary = bulk.load(settings, [records], checked=True)
    elif driver is not None:
        summary = ingest.write(driver, records, batch_size, on_batch=on_batch, checked=True)
    else:
        with db.connect(settings) as drv:
            summary = ingest.write(drv, records, batch_size, on_batch=on_batch, checked=True)
    return CardsResult(records.source, dry_run, counts, summary, cards)
