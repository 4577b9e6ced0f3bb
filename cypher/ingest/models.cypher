// Upsert Model nodes: $rows = [{id, modality, props}]. A loader sends only the properties it
// knows, so `+=` never erases what another loader wrote. Returns created / updated / unchanged.
UNWIND $rows AS row
OPTIONAL MATCH (old:Model {id: row.id})
WITH row, CASE WHEN old IS NULL THEN null ELSE properties(old) END AS before
MERGE (n:Model {id: row.id})
  ON CREATE SET n.modality = row.modality
SET n += row.props
SET n.modality = coalesce(n.modality, row.modality)
WITH before, properties(n) AS after
RETURN count(CASE WHEN before IS NULL THEN 1 END) AS created,
       count(CASE WHEN before IS NOT NULL AND before <> after THEN 1 END) AS updated,
       count(CASE WHEN before = after THEN 1 END) AS unchanged
