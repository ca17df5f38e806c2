"""Waiting on chunk futures with our own timeout (Dask does not enforce Prefect's)."""
from __future__ import annotations

import time

from manifests.records import VideoManifest
from rifeflow import steps

POLL_SECONDS = 0.2


class ChunkTimeoutError(TimeoutError):
    pass


def collect_chunk_results(futures, manifest: VideoManifest, dest_uri: str, timeout_s: float) -> VideoManifest:
    """Record each chunk result in the manifest as it arrives.

    If no chunk finishes within `timeout_s`, every running chunk has run that long:
    cancel the rest and fail, keeping what finished for the next run.
    """
    pending = list(futures)
    last_progress = time.monotonic()
    while pending:
        done = [f for f in pending if f.wrapped_future.done()]
        if not done:
            if time.monotonic() - last_progress > timeout_s:
                for future in pending:
                    future.wrapped_future.cancel()
                raise ChunkTimeoutError(f"{manifest.source_uri}: no chunk finished within {timeout_s:.0f} s; "
                                        f"{len(pending)} chunks cancelled")
            time.sleep(POLL_SECONDS)
            continue
        for future in done:
            pending.remove(future)
            manifest = steps.save_manifest(dest_uri, manifest.with_result(future.result()))
        last_progress = time.monotonic()
    return manifest.model_copy(update={"status": "interpolated"})
