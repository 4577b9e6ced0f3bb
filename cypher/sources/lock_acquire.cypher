// Take the graph's sync lock (transfergraph/sync/lock.py) unless another owner holds an unexpired
// one. Setting `claimed` first takes the node's write lock, so two syncs racing here are ordered:
// the second reads the first's owner once it committed. $takeover: an owner known dead (same
// host, its process gone) whose lock may be taken before it expires.
MERGE (l:SyncLock {name: $lock})
SET l.claimed = timestamp()
WITH l, l.owner AS holder, l.expires AS expires
WITH l, holder, expires,
     holder IS NULL OR holder = $owner OR holder = $takeover OR expires < timestamp() AS free
CALL (l, free) {
  WITH l, free
  WHERE free
  SET l.owner = $owner, l.since = timestamp(), l.expires = timestamp() + $lease_ms
}
RETURN free AS acquired, CASE WHEN free THEN $owner ELSE holder END AS owner,
       l.since AS since, l.expires AS expires, timestamp() AS now
