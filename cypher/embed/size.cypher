// The size of one modality of a view's learning graph, counted before exporting it: every derived
// edge (positive, negative, similarity) and the nodes they touch (cypher/embed/edges and nodes
// export exactly these). GraphSAGE/GAT refuse from it early when even its memory lower bound is
// over TG_GNN_MEMORY. $view, $modality.
MATCH (a)-[r:ACCURACY_EDGE|PRETRAINED_EDGE|TRANSFER_EDGE|SIMILARITY_EDGE {view: $view}]->(b:Dataset)
WHERE b.modality = $modality
UNWIND [a, b] AS n
RETURN count(DISTINCT r) AS edges, count(DISTINCT n) AS nodes
