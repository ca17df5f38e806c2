"""`rifeflow ui`: a Gradio page for one video or one image pair, on top of the core API.

The page keeps nothing it does not need: a request is checked before anything is written for it, each
session keeps its latest result only, and Gradio's own copies of uploads and results are deleted once they
are older than `keep_results_s` (Gradio's `delete_cache`).
"""
from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from rifeflow.ui_parts import comparison, facts

FACTORS = {"2x": 1, "4x": 2, "8x": 3, "16x": 4}
LOCAL_FONTS = ["ui-sans-serif", "system-ui", "sans-serif"]
MAX_IMAGE_PIXELS = 4096 * 4096


def _new_session_dir(previous: str | None) -> str:
    """A fresh folder for this request's files; the session's previous result goes (one kept per session)."""
    _remove_dir(previous)
    return tempfile.mkdtemp(prefix="rifeflow-ui-")


def _remove_dir(path: str | None) -> None:
    if path:
        shutil.rmtree(path, ignore_errors=True)


class Limits:
    def __init__(self, max_upload_mb: float, max_image_pixels: int = MAX_IMAGE_PIXELS):
        self.max_upload_mb, self.max_image_pixels = max_upload_mb, max_image_pixels


def checked_video_request(upload: str | None, sample: str | None, samples: dict, fps: str | None, factor: str,
                          limits: Limits) -> tuple[str, str | None, int | None]:
    """(source, fps, exp) for a video request; ValueError with the page's message, before anything is written."""
    source = upload or samples.get(sample or "")
    if not source:
        raise ValueError("Upload a video or pick a sample clip first.")
    size_mb = os.path.getsize(source) / 2**20
    if size_mb > limits.max_upload_mb:
        raise ValueError(f"{Path(source).name} is {size_mb:.0f} MB; the limit here is {limits.max_upload_mb:.0f} MB.")
    fps = (fps or "").strip() or None
    return source, fps, None if fps else FACTORS[factor]


def checked_image_request(img0, img1, limits: Limits) -> None:
    if img0 is None or img1 is None:
        raise ValueError("Give two images.")
    for image in (img0, img1):
        pixels = int(np.prod(np.asarray(image).shape[:2]))
        if pixels > limits.max_image_pixels:
            raise ValueError(f"An image of {pixels:,} pixels is over this page's limit of "
                             f"{limits.max_image_pixels:,} (4096 x 4096).")


def build_app(max_upload_mb: float = 200.0, samples: dict[str, str] | None = None, keep_results_s: float = 600.0,
              max_image_pixels: int = MAX_IMAGE_PIXELS):
    import gradio as gr

    from rifeflow.ui_parts import image_tab, video_tab

    limits, samples = Limits(max_upload_mb, max_image_pixels), samples or {}
    # Gradio checks every keep/2 seconds (at least a minute apart) for cached files older than keep.
    with gr.Blocks(title="rifeflow", analytics_enabled=False,
                   delete_cache=(max(1, int(keep_results_s // 2)), max(1, int(keep_results_s)))) as app:
        session = gr.State(None, delete_callback=_remove_dir)
        gr.Markdown("# rifeflow\nRaise the frame rate of a video, or fill in the frames between two images, "
                    "with RIFE's IFNet.")
        with gr.Tab("Video"):
            video_tab(gr, session, samples, lambda *args: run_video(gr, limits, samples, *args))
        with gr.Tab("Image pair"):
            image_tab(gr, session, lambda *args: run_images(gr, limits, *args))
    return app.queue(default_concurrency_limit=1)


def run_video(gr, limits: Limits, samples: dict, upload, sample, factor, mode, model, scale, tta, fp16, fps,
              scene_threshold, codec, crf, preset, state, progress=None):
    import torch

    from rifeflow.api import interpolate_video
    from rifeflow.errors import RifeflowError
    from rifeflow.manifests.codecs import output_extension
    from rifeflow.manifests.records import InterpolationOptions

    try:
        source, fps, exp = checked_video_request(upload, None if sample == "(none)" else sample, samples, fps,
                                                 factor, limits)
    except ValueError as exc:
        raise gr.Error(str(exc)) from None
    fp16 = bool(fp16 and torch.cuda.is_available())
    session = _new_session_dir(state)
    label = f"{fps.replace('/', '-')}fps" if fps else factor
    output = os.path.join(session, f"{Path(source).stem}_{label}{output_extension(codec, '.mp4')}")
    report = None if progress is None else (lambda done, total: progress(done / total, desc=f"{done}/{total} frames"))
    try:
        result = interpolate_video(source, output, exp=exp, fps=fps, scene_threshold=float(scene_threshold),
                                   mode=mode, model=model, scale=float(scale), tta=tta, fp16=fp16, codec=codec,
                                   crf=None if crf in (None, "") else int(crf), preset=(preset or "").strip() or None,
                                   progress=report)
    except (RifeflowError, ValueError, OSError) as exc:  # OSError: the output's disk, say
        _remove_dir(session)
        raise gr.Error(str(exc).replace(source, Path(source).name)) from None
    # The held-out check scores the frames with the model and options the user chose.
    options = InterpolationOptions(exp=exp or 1, model=model, scale=float(scale), tta=tta, mode=mode, fp16=fp16,
                                   scene_threshold=float(scene_threshold))
    return output, comparison(source, output), facts(result, source, options), output, session


def run_images(gr, limits: Limits, img0, img1, factor, model, state):
    from PIL import Image

    from rifeflow.api import interpolate_images
    from rifeflow.errors import RifeflowError

    try:
        checked_image_request(img0, img1, limits)
        frames = interpolate_images(img0, img1, exp=FACTORS[factor], model=model)
    except (RifeflowError, ValueError) as exc:
        raise gr.Error(str(exc)) from None
    session = _new_session_dir(state)
    archive = os.path.join(session, "inbetweens.zip")
    with zipfile.ZipFile(archive, "w") as zf:
        for i, frame in enumerate(frames, 1):
            path = os.path.join(session, f"frame_{i:02d}.png")
            Image.fromarray(frame).save(path)
            zf.write(path, os.path.basename(path))
    return [(f, f"t = {i}/{len(frames) + 1}") for i, f in enumerate(frames, 1)], archive, session


def serve(host: str = "127.0.0.1", port: int = 7860, max_upload_mb: float = 200.0,
          keep_results_s: float = 600.0) -> None:
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    from rifeflow.video.sample import make_sample_clip

    sample_dir = tempfile.mkdtemp(prefix="rifeflow-samples-")
    samples = {"synthetic motion with a tone (2 s)": make_sample_clip(os.path.join(sample_dir, "sample.mp4"))}
    import gradio as gr

    # System fonts: the default theme would fetch Google Fonts, and the page must render offline.
    theme = gr.themes.Default(font=LOCAL_FONTS, font_mono=["ui-monospace", "monospace"])
    try:
        build_app(max_upload_mb, samples, keep_results_s).launch(
            server_name=host, server_port=port, share=False, theme=theme, max_file_size=int(max_upload_mb * 2**20),
            show_error=True, max_threads=8)  # one job at a time: 40 idle threads help nobody
    finally:
        with contextlib.suppress(OSError):
            shutil.rmtree(sample_dir)
