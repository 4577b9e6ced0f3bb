// The method `tg evaluate` found best for a modality, if recorded: $modality.
MATCH (c:Choice {modality: $modality})
RETURN c.method AS method, c.created_at AS created_at
