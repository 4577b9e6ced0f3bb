// The modality of a dataset, or nothing if the graph does not know it (view targets are checked).
MATCH (d:Dataset {id: $id})
RETURN d.modality AS modality
