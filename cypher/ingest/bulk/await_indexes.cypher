// Wait until every index and constraint is online (after `tg ingest --bulk` created them on a
// freshly imported store, they populate in the background): $seconds = timeout.
CALL db.awaitIndexes($seconds)
