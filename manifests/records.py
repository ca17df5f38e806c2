"""Typed records shared by the core, the tasks and the flows. JSON round-trips exactly."""
from __future__ import annotations

from fractions import Fraction
from typing import Any, Literal, Optional

from pydantic import Field

from rifeflow.manifests.base import Record
from rifeflow.manifests.chunks import (ChunkResult, ChunkSpec, EncoderSettings, HeldoutScore, InbetweenSums,
                                       MouthPlan, TemporalSummary)
from rifeflow.manifests.options import InterpolationChoices

__all__ = ["Record", "ChunkResult", "ChunkSpec", "EncoderSettings", "HeldoutScore", "InbetweenSums", "MouthPlan",
           "TemporalSummary"]


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
    rotation: int = 0  # display rotation in degrees (phone footage); frames are stored unrotated
    audio: list[AudioStreamInfo] = Field(default_factory=list)
    # For VFR input: for each constant-rate slot, the index of the decoded frame shown there.
    slot_sources: Optional[list[int]] = None

    @property
    def rate(self) -> Fraction:
        return Fraction(self.fps)

    @property
    def frame_bits(self) -> int:
        """Bits per sample of the RGB frames worked on: 16 for a source deeper than 8 bits, else 8."""
        return 16 if self.bit_depth > 8 else 8


class InterpolationOptions(Record, InterpolationChoices):
    """The user's choices (options.py) and the weights' checksum: everything that changes the
    interpolated pixels, part of every chunk's identity."""

    weights_sha256: str = ""

    _ADDED_LATER = {"fps": None, "scene_threshold": 0.2}

    def identity(self) -> dict:
        """The options as they name chunks and manifests; fields added later leave keys alone at their defaults."""
        data = self.model_dump()
        for name, default in self._ADDED_LATER.items():
            if data[name] == default:
                del data[name]
        return data


class PreparedVideo(Record):
    """What a worker learnt from reading a source once: its checksum, probe, encoder format and chunks."""

    source_sha256: str
    probe: VideoProbe
    encoder: EncoderSettings
    chunks: list[ChunkSpec]
    heldout_middles: list[int] = Field(default_factory=list)
    mouth: MouthPlan = Field(default_factory=MouthPlan)
    seconds: float = 0.0
    retries: int = 0


class HeldoutResult(Record):
    """The model's middle frames against the true ones, beside averaging the neighbours."""

    heldout_n: int = 0
    heldout_psnr_db: Optional[float] = None
    heldout_ssim: Optional[float] = None
    baseline_psnr_db: Optional[float] = None
    baseline_ssim: Optional[float] = None
    heldout_gain_db: Optional[float] = None
    mouth_heldout_n: int = 0
    mouth_heldout_psnr_db: Optional[float] = None
    mouth_heldout_ssim: Optional[float] = None
    mouth_baseline_psnr_db: Optional[float] = None
    mouth_baseline_ssim: Optional[float] = None
    mouth_heldout_gain_db: Optional[float] = None
    seconds: float = 0.0
    retries: int = 0


class StitchResult(Record):
    """The published output's facts, and the temporal statistics of its frames (added up from its segments)."""

    output_uri: str
    facts: dict[str, Any]  # container facts of the output, `out_*` metric names
    temporal: dict[str, Any]  # luma change, flicker, consecutive and seam PSNR
    output_stat: Optional["SourceStat"] = None  # the published object, as the store had it right after
    sync: dict[str, Any] = Field(default_factory=dict)  # lip motion against the audio, before and after
    seconds: float = 0.0
    retries: int = 0


class WholeVideo(Record):
    """A short video's one task: always prepared; interpolated and stitched too when it was one chunk."""

    prepared: PreparedVideo
    result: Optional[ChunkResult] = None
    stitched: Optional[StitchResult] = None
    retries: int = 0


VideoStatus = Literal["pending", "prepared", "interpolated", "done", "failed"]
ErrorKind = Literal["permanent", "transient"]


class SourceStat(Record):
    """Cheap identity of a source object: a rerun compares this before downloading anything."""

    size: int
    version: str  # ETag on S3, mtime on a filesystem


class SourceRef(Record):
    """A source object and the cheap identity a worker's scratch copy is keyed by."""

    uri: str
    stat: SourceStat


class VideoManifest(Record):
    """The one source of truth for a video's progress; rewritten atomically after each step."""

    version: Literal[3] = 3
    video_key: str
    source_uri: str
    output_uri: str
    source_stat: SourceStat
    source_sha256: str = ""
    options: InterpolationOptions
    chunk_frames: int
    encoder: Optional[EncoderSettings] = None  # set by prepare, with the pixel format for this source
    mouth: MouthPlan = Field(default_factory=MouthPlan)
    probe: Optional[VideoProbe] = None
    chunks: list[ChunkSpec] = Field(default_factory=list)
    results: list[ChunkResult] = Field(default_factory=list)
    heldout_middles: list[int] = Field(default_factory=list)
    heldout: Optional[HeldoutResult] = None
    status: VideoStatus = "pending"
    error: Optional[str] = None
    error_kind: Optional[ErrorKind] = None  # permanent: the source itself is bad; not retried until it changes
    timings: dict[str, float] = Field(default_factory=dict)
    metrics: dict[str, Any] = Field(default_factory=dict)
    retries: int = 0  # transient faults retried by the latest run that worked on this video
    done_by_run_id: Optional[str] = None  # the catalog run that published the output
    # The output object as published (size and ETag or mtime): a later run skips the video only while the
    # object at the output key is still this one.
    output_stat: Optional[SourceStat] = None
    redo_reason: Optional[str] = None  # why this run did a video again that an earlier run had done

    def done_chunks(self) -> set[int]:
        return {r.index for r in self.results}

    def with_result(self, result: ChunkResult) -> "VideoManifest":
        kept = [r for r in self.results if r.index != result.index]
        return self.model_copy(update={"results": sorted(kept + [result], key=lambda r: r.index)})

    def with_prepared(self, prepared: PreparedVideo) -> "VideoManifest":
        return self.model_copy(update={
            "source_sha256": prepared.source_sha256, "probe": prepared.probe, "chunks": prepared.chunks,
            "encoder": prepared.encoder, "heldout_middles": prepared.heldout_middles, "mouth": prepared.mouth,
            "status": "prepared",
        }).with_timing("prepare", prepared.seconds)

    def pending_chunks(self) -> list[ChunkSpec]:
        done = self.done_chunks()
        return [c for c in self.chunks if c.index not in done]

    def with_retries(self, count: int) -> "VideoManifest":
        return self.model_copy(update={"retries": self.retries + count}) if count else self

    def with_timing(self, stage: str, seconds: float) -> "VideoManifest":
        return self.model_copy(update={"timings": {**self.timings, stage: round(seconds, 4)}})


StitchResult.model_rebuild()
WholeVideo.model_rebuild()


class VideoOutcome(Record):
    """What one video's run came to: the line an operator or analyst reads."""

    source_uri: str
    output_uri: Optional[str] = None
    status: Literal["done", "skipped", "failed"]
    error: Optional[str] = None
    error_kind: Optional[ErrorKind] = None
    error_category: Optional[str] = None  # rifeflow.errors.ERROR_CATEGORIES
    video_key: Optional[str] = None
    seconds: float = 0.0
    retries: int = 0
    # The video's manifest as the run left it, for its metrics row (not part of what is printed or stored).
    manifest: Optional[VideoManifest] = Field(None, exclude=True, repr=False)


class CatalogListing(Record):
    """What discovery found: each source with the output it gets, and the sources refused, with why."""

    outputs: dict[str, str] = Field(default_factory=dict)
    refused: dict[str, str] = Field(default_factory=dict)
