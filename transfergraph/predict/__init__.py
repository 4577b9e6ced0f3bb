"""`tg predict`: fit a ranker on a view and write its scores as PREDICTED edges."""
