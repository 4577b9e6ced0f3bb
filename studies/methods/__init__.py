"""The methods study (issue 18): `run.py` runs it, `candidates.py` holds the rankings it measured,
`results.md` records the protocol and the measured tables."""
