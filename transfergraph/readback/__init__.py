"""Reading predictions back: `tg recommend` (ranked models with their evidence)."""
