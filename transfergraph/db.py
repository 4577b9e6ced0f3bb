"""Connections: the managed server by default, an external one when NEO4J_URI is set."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import neo4j
from neo4j import GraphDatabase
from neo4j.exceptions import AuthError, ServiceUnavailable

from transfergraph import server
from transfergraph.config import Settings
from transfergraph.cypher import query
from transfergraph.errors import ServerDown, TGError


def driver(settings: Settings) -> neo4j.Driver:
    pw = server.password(settings)
    if pw is None:
        if settings.external:
            raise TGError("NEO4J_URI is set but NEO4J_PASSWORD is not")
        raise ServerDown(
            f"the managed Neo4j has never been started ({settings.server_dir}): run `tg db start`"
        )
    return GraphDatabase.driver(
        settings.bolt_uri, auth=(settings.username, pw), notifications_min_severity="OFF"
    )


@contextmanager
def connect(settings: Settings) -> Iterator[neo4j.Driver]:
    """A verified driver; a server that is down or refuses us is a one-line error, not a traceback."""
    drv = driver(settings)
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
