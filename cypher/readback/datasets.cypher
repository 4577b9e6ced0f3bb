// Every dataset id (for close-match suggestions on a typo).
MATCH (d:Dataset)
RETURN d.id AS id
