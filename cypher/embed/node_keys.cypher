// (label, id) of the nodes GDS streamed back by their internal ids.
// $ids: GDS node ids.
UNWIND $ids AS node
WITH node, gds.util.asNode(node) AS n
RETURN node, CASE WHEN n:Model THEN 'Model' ELSE 'Dataset' END AS label, n.id AS id
