// GDS's running jobs: name, sub-tasks finished of all, and the innermost running one with its
// progress (benchmarks/embed_bench.py prints this while Node2Vec runs).
CALL gds.listProgress() YIELD jobId, taskName AS job, status
WHERE status = 'RUNNING'
CALL gds.listProgress(jobId) YIELD taskName, progress, status AS state
WITH job, trim(replace(taskName, '|--', '')) AS task, progress, state
RETURN job, sum(CASE state WHEN 'FINISHED' THEN 1 ELSE 0 END) AS finished, count(*) AS tasks,
       last(collect(CASE WHEN state = 'RUNNING' THEN task + ' ' + progress END)) AS now
