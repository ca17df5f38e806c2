"""Records of a video's chunks: what a worker is asked to make (ChunkSpec, with the EncoderSettings every
segment of the video shares) and what it reports (ChunkResult, with its TemporalSummary and HeldoutScores)."""
from __future__ import annotations

from typing import Optional

from pydantic import Field

from rifeflow.manifests.base import Record


class EncoderSettings(Record):
    """The output encoder as every segment of one video uses it: the codec with its defaults filled in (a
    hardware encoder already checked usable), and the pixel format chosen for the source."""

    codec: str
    crf: Optional[int] = None
    preset: Optional[str] = None
    pix_fmt: str = "yuv420p"


class ChunkSpec(Record):
    """Timeline frames [start, stop) of one video, decoded from the source and encoded as one segment; all
    but the final chunk end on an overlap frame (the next chunk's first)."""

    index: int
    start: int
    stop: int
    final: bool
    first_output: int  # the video's output frame number of this chunk's first output frame
    output_uri: str  # the encoded segment
    decode_start: int  # first frame decoded: `start`, or the frame before it when a held-out middle is `start`
    pts: list[int]  # presentation timestamp of each decoded frame from decode_start (stream time base), checked
    seek_pts: Optional[int] = None  # the keyframe at or before decode_start; None: read from the first packet
    heldout: list[int] = Field(default_factory=list)  # held-out middles scored in this chunk
    # The output frame that follows this chunk's last one (source index, timestep): measured against it for
    # the seam statistics. None for the final chunk.
    next_first: Optional[tuple[int, str]] = None
    # On a timeline (see InterpolationOptions.on_timeline): each output frame's (source index, timestep),
    # the chunk's source frame times from the video's first frame, and the output rate, all exact.
    positions: Optional[list[tuple[int, str]]] = None
    times: Optional[list[str]] = None
    rate_out: Optional[str] = None

    @property
    def pairs(self) -> int:
        return self.stop - self.start - 1

    @property
    def decode_stop(self) -> int:
        return self.decode_start + len(self.pts)

    def frames_out(self, exp: int) -> int:
        """Output frames this chunk makes: its positions on a timeline, else 2^exp per pair (and the held last)."""
        if self.positions is not None:
            return len(self.positions)
        n = 2**exp
        return self.pairs * n + (n if self.final else 0)


class TemporalSummary(Record):
    """Consecutive-frame statistics of one segment's output frames, in a form that adds up across segments."""

    frames: int = 0
    change_sum: float = 0.0  # mean absolute luma change of each consecutive pair, summed
    flicker_sum: float = 0.0  # |change - previous change|, summed over consecutive changes
    psnr_sum: float = 0.0
    repeats: int = 0  # frames identical to the one before
    first_change: Optional[float] = None
    last_change: Optional[float] = None
    # The pair (this segment's last frame, the next segment's first), measured here: None for the last segment.
    seam_change: Optional[float] = None
    seam_psnr: Optional[float] = None
    seam_repeat: bool = False


class HeldoutScore(Record):
    """One held-out triplet: the model's middle frame and the neighbours' average against the true middle,
    over the whole frame and inside the video's mouth box (None without one)."""

    middle: int
    psnr_db: float
    ssim: float
    baseline_psnr_db: float
    baseline_ssim: float
    mouth_psnr_db: Optional[float] = None
    mouth_ssim: Optional[float] = None
    mouth_baseline_psnr_db: Optional[float] = None
    mouth_baseline_ssim: Optional[float] = None


class MouthPlan(Record):
    """The video's mouth box (x, y, w, h on the source frame), found once, or why there is none."""

    box: Optional[tuple[int, int, int, int]] = None
    checked: int = 0  # frames looked at
    found: int = 0  # of them, frames that showed a face
    faces_max: int = 0  # the most faces one frame showed (the largest is the one measured)
    reason: Optional[str] = None


class InbetweenSums(Record):
    """Each model-made frame against its two source neighbours, summed (chunks add up)."""

    frames: int = 0
    luma_shift_sum: float = 0.0  # |its mean luma - the neighbours' mean|, levels
    mouth_mad_sum: float = 0.0  # mean |it - the neighbours' average| inside the mouth box, levels


class ChunkResult(Record):
    """What a chunk holds once interpolated; stored beside its segment, so a reused chunk reports it too."""

    index: int
    output_uri: str
    frames_out: int
    seconds: float
    worker: str
    pid: int
    model_loads: int
    device: str
    static_pairs: int
    scene_cut_pairs: list[int] = Field(default_factory=list)  # timeline index of each cut pair's first frame
    temporal: TemporalSummary = Field(default_factory=TemporalSummary)
    heldout: list[HeldoutScore] = Field(default_factory=list)
    heldout_seconds: float = 0.0  # of `seconds`, the time spent scoring the held-out triplets
    inbetween: InbetweenSums = Field(default_factory=InbetweenSums)
    # Lip motion inside the mouth box (mean absolute change from the frame before, levels): per source frame
    # this chunk owns, and per output frame it made; None where the frame before is not this chunk's.
    motion_in: list[Optional[float]] = Field(default_factory=list)
    motion_out: list[Optional[float]] = Field(default_factory=list)
    reused: bool = False
    retries: int = 0  # storage calls and task attempts repeated after a transient fault, in this run
