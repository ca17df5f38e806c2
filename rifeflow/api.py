"""The Python API: interpolate a video file or an image pair."""
from __future__ import annotations

import logging
import os
import time
from dataclasses import asdict, dataclass
from fractions import Fraction
from typing import Callable, Iterable, Iterator, Optional

import numpy as np

from rife_kernels import inbetweens
from rife_kernels.names import DEFAULT_MODEL, SCENE_CUT_SSIM
from rifeflow.engine.runtime import load_interpolator, to_arrays, to_tensor
from rifeflow.engine.stream import PairStats, counting_repeats, output_frames
from rifeflow.errors import OptionError, VideoError
from rifeflow.manifests.codecs import DEFAULT_CODEC, check_container
from rifeflow.manifests.options import InterpolationChoices, check_choices, check_encoding
from rifeflow.manifests.records import EncoderSettings
from rifeflow.threads import prefetch
from rifeflow.video.read import decode_frames, index_frames
from rifeflow.video.timeline import timeline_plan
from rifeflow.video.encode import pixel_format, resolve_encoder
from rifeflow.video.write import VideoWriter, container_for, encode_frames

log = logging.getLogger(__name__)

ProgressCallback = Callable[[int, int], None]


@dataclass(frozen=True)
class InterpolationResult:
    input_path: str
    output_path: str
    frames_in: int
    frames_out: int
    fps_in: str
    fps_out: str
    seconds: float
    vfr: bool
    audio_streams: int
    scene_cuts: int
    static_pairs: int
    duplicate_frame_ratio: float  # output frames identical to the one before, of all output steps

    def as_dict(self) -> dict:
        return asdict(self)


def checked_weights(weights: str | os.PathLike | None) -> str | None:
    """Own weights as given; a URL carrying credentials is refused before anything records it."""
    from rifeflow.manifests.uris import has_credentials

    text = None if weights is None else os.fspath(weights)
    if has_credentials(text):
        raise OptionError("weights carries credentials (user:secret@): give them through the environment "
                          "(AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY) or an AWS profile")
    return text


def checked_choices(**values) -> InterpolationChoices:
    """The options model (rifeflow.manifests.options) from keyword values; a bad one is an OptionError."""
    try:
        return check_choices(**values)
    except ValueError as exc:
        raise OptionError(str(exc)) from None


def output_encoder(output_path: str, codec: str, crf: int | None, preset: str | None) -> tuple[str, int | None, str | None]:
    """The encoder for `output_path`, checked against its container; a hardware encoder that cannot run
    here becomes its software codec, with a log line."""
    try:
        check_encoding(codec=codec, crf=crf, preset=preset)
        check_container(codec, output_path)
    except ValueError as exc:
        raise OptionError(str(exc)) from None
    codec, crf, preset, note = resolve_encoder(codec, crf, preset)
    if note:
        log.warning("%s", note)
    return codec, crf, preset


def interpolate_video(
    input_path: str | os.PathLike,
    output_path: str | os.PathLike,
    exp: int | None = None,
    *,
    fps: str | float | Fraction | None = None,
    scene_threshold: float = SCENE_CUT_SSIM,
    model: str = DEFAULT_MODEL,
    weights: Optional[str] = None,
    scale: float = 1.0,
    fp16: bool = False,
    tta: bool = False,
    mode: str = "chain",
    batch_size: Optional[int] = None,
    codec: str = DEFAULT_CODEC,
    crf: Optional[int] = None,
    preset: Optional[str] = None,
    eight_bit: bool = False,
    device: Optional[str] = None,
    progress: Optional[ProgressCallback] = None,
) -> InterpolationResult:
    """Write `input_path` at 2^exp times its frame rate (default 2x), or at `fps`, to `output_path`,
    audio carried over.

    `fps` is an exact output rate (60, "60000/1001", "59.94") or a factor ("2.5x"); each output frame
    then sits at its own time and is made from the source frames around it (see manifests/rates.py).
    A variable-rate source is always interpolated at its true frame times. `scene_threshold` is the
    thumbnail SSIM under which neighbours are a cut and are not blended (0: never).
    `codec` is the output encoder (libx264, libx265, libsvtav1, libvpx-vp9, prores_ks, ffv1, or an NVIDIA
    one), with `crf` and `preset` in its own terms (None: the codec's defaults; manifests/codecs.py).
    `progress(frames_done, frames_total)` is called as output frames are written.
    `batch_size` (pairs per forward pass) defaults to 4 on a GPU and 1 on a CPU, where
    larger batches measured slower (bench/run.py).
    """
    started = time.perf_counter()
    input_path, output_path = os.fspath(input_path), os.fspath(output_path)
    if exp is not None and fps is not None:
        raise OptionError("give either exp (factor 2^exp) or fps (an output frame rate), not both")
    c = checked_choices(exp=1 if exp is None else exp, fps=None if fps is None else str(fps), model=model,
                        scale=scale, tta=tta, mode=mode, fp16=fp16, scene_threshold=scene_threshold)
    container_for(output_path)
    weights = checked_weights(weights)
    codec, crf, preset = output_encoder(output_path, codec, crf, preset)
    if os.path.abspath(input_path) == os.path.abspath(output_path):
        raise OptionError(f"{output_path}: output would overwrite the input")
    probe, times, _ = index_frames(input_path)  # packet times where they are the frames' own: no extra decode
    try:
        rate_out = c.output_rate(probe.rate)
    except ValueError as exc:
        raise OptionError(str(exc)) from None
    interp, _ = load_interpolator(c.model, weights, device, c.scale, c.fp16, c.tta)
    batch_size = batch_size or (4 if interp.device.type == "cuda" else 1)
    bit_depth = 8 if eight_bit else probe.frame_bits
    encoder = EncoderSettings(codec=codec, crf=crf, preset=preset,
                              pix_fmt=pixel_format(codec, bit_depth, probe.width, probe.height, preset))
    stats = PairStats()
    plan = timeline_plan(probe, times, rate_out) if c.on_timeline(probe.vfr) else None
    total = probe.frames * 2**c.exp if plan is None else len(plan.positions)
    decoded = probe
    if plan is not None:
        log.info("%s: %s -> %s fps, %d output frames; %s", input_path, probe.fps, rate_out, total,
                 plan.method(c.model))
        decoded = probe.model_copy(update={"slot_sources": None, "frames": len(times)})  # every frame, once
    frames = prefetch(decode_frames(decoded, bit_depth, keep_as=encoder.pix_fmt), depth=batch_size * 2)
    made = output_frames(interp, frames, c.exp, c.mode, plan and plan.positions, plan and plan.tolerance,
                         batch_size, stats, scene_threshold=c.scene_threshold)
    writer = VideoWriter(output_path, probe, rate_out, encoder)
    report = None if progress is None else (lambda done, _frame: progress(done, total))
    encode_frames(writer, _all_of(counting_repeats(made, stats), total, input_path), report)
    return InterpolationResult(
        input_path=input_path, output_path=output_path, frames_in=probe.frames, frames_out=writer.count,
        fps_in=probe.fps, fps_out=str(rate_out), seconds=time.perf_counter() - started, vfr=probe.vfr,
        audio_streams=len(probe.audio), scene_cuts=stats.scene_cuts, static_pairs=stats.static,
        duplicate_frame_ratio=stats.duplicate_ratio,
    )


def _all_of(frames: Iterable[np.ndarray], total: int, input_path: str) -> Iterator[np.ndarray]:
    """The frames, then a VideoError when fewer than `total` came (packets that decoded to nothing): the
    output is then not published."""
    count = 0
    for count, frame in enumerate(frames, 1):
        yield frame
    if count != total:
        raise VideoError(input_path, f"damaged: {count} of the {total} output frames planned could be made "
                                     "(some frames did not decode)")


def _as_rgb(image, name: str) -> np.ndarray:
    if isinstance(image, np.ndarray):
        array = image
    else:
        from PIL import Image, UnidentifiedImageError

        try:
            with Image.open(image) as img:
                array = np.asarray(img.convert("RGB"))
        except (UnidentifiedImageError, OSError) as exc:
            raise VideoError(str(image), f"not a readable image ({exc})") from exc
    if array.ndim != 3 or array.shape[2] != 3 or array.dtype not in (np.uint8, np.uint16):
        raise VideoError(name, f"expected an (H, W, 3) uint8 or uint16 image, got {array.shape} {array.dtype}")
    return array


def interpolate_images(img0, img1, exp: int = 1, *, model: str = DEFAULT_MODEL, weights: Optional[str] = None,
                       scale: float = 1.0, fp16: bool = False, tta: bool = False, mode: str = "chain",
                       device: Optional[str] = None, scene_threshold: float = 0.0) -> list[np.ndarray]:
    """The 2^exp - 1 frames between two images (paths or (H, W, 3) arrays), in time order.

    An explicit pair is always interpolated: scene-cut detection is off unless `scene_threshold` is set.
    """
    c = checked_choices(exp=exp, model=model, scale=scale, tta=tta, mode=mode, fp16=fp16,
                        scene_threshold=scene_threshold)
    weights = checked_weights(weights)
    a, b = _as_rgb(img0, "img0"), _as_rgb(img1, "img1")
    if a.shape != b.shape:
        raise VideoError(str(img1) if not isinstance(img1, np.ndarray) else "img1",
                         f"size {a.shape[1]}x{a.shape[0]} and {b.shape[1]}x{b.shape[0]} differ")
    interp, _ = load_interpolator(c.model, weights, device, c.scale, c.fp16, c.tta)
    tensors = to_tensor([a, b], interp.device)
    mids, _, _ = inbetweens(interp, tensors[:1], tensors[1:], c.exp, c.mode, scene_threshold=c.scene_threshold)
    return list(to_arrays(mids[0], a.dtype))


def main_interpolate(input_video_path, output_dir_path, exp: int = 1, use_fp16: bool = True) -> str:
    """LatentSync's integration point: write `<stem>_<factor>x.mp4` into `output_dir_path`, return its path.

    fp16 falls back to fp32 (with a log line) where there is no GPU.
    """
    stem = os.path.splitext(os.path.basename(os.fspath(input_video_path)))[0]
    os.makedirs(output_dir_path, exist_ok=True)
    output = os.path.join(os.fspath(output_dir_path), f"{stem}_{2**exp}x.mp4")
    return interpolate_video(input_video_path, output, exp=exp, fp16=use_fp16).output_path
