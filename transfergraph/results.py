"""What the facade's methods return: small frozen dataclasses a notebook reads as attributes, each with
`.frame()` for a pandas DataFrame (pandas is imported only then: `tg recommend` never loads it).

A one-row result subclasses `Record`; a table of rows subclasses `Table`, whose `rows` are records.
The CLI prints `records()` / `record()`: the data model is these classes, the output formats follow.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    import pandas as pd


def _plain(value: Any) -> Any:
    return [_plain(v) for v in value] if isinstance(value, tuple) else value


@dataclass(frozen=True)
class Record:
    """One row: `record()` is a dict of its fields (tuples as lists), `frame()` a one-row DataFrame."""

    def record(self) -> dict[str, Any]:
        return {f.name: _plain(getattr(self, f.name)) for f in fields(self)}

    def frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame([self.record()])


R = TypeVar("R", bound=Record)


@dataclass(frozen=True)
class Table(Generic[R]):
    """Rows of one kind, in order: iterable, sized, indexable; `records()` and `frame()` give them all."""

    rows: tuple[R, ...]

    def __iter__(self) -> Iterator[R]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, i: int) -> R:
        return self.rows[i]

    def records(self) -> list[dict[str, Any]]:
        return [r.record() for r in self.rows]

    def frame(self) -> pd.DataFrame:
        import pandas as pd

        names = [f.name for f in fields(self.rows[0])] if self.rows else None
        return pd.DataFrame(self.records(), columns=names)
