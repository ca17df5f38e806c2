"""Reading video with PyAV: probe a file, then decode its frames to RGB on a constant-rate timeline."""
from __future__ import annotations

import bisect
import os
from dataclasses import dataclass
from fractions import Fraction
from typing import Iterator

import av
import numpy as np

from rifeflow.manifests.planning import constant_rate_slots
from rifeflow.manifests.records import AudioStreamInfo, VideoProbe
from rifeflow.errors import VideoError, media_error
from rifeflow.video.pictures import FULL_RANGE_TWINS, decoded_rgb


def _open(path: str) -> av.container.InputContainer:
    if not os.path.exists(path):
        raise VideoError(path, "file does not exist")
    if os.path.isdir(path):
        raise VideoError(path, "is a directory, not a video file")
    if os.path.getsize(path) == 0:
        raise VideoError(path, "empty file")
    try:
        return av.open(path, metadata_errors="ignore")
    except av.FFmpegError as exc:
        raise media_error(path, exc, f"not a video FFmpeg can read ({exc.strerror or exc})") from exc


def _bit_depth(stream) -> int:
    fmt = stream.codec_context.format
    return max((c.bits for c in fmt.components), default=8) if fmt else 8


def _audio_info(path: str) -> list[AudioStreamInfo]:
    infos = []
    with av.open(path, metadata_errors="ignore") as container:
        streams = list(container.streams.audio)
        stats = {s.index: [None, None, 0] for s in streams}  # first pts, end pts, packets
        if streams:
            for packet in container.demux(*streams):
                if packet.pts is None or packet.dts is None:
                    continue
                first, end, count = stats[packet.stream.index]
                pend = packet.pts + (packet.duration or 0)
                stats[packet.stream.index] = [packet.pts if first is None else min(first, packet.pts), pend if end is None else max(end, pend), count + 1]
        for s in streams:
            first, end, count = stats[s.index]
            tb = float(s.time_base)
            infos.append(AudioStreamInfo(
                index=s.index, codec=s.codec_context.name, sample_rate=s.codec_context.sample_rate or 0,
                channels=s.codec_context.channels or 0, start_time=(first or 0) * tb,
                duration=None if first is None else (end - first) * tb, packets=count,
            ))
    return infos


def _frame_times(path: str, container, stream) -> tuple[list[float], int, list, list[int]]:
    """Presentation time of every decoded frame, the display rotation of the first, and each frame's pts
    and the keyframes' (as the frames carry them)."""
    tb = float(stream.time_base)
    times: list[float] = []
    pts: list[int | None] = []
    keys: list[int] = []
    rotation = 0
    try:
        for frame in container.decode(stream):
            if not times:
                rotation = int(frame.rotation or 0)
            times.append(frame.pts * tb if frame.pts is not None else (times[-1] if times else 0.0))
            pts.append(frame.pts)
            if frame.key_frame and frame.pts is not None:
                keys.append(frame.pts)
    except av.FFmpegError as exc:
        raise media_error(path, exc, f"damaged or truncated: decoding failed after {len(times)} frames "
                                     f"({exc.strerror or exc})") from exc
    _check_complete(path, stream, times)
    return times, rotation, pts, sorted(keys)


def _packet_times(path: str, container, stream) -> tuple[list[float], int, list, list[int]]:
    """Frame times from packet timestamps (no decoding but the first frame's, for its rotation).

    Equal to the decoded times for the containers and codecs `trusts_packet_times` names.
    """
    tb = float(stream.time_base)
    pts: list[int] = []
    keys: list[int] = []
    rotation = None
    try:
        for packet in container.demux(stream):
            if packet.dts is None or packet.pts is None or packet.is_discard:
                continue
            pts.append(packet.pts)
            if packet.is_keyframe:
                keys.append(packet.pts)
            if rotation is None:
                for frame in packet.decode():
                    rotation = int(frame.rotation or 0)
                    break
    except av.FFmpegError as exc:
        raise media_error(path, exc, f"damaged or truncated: reading failed after {len(pts)} frames "
                                     f"({exc.strerror or exc})") from exc
    pts.sort()
    times = [p * tb for p in pts]
    _check_complete(path, stream, times)
    return times, rotation or 0, pts, sorted(keys)


def _check_complete(path: str, stream, times: list[float]) -> None:
    if not times:
        raise VideoError(path, "the video stream has no decodable frames")
    if stream.frames and len(times) + 1 < stream.frames:
        raise VideoError(path, f"truncated: {len(times)} of {stream.frames} frames could be decoded")


def probe_video(path: str) -> VideoProbe:
    """Everything about `path` the interpolation needs; raises VideoError for anything unusable."""
    return probe_timeline(path, decode=True)[0]


def probe_timeline(path: str, decode: bool = True) -> tuple[VideoProbe, list[float]]:
    """The probe and every frame's time; with decode=False the times come from packet timestamps."""
    probe, times, _ = _probe(os.fspath(path), decode)
    return probe, times


def _color_range(cc) -> int:
    """The stream's range tag; FFmpeg's yuvj formats are full range (2) whatever the stream says."""
    return 2 if cc.format is not None and cc.format.name in FULL_RANGE_TWINS else int(cc.color_range)


def _probe(path: str, decode: bool, indexed: bool = False) -> tuple[VideoProbe, list[float], FrameIndex | None]:
    with _open(path) as container:
        if not container.streams.video:
            kinds = ", ".join(sorted({s.type for s in container.streams})) or "no streams"
            raise VideoError(path, f"no video stream (found: {kinds})")
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        cc = stream.codec_context
        rate = Fraction(stream.guessed_rate or stream.average_rate or 25).limit_denominator(1_000_000)
        if rate <= 0:
            raise VideoError(path, "the video stream has no frame rate")
        info = dict(
            container=container.format.name, codec=cc.name, width=cc.width, height=cc.height,
            pix_fmt=cc.format.name if cc.format else "unknown", bit_depth=_bit_depth(stream),
            colorspace=int(cc.colorspace), color_range=_color_range(cc),
            color_primaries=int(cc.color_primaries), color_trc=int(cc.color_trc),
            video_stream_index=stream.index, video_streams=len(container.streams.video),
        )
        times, rotation, pts, keys = (_frame_times if decode else _packet_times)(path, container, stream)
        time_base = stream.time_base
    slots = constant_rate_slots(times, rate)
    frames = len(slots) if slots is not None else len(times)
    probe = VideoProbe(
        source=path, fps=str(rate), frames_decoded=len(times), frames=frames, start_time=times[0],
        duration=frames / float(rate), vfr=slots is not None, audio=_audio_info(path),
        slot_sources=slots, rotation=rotation, **info,
    )
    if not indexed:
        return probe, times, None
    exact = None not in pts and len(set(pts)) == len(pts) == len(times) and \
        [p * float(time_base) for p in pts] == times
    return probe, times, FrameIndex(pts=pts if exact else [None] * len(times), keyframe_pts=keys, exact=exact)


# Containers and codecs whose packet timestamps are the decoded frames' own (one shown frame per packet).
TRUSTED_CONTAINERS = ("mov,mp4,m4a,3gp,3g2,mj2", "matroska,webm")
TRUSTED_CODECS = ("h264", "hevc", "av1", "libdav1d", "mpeg4", "mpeg2video", "prores", "ffv1", "mjpeg", "dnxhd", "png")


@dataclass(frozen=True)
class FrameIndex:
    """Where each frame of the video stream is: its pts (stream time base, presentation order) and the
    keyframes a decoder can start from. `exact` is False when frames carry no usable timestamps; they
    are then found by counting from the first."""

    pts: list[int | None]
    keyframe_pts: list[int]
    exact: bool

    def seek_point(self, index: int) -> int | None:
        """The pts of the last keyframe at or before frame `index`; None: start from the first packet."""
        if not self.exact:
            return None
        target = self.pts[index]
        found = bisect.bisect_right(self.keyframe_pts, target) - 1
        return self.keyframe_pts[found] if found > 0 else None


def trusts_packet_times(container: str, codec: str) -> bool:
    """Whether packet timestamps can stand for decoded frames (else the frames are decoded to find them)."""
    return container in TRUSTED_CONTAINERS and codec in TRUSTED_CODECS


def index_frames(path: str, decode: bool | None = None) -> tuple[VideoProbe, list[float], FrameIndex]:
    """The probe, every frame's time, and where each frame is; decode None decodes only when the
    container's packet timestamps cannot be trusted (AVI, VP9's hidden frames, ...)."""
    path = os.fspath(path)
    if decode is None:
        with _open(path) as container:
            stream = container.streams.video[0] if container.streams.video else None
            decode = stream is None or not trusts_packet_times(container.format.name, stream.codec_context.name)
    return _probe(path, decode, indexed=True)


def decode_window(path: str, pts: list[int | None], seek_pts: int | None, bit_depth: int = 8,
                  first: int = 0, keep_as: str | None = None) -> Iterator[tuple[int, np.ndarray]]:
    """(index, RGB frame) for the frames whose timestamps are `pts`, numbered from `first`.

    Seeks to the keyframe `seek_pts` first (None: reads from the first packet). Each decoded frame
    must carry the next expected timestamp: a frame that does not is a VideoError, never a silently
    shifted frame. A seek that lands after the first wanted frame starts over from the beginning.
    Frames decoded in pixel format `keep_as` keep a copy of their picture (video/pictures.py).
    """
    fmt = rgb_format(bit_depth)
    counting = None in pts
    with _open(path) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        wanted = 0
        if seek_pts is not None and not counting:
            container.seek(seek_pts, stream=stream, backward=True, any_frame=False)
        try:
            for number, frame in enumerate(container.decode(stream)):
                if counting:
                    if number < first:
                        continue
                elif frame.pts is None or frame.pts < pts[wanted]:
                    continue
                elif frame.pts != pts[wanted]:
                    if wanted == 0 and seek_pts is not None:
                        yield from decode_window(path, pts, None, bit_depth, first, keep_as)
                        return
                    raise VideoError(path, f"frame {first + wanted} has timestamp {frame.pts}, the index says "
                                           f"{pts[wanted]}: the decoded frames differ from the container's index")
                yield first + wanted, decoded_rgb(frame, fmt, keep_as)
                wanted += 1
                if wanted == len(pts):
                    return
        except av.FFmpegError as exc:
            raise media_error(path, exc, f"decoding failed ({exc.strerror or exc})") from exc
    raise VideoError(path, f"truncated: the stream ended after frame {first + wanted - 1}, before frame "
                           f"{first + len(pts) - 1}")


def rgb_format(bit_depth: int) -> str:
    return "rgb48le" if bit_depth > 8 else "rgb24"


def decode_frames(probe: VideoProbe, bit_depth: int = 8, start: int = 0, stop: int | None = None,
                  decoded_times: list[float] | None = None, keep_as: str | None = None) -> Iterator[np.ndarray]:
    """RGB frames (H, W, 3) uint8 (or uint16 when bit_depth > 8) on the constant-rate timeline.

    Yields timeline frames start..stop-1; colour conversion follows the stream's own matrix and range.
    With `decoded_times`, every frame of the stream is decoded and its time appended there. Frames decoded
    in pixel format `keep_as` keep a copy of their picture (video/pictures.py).
    """
    stop = probe.frames if stop is None else min(stop, probe.frames)
    fmt = rgb_format(bit_depth)
    slots = probe.slot_sources
    with _open(probe.source) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        wanted = iter(range(start, stop))
        slot = next(wanted, None)
        try:
            tb = float(stream.time_base)
            for index, frame in enumerate(container.decode(stream)):
                if decoded_times is not None:
                    decoded_times.append(frame.pts * tb if frame.pts is not None else
                                         (decoded_times[-1] if decoded_times else 0.0))
                if slot is None:
                    if decoded_times is None:
                        return
                    continue
                source = slot if slots is None else slots[slot]
                if index < source:
                    continue
                array = decoded_rgb(frame, fmt, keep_as)
                while slot is not None and (slot if slots is None else slots[slot]) == index:
                    yield array
                    slot = next(wanted, None)
        except av.FFmpegError as exc:
            raise media_error(probe.source, exc, f"decoding failed ({exc.strerror or exc})") from exc
