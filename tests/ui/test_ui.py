"""The web page over real HTTP: gradio_client for the API, headless Chromium for what a person sees."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from rifeflow.metrics.quality import psnr
from rifeflow.video.read import probe_video
from tests.helpers import load_rgb
from tests.services import RIFEFLOW, free_port, stop, wait_for_http

pytestmark = pytest.mark.slow  # servers or a browser

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="module")
def ui_url(tmp_path_factory):
    port = free_port()
    log_path = tmp_path_factory.mktemp("ui") / "ui.log"
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "PYTHONUNBUFFERED": "1"}
    with open(log_path, "w") as log:
        proc = subprocess.Popen([RIFEFLOW, "ui", "--port", str(port), "--max-upload-mb", "20"], env=env,
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_for_http(url, 120, proc)
    except Exception:
        stop(proc)
        raise RuntimeError(log_path.read_text()[-3000:])
    yield url
    stop(proc)


def _client(url):
    from gradio_client import Client

    return Client(url, verbose=False)


def test_video_comes_back_at_twice_the_rate_with_audio(ui_url, videos):
    from gradio_client import handle_file

    video, gallery, facts, download = _client(ui_url).predict(
        handle_file(str(videos / "phone_rotated.mp4")), "(none)", "2x", "chain", "rife-hdv3", "1.0", False, False, "", 0.2, "libx264", None, "",
        api_name="/interpolate_video")
    path = video["video"] if isinstance(video, dict) else video
    source, out = probe_video(str(videos / "phone_rotated.mp4")), probe_video(path)
    assert out.rate == 2 * source.rate and out.frames_decoded == 2 * source.frames
    assert [a.codec for a in out.audio] == [a.codec for a in source.audio] == ["aac"]
    assert "60000/1001" in facts and "Held-out check" in facts
    assert len(gallery) >= 4 and Path(download).stat().st_size == Path(path).stat().st_size


def test_an_output_frame_rate_instead_of_a_factor(ui_url, videos):
    from fractions import Fraction

    from gradio_client import handle_file

    source = probe_video(str(videos / "phone_rotated.mp4"))
    video, _, facts, _ = _client(ui_url).predict(
        handle_file(str(videos / "phone_rotated.mp4")), "(none)", "2x", "chain", "rife-hdv3", "1.0", False, False,
        "60", 0.2, "libx264", None, "", api_name="/interpolate_video")
    out = probe_video(video["video"] if isinstance(video, dict) else video)
    assert out.rate == 60 and out.frames == round(Fraction(source.frames) / source.rate * 60)
    assert "| frame rate | 30000/1001 | 60 |" in facts
    assert [a.codec for a in out.audio] == ["aac"]


def test_image_pair_gives_the_middle_frame(ui_url, triplets):
    from gradio_client import handle_file

    folder = triplets / "large" / "bikes_160"
    gallery, archive = _client(ui_url).predict(handle_file(str(folder / "frame_00.png")),
                                               handle_file(str(folder / "frame_02.png")), "2x", "rife-hdv3",
                                               api_name="/interpolate_images")
    assert len(gallery) == 1 and archive.endswith(".zip")
    middle = load_rgb(Path(gallery[0]["image"]))
    truth, a, b = (load_rgb(folder / n) for n in ("frame_01_gt.png", "frame_00.png", "frame_02.png"))
    average = ((a.astype(float) + b) / 2).round().astype(np.uint8)
    from rifeflow import interpolate_images

    assert np.array_equal(middle, interpolate_images(a, b, exp=1)[0])  # the model's frame, losslessly
    assert psnr(truth, middle) > psnr(truth, average) + 1


def test_a_text_file_gets_a_readable_error(ui_url, tmp_path):
    from gradio_client import handle_file

    fake = tmp_path / "notes.mp4"
    fake.write_text("not a video\n")
    with pytest.raises(Exception) as info:
        _client(ui_url).predict(handle_file(str(fake)), "(none)", "2x", "chain", "rife-hdv3", "1.0", False, False, "", 0.2,
                                "libx264", None, "", api_name="/interpolate_video")
    assert "not a video FFmpeg can read" in str(info.value) and "Traceback" not in str(info.value)


def test_page_after_a_run_in_headless_chromium(ui_url, videos):
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "ui-video-tab.png"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        page = browser.new_page(viewport={"width": 1280, "height": 1100})
        outside = []
        page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(ui_url) and
                not r.url.startswith(("data:", "blob:")) else None)
        page.goto(ui_url)
        page.locator("input[type=file]").first.set_input_files(str(videos / "phone_rotated.mp4"))
        page.wait_for_timeout(1500)
        page.get_by_role("button", name="Interpolate").first.click()
        page.get_by_text("Held-out check").wait_for(timeout=180_000)
        page.wait_for_timeout(1500)
        page.screenshot(path=str(shot), full_page=True)
        browser.close()
    print(f"\nscreenshot: {shot}; requests outside the app: {outside}")
    assert shot.stat().st_size > 20_000
    assert not outside
