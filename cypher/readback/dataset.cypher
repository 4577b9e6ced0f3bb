// One dataset's modality, or no row: $id.
MATCH (d:Dataset {id: $id})
RETURN d.id AS id, d.modality AS modality
