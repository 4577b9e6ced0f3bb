// Wait until the vector indexes are online (a Browser query right after `tg embed` must find them).
CALL db.awaitIndexes(300)
