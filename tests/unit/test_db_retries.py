"""Which of the driver's retry warnings `tg` keeps quiet (transfergraph/db.py), without a server: the
records are built the way the driver's session logs them. The deadlock case is also exercised
against the real server in tests/server/test_ingest_hostile.py."""

from __future__ import annotations

import logging

import pytest
from neo4j.exceptions import Neo4jError

from transfergraph import db


def _retry_record(code: str) -> logging.LogRecord:
    error = Neo4jError._hydrate_neo4j(code=code, message="retry me")
    return logging.LogRecord(
        "neo4j.session", logging.WARNING, __file__, 0,
        "Transaction failed and will be retried in %ss (%s)", (1.2, error), None,
    )  # fmt: skip


@pytest.mark.parametrize(
    "code", ["Neo.TransientError.Transaction.DeadlockDetected", "Neo.TransientError.Transaction.Outdated"]
)
def test_expected_retries_of_concurrent_writers_are_quiet(code: str) -> None:
    assert db._QUIET.filter(_retry_record(code)) is False


@pytest.mark.parametrize(
    "code",
    [
        "Neo.TransientError.General.MemoryPoolOutOfMemoryError",
        "Neo.TransientError.Transaction.LockClientStopped",
    ],
)
def test_other_retries_still_warn(code: str) -> None:
    assert db._QUIET.filter(_retry_record(code)) is True


def test_other_warnings_pass() -> None:
    record = logging.LogRecord("neo4j.session", logging.WARNING, __file__, 0, "something else", (), None)
    assert db._QUIET.filter(record) is True
