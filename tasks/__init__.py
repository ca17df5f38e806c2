"""Thin Prefect tasks, one per retryable unit of work; each calls a plain function of the core
(rifeflow.steps, rifeflow.metrics, rifeflow.storage). Submitted to the Dask workers."""
