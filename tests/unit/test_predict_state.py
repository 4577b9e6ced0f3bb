"""The saved predict state (transfergraph/predict/state.py): one file per view stamp, so servers
that share the cache keep their own, and a refresh's stale predecessor goes."""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

import pytest

from transfergraph import config
from transfergraph.predict import state


def _state(stamp: str) -> state.State:
    return state.State(stamp=stamp, models=3, edges=None, fitted=None, calibration=(None, None, None))  # type: ignore[arg-type]


def test_states_are_kept_per_stamp_and_pruned(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TG_CACHE_DIR", str(tmp_path))
    settings = config.load()
    stamps = [str(uuid.uuid4()) for _ in range(5)]
    for i, stamp in enumerate(stamps):  # five servers' full runs, oldest first
        state.save(settings, "all", "model-prior", "image", _state(stamp), replaces=None)
        os.utime(state.path(settings, "all", "model-prior", "image", stamp), (time.time() - 100 + i,) * 2)
    state.save(settings, "all", "rf+none", "image", _state(stamps[0]), replaces=None)  # another method
    kept = [s for s in stamps if state.load(settings, "all", "model-prior", "image", s) is not None]
    assert kept == stamps[-state.KEEP :]
    assert state.load(settings, "all", "rf+none", "image", stamps[0]) is not None
    loaded = state.load(settings, "all", "model-prior", "image", stamps[-1])
    assert loaded is not None and loaded.stamp == stamps[-1] and loaded.models == 3
    assert state.load(settings, "all", "model-prior", "text", stamps[-1]) is None

    refreshed = str(uuid.uuid4())  # a refresh of one dataset on the newest server
    state.save(settings, "all", "model-prior", "image", _state(refreshed), replaces=stamps[-1])
    assert state.load(settings, "all", "model-prior", "image", stamps[-1]) is None
    assert state.load(settings, "all", "model-prior", "image", refreshed) is not None
    assert state.load(settings, "all", "model-prior", "image", stamps[-2]) is not None  # another server's


def test_a_state_under_another_stamps_name_is_not_taken(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TG_CACHE_DIR", str(tmp_path))
    settings = config.load()
    a, b = str(uuid.uuid4()), str(uuid.uuid4())
    state.save(settings, "all", "model-prior", "image", _state(a), replaces=None)
    state.path(settings, "all", "model-prior", "image", a).rename(
        state.path(settings, "all", "model-prior", "image", b)
    )
    assert state.load(settings, "all", "model-prior", "image", b) is None
    state.path(settings, "all", "model-prior", "image", b).write_bytes(b"not a pickle")
    assert state.load(settings, "all", "model-prior", "image", b) is None
