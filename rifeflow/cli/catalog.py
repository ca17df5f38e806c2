"""`rifeflow run`, `report` and `ui`: the catalog side of the command line."""
from __future__ import annotations

import argparse
import json
import sys


def _cmd_run(args) -> int:
    from rifeflow.cli.common import credentials_to_environment
    from rifeflow.storage.layout import printable
    from rifeflow.orchestration.dask_cluster import dask_cluster
    from rifeflow.orchestration.prefect_api import early_server, quiet_prefect_env, shared_prefect_api

    quiet_prefect_env()
    args.source_uri, args.dest_uri, args.weights = credentials_to_environment(args.source_uri, args.dest_uri,
                                                                              args.weights)
    from rifeflow.manifests.config import CatalogConfig

    fields = [name for name in CatalogConfig.model_fields if name not in ("source_uri", "dest_uri")]
    config = CatalogConfig(source_uri=args.source_uri, dest_uri=args.dest_uri,
                           **{f: getattr(args, f) for f in fields if getattr(args, f) is not None})
    from rifeflow.storage.layout import check_roots

    check_roots(config.source_uri, config.dest_uri)  # before anything starts
    # Prefect's server boots while the Dask cluster starts and the flows are imported; it stops
    # last, once the workers have shut down and sent their final logs.
    server = early_server()
    try:
        with dask_cluster(config.scheduler, config.workers, gpus=config.gpus) as cluster:
            from rifeflow.flows.catalog import interpolate_catalog
            from rifeflow.storage.secrets import install_log_redaction

            install_log_redaction()
            with shared_prefect_api(server, local_workers=not config.scheduler):
                state = interpolate_catalog(config.model_copy(update={"scheduler": cluster.address}),
                                            return_state=True)
    finally:
        if server is not None:
            server.stop()
    outcomes = state.result(raise_on_failure=False)
    outcomes = getattr(outcomes, "outcomes", outcomes)  # a run with failed videos ends Failed, carrying them
    if isinstance(outcomes, TimeoutError):  # the flow's timeout (RIFEFLOW_RUN_TIMEOUT_S)
        print(f"rifeflow: error: the run stopped at its time limit ({outcomes}); the videos that finished "
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
    from rifeflow.cli.common import json_flag
    from rifeflow.cli.options import add_field_options, add_rate_options
    from rifeflow.manifests.config import CatalogConfig

    p = sub.add_parser("run", help="interpolate every video under SOURCE_URI into DEST_URI (the catalog flow)")
    p.add_argument("source_uri", help="folder or s3://bucket/prefix holding videos (searched recursively)")
    p.add_argument("dest_uri", help="folder or s3://bucket/prefix for outputs, manifests and metrics")
    # Every option is one of CatalogConfig's fields; unset ones stay None, so its defaults apply.
    add_rate_options(p)
    settings = [n for n in CatalogConfig.model_fields if n not in ("source_uri", "dest_uri", "exp", "fps")]
    add_field_options(p, CatalogConfig, settings, unset=True)
    json_flag(p)
    p.set_defaults(func=_cmd_run)
    add_report_command(sub)
    p = sub.add_parser("ui", help="a web page for one video or one image pair (needs rifeflow[ui])")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: loopback only)")
    p.add_argument("--port", type=int, default=7860, help="port to listen on")
    p.add_argument("--max-upload-mb", dest="max_upload_mb", type=float, default=200.0,
                   help="largest upload accepted, in MB")
    p.add_argument("--keep-results", dest="keep_results_s", type=float, default=600.0,
                   help="seconds the page keeps its copies of uploads and results (Gradio's cache) before deleting "
                        "them")
    p.set_defaults(func=_cmd_ui)


def _cmd_report(args) -> int:
    from rifeflow.metrics import report
    from rifeflow.metrics.dataset import read_metrics

    df = read_metrics(args.dest_uri)
    if args.json:
        print(json.dumps({**report.summary_dict(df), "plot": report.plot(df, args.plot) if args.plot else None}))
        return 0
    print(report.summary_text(df))
    if args.plot:
        print(f"plot: {report.plot(df, args.plot)}")
    return 0


def add_report_command(sub: argparse._SubParsersAction) -> None:
    from rifeflow.cli.common import json_flag

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
    serve(args.host, args.port, args.max_upload_mb, args.keep_results_s)
    return 0
