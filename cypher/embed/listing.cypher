// One row per stored embedding (tg embed list).
MATCH (e:EmbeddingRun)
RETURN e.view AS view, e.method AS method, e.modality AS modality, e.nodes AS nodes, e.dim AS dim,
       e.seed AS seed, e.seconds AS seconds, e.created_at AS created_at, e.auc AS auc
ORDER BY view, method, modality
