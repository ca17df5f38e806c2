"""The web page's process over many failing jobs: every job's write fails (its disk is full) and the
process keeps no thread, file descriptor or memory from it.

Memory is judged on the second half of the jobs: over the first ones the allocator settles (rifeflow
keeps up to 256 MiB of freed native memory per process for reuse, `rifeflow/engine/allocator.py`, and gradio's
worker threads each touch their own), then RSS must stay put.

Threads are judged once the jobs are over: gradio runs each job on a pool thread (anyio's, at most 8 here,
`rifeflow/ui.py`) that is started when none is idle and ends after 10 idle seconds, so one more may be
alive for a while after any job. A leaked thread never ends; the count must come back to where it was.
"""
from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from rifeflow.video.sample import make_sample_clip
from tests.services import RIFEFLOW, free_port, stop, wait_for_http

pytestmark = [pytest.mark.slow, pytest.mark.faults]

JOBS, WARMUP, SETTLED = 100, 5, 50
THREADS_SETTLE_S = 15.0  # anyio ends a pool thread after 10 idle seconds
FREE_BYTES = 8 * 1024  # room for a session folder and an output's first bytes, not for the output


def _usage(pid: int) -> dict[str, int]:
    status = Path(f"/proc/{pid}/status").read_text()
    rss_kb = int(next(line for line in status.splitlines() if line.startswith("VmRSS:")).split()[1])
    return {"threads": len(os.listdir(f"/proc/{pid}/task")), "fds": len(os.listdir(f"/proc/{pid}/fd")),
            "rss_mb": rss_kb // 1024}


@pytest.fixture
def ui_on_a_full_disk(tmp_path):
    """`rifeflow ui` whose TMPDIR (where each job writes its output) is a tmpfs with 24 KiB free."""
    scratch, uploads = tmp_path / "tmpfs", tmp_path / "uploads"
    scratch.mkdir(), uploads.mkdir()
    port = free_port()
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "PYTHONUNBUFFERED": "1", "TMPDIR": str(scratch),
           "GRADIO_TEMP_DIR": str(uploads)}
    log = open(tmp_path / "ui.log", "w")
    proc = subprocess.Popen(["unshare", "--mount", "--propagation", "private", "sh", "-c",
                             f'mount -t tmpfs -o size=4m tmpfs "{scratch}" && exec "{RIFEFLOW}" ui --port {port}'],
                            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for_http(f"http://127.0.0.1:{port}/", 120, proc)
        seen = Path(f"/proc/{proc.pid}/root") / str(scratch).lstrip("/")  # the tmpfs, as the UI sees it
        free = os.statvfs(seen).f_bavail * os.statvfs(seen).f_frsize
        (seen / "filler").write_bytes(b"\0" * (free - FREE_BYTES))
        yield f"http://127.0.0.1:{port}/", proc.pid, seen
    finally:
        stop(proc)
        log.close()
        print((tmp_path / "ui.log").read_text()[-2000:])


def _settled(pid: int, threads: int) -> dict[str, int]:
    """The process's usage once its thread count is back to `threads`, or after THREADS_SETTLE_S."""
    deadline = time.monotonic() + THREADS_SETTLE_S
    usage = _usage(pid)
    while usage["threads"] > threads and time.monotonic() < deadline:
        time.sleep(0.5)
        usage = _usage(pid)
    return usage


def test_fifty_failing_writes_leave_threads_descriptors_and_memory_flat(ui_on_a_full_disk, tmp_path):
    from gradio_client import Client, handle_file

    url, pid, scratch = ui_on_a_full_disk
    clip = make_sample_clip(str(tmp_path / "clip.mp4"), seconds=0.4, size=96, fps=25)  # its output still overflows
    client = Client(url, verbose=False)
    free_before = os.statvfs(scratch).f_bavail
    samples, messages = [], set()
    for job in range(JOBS):
        with pytest.raises(Exception) as failure:
            client.predict(handle_file(clip), "(none)", "2x", "chain", "rife-hdv3", "1.0", False, False, "", 0.2, "libx264", None, "",
                           api_name="/interpolate_video")
        messages.add(str(failure.value))
        time.sleep(0.2)  # let the worker threads of the finished request settle
        samples.append(_usage(pid))
        assert os.statvfs(scratch).f_bavail >= free_before - 2, f"job {job} left part of its output behind"
    print("\njob  threads  fds  rss_mb")
    for job, s in enumerate(samples):
        if job % 10 == 9 or job in (0, WARMUP - 1):
            print(f"{job + 1:>3}  {s['threads']:>7}  {s['fds']:>3}  {s['rss_mb']:>6}")
    assert all("No space left" in m or "no space left" in m for m in messages), messages
    settled = samples[SETTLED - 1]
    warm = {key: max(s[key] for s in samples[:WARMUP]) for key in ("threads", "fds")}  # idle workers come and go
    after = _settled(pid, warm["threads"])
    print(f"after the jobs: {after['threads']} threads, {after['fds']} fds (most during them: "
          f"{max(s['threads'] for s in samples)} threads)")
    assert after["threads"] <= warm["threads"], (after, samples)
    assert max(s["fds"] for s in samples[WARMUP:]) <= warm["fds"], samples
    assert after["fds"] <= warm["fds"], (after, samples)
    assert max(s["rss_mb"] for s in samples[SETTLED:]) <= settled["rss_mb"] + 32, samples
