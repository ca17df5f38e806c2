"""The web page's parts: the two tabs' controls (their choices, defaults and help from the options model, as
the command line has them), and what a finished video shows (a before/after strip, its facts)."""
from __future__ import annotations

import math

import numpy as np

FACTOR_NAMES = ["2x", "4x", "8x", "16x"]
QUALITY_NOTE = ("2x gives the best quality; higher factors chain 2x passes (each pass doubles the rate), "
                "which beats one big jump.")


def _allowed(model, name: str) -> list:
    return model.model_fields[name].json_schema_extra["enum"]


def video_tab(gr, session, samples: dict, run) -> None:
    """The video tab's controls, wired to `run(upload, sample, factor, mode, model, scale, tta, fp16, fps,
    scene_threshold, codec, crf, preset, session)`."""
    import torch

    from rifeflow.manifests.options import EncodingChoices, InterpolationChoices

    fields, encoding = InterpolationChoices.model_fields, EncodingChoices.model_fields
    has_gpu = torch.cuda.is_available()
    with gr.Row():
        with gr.Column():
            upload = gr.Video(label="Video (MP4, MOV, MKV, AVI, WebM)", sources=["upload"])
            sample = gr.Dropdown(choices=["(none)", *samples], value="(none)", label="or a sample clip")
            factor = gr.Radio(FACTOR_NAMES, value="2x", label="Factor", info=QUALITY_NOTE)
            fps = gr.Textbox(label="or an output frame rate", placeholder="60, 60000/1001, 59.94, 2.5x",
                             info="each new frame sits at its exact time; overrides the factor")
            with gr.Accordion("Options", open=False):
                scene = gr.Slider(0.0, 0.9, value=fields["scene_threshold"].default, step=0.05,
                                  label="Scene-cut threshold", info=fields["scene_threshold"].description)
                mode = gr.Radio(_allowed(InterpolationChoices, "mode"), value=fields["mode"].default, label="Mode",
                                info=fields["mode"].description)
                model = gr.Dropdown(_allowed(InterpolationChoices, "model"), value=fields["model"].default,
                                    label="Model")
                scale = gr.Dropdown([str(s) for s in _allowed(InterpolationChoices, "scale")],
                                    value=str(fields["scale"].default), label="Flow scale",
                                    info=fields["scale"].description)
                tta = gr.Checkbox(label="Test-time augmentation", info=fields["tta"].description)
                fp16 = gr.Checkbox(label="fp16", interactive=has_gpu, info=None if has_gpu else "needs a GPU; none here")
                codec = gr.Dropdown(_allowed(EncodingChoices, "codec"), value=encoding["codec"].default,
                                    label="Codec", info=encoding["codec"].description)
                crf = gr.Number(None, precision=0, label="Quality (crf)", info=encoding["crf"].description)
                preset = gr.Textbox(label="Preset", placeholder="the codec's default",
                                    info=encoding["preset"].description)
            go = gr.Button("Interpolate", variant="primary")
        with gr.Column():
            result = gr.Video(label="Result", interactive=False)
            shown = gr.Markdown()
            download = gr.File(label="Download")
    compare = gr.Gallery(label="Before and after: source frames and the new frames after them", columns=6,
                         format="png", height=260)

    def on_click(upload_, sample_, factor_, mode_, model_, scale_, tta_, fp16_, fps_, scene_, codec_, crf_, preset_,
                 session_, progress=gr.Progress()):
        return run(upload_, sample_, factor_, mode_, model_, scale_, tta_, fp16_, fps_, scene_, codec_, crf_, preset_,
                   session_, progress)

    go.click(on_click, [upload, sample, factor, mode, model, scale, tta, fp16, fps, scene, codec, crf, preset,
                        session], [result, compare, shown, download, session], api_name="interpolate_video")


def image_tab(gr, session, run) -> None:
    """The image-pair tab, wired to `run(img0, img1, factor, model, session)`."""
    from rifeflow.manifests.options import InterpolationChoices

    with gr.Row():
        img0 = gr.Image(label="First image", type="numpy")
        img1 = gr.Image(label="Second image", type="numpy")
    with gr.Row():
        factor = gr.Radio(FACTOR_NAMES, value="2x", label="Factor", info=QUALITY_NOTE)
        model = gr.Dropdown(_allowed(InterpolationChoices, "model"),
                            value=InterpolationChoices.model_fields["model"].default, label="Model")
    go = gr.Button("Interpolate", variant="primary")
    gallery = gr.Gallery(label="In-between frames", columns=4, format="png")
    archive = gr.File(label="All frames (zip)")
    go.click(run, [img0, img1, factor, model, session], [gallery, archive, session], api_name="interpolate_images")


def comparison(source: str, output: str, count: int = 3) -> list[tuple[np.ndarray, str]]:
    """A few source frames beside the first new frame rifeflow made after each."""
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


def facts(result, source: str, options) -> str:
    """The finished video's facts and its held-out line, as markdown."""
    from rifeflow.steps.heldout import heldout_of_file
    from rifeflow.video.read import probe_video

    probe = probe_video(source)
    held, mouth = heldout_of_file(source, options, None, 8)
    q = held.model_dump()
    lines = [
        "| | in | out |", "|---|---|---|",
        f"| frame rate | {result.fps_in} | {result.fps_out} |",
        f"| frames | {result.frames_in} | {result.frames_out} |",
        f"| duration | {probe.duration:.2f} s | {probe.duration:.2f} s |",
        f"| audio streams | {len(probe.audio)} | {result.audio_streams} (copied) |",
        "", f"Took {result.seconds:.1f} s; scene cuts {result.scene_cuts}, still pairs {result.static_pairs}.",
    ]
    if q.get("heldout_n"):
        at_mouth = (f" At the mouth: **{q['mouth_heldout_psnr_db']:.2f} dB** (averaging: "
                    f"{q['mouth_baseline_psnr_db']:.2f} dB)." if q.get("mouth_heldout_n") else
                    f" At the mouth: not measured ({mouth.reason}).")
        lines += ["", f"Held-out check on {q['heldout_n']} frames: **{q['heldout_psnr_db']:.2f} dB PSNR / "
                      f"{q['heldout_ssim']:.4f} SSIM**, against {q['baseline_psnr_db']:.2f} dB / "
                      f"{q['baseline_ssim']:.4f} for averaging the neighbours.{at_mouth}"]
    return "\n".join(lines)
