"""Connections: the managed server by default, an external one when NEO4J_URI is set."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import neo4j
from neo4j import GraphDatabase
from neo4j.exceptions import AuthError, ServiceUnavailable, TransientError

from transfergraph import server
from transfergraph.config import Settings
from transfergraph.cypher import query
from transfergraph.errors import ServerDown, TGError
from transfergraph.server.probe import NothingListens, identify

# Transient errors the driver retries and that concurrent upserts expect: its warning is noise.
# Outdated: two writers adding relationships to one popular node (its chain turning dense).
EXPECTED_TRANSIENT = {
    "Neo.TransientError.Transaction.DeadlockDetected",
    "Neo.TransientError.Transaction.Outdated",
}


class _QuietExpectedRetries(logging.Filter):
    """Drop the driver's "Transaction failed and will be retried" warning for an expected transient
    error (a deadlock between concurrent writers, retried and then committed). Other retries, and
    the error the driver raises when its retries run out, still show."""

    def filter(self, record: logging.LogRecord) -> bool:
        if "will be retried" not in str(record.msg):
            return True
        error = record.args[-1] if isinstance(record.args, tuple) and record.args else None
        return not (isinstance(error, TransientError) and error.code in EXPECTED_TRANSIENT)


_QUIET = _QuietExpectedRetries()


def _quiet_expected_retries() -> None:
    logger = logging.getLogger("neo4j.session")  # where the driver logs its retries
    if _QUIET not in logger.filters:
        logger.addFilter(_QUIET)


def check_bolt(settings: Settings) -> None:
    """Fail in seconds, naming the port and what holds it, when something other than Bolt listens.

    (The driver would retry for about a minute, then say the server is down.) Skipped for TLS URIs
    (`neo4j+s://`, `bolt+s://`): their handshake starts with TLS. Nothing listening is for the
    caller's own "not running" message."""
    parts = urlsplit(settings.bolt_uri)
    if parts.scheme not in ("bolt", "neo4j") or parts.hostname is None:
        return
    port = parts.port or 7687
    try:
        found = identify(parts.hostname, port)
    except NothingListens:
        return
    if found is not None:
        fix = "check NEO4J_URI" if settings.external else "stop it or set TG_BOLT_PORT"
        raise TGError(f"port {port} on {parts.hostname} is held by {found}, not Neo4j's Bolt: {fix}")


def driver(settings: Settings) -> neo4j.Driver:
    pw = server.password(settings)
    if pw is None:
        if settings.external:
            raise TGError("NEO4J_URI is set but NEO4J_PASSWORD is not")
        raise ServerDown(
            f"the managed Neo4j has never been started ({settings.server_dir}): run `tg db start`"
        )
    _quiet_expected_retries()
    return GraphDatabase.driver(
        settings.bolt_uri, auth=(settings.username, pw), notifications_min_severity="OFF"
    )


@contextmanager
def connect(settings: Settings) -> Iterator[neo4j.Driver]:
    """A verified driver; a server that is down or refuses us is a one-line error, not a traceback."""
    drv = driver(settings)
    try:
        check_bolt(settings)
    except BaseException:
        drv.close()
        raise
    try:
        drv.verify_connectivity()
    except ServiceUnavailable:
        drv.close()
        hint = "" if settings.external else " (start it with `tg db start`)"
        raise ServerDown(f"Neo4j is not running at {settings.bolt_uri}{hint}") from None
    except AuthError:
        drv.close()
        raise TGError(
            f"Neo4j at {settings.bolt_uri} refused the credentials of user {settings.username!r}"
        ) from None
    try:
        yield drv
    finally:
        drv.close()


def answers(settings: Settings) -> bool:
    """True once Bolt accepts our credentials (used while waiting for a start)."""
    try:
        with driver(settings) as drv:
            drv.verify_connectivity()
        return True
    except (ServiceUnavailable, AuthError, OSError, ServerDown):
        return False


def run(drv: neo4j.Driver, name: str, **params: Any) -> list[dict[str, Any]]:
    """Run the named statement of `cypher/` and return its rows as dicts."""
    records, _, _ = drv.execute_query(query(name), params)
    return [r.data() for r in records]


def columns(drv: neo4j.Driver, name: str, fetch_size: int = 10_000, **params: Any) -> dict[str, list[Any]]:
    """The named statement's rows as one list per column, streamed `fetch_size` records at a time:
    a million rows without a million dicts."""
    out: dict[str, list[Any]] = {}
    with drv.session(default_access_mode=neo4j.READ_ACCESS, fetch_size=fetch_size) as session:
        result = session.run(query(name), params)
        keys = result.keys()
        for key in keys:
            out[key] = []
        lists = [out[k] for k in keys]
        for record in result:
            for values, value in zip(lists, record.values(), strict=True):
                values.append(value)
    return out
