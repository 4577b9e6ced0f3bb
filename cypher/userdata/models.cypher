// The named models with their modality and a local weights folder (`tg model add --from`): $ids.
UNWIND $ids AS id
OPTIONAL MATCH (m:Model {id: id})
RETURN id, m IS NOT NULL AS known, m.modality AS modality, m.weights_path AS weights_path
