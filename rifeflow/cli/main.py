"""The `rifeflow` command.

Exit codes: 0 all done (or skipped), 1 some videos failed, the run hit its time limit, or the machine
failed the command (a full disk), 2 bad usage or a bad input (named in one `rifeflow: error:` line),
3 nothing could run (storage or catalog unreachable, credentials refused), 130 interrupted (SIGINT),
143 stopped (SIGTERM).
"""
from __future__ import annotations

import argparse
import faulthandler
import json
import logging
import os
import signal
import sys

from rife_kernels.names import DEFAULT_MODEL, MODEL_NAMES
from rifeflow.cli import common

log = logging.getLogger("rifeflow")


def _model_args(p: argparse.ArgumentParser, rate: bool = False, scene_threshold: float | None = None) -> None:
    from rifeflow.cli.options import add_field_options, add_model_options, add_rate_options
    from rifeflow.manifests.options import InterpolationChoices

    if rate:
        add_rate_options(p)
    else:
        add_field_options(p, InterpolationChoices, ["exp"])
    add_model_options(p, defaults=None if scene_threshold is None else {"scene_threshold": scene_threshold})
    p.add_argument("--device", default=None, help="torch device (default: cuda when present, else cpu)")


def _cmd_interpolate(args) -> int:
    from rifeflow.api import interpolate_video
    from rifeflow.cli.common import credentials_to_environment
    from rifeflow.cli.progress import TerminalProgress

    args.weights, = credentials_to_environment(args.weights)
    result = interpolate_video(
        args.input, args.output, exp=args.exp, fps=args.fps, scene_threshold=args.scene_threshold,
        model=args.model, weights=args.weights, scale=args.scale,
        fp16=args.fp16, tta=args.tta, mode=args.mode, batch_size=args.batch, codec=args.codec, crf=args.crf,
        preset=args.preset, eight_bit=args.eight_bit, device=args.device,
        progress=None if args.quiet else TerminalProgress(os.path.basename(args.input)),
    )
    if args.json:
        print(json.dumps(result.as_dict()))
        return 0
    print(f"{result.output_path}: {result.frames_in} -> {result.frames_out} frames, {result.fps_in} -> "
          f"{result.fps_out} fps, {result.audio_streams} audio stream(s), {result.static_pairs} still pair(s), "
          f"{result.scene_cuts} scene cut(s), {result.seconds:.1f} s")
    return 0


def _cmd_images(args) -> int:
    from PIL import Image

    from rifeflow.cli.common import credentials_to_environment

    args.weights, = credentials_to_environment(args.weights)
    from rifeflow.api import interpolate_images

    frames = interpolate_images(args.img0, args.img1, args.exp, scene_threshold=args.scene_threshold,
                                model=args.model, weights=args.weights,
                                scale=args.scale, fp16=args.fp16, tta=args.tta, mode=args.mode, device=args.device)
    os.makedirs(args.outdir, exist_ok=True)
    width = len(str(len(frames) + 1))
    for i, frame in enumerate(frames, 1):
        path = os.path.join(args.outdir, f"frame_{i:0{width}d}.png")
        Image.fromarray(frame).save(path)
        print(path)
    return 0


def _cmd_fetch_weights(args) -> int:
    from rifeflow.engine.weights import resolve_weights

    for name in args.models or [DEFAULT_MODEL]:
        resolved = resolve_weights(name)
        print(f"{name}: {resolved.path} sha256 {resolved.sha256}")
    return 0


def _cmd_sample(args) -> int:
    from rifeflow.video.sample import make_sample_clip

    print(make_sample_clip(args.output, seconds=args.seconds, size=args.size))
    return 0


def _commands_for_pipeline(sub) -> None:
    from rifeflow.cli import catalog

    catalog.add_commands(sub)


def _verbosity(parser: argparse.ArgumentParser, default=False) -> None:
    """-v / -q, accepted before the subcommand and after it (`rifeflow run ... -v`)."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument("-v", "--verbose", action="store_true", default=default, help="log more (INFO)")
    group.add_argument("-q", "--quiet", action="store_true", default=default,
                       help="only errors: no progress bar, no Prefect run logs")


class DefaultsShown(argparse.HelpFormatter):
    """Help that ends with the option's default, unless the text already says it or there is none."""

    def _get_help_string(self, action):
        text = action.help or ""
        silent = action.default is None or action.default is False or action.default is argparse.SUPPRESS
        if "default" in text or silent or not action.option_strings:
            return text
        return f"{text} (default %(default)s)" if text else "default %(default)s"


class _Subcommands(argparse._SubParsersAction):
    def add_parser(self, name, **kwargs):
        kwargs.setdefault("formatter_class", DefaultsShown)
        parser = super().add_parser(name, **kwargs)
        _verbosity(parser, default=argparse.SUPPRESS)  # a subcommand's own default must not undo `rifeflow -v`
        return parser


def build_parser() -> argparse.ArgumentParser:
    from rifeflow import __version__

    parser = argparse.ArgumentParser(prog="rifeflow", description="RIFE frame interpolation for videos and catalogs",
                                     epilog="exit codes: 0 done, 1 some videos failed (or the run's time limit, or "
                                            "a full disk), 2 bad usage or input, 3 nothing could run, 130 "
                                            "interrupted, 143 stopped by SIGTERM")
    parser.register("action", "parsers", _Subcommands)
    parser.add_argument("--version", action="version", version=f"rifeflow {__version__}")
    _verbosity(parser)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("interpolate", help="one video in, the same video at 2^exp times the frame rate (or --fps) out")
    p.add_argument("input", help="input video (MP4, MOV, MKV, AVI, WebM, ...)")
    p.add_argument("output", help="output file (.mp4, .mov or .mkv, as the codec allows)")
    _model_args(p, rate=True)
    p.add_argument("--batch", type=int, default=None, help="frame pairs per forward pass (default: 4 on GPU, 1 on CPU)")
    from rifeflow.cli.options import add_field_options
    from rifeflow.manifests.config import CatalogConfig

    add_field_options(p, CatalogConfig, ["codec", "crf", "preset"])
    p.add_argument("--8bit", dest="eight_bit", action="store_true", help="write 8-bit output for 10-bit input")
    common.json_flag(p)
    p.set_defaults(func=_cmd_interpolate)

    p = sub.add_parser("interpolate-images", help="the 2^exp - 1 frames between two images, as PNGs")
    p.add_argument("img0", help="first image (PNG, JPEG, ...)")
    p.add_argument("img1", help="second image, same size")
    p.add_argument("outdir", help="folder for the in-between frames (frame_01.png, ...)")
    _model_args(p, scene_threshold=0.0)
    p.set_defaults(func=_cmd_images)

    p = sub.add_parser("fetch-weights", help="download and verify released weights into the cache")
    p.add_argument("models", nargs="*", help=f"models among {', '.join(sorted(MODEL_NAMES))} (default: {DEFAULT_MODEL})")
    p.set_defaults(func=_cmd_fetch_weights)

    p = sub.add_parser("sample", help="write a synthetic sample clip (moving shapes and a tone)")
    p.add_argument("output", help="clip to write (.mp4)")
    p.add_argument("--seconds", type=float, default=2.0, help="length")
    p.add_argument("--size", type=int, default=256, help="width and height in pixels")
    p.set_defaults(func=_cmd_sample)

    _commands_for_pipeline(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    from rifeflow.cli import signals
    from rifeflow.errors import NothingRan, RifeflowError, WeightsError
    from rifeflow.settings import settings
    from rifeflow.storage.secrets import redact

    args = build_parser().parse_args(argv)
    if hasattr(signal, "SIGUSR1"):  # `kill -USR1 PID`: every thread's stack on stderr, the run goes on
        faulthandler.register(signal.SIGUSR1, all_threads=True)
    signals.install()
    level = logging.INFO if args.verbose else logging.ERROR if args.quiet else logging.WARNING
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    if args.quiet:
        os.environ.setdefault("PREFECT_LOGGING_LEVEL", "ERROR")  # read when Prefect is imported, later
    try:
        settings()  # every RIFEFLOW_* variable checked before anything starts
        return args.func(args)
    except (NothingRan, ConnectionError) as exc:
        print(f"rifeflow: error: {redact(str(exc))}", file=sys.stderr)
        return 3
    except (RifeflowError, WeightsError, FileNotFoundError, PermissionError, ValueError) as exc:
        print(f"rifeflow: error: {redact(str(exc))}", file=sys.stderr)
        return 2
    except OSError as exc:  # the machine's trouble, not the input's: a full or failing disk, too many files
        print(f"rifeflow: error: {redact(str(exc))}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("rifeflow: interrupted; what finished is kept, and the next run resumes the rest", file=sys.stderr)
        return 130
    except BaseException as exc:  # SIGTERM: ours (signals.Terminated), or Prefect's bridge while a flow runs
        if isinstance(exc, signals.Terminated) or type(exc).__name__ == "TerminationSignal":
            print("rifeflow: stopped; what finished is kept, and the next run resumes the rest", file=sys.stderr)
            return 143
        raise


if __name__ == "__main__":
    sys.exit(main())
