"""Loaders: one module per source, each turning it into canonical `Records` (records.py).

The folder sits at the top of the source tree; it is the package `transfergraph.loaders`
(`transfergraph/loaders` links here, and the wheel installs it there), so no top-level
`loaders` package lands in site-packages.
"""
