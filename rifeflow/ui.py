"""`rifeflow ui`: a Gradio page for one video or one image pair, on top of the core API."""
from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import zipfile
from pathlib import Path

import numpy as np

FACTORS = {"2x": 1, "4x": 2, "8x": 3, "16x": 4}
QUALITY_NOTE = ("2x gives the best quality; higher factors chain 2x passes (each pass doubles the rate), "
                "which beats one big jump.")
LOCAL_FONTS = ["ui-sans-serif", "system-ui", "sans-serif"]


def _session_dir(state: str | None) -> str:
    return state if state and os.path.isdir(state) else tempfile.mkdtemp(prefix="rifeflow-ui-")


def _remove_dir(path: str | None) -> None:
    if path:
        shutil.rmtree(path, ignore_errors=True)


def _remove_file(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.remove(path)


def _comparison(source: str, output: str, count: int = 3) -> list[tuple[np.ndarray, str]]:
    """A few source frames beside the first new frame rifeflow made after each."""
    import math

    from rifeflow.video.read import decode_frames, probe_video

    src, out = probe_video(source), probe_video(output)
    picks = [int(x) for x in np.linspace(0, max(src.frames - 2, 0), count)]
    wanted = {i: None for i in picks}
    for i, frame in enumerate(decode_frames(src, 8, 0, max(picks) + 1)):
        if i in wanted:
            wanted[i] = frame
    after = {math.floor(i * out.rate / src.rate) + 1: i for i in picks}  # output frame j follows source frame i
    made = {}
    for j, frame in enumerate(decode_frames(out, 8, 0, max(after) + 1)):
        if j in after:
            made[after[j]] = frame
    gallery = []
    for i in picks:
        gallery.append((wanted[i], f"source frame {i}"))
        if i in made:
            gallery.append((made[i], f"new frame after {i}"))
    return gallery


def _facts(result, source: str, options) -> str:
    from rifeflow.steps.heldout import heldout_of_file
    from rifeflow.video.read import probe_video

    probe = probe_video(source)
    q = heldout_of_file(source, options, None, 8).model_dump()
    lines = [
        "| | in | out |", "|---|---|---|",
        f"| frame rate | {result.fps_in} | {result.fps_out} |",
        f"| frames | {result.frames_in} | {result.frames_out} |",
        f"| duration | {probe.duration:.2f} s | {probe.duration:.2f} s |",
        f"| audio streams | {len(probe.audio)} | {result.audio_streams} (copied) |",
        "", f"Took {result.seconds:.1f} s; scene cuts {result.scene_cuts}, still pairs {result.static_pairs}.",
    ]
    if q.get("heldout_n"):
        lines += ["", f"Held-out check on {q['heldout_n']} frames: **{q['heldout_psnr_db']:.2f} dB PSNR / "
                      f"{q['heldout_ssim']:.4f} SSIM**, against {q['baseline_psnr_db']:.2f} dB / "
                      f"{q['baseline_ssim']:.4f} for averaging the neighbours."]
    return "\n".join(lines)


def build_app(max_upload_mb: float = 200.0, samples: dict[str, str] | None = None):
    import gradio as gr
    import torch

    from rifeflow.api import interpolate_images, interpolate_video
    from rifeflow.errors import RifeflowError
    from rifeflow.manifests.codecs import output_extension
    from rifeflow.manifests.options import EncodingChoices, InterpolationChoices
    from rifeflow.manifests.records import InterpolationOptions

    fields = InterpolationChoices.model_fields  # names, defaults and allowed values, as the CLI has them

    def allowed(name: str) -> list:
        return fields[name].json_schema_extra["enum"]

    has_gpu = torch.cuda.is_available()
    samples = samples or {}

    def run_video(upload, sample, factor, mode, model, scale, tta, fp16, fps, scene_threshold, codec, crf, preset,
                  state, progress=gr.Progress()):
        session = _session_dir(state)
        source = upload or samples.get(sample)
        if not source:
            raise gr.Error("Upload a video or pick a sample clip first.")
        size_mb = os.path.getsize(source) / 2**20
        if size_mb > max_upload_mb:
            raise gr.Error(f"{Path(source).name} is {size_mb:.0f} MB; the limit here is {max_upload_mb:.0f} MB.")
        fps = (fps or "").strip() or None
        exp = None if fps else FACTORS[factor]
        label = f"{fps.replace('/', '-')}fps" if fps else factor
        output = os.path.join(session, f"{Path(source).stem}_{label}{output_extension(codec, '.mp4')}")
        crf = None if crf in (None, "") else int(crf)
        preset = (preset or "").strip() or None

        def report(done, total):
            progress(done / total, desc=f"{done}/{total} frames")

        try:
            result = interpolate_video(source, output, exp=exp, fps=fps, scene_threshold=float(scene_threshold),
                                       mode=mode, model=model, scale=float(scale), tta=tta, fp16=fp16 and has_gpu,
                                       codec=codec, crf=crf, preset=preset, progress=report)
        except (RifeflowError, ValueError, OSError) as exc:  # OSError: the output's disk, say
            _remove_dir(session) if session != state else _remove_file(output)
            raise gr.Error(str(exc).replace(source, Path(source).name)) from None
        # The held-out check scores the frames with the model and options the user chose.
        options = InterpolationOptions(exp=exp or 1, model=model, scale=float(scale), tta=tta, mode=mode,
                                       fp16=fp16 and has_gpu, scene_threshold=float(scene_threshold))
        return output, _comparison(source, output), _facts(result, source, options), output, session

    def run_images(img0, img1, factor, model, session):
        session = _session_dir(session)
        if img0 is None or img1 is None:
            raise gr.Error("Give two images.")
        try:
            frames = interpolate_images(img0, img1, exp=FACTORS[factor], model=model)
        except (RifeflowError, ValueError) as exc:
            raise gr.Error(str(exc)) from None
        archive = os.path.join(session, "inbetweens.zip")
        from PIL import Image

        with zipfile.ZipFile(archive, "w") as zf:
            for i, frame in enumerate(frames, 1):
                path = os.path.join(session, f"frame_{i:02d}.png")
                Image.fromarray(frame).save(path)
                zf.write(path, os.path.basename(path))
        return [(f, f"t = {i}/{len(frames) + 1}") for i, f in enumerate(frames, 1)], archive, session

    with gr.Blocks(title="rifeflow", analytics_enabled=False) as app:
        session = gr.State(None, delete_callback=_remove_dir)
        gr.Markdown("# rifeflow\nRaise the frame rate of a video, or fill in the frames between two images, "
                    "with RIFE's IFNet.")
        with gr.Tab("Video"):
            with gr.Row():
                with gr.Column():
                    upload = gr.Video(label="Video (MP4, MOV, MKV, AVI, WebM)", sources=["upload"])
                    sample = gr.Dropdown(choices=["(none)", *samples], value="(none)", label="or a sample clip")
                    factor = gr.Radio(list(FACTORS), value="2x", label="Factor", info=QUALITY_NOTE)
                    fps = gr.Textbox(label="or an output frame rate", placeholder="60, 60000/1001, 59.94, 2.5x",
                                     info="each new frame sits at its exact time; overrides the factor")
                    with gr.Accordion("Options", open=False):
                        scene = gr.Slider(0.0, 0.9, value=fields["scene_threshold"].default, step=0.05,
                                          label="Scene-cut threshold", info=fields["scene_threshold"].description)
                        mode = gr.Radio(allowed("mode"), value=fields["mode"].default, label="Mode",
                                        info=fields["mode"].description)
                        model = gr.Dropdown(allowed("model"), value=fields["model"].default, label="Model")
                        scale = gr.Dropdown([str(s) for s in allowed("scale")], value=str(fields["scale"].default),
                                            label="Flow scale", info=fields["scale"].description)
                        tta = gr.Checkbox(label="Test-time augmentation", info=fields["tta"].description)
                        fp16 = gr.Checkbox(label="fp16", interactive=has_gpu,
                                           info=None if has_gpu else "needs a GPU; none here")
                        encoding = EncodingChoices.model_fields
                        codec = gr.Dropdown(encoding["codec"].json_schema_extra["enum"], value=encoding["codec"].default,
                                            label="Codec", info=encoding["codec"].description)
                        crf = gr.Number(None, precision=0, label="Quality (crf)", info=encoding["crf"].description)
                        preset = gr.Textbox(label="Preset", placeholder="the codec's default",
                                            info=encoding["preset"].description)
                    go = gr.Button("Interpolate", variant="primary")
                with gr.Column():
                    result = gr.Video(label="Result", interactive=False)
                    facts = gr.Markdown()
                    download = gr.File(label="Download")
            compare = gr.Gallery(label="Before and after: source frames and the new frames after them", columns=6, format="png",
                                 height=260)
            go.click(lambda up, s, *rest: run_video(up, None if s == "(none)" else s, *rest),
                     [upload, sample, factor, mode, model, scale, tta, fp16, fps, scene, codec, crf, preset, session],
                     [result, compare, facts, download, session], api_name="interpolate_video")
        with gr.Tab("Image pair"):
            with gr.Row():
                img0 = gr.Image(label="First image", type="numpy")
                img1 = gr.Image(label="Second image", type="numpy")
            with gr.Row():
                img_factor = gr.Radio(list(FACTORS), value="2x", label="Factor", info=QUALITY_NOTE)
                img_model = gr.Dropdown(allowed("model"), value=fields["model"].default, label="Model")
            img_go = gr.Button("Interpolate", variant="primary")
            gallery = gr.Gallery(label="In-between frames", columns=4, format="png")
            archive = gr.File(label="All frames (zip)")
            img_go.click(run_images, [img0, img1, img_factor, img_model, session], [gallery, archive, session],
                         api_name="interpolate_images")
    return app.queue(default_concurrency_limit=1)


def serve(host: str = "127.0.0.1", port: int = 7860, max_upload_mb: float = 200.0) -> None:
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    from rifeflow.video.sample import make_sample_clip

    sample_dir = tempfile.mkdtemp(prefix="rifeflow-samples-")
    samples = {"synthetic motion with a tone (2 s)": make_sample_clip(os.path.join(sample_dir, "sample.mp4"))}
    import gradio as gr

    # System fonts: the default theme would fetch Google Fonts, and the page must render offline.
    theme = gr.themes.Default(font=LOCAL_FONTS, font_mono=["ui-monospace", "monospace"])
    try:
        build_app(max_upload_mb, samples).launch(server_name=host, server_port=port, share=False, theme=theme,
                                                 max_file_size=int(max_upload_mb * 2**20), show_error=True,
                                                 max_threads=8)  # one job at a time: 40 idle threads help nobody
    finally:
        shutil.rmtree(sample_dir, ignore_errors=True)
