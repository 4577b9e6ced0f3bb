// Who holds the lock, if anyone.
MATCH (l:SyncLock {name: $lock})
RETURN l.owner AS owner, l.since AS since, l.expires AS expires, timestamp() AS now
