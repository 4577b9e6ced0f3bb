// Where a dataset's data was read from by `tg dataset add/embed`, so `tg score` reads the same
// seeded sample: $id. No row: no such dataset.
MATCH (d:Dataset {id: $id})
RETURN d.modality AS modality, d.data_source AS source, d.data_label_col AS label_col,
       d.data_text_col AS text_col, d.probe_sample AS sample, d.probe_seed AS seed
