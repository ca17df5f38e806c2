"""Prefect tasks that record a run: metrics rows on the store, artifacts in the Prefect UI."""
from __future__ import annotations

from datetime import datetime

from prefect import task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE

from rifeflow.metrics import dataset, report
from rifeflow.tasks.video_tasks import transient_only


@task(name="publish-metrics", retries=3, retry_delay_seconds=[2, 10, 30], retry_condition_fn=transient_only,
      cache_policy=NO_CACHE)
def publish_metrics(rows: list[dict], dest_uri: str, run_id: str, attempt: int, run_started_at: datetime) -> str | None:
    return dataset.write_run(dest_uri, rows, run_id, attempt, run_started_at)


@task(name="publish-run-report", cache_policy=NO_CACHE)
def publish_run_report(rows: list[dict], dest_uri: str) -> None:
    create_table_artifact(key="rifeflow-videos", table=report.artifact_table(rows),
                          description=f"Videos of this run; metrics in {dest_uri}/metrics/")
    create_markdown_artifact(key="rifeflow-summary", markdown=report.run_markdown(rows, dest_uri),
                             description="rifeflow run summary")
