// Upsert (:Dataset)-[:SIMILAR_TO {probe_model, distance}]->(:Dataset), one per unordered pair and
// probe model, stored from the lower id to the higher (read it undirected):
// $rows = [{a, b, probe, props}] with a < b.
UNWIND $rows AS row
MATCH (a:Dataset {id: row.a}), (b:Dataset {id: row.b})
OPTIONAL MATCH (a)-[old:SIMILAR_TO {probe_model: row.probe}]->(b)
WITH row, a, b, CASE WHEN old IS NULL THEN null ELSE properties(old) END AS before
MERGE (a)-[r:SIMILAR_TO {probe_model: row.probe}]->(b)
SET r += row.props
WITH before, properties(r) AS after
RETURN count(CASE WHEN before IS NULL THEN 1 END) AS created,
       count(CASE WHEN before IS NOT NULL AND before <> after THEN 1 END) AS updated,
       count(CASE WHEN before = after THEN 1 END) AS unchanged
