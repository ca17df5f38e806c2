"""`rifeflow run`, `report` and `ui`: the catalog side of the command line."""
from __future__ import annotations

import argparse
import json
import sys


def _credentials_to_environment(*uris: str) -> list[str]:
    """The URIs without user info; credentials found in them go where s3fs looks (the environment)."""
    import os

    from rifeflow.secrets import split_credentials

    clean = []
    for uri in uris:
        uri, key, secret = split_credentials(uri)
        if key and secret:
            os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"] = key, secret
        clean.append(uri)
    return clean


def _cmd_run(args) -> int:
    from rifeflow.layout import printable
    from rifeflow.cluster import dask_cluster, early_server, quiet_prefect_env, shared_prefect_api

    quiet_prefect_env()
    args.source_uri, args.dest_uri = _credentials_to_environment(args.source_uri, args.dest_uri)
    from rifeflow.manifests.config import CatalogConfig

    fields = [name for name in CatalogConfig.model_fields if name not in ("source_uri", "dest_uri")]
    config = CatalogConfig(source_uri=args.source_uri, dest_uri=args.dest_uri,
                           **{f: getattr(args, f) for f in fields if getattr(args, f) is not None})
    # Prefect's server boots while the Dask cluster starts and the flows are imported; it stops
    # last, once the workers have shut down and sent their final logs.
    server = early_server()
    try:
        with dask_cluster(config.scheduler, config.workers) as cluster:
            from rifeflow.flows.catalog import interpolate_catalog
            from rifeflow.secrets import install_log_redaction

            install_log_redaction()
            with shared_prefect_api(server):
                state = interpolate_catalog(config.model_copy(update={"scheduler": cluster.address}),
                                            return_state=True)
    finally:
        if server is not None:
            server.stop()
    outcomes = state.result(raise_on_failure=False)
    outcomes = getattr(outcomes, "outcomes", outcomes)  # a run with failed videos ends Failed, carrying them
    if isinstance(outcomes, TimeoutError):  # the flow's timeout (RIFEFLOW_RUN_TIMEOUT_S)
        print(f"rifeflow: error: the run stopped at its time limit ({state.message}); the videos that finished "
              "are kept and the next run resumes the rest", file=sys.stderr)
        return 1
    if isinstance(outcomes, BaseException):  # the catalog itself could not be read (NothingRan: exit 3), ...
        raise outcomes
    counts = {s: sum(1 for o in outcomes if o.status == s) for s in ("done", "skipped", "failed")}
    if args.json:
        print(json.dumps({"videos": len(outcomes), **counts, "dest_uri": args.dest_uri, "failures": [
            {"source_uri": o.source_uri, "error": o.error, "error_kind": o.error_kind}
            for o in outcomes if o.status == "failed"]}))
        return 1 if counts["failed"] else 0
    for o in outcomes:
        if o.status == "failed":
            error = printable(o.error or "failed")
            shown = printable(o.source_uri)
            print(f"failed: {error if error.startswith(shown) else f'{shown}: {error}'}", file=sys.stderr)
    print(f"{len(outcomes)} videos: {counts['done']} done, {counts['skipped']} skipped, {counts['failed']} failed")
    return 1 if counts["failed"] else 0


def add_commands(sub: argparse._SubParsersAction) -> None:
    from rife_kernels.names import DEFAULT_MODEL, MODEL_NAMES, SCALES
    from rifeflow.cli import json_flag

    p = sub.add_parser("run", help="interpolate every video under SOURCE_URI into DEST_URI (the catalog flow)")
    p.add_argument("source_uri", help="folder or s3://bucket/prefix holding videos (searched recursively)")
    p.add_argument("dest_uri", help="folder or s3://bucket/prefix for outputs, manifests and metrics")
    # Unset options stay None so CatalogConfig's defaults apply; the help states those defaults
    # (tests/rifeflow/test_cli_options.py holds the two together).
    rate = p.add_mutually_exclusive_group()
    rate.add_argument("--exp", type=int, help="interpolation factor 2^exp, exp from 1 to 4 (default 1)")
    rate.add_argument("--fps", help="output frame rate instead: 60, 60000/1001, 59.94, or a factor such as 2.5x "
                                    "(default: none, --exp decides)")
    p.add_argument("--scene-threshold", dest="scene_threshold", type=float,
                   help="thumbnail SSIM under which neighbours are a scene cut and are not blended; 0: off "
                        "(default 0.2)")
    p.add_argument("--model", choices=sorted(MODEL_NAMES), help=f"IFNet weights to use (default {DEFAULT_MODEL})")
    p.add_argument("--weights", help="own weights: local path or fsspec URL (default: the model's released "
                                     "weights, fetched and verified once)")
    p.add_argument("--scale", type=float, choices=SCALES, help="flow scale; 0.5 for 4K (default 1.0)")
    p.add_argument("--tta", action="store_true", default=None,
                   help="test-time augmentation: average with the flipped pair (default: off)")
    p.add_argument("--fp16", action="store_true", default=None, help="half precision on GPU workers (default: off)")
    p.add_argument("--mode", choices=("chain", "direct"),
                   help="chain: repeated 2x passes; direct: all timesteps at once (default chain)")
    p.add_argument("--chunk-frames", dest="chunk_frames", type=int,
                   help="frames per chunk, plus one overlap frame (default 48)")
    p.add_argument("--workers", type=int, help="local Dask workers when no --scheduler is given (default 2)")
    p.add_argument("--scheduler", help="existing Dask scheduler address, tcp://host:8786 (default: a local cluster)")
    p.add_argument("--crf", type=int, help="x264 quality, lower is better (default 16)")
    p.add_argument("--preset", help="x264 preset (default medium)")
    p.add_argument("--heldout-frames", dest="heldout_frames", type=int,
                   help="held-out triplets per video for the quality metrics; 0: none (default 16)")
    p.add_argument("--record-skipped", dest="record_skipped", action=argparse.BooleanOptionalAction, default=None,
                   help="metrics rows also for videos an earlier run finished (default: on)")
    p.add_argument("--chunk-timeout", dest="chunk_timeout_s", type=float,
                   help="seconds without any finished chunk before a video's chunks are cancelled and it fails "
                        "(default 3600)")
    p.add_argument("--videos-in-flight", dest="videos_in_flight", type=int,
                   help="videos worked on at once (default: twice the GPU workers, or twice the workers)")
    json_flag(p)
    p.set_defaults(func=_cmd_run)
    add_report_command(sub)
    p = sub.add_parser("ui", help="a web page for one video or one image pair (needs rifeflow[ui])")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: loopback only)")
    p.add_argument("--port", type=int, default=7860, help="port to listen on")
    p.add_argument("--max-upload-mb", dest="max_upload_mb", type=float, default=200.0,
                   help="largest upload accepted, in MB")
    p.set_defaults(func=_cmd_ui)


def _cmd_report(args) -> int:
    from rifeflow import report
    from rifeflow.metrics_store import read_metrics

    df = read_metrics(args.dest_uri)
    if args.json:
        print(json.dumps({**report.summary_dict(df), "plot": report.plot(df, args.plot) if args.plot else None}))
        return 0
    print(report.summary_text(df))
    if args.plot:
        print(f"plot: {report.plot(df, args.plot)}")
    return 0


def add_report_command(sub: argparse._SubParsersAction) -> None:
    from rifeflow.cli import json_flag

    p = sub.add_parser("report", help="summarise the quality metrics under DEST_URI/metrics/")
    p.add_argument("dest_uri", help="the DEST_URI of `rifeflow run`")
    p.add_argument("--plot", help="also draw the PSNR distribution and throughput to this PNG")
    json_flag(p)
    p.set_defaults(func=_cmd_report)


def _cmd_ui(args) -> int:
    try:
        from rifeflow.ui import serve
    except ImportError as exc:
        print(f"rifeflow: error: the web page needs the ui extra (pip install 'rifeflow[ui]'): {exc}", file=sys.stderr)
        return 2
    serve(args.host, args.port, args.max_upload_mb)
    return 0
