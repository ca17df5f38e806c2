"""Prefect and Dask plumbing for a catalog run, used by the flows and `rifeflow run` (never by the
core): the Prefect API and its temporary server, the Dask cluster, waiting on task futures, and
the run's progress artifact. The flow process runs this; workers never import it."""
