"""The catalog's steps as plain functions, one per retryable unit of work, run on Dask workers by
the tasks in rifeflow.tasks: split a source into chunks (prepare), interpolate a chunk (chunk),
join the chunks and mux the audio (stitch). No Prefect, no Dask."""
