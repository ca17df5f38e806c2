"""Writing video with PyAV: the chosen encoder tagged like the source, audio carried over, atomic rename."""
from __future__ import annotations

import logging
import os
import uuid
from fractions import Fraction
from typing import Callable, Iterable

import av
import numpy as np

from rifeflow.errors import OptionError, VideoError, media_error
from rifeflow.manifests.records import EncoderSettings, VideoProbe
from rifeflow.threads import BackgroundSink
from rifeflow.video.encode import FrameEncoder, add_video_stream

log = logging.getLogger(__name__)

CONTAINERS = {".mp4": "mp4", ".m4v": "mp4", ".mov": "mov", ".mkv": "matroska"}
# Audio codecs each output container takes as they are; anything else is re-encoded to AAC.
COPYABLE_AUDIO = {
    "mp4": {"aac", "mp3", "ac3", "eac3", "alac", "opus", "flac"},
    "mov": {"aac", "mp3", "ac3", "eac3", "alac", "pcm_s16le", "pcm_s24le", "pcm_f32le"},
    "matroska": None,  # takes everything
}
AUDIO_LEAD_SECONDS = 0.5
# The same frames and packets make the same file: no random segment IDs (Matroska), no version strings.
BITEXACT = {"fflags": "+bitexact"}


def container_for(path: str) -> str:
    ext = os.path.splitext(path)[1].lower()
    if ext not in CONTAINERS:
        raise OptionError(f"{path}: unsupported output extension {ext or '(none)'}; use one of {', '.join(CONTAINERS)}")
    return CONTAINERS[ext]


def _named_layout(cc) -> str:
    """A channel layout the AAC encoder accepts ("1 channels" from an AVI is not one)."""
    name = cc.layout.name if cc.layout else ""
    if name and "channels" not in name:
        return name
    return {1: "mono", 2: "stereo", 6: "5.1"}.get(cc.channels or 2, "stereo")


class AudioCarrier:
    """Moves every audio stream of the source into the output, interleaved with the video."""

    def __init__(self, probe: VideoProbe, output: av.container.OutputContainer, fmt: str):
        self.input = av.open(probe.source, metadata_errors="ignore")
        self.output = output
        self.routes = {}
        copyable = COPYABLE_AUDIO[fmt]
        for stream in self.input.streams.audio:
            if copyable is None or stream.codec_context.name in copyable:
                self.routes[stream.index] = (output.add_stream_from_template(stream), None)
            else:
                log.info("re-encoding audio stream %d (%s) to AAC for %s", stream.index, stream.codec_context.name, fmt)
                cc = stream.codec_context
                layout = _named_layout(cc)
                out = output.add_stream("aac", rate=cc.sample_rate)
                out.layout, out.format = layout, "fltp"
                resampler = av.AudioResampler(format="fltp", layout=layout, rate=cc.sample_rate)
                self.routes[stream.index] = (out, resampler)
        self.packets = self.input.demux(*self.input.streams.audio) if self.routes else iter(())
        self.pending = None
        self.last_dts: dict[int, int] = {}

    def mux_until(self, seconds: float | None) -> None:
        """Mux source audio packets that start before `seconds` (all of them when None)."""
        while True:
            packet = self.pending or next(self.packets, None)
            self.pending = None
            if packet is None:
                return
            if packet.dts is None:
                continue
            if seconds is not None and packet.pts is not None and packet.pts * packet.time_base > seconds:
                self.pending = packet
                return
            self._mux(packet)

    def _mux(self, packet) -> None:
        out, resampler = self.routes[packet.stream.index]
        if resampler is None:
            index, dts = packet.stream.index, packet.dts
            previous = self.last_dts.get(index)
            self.last_dts[index] = dts
            packet.stream = out
            try:
                self.output.mux(packet)
            except av.FFmpegError as exc:  # the muxer names only its own (temporary) output file
                at = float(dts * packet.time_base)
                why = "its timestamps do not increase" if previous is not None and dts <= previous else \
                    f"the muxer refused the packet at {at:.3f} s"
                raise media_error(self.input.name, exc, f"audio stream {index} cannot be copied into "
                                  f"{self.output.format.name}: {why} ({exc.strerror or exc})") from None
            return
        for frame in packet.decode():
            for resampled in resampler.resample(frame):
                self.output.mux(out.encode(resampled))

    def finish(self) -> None:
        self.mux_until(None)
        for out, resampler in self.routes.values():
            if resampler is not None:
                for resampled in resampler.resample(None):
                    self.output.mux(out.encode(resampled))
                self.output.mux(out.encode(None))
        self.input.close()


def partial_name(path: str) -> str:
    """A hidden temporary name beside `path` to write to before the rename (a hash of the name, where the
    name is long enough that the suffix would push it over a file name's 255 bytes)."""
    from rifeflow.manifests.planning import bounded_name

    directory, name = os.path.split(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    return os.path.join(directory, bounded_name(name, f".{uuid.uuid4().hex[:8]}.partial"))


class VideoWriter:
    """Encode RGB frames at `rate` to a temporary file beside `path`; `close()` renames it into place."""

    def __init__(self, path: str, probe: VideoProbe, rate: Fraction, settings: EncoderSettings, audio: bool = True):
        self.path = os.fspath(path)
        fmt = container_for(self.path)
        self.tmp_path = partial_name(self.path)
        self.rate = Fraction(rate)
        self.audio = None
        self.output = av.open(self.tmp_path, "w", format=fmt, options=BITEXACT)
        try:
            self.stream = add_video_stream(self.output, settings, probe, self.rate)
            self.audio = AudioCarrier(probe, self.output, fmt) if audio else None
        except Exception:
            self.abort()
            raise
        self.encoder = FrameEncoder(self.stream, probe, round(probe.start_time * self.rate))
        self.count = 0

    def write(self, rgb: np.ndarray) -> None:
        for packet in self.encoder.encode(rgb):
            self.output.mux(packet)
        self.count += 1
        if self.audio is not None:
            self.audio.mux_until(float((self.encoder.pts - 1) / self.rate) + AUDIO_LEAD_SECONDS)

    def close(self) -> str:
        """Flush, check a file was written, and move it to its final name. Returns the path."""
        try:
            self.output.mux(self.encoder.flush())
            if self.audio is not None:
                self.audio.finish()
            self.output.close()
            if self.count == 0 or not os.path.exists(self.tmp_path) or os.path.getsize(self.tmp_path) == 0:
                raise VideoError(self.path, "no frames were written")
            os.replace(self.tmp_path, self.path)
            return self.path
        except Exception:
            self.abort()
            raise

    def abort(self) -> None:
        """Drop the partial output; the final path is never touched."""
        try:
            self.output.close()
        except Exception:  # closing a half-written container may fail; the file goes anyway
            pass
        if self.audio is not None:
            self.audio.input.close()
        if os.path.exists(self.tmp_path):
            os.remove(self.tmp_path)


def encode_frames(writer: VideoWriter, frames: Iterable[np.ndarray],
                  on_frame: Callable[[int, np.ndarray], None] | None = None) -> str:
    """Encode every frame in a background thread and publish the file; on any error nothing is left.

    `on_frame(count, frame)` sees each frame as it is queued. The encoder thread has stopped
    before the container is closed, whatever failed.
    """
    sink = BackgroundSink(writer.write, depth=16)
    try:
        for count, frame in enumerate(frames, 1):
            sink.put(frame)
            if on_frame is not None:
                on_frame(count, frame)
        sink.close()
        return writer.close()
    except BaseException:
        sink.cancel()
        writer.abort()
        raise
