"""Prefect tasks that record a run: metrics rows on the store, artifacts in the Prefect UI."""
from __future__ import annotations

from datetime import datetime

from prefect import task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE

from rifeflow.manifests.records import VideoOutcome
from rifeflow.metrics import report, store as metrics_store
from rifeflow.storage.manifest_store import load_manifest
from rifeflow.tasks.video_tasks import transient_only


@task(name="metrics-row", retries=2, retry_delay_seconds=[2, 10], retry_condition_fn=transient_only,
      cache_policy=NO_CACHE)
def metrics_row(outcome: VideoOutcome, dest_uri: str, run_id: str, attempt: int, run_started_at: datetime,
                workers: int) -> dict:
    """The video's row, from its outcome and its manifest's figures (read from the store)."""
    from rifeflow.metrics.facts import provenance

    manifest = load_manifest(dest_uri, outcome.video_key) if outcome.video_key else None
    return metrics_store.build_row(outcome, manifest, run_id, attempt, run_started_at, workers, provenance())


@task(name="publish-metrics", retries=3, retry_delay_seconds=[2, 10, 30], retry_condition_fn=transient_only,
      cache_policy=NO_CACHE)
def publish_metrics(rows: list[dict], dest_uri: str, run_id: str, attempt: int, run_started_at: datetime) -> str | None:
    return metrics_store.write_run(dest_uri, rows, run_id, attempt, run_started_at)


@task(name="publish-run-report", cache_policy=NO_CACHE)
def publish_run_report(rows: list[dict], dest_uri: str) -> None:
    create_table_artifact(key="rifeflow-videos", table=report.artifact_table(rows),
                          description=f"Videos of this run; metrics in {dest_uri}/metrics/")
    create_markdown_artifact(key="rifeflow-summary", markdown=report.run_markdown(rows, dest_uri),
                             description="rifeflow run summary")
