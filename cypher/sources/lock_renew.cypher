// Extend the lock this owner holds (between a sync's steps); no row when it lost it.
MATCH (l:SyncLock {name: $lock})
WHERE l.owner = $owner
SET l.expires = timestamp() + $lease_ms
RETURN l.expires AS expires
