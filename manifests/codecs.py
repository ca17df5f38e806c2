"""The output encoders rifeflow offers, what `--crf` and `--preset` mean for each, and which containers
hold them. Pure data and checks (no PyAV): the options model validates against it everywhere, and
rifeflow/video/encode.py turns a resolved choice into an encoder's options.
"""
from __future__ import annotations

from dataclasses import dataclass

X26X_PRESETS = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow",
                "placebo")
PRORES_PROFILES = ("proxy", "lt", "standard", "hq", "4444", "4444xq")
NVENC_PRESETS = tuple(f"p{i}" for i in range(1, 8))


@dataclass(frozen=True)
class CodecSpec:
    name: str
    family: str  # the bitstream: h264, hevc, av1, vp9, prores, ffv1
    containers: tuple[str, ...]  # output extensions that hold it
    crf_range: tuple[int, int] | None  # None: the codec has no quality number (lossless, or a profile)
    crf_default: int | None
    crf_means: str
    presets: tuple[str, ...]
    preset_default: str | None
    preset_means: str
    lossless: bool = False
    software_fallback: str | None = None  # hardware encoders: the software one used where they are unusable

    def describe(self) -> str:
        quality = f"--crf {self.crf_range[0]}-{self.crf_range[1]} ({self.crf_means}, default {self.crf_default})" \
            if self.crf_range else f"no --crf ({self.crf_means})"
        speed = f"--preset {self.preset_means} (default {self.preset_default})" if self.presets else \
            f"no --preset ({self.preset_means})"
        return f"{self.name}: {quality}; {speed}; containers {', '.join(self.containers)}"


_X26X = "x264's preset names, ultrafast to placebo"
CODECS: dict[str, CodecSpec] = {spec.name: spec for spec in (
    CodecSpec("libx264", "h264", (".mp4", ".mov", ".mkv"), (0, 51), 16, "constant rate factor, lower is better",
              X26X_PRESETS, "medium", _X26X),
    CodecSpec("libx265", "hevc", (".mp4", ".mov", ".mkv"), (0, 51), 18, "constant rate factor, lower is better",
              X26X_PRESETS, "medium", _X26X.replace("x264", "x265")),
    CodecSpec("libsvtav1", "av1", (".mp4", ".mkv"), (1, 63), 28, "constant rate factor, lower is better",
              tuple(str(i) for i in range(14)), "8", "SVT-AV1's speed, 0 (slowest) to 13"),
    CodecSpec("libvpx-vp9", "vp9", (".mp4", ".mkv"), (0, 63), 28, "constant quality (bitrate 0), lower is better",
              tuple(str(i) for i in range(9)), "4", "libvpx's cpu-used, 0 (slowest) to 8"),
    CodecSpec("prores_ks", "prores", (".mov", ".mkv"), None, None, "quality follows the ProRes profile",
              PRORES_PROFILES, "hq", "the ProRes profile: proxy, lt, standard, hq, 4444, 4444xq"),
    CodecSpec("ffv1", "ffv1", (".mkv",), None, None, "lossless: the interpolated RGB frames exactly", (), None,
              "lossless: nothing to trade", lossless=True),
    CodecSpec("h264_nvenc", "h264", (".mp4", ".mov", ".mkv"), (0, 51), 19, "NVENC constant quality (cq), lower "
              "is better", NVENC_PRESETS, "p5", "NVENC's p1 (fastest) to p7 (best)", software_fallback="libx264"),
    CodecSpec("hevc_nvenc", "hevc", (".mp4", ".mov", ".mkv"), (0, 51), 21, "NVENC constant quality (cq), lower "
              "is better", NVENC_PRESETS, "p5", "NVENC's p1 (fastest) to p7 (best)", software_fallback="libx265"),
    CodecSpec("av1_nvenc", "av1", (".mp4", ".mkv"), (0, 51), 28, "NVENC constant quality (cq), lower is better",
              NVENC_PRESETS, "p5", "NVENC's p1 (fastest) to p7 (best)", software_fallback="libsvtav1"),
)}
DEFAULT_CODEC = "libx264"
# Where a source's own extension cannot hold the codec, its output gets this one.
PREFERRED_CONTAINER = {"prores": ".mov", "ffv1": ".mkv"}


def codec_spec(name: str) -> CodecSpec:
    if name not in CODECS:
        raise ValueError(f"codec must be one of {', '.join(CODECS)}, got {name!r}")
    return CODECS[name]


def check_quality(codec: str, crf: int | None, preset: str | None) -> tuple[int | None, str | None]:
    """(crf, preset) with the codec's defaults filled in; ValueError saying what the codec takes."""
    spec = codec_spec(codec)
    if crf is not None:
        if spec.crf_range is None:
            raise ValueError(f"crf does not apply to {codec} ({spec.crf_means}); leave it out")
        low, high = spec.crf_range
        if isinstance(crf, bool) or not isinstance(crf, int) or not low <= crf <= high:
            raise ValueError(f"crf for {codec} must be an integer from {low} to {high} ({spec.crf_means}), "
                             f"got {crf!r}")
    if preset is not None:
        preset = str(preset)
        if not spec.presets:
            raise ValueError(f"preset does not apply to {codec} ({spec.preset_means}); leave it out")
        if preset not in spec.presets:
            raise ValueError(f"preset for {codec} must be one of {', '.join(spec.presets)} ({spec.preset_means}), "
                             f"got {preset!r}")
    return (spec.crf_default if crf is None else crf), (spec.preset_default if preset is None else preset)


def check_container(codec: str, path: str) -> None:
    """ValueError when the output's extension cannot hold the codec."""
    import posixpath

    ext = posixpath.splitext(path)[1].lower()
    ext = ".mp4" if ext == ".m4v" else ext
    spec = codec_spec(codec)
    if ext not in spec.containers:
        raise ValueError(f"{path}: {codec} cannot go in a {ext or 'file without an extension'} file; use "
                         f"{' or '.join(spec.containers)}")


def output_extension(codec: str, source_ext: str) -> str:
    """The source's own extension when it holds the codec, else the codec's usual container."""
    spec = codec_spec(codec)
    ext = source_ext.lower()
    if ext in spec.containers:
        return source_ext
    return PREFERRED_CONTAINER.get(spec.family, ".mp4" if ".mp4" in spec.containers else spec.containers[0])


def codec_table() -> str:
    """A markdown table of the codecs, for the docs."""
    lines = ["| codec | --crf | --preset | containers |", "|---|---|---|---|"]
    for spec in CODECS.values():
        crf = f"{spec.crf_range[0]}-{spec.crf_range[1]}, default {spec.crf_default}: {spec.crf_means}" \
            if spec.crf_range else f"none ({spec.crf_means})"
        preset = f"{spec.preset_means}; default {spec.preset_default}" if spec.presets else "none"
        lines.append(f"| `{spec.name}` | {crf} | {preset} | {' '.join(spec.containers)} |")
    return "\n".join(lines)
