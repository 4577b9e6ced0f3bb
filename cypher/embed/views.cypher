// The names of the views that exist (to check an embedding's view and list the choices).
MATCH (v:View)
RETURN v.name AS name, v.modality AS modality
ORDER BY name
