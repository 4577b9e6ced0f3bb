"""loaders/tabular.py's cut-file check (`_open_quote`, run on every CSV the Records path reads):
the quote-to-quote jump gives the answer of the character loop it replaced."""

from __future__ import annotations

import random

from transfergraph.loaders import tabular


def _open_quote_reference(text: str) -> int | None:
    """The character-by-character scan `tabular._open_quote` replaced (kept to check the new one)."""
    line, at_field_start, quoted, opened = 1, True, False, 0
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "\r" and i + 1 < n and text[i + 1] == "\n":
            i += 1
            c = "\n"
        if quoted:
            if c == '"':
                if i + 1 < n and text[i + 1] == '"':
                    i += 2
                    continue
                quoted = False
        elif c == '"' and at_field_start:
            quoted, opened = True, line
        if c in "\n\r":
            line += 1
        at_field_start = not quoted and c in ",\n\r"
        i += 1
    return opened if quoted else None


def test_open_quote_jumps_between_quotes_with_the_same_answer() -> None:
    """The cut-file check of loaders/tabular.py (on every CSV the Records path reads) gives the old
    scan's answer on random texts of quotes, separators and line ends."""
    rng = random.Random(11)
    for _ in range(20_000):
        text = "".join(rng.choice('"",\n\r\r\nab') for _ in range(rng.randrange(0, 24)))
        assert tabular._open_quote(text) == _open_quote_reference(text), repr(text)
