// Dataset-dataset edges (docs/method.md, "The learning graph": the threshold is applied).
// similarity = 1 - distance, min-max normalised over all pairs of the $probe's distances;
// kept if > $similarity (0 keeps all pairs but the farthest, as the paper's code did).
// Stored once per pair (lower id -> higher id); read them undirected. A pair an earlier probe of
// the view already placed keeps that edge (probes are applied in cypher/graph/probes.cypher's
// order).
MATCH (a:Dataset)-[s:SIMILAR_TO {probe_model: $probe}]->(b:Dataset)
WITH collect({a: a, b: b, distance: s.distance}) AS pairs, min(s.distance) AS lo, max(s.distance) AS hi
WHERE hi > lo
UNWIND pairs AS pair
WITH pair.a AS a, pair.b AS b, (hi - pair.distance) / (hi - lo) AS similarity
WHERE similarity > $similarity
  AND NOT EXISTS { (a)-[:SIMILARITY_EDGE {view: $view}]-(b) }
CREATE (a)-[:SIMILARITY_EDGE {view: $view, similarity: similarity, probe_model: $probe}]->(b)
RETURN count(*) AS edges
