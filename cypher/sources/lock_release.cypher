// Give the lock back: only its owner removes it.
MATCH (l:SyncLock {name: $lock})
WHERE l.owner = $owner
DELETE l
RETURN count(*) AS released
