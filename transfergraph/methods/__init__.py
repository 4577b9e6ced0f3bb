"""Ranking methods as pure functions (frames in, scores out), measured in benchmarks/methods_study.py."""
