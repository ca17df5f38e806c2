"""The analysts' notebook runs top to bottom against a dataset the pipeline produced and decides."""
from __future__ import annotations

import os
from pathlib import Path

import nbformat
from nbclient import NotebookClient
import pytest

pytestmark = pytest.mark.slow  # servers or a browser

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "quality_report.ipynb"


def _run(dest: Path, monkeypatch, parameters: str | None = None):
    monkeypatch.setenv("RIFEFLOW_DEST_URI", str(dest))
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    if parameters:  # what papermill does: a cell right after the one tagged `parameters`
        tagged = [i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", [])]
        assert len(tagged) == 1
        nb.cells.insert(tagged[0] + 1, nbformat.v4.new_code_cell(parameters))
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": os.getcwd()}}).execute()
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    decision = nb.cells[-1].outputs
    said = "".join(o.get("text", "") for o in decision if o.output_type == "stream")
    table = next(o["data"]["text/html"] for o in decision if "text/html" in o.get("data", {}))
    return outputs, said, table


def test_quality_report_notebook_runs_draws_and_decides(metrics_dest, monkeypatch):
    outputs, said, table = _run(metrics_dest, monkeypatch)
    figures = [o for o in outputs if "image/png" in o.get("data", {})]
    tables = [o for o in outputs if "text/html" in o.get("data", {})]
    assert len(figures) >= 3 and len(tables) >= 4
    assert "3 of 4 videos ship, 1 held" in said  # the phone, the scene-cut and the talking head pass; notes.mp4 failed
    assert "failed (bad_video)" in table and "notes.mp4" in table


def test_thresholds_come_from_the_parameters_cell(metrics_dest, monkeypatch):
    _, said, table = _run(metrics_dest, monkeypatch, "min_psnr_db = 99.0\nmax_seam_drop_db = 0.0")
    assert "0 of 4 videos ship, 4 held" in said
    assert table.count("held-out PSNR") == 3 and "&lt; 99.0" in table
    _, said, table = _run(metrics_dest, monkeypatch, "min_mouth_psnr_db = 99.0")
    assert "2 of 4 videos ship, 2 held" in said  # the talking head is held for its mouth; notes.mp4 failed
    assert table.count("mouth PSNR") == 1 and "&lt; 99.0" in table
