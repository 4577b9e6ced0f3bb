// A batch of vectors of one run: an EMBEDS {vector} relationship from the run to each node and,
// for the production view, the vector as a node property too (what the Browser and the vector
// index see). $run: the run's elementId; $node_property: property name or null;
// $rows: [{label: 'Model' | 'Dataset', id, vector}].
MATCH (e:EmbeddingRun) WHERE elementId(e) = $run
UNWIND $rows AS row
OPTIONAL MATCH (m:Model {id: row.id}) WHERE row.label = 'Model'
OPTIONAL MATCH (d:Dataset {id: row.id}) WHERE row.label = 'Dataset'
WITH e, row, coalesce(m, d) AS n
WHERE n IS NOT NULL
CREATE (e)-[:EMBEDS {vector: row.vector}]->(n)
FOREACH (_ IN CASE WHEN $node_property IS NULL THEN [] ELSE [1] END | SET n[$node_property] = row.vector)
RETURN count(*) AS written
