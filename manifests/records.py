"""Typed records shared by the core, the tasks and the flows. JSON round-trips exactly."""
from __future__ import annotations

from fractions import Fraction
from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field


class Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class AudioStreamInfo(Record):
    index: int
    codec: str
    sample_rate: int
    channels: int
    start_time: float
    duration: Optional[float]
    packets: int


class VideoProbe(Record):
    """What rifeflow needs to know about a source video before touching its frames."""

    source: str
    container: str
    codec: str
    width: int
    height: int
    pix_fmt: str
    bit_depth: int
    fps: str  # exact rational, "30000/1001"
    frames_decoded: int  # frames the decoder returns
    frames: int  # frames on the constant-rate timeline (== frames_decoded unless VFR)
    start_time: float
    duration: float
    vfr: bool
    colorspace: int
    color_range: int
    color_primaries: int
    color_trc: int
    video_stream_index: int
    video_streams: int
    audio: list[AudioStreamInfo] = Field(default_factory=list)
    # For VFR input: for each constant-rate slot, the index of the decoded frame shown there.
    slot_sources: Optional[list[int]] = None

    @property
    def rate(self) -> Fraction:
        return Fraction(self.fps)


class InterpolationOptions(Record):
    """Everything that changes the interpolated pixels; part of every chunk's identity."""

    exp: int = 1
    model: str = "rife-hdv3"
    weights_sha256: str = ""
    scale: float = 1.0
    tta: bool = False
    mode: Literal["chain", "direct"] = "chain"
    fp16: bool = False
