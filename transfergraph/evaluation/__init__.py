"""`tg evaluate`: the leave-one-target-out protocol (protocol.py), per-target metrics (metrics.py) and
the markdown report (report.py)."""
