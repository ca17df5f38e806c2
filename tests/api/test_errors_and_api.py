"""Bad inputs, colour fidelity, audio re-encoding, the CLI and the LatentSync entry point."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import pytest

from rifeflow import interpolate_images, interpolate_video, main_interpolate
from rifeflow.errors import OptionError, VideoError
from rifeflow.video.sample import make_sample_clip
from rifeflow.video.read import probe_video
from tests.helpers import decoded_frames, load_rgb, write_clip


# The console script installed beside this interpreter by `pip install -e .`.
RIFEFLOW = str(Path(sys.executable).parent / "rifeflow")


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    return make_sample_clip(str(tmp_path_factory.mktemp("sample") / "sample.mp4"), seconds=1.0, size=128)


def _audio_only(path):
    with av.open(str(path), "w", format="mp4") as out:
        stream = out.add_stream("aac", rate=16000)
        stream.layout = "mono"
        for i in range(20):
            frame = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
            frame.sample_rate, frame.pts = 16000, i * 1024
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


def _truncated(videos, path):
    data = (videos / "talking_head.mp4").read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def _stuck_audio(videos, path):
    """Megamind.avi's first seconds, every audio packet stamped 0: the MP4 muxer refuses the copy."""
    with av.open(str(videos / "megamind.avi")) as src, av.open(str(path), "w") as out:
        video, audio = src.streams.video[0], src.streams.audio[0]
        routes = {video.index: out.add_stream_from_template(video), audio.index: out.add_stream_from_template(audio)}
        for packet in src.demux(video, audio):
            if packet.dts is None or packet.pts is None or packet.pts * packet.time_base > 2:
                continue
            if packet.stream.type == "audio":
                packet.pts = packet.dts = 0
            packet.stream = routes[packet.stream.index]
            out.mux(packet)
    return path


BAD = {
    "empty.mp4": (lambda videos, p: (p.write_bytes(b""), p)[1], "empty file"),
    "notes.mp4": (lambda videos, p: (p.write_text("these are not frames\n"), p)[1], "not a video"),
    "truncated.mp4": (_truncated, "not a video|truncated|damaged"),
    "voice.mp4": (lambda videos, p: _audio_only(p), "no video stream"),
    "stuck_audio.avi": (_stuck_audio, "audio stream 1 cannot be copied into mp4: its timestamps do not increase"),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_input_names_the_file_and_reason_and_leaves_no_output(videos, tmp_path, name):
    make, reason = BAD[name]
    bad = make(videos, tmp_path / name)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    with pytest.raises(VideoError, match=reason) as info:
        interpolate_video(bad, out_dir / "result.mp4")
    assert str(bad) in str(info.value)
    assert list(out_dir.iterdir()) == []
    cli = subprocess.run([sys.executable, "-m", "rifeflow.cli.main", "interpolate", str(bad), str(out_dir / "r.mp4")],
                         capture_output=True, text=True)
    assert cli.returncode != 0 and str(bad) in cli.stderr and "Traceback" not in cli.stderr
    assert list(out_dir.iterdir()) == []


def test_unsupported_options_are_refused_before_any_work(sample, tmp_path):
    for kwargs, message in [({"exp": 5}, "exp must be"), ({"scale": 3.0}, "scale must be one of"),
                            ({"mode": "direct"}, "direct mode needs"), ({"model": "rife-9"}, "model must be one of rife-4.25, rife-hdv3")]:
        with pytest.raises(OptionError, match=message):
            interpolate_video(sample, tmp_path / "o.mp4", **kwargs)
    with pytest.raises(OptionError, match="unsupported output extension"):
        interpolate_video(sample, tmp_path / "o.gif")
    assert not any(tmp_path.iterdir())


def _bars(width=320, height=180):
    colours = [(235, 235, 235), (235, 235, 16), (16, 235, 235), (16, 235, 16), (235, 16, 235), (235, 16, 16),
               (16, 16, 235), (16, 16, 16)]
    bars = np.zeros((height, width, 3), np.uint8)
    for i, colour in enumerate(colours):
        bars[:, i * width // 8:(i + 1) * width // 8] = colour
    bars[height * 3 // 4:] = np.linspace(0, 255, width, dtype=np.uint8)[None, :, None]
    return bars


@pytest.mark.parametrize("tags", [{"colorspace": 1, "color_range": 1, "color_primaries": 1, "color_trc": 1},
                                  {"colorspace": 1, "color_range": 2, "color_primaries": 1, "color_trc": 1}],
                         ids=["bt709-limited", "bt709-full"])
def test_colour_bars_survive_the_round_trip(tmp_path, tags):
    source = write_clip(tmp_path / "bars.mp4", [_bars()] * 6, pix_fmt="yuv420p", options={"crf": "0"}, tags=tags)
    interpolate_video(source, tmp_path / "out.mp4", exp=1)
    before = decoded_frames(source)
    after = decoded_frames(tmp_path / "out.mp4")
    errors = [np.abs(after[2 * i].astype(float) - before[i]).mean(axis=(0, 1)) for i in range(len(before))]
    print(f"\n{tags}: mean error per channel {np.max(errors, 0).round(3)} levels")
    assert np.max(errors) < 2.0
    out = probe_video(str(tmp_path / "out.mp4"))
    assert out.colorspace == 1 and out.color_primaries == 1 and out.color_trc == 1
    assert out.color_range == tags["color_range"] or (tags["color_range"] == 1 and out.color_range == 0)


def _avi_with_pcm(sample, path):
    with av.open(sample) as src, av.open(str(path), "w") as out:
        v_in, a_in = src.streams.video[0], src.streams.audio[0]
        v_out = out.add_stream("mpeg4", rate=25)
        v_out.width, v_out.height, v_out.pix_fmt = v_in.width, v_in.height, "yuv420p"
        v_out.options = {"qscale": "2"}
        a_out = out.add_stream("pcm_s16le", rate=a_in.rate)
        a_out.layout = "mono"
        resampler = av.AudioResampler(format="s16", layout="mono", rate=a_in.rate)
        count = 0
        for packet in src.demux(v_in, a_in):
            for frame in packet.decode():
                if packet.stream is v_in:
                    frame = av.VideoFrame.from_ndarray(frame.to_ndarray(format="rgb24"), format="rgb24")
                    frame.pts, count = count, count + 1
                    out.mux(v_out.encode(frame))
                else:
                    for pcm in resampler.resample(frame):
                        out.mux(a_out.encode(pcm))
        out.mux(v_out.encode(None))
        out.mux(a_out.encode(None))
    return path


def test_pcm_audio_in_avi_is_reencoded_to_aac_for_mp4_and_copied_into_mkv(sample, tmp_path):
    avi = _avi_with_pcm(sample, tmp_path / "clip.avi")
    source = probe_video(str(avi))
    assert source.audio[0].codec == "pcm_s16le"
    interpolate_video(avi, tmp_path / "out.mp4")
    interpolate_video(avi, tmp_path / "out.mkv")
    mp4, mkv = probe_video(str(tmp_path / "out.mp4")), probe_video(str(tmp_path / "out.mkv"))
    assert mp4.audio[0].codec == "aac" and mkv.audio[0].codec == "pcm_s16le"
    assert mp4.frames_decoded == mkv.frames_decoded == 2 * source.frames
    for out in (mp4, mkv):
        assert abs(out.audio[0].duration - source.audio[0].duration) < 0.05


def test_progress_callback_counts_to_the_total(sample, tmp_path):
    calls = []
    result = interpolate_video(sample, tmp_path / "o.mp4", exp=2, progress=lambda d, t: calls.append((d, t)))
    assert calls[-1] == (result.frames_out, result.frames_out) == (100, 100)
    assert [d for d, _ in calls] == list(range(1, 101))


def test_terminal_progress_bar_shows_frames_rate_and_time_left(sample, tmp_path):
    import io

    from rich.console import Console

    from rifeflow.cli.progress import TerminalProgress

    screen = io.StringIO()
    bar = TerminalProgress("sample.mp4", console=Console(file=screen, force_terminal=True, width=120))
    interpolate_video(sample, tmp_path / "o.mp4", exp=1, progress=bar)
    last = screen.getvalue().split("\r")[-1]
    assert "sample.mp4" in last and "50/50" in last and " fps" in last and "0:00:00" in last
    assert not TerminalProgress("x", console=Console(file=io.StringIO())).enabled  # off a terminal: silent


def test_main_interpolate_writes_into_the_directory(sample, tmp_path, caplog):
    caplog.set_level("INFO")
    path = main_interpolate(sample, tmp_path / "outdir", exp=1, use_fp16=True)
    assert path == str(tmp_path / "outdir" / "sample_2x.mp4") and os.path.getsize(path) > 0
    assert probe_video(path).frames_decoded == 50
    assert any("fp16" in r.message for r in caplog.records) or os.environ.get("CUDA_VISIBLE_DEVICES")


def test_interpolate_images_gives_the_in_betweens(triplets):
    folder = triplets / "small" / "carphone_010"
    frames = interpolate_images(folder / "frame_00.png", folder / "frame_02.png", exp=2)
    assert len(frames) == 3 and all(f.shape == (144, 176, 3) and f.dtype == np.uint8 for f in frames)
    gt = load_rgb(folder / "frame_01_gt.png").astype(float)
    assert np.abs(frames[1] - gt).mean() < np.abs(frames[0] - gt).mean()


def test_cli_end_to_end(sample, triplets, tmp_path):
    out = tmp_path / "cli.mov"
    run = subprocess.run([RIFEFLOW, "interpolate", sample, str(out), "--exp", "2", "--scale", "0.5"],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "25 -> 100 frames" in run.stdout and "\r" not in run.stderr  # no progress bar off a terminal
    assert probe_video(str(out)).frames_decoded == 100
    folder = triplets / "small" / "carphone_020"
    run = subprocess.run([RIFEFLOW, "interpolate-images", str(folder / "frame_00.png"), str(folder / "frame_02.png"),
                          str(tmp_path / "imgs"), "--exp", "1"], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert sorted(os.listdir(tmp_path / "imgs")) == ["frame_1.png"]


def test_cli_conventions_version_verbosity_after_the_subcommand_and_json(sample, tmp_path):
    from importlib.metadata import version

    run = subprocess.run([RIFEFLOW, "--version"], capture_output=True, text=True)
    assert run.returncode == 0 and run.stdout.strip() == f"rifeflow {version('rifeflow')}"
    out = tmp_path / "j.mp4"
    run = subprocess.run([RIFEFLOW, "interpolate", sample, str(out), "--scale", "0.5", "--json", "-q"],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    assert (result["frames_in"], result["frames_out"], result["fps_out"]) == (25, 50, "50")
    assert result["output_path"] == str(out) and run.stderr == ""
    run = subprocess.run([RIFEFLOW, "interpolate", sample, str(tmp_path / "x.mp4"), "--exp", "9"],
                         capture_output=True, text=True)
    assert run.returncode == 2 and run.stderr.startswith("rifeflow: error:") and "Traceback" not in run.stderr
    run = subprocess.run([RIFEFLOW, "interpolate", "--no-such-option"], capture_output=True, text=True)
    assert run.returncode == 2 and "usage: rifeflow interpolate" in run.stderr


def test_a_full_disk_under_the_output_is_the_disks_fault_not_the_videos(videos, tmp_path):
    """A real full filesystem (a 2 MiB tmpfs in a private mount namespace): ENOSPC from PyAV stays a system
    error (exit 1, one line naming the output and the reason), never "not a video"; no partial file is left."""
    import subprocess

    from tests.services import RIFEFLOW

    full = tmp_path / "full"
    full.mkdir()
    script = (f'mount -t tmpfs -o size=2m tmpfs "{full}" && head -c 2000000 /dev/zero > "{full}/filler" ; '
              f'"{RIFEFLOW}" interpolate "{videos / "talking_head.mp4"}" "{full}/out.mp4" --scale 0.5 -q; '
              f'code=$?; ls -A "{full}"; exit $code')
    proc = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
                          capture_output=True, text=True, timeout=600)
    print(proc.stderr[-2000:])
    assert proc.returncode == 1, proc.stderr[-2000:]
    error = [line for line in proc.stderr.splitlines() if line.startswith("rifeflow: error:")]
    assert len(error) == 1 and "No space left on device" in error[0] and "out.mp4" in error[0], proc.stderr
    assert "not a video" not in proc.stderr and "Traceback" not in proc.stderr
    assert proc.stdout.split() == ["filler"]  # no output, no partial file


def test_a_video_whose_packets_give_fewer_frames_than_planned_is_refused_naming_it():
    """The frame count comes from packet times (no decode to probe); frames that then fail to decode make the
    output short, and a short output is an error, not a published video."""
    from rifeflow.api import _all_of

    frames = [np.full((4, 4, 3), i, np.uint8) for i in range(3)]
    with pytest.raises(VideoError, match=r"^clip\.mp4: damaged: 3 of the 4 output frames"):
        list(_all_of(iter(frames), 4, "clip.mp4"))
    assert [f[0, 0, 0] for f in _all_of(iter(frames), 3, "clip.mp4")] == [0, 1, 2]
