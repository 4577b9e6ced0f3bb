// Every SIMILAR_TO distance of one probe: $probe (pairs are stored from the lower id to the higher).
MATCH (a:Dataset)-[s:SIMILAR_TO {probe_model: $probe}]->(b:Dataset)
RETURN a.id AS a, b.id AS b, s.distance AS distance
