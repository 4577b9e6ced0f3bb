// The modality of each of $ids that is in the graph (a dataset that is not has no row).
UNWIND $ids AS id
MATCH (d:Dataset {id: id})
RETURN d.id AS id, d.modality AS modality
