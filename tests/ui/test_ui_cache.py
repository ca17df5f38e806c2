"""The web page keeps nothing it does not need: after 20 jobs that succeed and 20 that are refused, its
temporary folders (Gradio's cache of uploads and results, rifeflow's session folders) hold the last few
jobs' files only, and an image over the pixel limit is refused before it is worked on."""
from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

from rifeflow.video.sample import make_sample_clip
from tests.services import RIFEFLOW, free_port, stop, wait_for_http

pytestmark = [pytest.mark.slow, pytest.mark.faults]
KEEP_S = 6


def _files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()]


def test_twenty_jobs_and_twenty_refusals_leave_only_the_last_few_jobs_files(tmp_path):
    from gradio_client import Client, handle_file

    gradio_tmp, scratch = tmp_path / "gradio", tmp_path / "tmp"
    gradio_tmp.mkdir(), scratch.mkdir()
    port = free_port()
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "GRADIO_TEMP_DIR": str(gradio_tmp),
           "TMPDIR": str(scratch)}
    log = open(tmp_path / "ui.log", "w")
    proc = subprocess.Popen([RIFEFLOW, "ui", "--port", str(port), "--keep-results", str(KEEP_S), "--max-upload-mb",
                             "0.2"], env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for_http(f"http://127.0.0.1:{port}/", 120, proc)
        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        clip = make_sample_clip(str(tmp_path / "clip.mp4"), seconds=0.4, size=64, fps=25)
        big = tmp_path / "big.mp4"
        big.write_bytes(os.urandom(400_000))  # over --max-upload-mb: refused by its size
        text = tmp_path / "notes.mp4"
        text.write_text("not a video\n")  # refused: not a video
        refusals = []
        for job in range(20):
            out = client.predict(handle_file(clip), "(none)", "2x", "chain", "rife-hdv3", "0.5", False, False, "",
                                 0.2, "libx264", None, "ultrafast", api_name="/interpolate_video")
            assert Path(out[0]["video"] if isinstance(out[0], dict) else out[0]).suffix == ".mp4"
            for bad in (big, text):
                with pytest.raises(Exception) as refused:
                    client.predict(handle_file(str(bad)), "(none)", "2x", "chain", "rife-hdv3", "0.5", False, False,
                                   "", 0.2, "libx264", None, "ultrafast", api_name="/interpolate_video")
                refusals.append(str(refused.value))
        from PIL import Image

        huge = tmp_path / "huge.png"
        Image.fromarray(np.zeros((4097, 4097, 3), np.uint8)).save(huge)  # small as a file, not as pixels
        with pytest.raises(Exception, match="over this page's limit"):
            client.predict(handle_file(str(huge)), handle_file(str(huge)), "2x", "rife-hdv3",
                           api_name="/interpolate_images")
        time.sleep(KEEP_S * 2 + 2)  # Gradio's cache sweep runs every KEEP_S / 2 seconds
        sessions = [p for p in scratch.iterdir() if p.name.startswith("rifeflow-ui-")]
        cached = _files(gradio_tmp)
        print(f"\nsession folders: {len(sessions)}; Gradio's cached files: {len(cached)}: "
              f"{sorted(p.name for p in cached)[:12]}")
        print(sorted(set(refusals))[:4])
        assert any("MB; the limit here" in r or "exceeds the maximum" in r.lower() or "too large" in r.lower() for r in refusals)
        assert any("not a video" in r for r in refusals)
        assert len(sessions) <= 1  # one session here, its latest result only; refused jobs made none
        assert len(cached) <= 6, cached  # the last job's files at most, not 40 jobs' worth
    finally:
        stop(proc)
        log.close()
        print((tmp_path / "ui.log").read_text()[-1500:])
