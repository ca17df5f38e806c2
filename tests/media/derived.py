"""The tests' clips and frame triplets, made from the registry files (registry.py) and cached.

Each clip has a role the tests need (a talking head with audio, a phone clip with a display
rotation, variable frame rate, a scene cut with several streams, 10-bit AV1 and HEVC, odd
dimensions, AVI with AC-3 audio). Frames are real footage from the registry files; only
containers, timestamps, codecs and the tone or voice-like audio are made here. Everything is
deterministic and rebuilt when RECIPE changes.
"""
from __future__ import annotations

import json
import os
import shutil
from fractions import Fraction
from pathlib import Path
from typing import Callable

import av
import numpy as np

from tests.media.registry import cache_root, fetch

RECIPE = 4  # bump when a recipe below changes: the cached clips are then made again
AS_IS = ("carphone.mp4", "bikes.mp4", "bigbuckbunny.mp4", "vtest.avi", "megamind.avi")


def _frames(name: str, start: int, count: int, size: tuple[int, int] | None = None) -> list[np.ndarray]:
    """`count` decoded RGB frames of a registry file from `start`, resized to (width, height)."""
    frames = []
    with av.open(str(fetch(name))) as container:
        for i, frame in enumerate(container.decode(video=0)):
            if i >= start:
                if size:
                    frame = frame.reformat(width=size[0], height=size[1], interpolation="AREA")
                frames.append(frame.to_ndarray(format="rgb24"))
            if len(frames) == count:
                break
    return frames


def _voice(seconds: float, rate: int, pitch: float = 140.0) -> np.ndarray:
    """A voice-like signal: harmonics of a wavering pitch under syllable-rate loudness."""
    t = np.arange(int(seconds * rate)) / rate
    f0 = pitch * (1 + 0.08 * np.sin(2 * np.pi * 0.7 * t))
    phase = 2 * np.pi * np.cumsum(f0) / rate
    tone = sum(np.sin(k * phase) / k for k in range(1, 6))
    syllables = np.clip(np.sin(2 * np.pi * 3.3 * t), 0, None) ** 0.5
    return (0.25 * tone * syllables / 2.3).astype(np.float32)


def _audio_stream(out, codec: str, rate: int, layout: str = "mono"):
    stream = out.add_stream(codec, rate=rate)
    stream.layout = layout
    return stream


def _mux_audio(out, stream, signal: np.ndarray) -> None:
    block = stream.codec_context.frame_size or 1024
    channels = len(av.AudioLayout(stream.layout.name).channels)
    for start in range(0, signal.size, block):
        piece = np.ascontiguousarray(np.repeat(signal[None, start:start + block], channels, 0))
        frame = av.AudioFrame.from_ndarray(piece, format="fltp", layout=stream.layout.name)
        frame.sample_rate, frame.pts = stream.codec_context.sample_rate, start
        out.mux(stream.encode(frame))
    out.mux(stream.encode(None))


def _video_stream(out, codec: str, rate, frames: list[np.ndarray], pix_fmt: str = "yuv420p", options=None):
    stream = out.add_stream(codec, rate=rate)
    stream.height, stream.width = frames[0].shape[:2]
    stream.pix_fmt = pix_fmt
    stream.options = options or {}
    return stream


def _mux_video(out, stream, frames: list[np.ndarray], pts: list[int] | None = None, time_base=None) -> None:
    for i, rgb in enumerate(frames):
        frame = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format=stream.pix_fmt)
        frame.pts = pts[i] if pts else i
        if time_base is not None:
            frame.time_base = time_base
        out.mux(stream.encode(frame))
    out.mux(stream.encode(None))


def talking_head(path: Path, codec: str = "libx264") -> None:
    """carphone's speaker at 25 fps (as LatentSync writes), with a voice-like AAC 16 kHz track."""
    frames = _frames("carphone.mp4", 0, 100)
    with av.open(str(path), "w") as out:
        video = _video_stream(out, codec, 25, frames, options={"crf": "18"} if codec == "libx264" else {})
        if codec == "mpeg4":
            video.codec_context.bit_rate = 400_000
        audio = _audio_stream(out, "aac", 16000)
        signal = _voice(4.0, 16000)
        _mux_video(out, video, frames)
        _mux_audio(out, audio, signal)


def phone_rotated(path: Path) -> None:
    """A 1 s phone-style clip at 30000/1001, 352x288 stored, shown turned 90 degrees; near-silent AAC 48 kHz."""
    frames = [f[:, 144:496] for f in _frames("bikes.mp4", 40, 30, (640, 288))]
    with av.open(str(path), "w") as out:
        video = _video_stream(out, "libx264", Fraction(30000, 1001), frames, options={"crf": "20"})
        video.set_display_rotation(90)
        audio = _audio_stream(out, "aac", 48000)
        signal = _voice(1.0, 48000) * 0.01
        _mux_video(out, video, frames)
        _mux_audio(out, audio, signal)


def variable_rate(path: Path) -> None:
    """carphone's frames 33 and 67 ms apart (a phone that drops frames), nominal 30000/1001, with AAC."""
    ticks = (1, 2, 1, 1, 2)
    frames = _frames("carphone.mp4", 0, 60)
    pts = np.cumsum([0] + [ticks[i % len(ticks)] for i in range(len(frames) - 1)]).tolist()
    tb = Fraction(1001, 30000)
    with av.open(str(path), "w") as out:
        video = _video_stream(out, "libx264", Fraction(30000, 1001), frames, options={"crf": "18"})
        video.codec_context.time_base = tb
        seconds = float((pts[-1] + 1) * tb)
        audio = _audio_stream(out, "aac", 44100)
        signal = _voice(seconds, 44100)
        _mux_video(out, video, frames, pts, tb)
        _mux_audio(out, audio, signal)


def scene_cut_streams(path: Path) -> None:
    """A cut at frame 40 (bikes, then carphone's car) with a second video stream and two audio tracks."""
    size = (320, 240)
    frames = _frames("bikes.mp4", 100, 40, size) + _frames("carphone.mp4", 20, 40, size)
    with av.open(str(path), "w") as out:
        main = _video_stream(out, "libx264", 25, frames, options={"crf": "20"})
        small = [f[::2, ::2].copy() for f in frames]
        second = _video_stream(out, "libx264", 25, small, options={"crf": "28"})
        english = _audio_stream(out, "aac", 8000)
        signal = _voice(3.2, 8000)
        commentary = _audio_stream(out, "aac", 16000)
        signal2 = _voice(3.2, 16000, pitch=220.0)
        _mux_video(out, main, frames)
        _mux_video(out, second, small)
        _mux_audio(out, english, signal)
        _mux_audio(out, commentary, signal2)


def vp9_odd(path: Path) -> None:
    """VP9 at odd dimensions, 161x121, 29.97 fps, 1 s, no audio."""
    frames = [f[:121, :161].copy() for f in _frames("bikes.mp4", 60, 30)]
    with av.open(str(path), "w") as out:
        video = _video_stream(out, "libvpx-vp9", Fraction(30000, 1001), frames, options={"crf": "30", "b": "0",
                                                                                            "deadline": "realtime"})
        _mux_video(out, video, frames)


def av1_10bit(path: Path) -> None:
    """10-bit AV1 in WebM, 426x240, 23.976 fps, 1 s, no audio (this FFmpeg's libvpx has no 10-bit VP9)."""
    frames = _frames("bikes.mp4", 150, 24, (426, 240))
    with av.open(str(path), "w") as out:
        video = _video_stream(out, "libsvtav1", Fraction(24000, 1001), frames, pix_fmt="yuv420p10le",
                              options={"crf": "35", "preset": "10"})
        _mux_video(out, video, frames)


def hevc_10bit(path: Path) -> None:
    """10-bit HEVC 1920x1080 with B-frames (so the MP4 carries an edit list), 1 s, AAC 48 kHz stereo."""
    frames = _frames("bigbuckbunny.mp4", 40, 25, (1920, 1080))
    with av.open(str(path), "w") as out:
        video = _video_stream(out, "libx265", 25, frames, pix_fmt="yuv420p10le",
                              options={"crf": "30", "preset": "ultrafast", "x265-params": "log-level=error"})
        video.codec_context.colorspace, video.codec_context.color_primaries = 1, 1
        video.codec_context.color_trc, video.codec_context.color_range = 1, 1
        audio = _audio_stream(out, "aac", 48000, layout="stereo")
        signal = _voice(1.0, 48000)
        _mux_video(out, video, frames)
        _mux_audio(out, audio, signal)


CLIPS: dict[str, Callable[[Path], None]] = {
    "talking_head.mp4": talking_head,
    "talking_head_mpeg4.mp4": lambda p: talking_head(p, codec="mpeg4"),
    "phone_rotated.mp4": phone_rotated,
    "vfr.mp4": variable_rate,
    "scene_cut_streams.mp4": scene_cut_streams,
    "vp9_odd_161x121.webm": vp9_odd,
    "av1_10bit.webm": av1_10bit,
    "hevc_10bit_1080p.mp4": hevc_10bit,
}

# Consecutive real frames: the middle one is the true in-between of its neighbours.
TRIPLETS = {
    "small": [("carphone.mp4", start, None) for start in range(0, 100, 10)],  # 176x144
    "large": [("bikes.mp4", start, None) for start in (20, 90, 160, 230)]  # 640x272
             + [("vtest.avi", start, None) for start in (100, 400)],  # 768x576, 10 fps: larger motion
}


def _build(root: Path) -> None:
    from PIL import Image

    videos, triplets = root / "videos", root / "triplets"
    videos.mkdir(parents=True)
    for name in AS_IS:
        shutil.copyfile(fetch(name), videos / name)
    for name, make in CLIPS.items():
        make(videos / name)
    for group, picks in TRIPLETS.items():
        for source, start, size in picks:
            folder = triplets / group / f"{Path(source).stem}_{start:03d}"
            folder.mkdir(parents=True)
            for frame, name in zip(_frames(source, start, 3, size), ("frame_00.png", "frame_01_gt.png", "frame_02.png")):
                Image.fromarray(frame).save(folder / name)
    pair = triplets / "pair"
    pair.mkdir(parents=True)
    for name in ("I2_0.png", "I2_1.png"):
        shutil.copyfile(fetch(name), pair / name)
    (root / "RECIPE.json").write_text(json.dumps({"recipe": RECIPE, "av": av.__version__}))


def _root() -> Path:
    root = cache_root() / f"media-v{RECIPE}"
    stamp = root / "RECIPE.json"
    if stamp.is_file():
        return root
    building = root.with_name(f".{root.name}.{os.getpid()}.partial")
    shutil.rmtree(building, ignore_errors=True)
    _build(building)
    try:
        os.replace(building, root)
    except OSError:  # another process finished first: its copy is the same
        shutil.rmtree(building, ignore_errors=True)
    return root


def media_dir() -> Path:
    """Folder of the test clips (registry files as they are, and the clips made from them)."""
    return _root() / "videos"


def triplets_dir() -> Path:
    """Folder of frame triplets: small/ (176x144), large/ (640x272, 768x576), and pair/ (RIFE's demo pair)."""
    return _root() / "triplets"
