"""A video's output in segments: each chunk's frames encoded on its worker as a self-contained file (it
starts with a keyframe, and every segment of a video has the same encoder settings), then joined with
the source's audio by copying packets: no frame is decoded or encoded again.
"""
from __future__ import annotations

import os
from fractions import Fraction
from typing import Sequence

import av
import numpy as np

from rifeflow.errors import VideoError
from rifeflow.manifests.codecs import codec_spec
from rifeflow.manifests.records import EncoderSettings, VideoProbe
from rifeflow.video.encode import FrameEncoder, add_video_stream
from rifeflow.video.write import AUDIO_LEAD_SECONDS, BITEXACT, AudioCarrier, container_for, partial_name


def segment_format(codec: str) -> str:
    """MP4 keeps every encoder's timestamps exactly (decode order included); ProRes needs MOV."""
    return "mov" if codec_spec(codec).family == "prores" else "mp4"


class SegmentWriter:
    """Output frames of a video encoded into one segment file, timed from 0: MP4 keeps a start offset only to
    the millisecond, so the join (which knows where each segment starts) adds it back exactly."""

    def __init__(self, path: str, settings: EncoderSettings, probe: VideoProbe, rate: Fraction):
        self.path = path
        self.output = av.open(path, "w", format=segment_format(settings.codec), options=BITEXACT)
        try:
            stream = add_video_stream(self.output, settings, probe, Fraction(rate))
            self.encoder = FrameEncoder(stream, probe, 0)
        except Exception:
            self.output.close()
            raise
        self.count = 0

    def write(self, rgb: np.ndarray) -> None:
        self.output.mux(self.encoder.encode(rgb))
        self.count += 1

    def close(self) -> int:
        """Flush the encoder and close the file; returns the frames written."""
        self.output.mux(self.encoder.flush())
        self.output.close()
        return self.count

    def abort(self) -> None:
        try:
            self.output.close()
        except Exception:  # a half-written container may not close cleanly; the caller drops the file
            pass


def join_segments(segments: Sequence[str], starts: Sequence[int], rate: Fraction, probe: VideoProbe, output_path: str,
                  expected_frames: int) -> str:
    """Write `output_path` from the segments' packets in order and every audio stream of `probe.source`.

    Segment i's first frame is output frame `starts[i]` (the source's own start offset is added here).
    Refuses segments whose encoder headers differ (they would not play as one stream) and timestamps
    that do not increase across a join. Written to a temporary name and renamed; nothing is left on error.
    """
    fmt = container_for(output_path)
    tmp = partial_name(output_path)
    output = av.open(tmp, "w", format=fmt, options=BITEXACT)
    audio = None
    try:
        with av.open(segments[0]) as first:
            template = first.streams.video[0]
            stream = output.add_stream_from_template(template, opaque=True)
            stream.time_base = template.time_base
            header = bytes(template.codec_context.extradata or b"")
        audio = AudioCarrier(probe, output, fmt)
        pts0 = round(probe.start_time * Fraction(rate))
        count = _copy_video(segments, [Fraction(pts0 + start) / Fraction(rate) for start in starts], output, stream,
                            header, audio)
        audio.finish()
        output.close()
        if count != expected_frames:
            raise VideoError(output_path, f"the segments hold {count} frames, expected {expected_frames}")
        os.replace(tmp, output_path)
        return output_path
    except BaseException:
        try:
            output.close()
        except Exception:  # a half-written container may not close cleanly; it is removed below
            pass
        if audio is not None:
            audio.input.close()
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def _delay(path: str) -> Fraction:
    """How far a segment's decode times run ahead of its presentation times (its encoder's reorder delay)."""
    with av.open(path) as segment:
        video = segment.streams.video[0]
        first = next((p for p in segment.demux(video) if p.dts is not None), None)
        return Fraction(0) if first is None else (first.pts - first.dts) * video.time_base


def _copy_video(segments: Sequence[str], offsets: Sequence[Fraction], output, stream, header: bytes,
                audio: AudioCarrier) -> int:
    """Copy the packets, each segment moved to its start. Decode times are laid out again with the largest
    reorder delay of any segment (a segment of a frame or two may have none), so they keep increasing
    across every join while never passing a frame's presentation time."""
    delay = max(_delay(path) for path in segments)
    last_dts, count = None, 0
    for number, (path, offset) in enumerate(zip(segments, offsets)):
        with av.open(path) as segment:
            video = segment.streams.video[0]
            if bytes(video.codec_context.extradata or b"") != header:
                raise VideoError(path, f"segment {number}'s encoder header differs from segment 0's: the segments "
                                       "were encoded with different settings and cannot be joined")
            packets = [p for p in segment.demux(video) if p.dts is not None]  # not the end-of-stream packet
            shift, lead = offset / video.time_base, delay / video.time_base
            if shift.denominator != 1 or lead.denominator != 1:
                raise VideoError(path, f"segment {number} starts at {float(offset):.6f} s, between two ticks of "
                                       f"its time base {video.time_base}")
            for packet, pts in zip(packets, sorted(p.pts for p in packets)):
                packet.pts, packet.dts = packet.pts + int(shift), pts + int(shift) - int(lead)
                if last_dts is not None and packet.dts * packet.time_base <= last_dts:
                    raise VideoError(path, f"segment {number} decodes at {float(packet.dts * packet.time_base):.4f} "
                                           f"s, not after the previous packet's {float(last_dts):.4f} s")
                last_dts = packet.dts * packet.time_base
                at = float(packet.pts * packet.time_base)
                packet.stream = stream
                output.mux(packet)
                count += 1
                audio.mux_until(at + AUDIO_LEAD_SECONDS)
    return count
