"""Soak: one `rifeflow run` over 200 generated one-second clips with audio on 2 workers, against the same
over 10 clips, each on its own Prefect server. Prints a markdown table (also bench/out/soak.md).

    .venv/bin/python bench/soak.py [--clips 200] [--small 10]

Per run: every video done and every output and metrics row there (nothing lost); the flow process's
RSS (not its workers' or the server's) at each quarter of the videos and at its peak; wall seconds;
the workers' compute (Dask's task stream, logged by the run) and what is left of the wall per video
once that compute is taken out, which is the Prefect side: flow and task runs, their API calls and
state changes, metrics and manifests; and the flow runs and task runs the server holds.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from clips import OUT, run_header  # noqa: E402
from run import BASE_ENV, BIN  # noqa: E402

from rifeflow.video.sample import make_sample_clip  # noqa: E402


def catalog(count: int) -> Path:
    folder = OUT / f"soak-{count}"
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        target = folder / f"clip_{i:04d}.mp4"
        if not target.exists():
            make_sample_clip(str(target), seconds=1.0, size=64, fps=25)
    return folder


def _count(url: str, what: str) -> int:
    request = urllib.request.Request(f"{url}/{what}/count", data=b"{}", headers={"Content-Type": "application/json"},
                                     method="POST")
    with urllib.request.urlopen(request, timeout=60) as response:
        return int(json.loads(response.read()))


def soak(source: Path, tmp: Path) -> dict:
    from rifeflow.orchestration.prefect_server import TemporaryServer

    videos = len(list(source.glob("*.mp4")))
    dest = Path(tempfile.mkdtemp(dir=tmp, prefix="dest-"))
    home = Path(tempfile.mkdtemp(dir=tmp, prefix="prefect-"))
    env = {**BASE_ENV, "PREFECT_HOME": str(home), "DO_NOT_TRACK": "1", "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    os.environ.update(PREFECT_HOME=str(home), PREFECT_SERVER_ANALYTICS_ENABLED="false", DO_NOT_TRACK="1")
    server = TemporaryServer()
    url = server.wait_ready(180)
    try:
        log_path = tmp / f"run-{videos}.log"
        with open(log_path, "w") as log:
            started = time.perf_counter()
            proc = subprocess.Popen([str(BIN / "rifeflow"), "run", str(source), str(dest), "--workers", "2",
                                     "--heldout-frames", "0", "--preset", "veryfast"],
                                    env={**env, "PREFECT_API_URL": url}, stdout=log, stderr=subprocess.STDOUT)
            me, peak, at_quarter = psutil.Process(proc.pid), 0, {}
            while proc.poll() is None:
                try:
                    rss = me.memory_info().rss
                except psutil.Error:
                    rss = 0
                peak = max(peak, rss)
                done = len(list(dest.glob("*.mp4")))  # published outputs (metrics are written at the end)
                for q in (1, 2, 3, 4):
                    if q not in at_quarter and done >= q * videos / 4:
                        at_quarter[q] = rss / 2**20
                time.sleep(0.2)
            wall = time.perf_counter() - started
        text = log_path.read_text()
        if proc.returncode != 0:
            raise RuntimeError(f"the run over {videos} clips failed: {text[-3000:]}")
        counts = {what: _count(url, what) for what in ("flow_runs", "task_runs")}
    finally:
        server.stop()
    busy = re.search(r"workers busy ([\d.]+)% of (\d+) x ([\d.]+) s", text)
    compute = float(busy[1]) / 100 * int(busy[2]) * float(busy[3])
    import pandas as pd

    rows = pd.read_parquet(dest / "metrics")
    outputs = len(list(dest.glob("*.mp4")))
    return dict(videos=videos, done=int((rows["status"] == "done").sum()), outputs=outputs, rows=len(rows),
                wall=wall, compute=compute, prefect_per_video=(wall - compute / 2) / videos,
                peak_mib=peak / 2**20, quarters=[at_quarter.get(q) for q in (1, 2, 3, 4)], **counts,
                summary=re.findall(r"^\d+ videos: .*$", text, re.M)[-1])


def table(small: dict, big: dict, command: str) -> str:
    lines = [run_header(command), "",
             "| clips | done | outputs | metrics rows | wall s | worker compute s | Prefect side s/video | "
             "flow runs | task runs | flow RSS MiB at 1/4, 1/2, 3/4, all | peak MiB |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in (small, big):
        quarters = ", ".join(f"{q:.0f}" if q else "-" for q in r["quarters"])
        lines.append(f"| {r['videos']} | {r['done']} | {r['outputs']} | {r['rows']} | {r['wall']:.0f} | "
                     f"{r['compute']:.0f} | {r['prefect_per_video']:.2f} | {r['flow_runs']} | {r['task_runs']} | "
                     f"{quarters} | {r['peak_mib']:.0f} |")
    lines += ["", f"Ratios {big['videos']} / {small['videos']} clips: Prefect side per video "
              f"{big['prefect_per_video'] / small['prefect_per_video']:.2f}, peak flow RSS "
              f"{big['peak_mib'] / small['peak_mib']:.2f}; flow RSS from the first quarter to the end of the "
              f"{big['videos']}-clip run: {big['quarters'][0]:.0f} -> {big['quarters'][3]:.0f} MiB.", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clips", type=int, default=200)
    parser.add_argument("--small", type=int, default=10)
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        results = []
        for count in (args.small, args.clips):
            results.append(soak(catalog(count), tmp))
            print(f"  {json.dumps(results[-1])}", flush=True)
    for r in results:
        if not (r["done"] == r["outputs"] == r["rows"] == r["videos"]):
            raise SystemExit(f"lost work: {r}")
    text = table(*results, " ".join(["bench/soak.py", *sys.argv[1:]]))
    (OUT / "soak.md").write_text(text + "\n")
    print("\n" + text)


if __name__ == "__main__":
    main()
