"""Reading predictions back: metrics, baselines, `tg evaluate`, `tg recommend` and the report."""
