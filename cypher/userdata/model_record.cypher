// The stored record of one model (`tg model add`): its properties and the datasets it was
// pre-trained on; no row when the graph does not have it. $id.
MATCH (m:Model {id: $id})
OPTIONAL MATCH (m)-[:PRETRAINED_ON]->(d:Dataset)
RETURN properties(m) AS props, collect(d.id) AS pretrained_on
