"""Prediction: per-(model, dataset) features from a view, regressors, PREDICTED edges."""
