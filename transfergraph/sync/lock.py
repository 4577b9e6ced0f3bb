"""The one lock of `tg sync` on a graph: a `(:SyncLock {name: "sync"})` node with owner and expiry.

In the graph rather than a file beside the managed server's folder: a sync against NEO4J_URI may
run on any machine, and the graph is the one thing every sync of it shares. Taking it is one
transaction (cypher/sources/lock_acquire.cypher) under a uniqueness constraint, so two syncs never
both hold it. The expiry (a lease, renewed between a sync's steps) frees a lock whose holder died
on another machine; a holder on this machine whose process is gone is taken over at once. Times
are the server's clock (`timestamp()`), so machines with skewed clocks agree.
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import neo4j

from transfergraph.db import run
from transfergraph.errors import TGError

NAME = "sync"
LEASE_SECONDS = 3600  # a holder renews it between steps: one step (a view rebuild) may take this long
POLL_SECONDS = 2.0


class Busy(TGError):
    """Another sync holds the lock."""

    exit_code = 3


def owner_id() -> str:
    """host:pid:token: the token tells two syncs of one process apart (the API in threads)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _dead_here(owner: str | None) -> bool:
    """Whether `owner` is a process of this machine that is gone."""
    if not owner:
        return False
    host, _, pid = owner.rpartition(":")[0].rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _ms(value: int | None) -> str:
    return (
        "?" if value is None else datetime.fromtimestamp(value / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    )


def acquire(drv: neo4j.Driver, owner: str, wait: float = 0.0, lease: float = LEASE_SECONDS) -> None:
    """Take the lock, waiting up to `wait` seconds for its holder; Busy (one line) otherwise."""
    deadline = time.monotonic() + wait
    while True:
        held = run(drv, "sources/lock_read", lock=NAME)
        takeover = held[0]["owner"] if held and _dead_here(held[0]["owner"]) else None
        row = run(drv, "sources/lock_acquire", lock=NAME, owner=owner, takeover=takeover,
                  lease_ms=int(lease * 1000))[0]  # fmt: skip
        if row["acquired"]:
            return
        if time.monotonic() >= deadline:
            waited = f" after waiting {wait:g} s" if wait else ""
            raise Busy(
                f"another tg sync holds this graph's lock{waited} (owner {row['owner']}, since "
                f"{_ms(row['since'])}, expires {_ms(row['expires'])}): try later or pass --wait SECONDS"
            )
        time.sleep(min(POLL_SECONDS, max(0.0, deadline - time.monotonic())))


def renew(drv: neo4j.Driver, owner: str, lease: float = LEASE_SECONDS) -> None:
    if not run(drv, "sources/lock_renew", lock=NAME, owner=owner, lease_ms=int(lease * 1000)):
        raise TGError("this tg sync lost the graph's lock (it expired and another sync took it): stopped")


def release(drv: neo4j.Driver, owner: str) -> None:
    run(drv, "sources/lock_release", lock=NAME, owner=owner)


@contextmanager
def held(drv: neo4j.Driver, wait: float = 0.0, lease: float = LEASE_SECONDS) -> Iterator[str]:
    """The lock for the block's duration (released on any exit); yields the owner id."""
    owner = owner_id()
    from transfergraph import ingest

    ingest.apply_schema(drv)  # the uniqueness constraint the lock relies on
    acquire(drv, owner, wait, lease)
    try:
        yield owner
    finally:
        release(drv, owner)
