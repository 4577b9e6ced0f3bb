// The graph's schema, applied idempotently by `tg db init` and before every `tg ingest`.
// Each `// name:` section is one statement.

// name: model_id_unique
CREATE CONSTRAINT model_id_unique IF NOT EXISTS FOR (m:Model) REQUIRE m.id IS UNIQUE;

// name: dataset_id_unique
CREATE CONSTRAINT dataset_id_unique IF NOT EXISTS FOR (d:Dataset) REQUIRE d.id IS UNIQUE;

// name: model_modality
CREATE INDEX model_modality IF NOT EXISTS FOR (m:Model) ON (m.modality);

// name: dataset_modality
CREATE INDEX dataset_modality IF NOT EXISTS FOR (d:Dataset) ON (d.modality);

// name: drop_run_id_index
// (an index from before the constraint below, which brings its own)
DROP INDEX finetuned_on_run_id IF EXISTS;

// name: run_id_unique
CREATE CONSTRAINT finetuned_on_run_id_unique IF NOT EXISTS FOR ()-[r:FINETUNED_ON]-() REQUIRE r.run_id IS UNIQUE;

// name: transferability_metric
CREATE INDEX transferability_metric IF NOT EXISTS FOR ()-[r:TRANSFERABILITY]-() ON (r.metric);

// name: similar_to_probe
CREATE INDEX similar_to_probe IF NOT EXISTS FOR ()-[r:SIMILAR_TO]-() ON (r.probe_model);

// name: source_state_key_unique
CREATE CONSTRAINT source_state_key_unique IF NOT EXISTS FOR (s:SourceState) REQUIRE s.key IS UNIQUE;

// name: sync_lock_name_unique
// (two syncs racing to create the lock node: the constraint lets only one MERGE create it)
CREATE CONSTRAINT sync_lock_name_unique IF NOT EXISTS FOR (l:SyncLock) REQUIRE l.name IS UNIQUE;
