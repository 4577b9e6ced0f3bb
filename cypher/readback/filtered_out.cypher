// What the filters of readback/recommend.cypher (same parameters, same conditions) left of the
// models ranked for a dataset, and what they filtered out by reason: one row. `candidates`: the
// ranked models (untried ones only with $exclude_tried), `kept`: those satisfying every filter;
// per filter, how many fail it (`over_*`, `other_*`, `excluded`) and how many lack the property it
// reads (`no_*`, failing it too); `top_k`: how many models per dataset `tg predict` kept. Reads only the dataset's own PREDICTED of the view and method.
// $dataset, $view, $method, $exclude_tried, $max_params, $max_memory, $bytes_per_parameter,
// $model_types, $architectures, $licenses, $exclude.
MATCH (m:Model)-[p:PREDICTED {view: $view, method: $method}]->(t:Dataset {id: $dataset})
WHERE NOT $exclude_tried OR NOT EXISTS { (m)-[:FINETUNED_ON]->(t) }
WITH m, p,
     CASE WHEN valueType(m.architectures) = 'STRING NOT NULL' THEN [m.architectures]
          ELSE m.architectures END AS archs,
     CASE WHEN valueType(m.licenses) = 'STRING NOT NULL' THEN [m.licenses] ELSE m.licenses END AS licences
WITH m, p, archs, licences,
     $max_params IS NOT NULL AND m.num_parameters IS NULL AS no_params,
     $max_params IS NOT NULL AND m.num_parameters > $max_params AS over_params,
     $max_memory IS NOT NULL AND m.num_parameters * $bytes_per_parameter > $max_memory AS over_memory,
     $model_types IS NOT NULL AND m.model_type IS NULL AS no_model_type,
     $model_types IS NOT NULL AND NOT toLower(m.model_type) IN $model_types AS other_model_type,
     $architectures IS NOT NULL AND (archs IS NULL OR size(archs) = 0) AS no_architecture,
     $architectures IS NOT NULL AND size(archs) > 0
       AND none(a IN archs WHERE toLower(a) IN $architectures) AS other_architecture,
     $licenses IS NOT NULL AND (licences IS NULL OR size(licences) = 0) AS no_license,
     $licenses IS NOT NULL AND size(licences) > 0
       AND none(l IN licences WHERE toLower(l) IN $licenses) AS other_license,
     any(x IN $exclude WHERE m.id =~ x) AS excluded
WITH *, $max_memory IS NOT NULL AND m.num_parameters IS NULL AS no_memory
RETURN count(m) AS candidates, max(p.top_k) AS top_k,
       count(CASE WHEN NOT (no_params OR over_params OR no_memory OR over_memory OR no_model_type
                            OR other_model_type OR no_architecture OR other_architecture OR no_license
                            OR other_license OR excluded) THEN 1 END) AS kept,
       count(CASE WHEN over_params THEN 1 END) AS over_params,
       count(CASE WHEN no_params THEN 1 END) AS no_params,
       count(CASE WHEN over_memory THEN 1 END) AS over_memory,
       count(CASE WHEN no_memory THEN 1 END) AS no_memory,
       count(CASE WHEN other_model_type THEN 1 END) AS other_model_type,
       count(CASE WHEN no_model_type THEN 1 END) AS no_model_type,
       count(CASE WHEN other_architecture THEN 1 END) AS other_architecture,
       count(CASE WHEN no_architecture THEN 1 END) AS no_architecture,
       count(CASE WHEN other_license THEN 1 END) AS other_license,
       count(CASE WHEN no_license THEN 1 END) AS no_license,
       count(CASE WHEN excluded THEN 1 END) AS excluded
