"""The orchestrating side of the command line starts without torch; model names agree everywhere."""
from __future__ import annotations

import subprocess
import sys

import pytest
from pydantic import ValidationError

from rifeflow.manifests.config import CatalogConfig
from rife_kernels import MODEL_NAMES, MODELS


def test_registry_and_torch_free_names_agree():
    assert tuple(MODELS) == MODEL_NAMES


def test_cli_and_run_plumbing_import_without_torch():
    code = ("import sys, rifeflow, rifeflow.cli.main, rifeflow.cli.catalog, rifeflow.orchestration.dask_cluster, "
            "rifeflow.errors, rifeflow.manifests.config, rife_kernels; rifeflow.cli.main.build_parser(); "
            "print(sorted(m for m in ('torch', 'prefect', 'distributed') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_a_runs_flow_process_checks_weights_and_composes_flows_without_torch():
    """The flow process only records: torch (about 2 CPU-seconds to import, and its memory) is for the workers."""
    code = ("import sys, rifeflow.flows.catalog, rifeflow.flows.video, rifeflow.tasks.video_tasks, "
            "rifeflow.tasks.report_tasks, rifeflow.metrics.dataset\n"
            "from rifeflow.engine.weights import resolve_weights\n"
            "resolved = resolve_weights('rife-hdv3')\n"
            "print(len(resolved.sha256), 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "64 False"


def test_package_api_still_loads_on_use():
    import rifeflow

    assert callable(rifeflow.interpolate_video) and callable(rifeflow.main_interpolate)
    with pytest.raises(AttributeError):
        rifeflow.no_such_name


def test_unknown_model_is_refused_by_the_config():
    with pytest.raises(ValidationError, match="model must be one of rife-4.25, rife-hdv3, got 'rife-9'"):
        CatalogConfig(source_uri="a", dest_uri="b", model="rife-9")


def test_flows_tasks_and_manifests_are_installed_inside_the_rifeflow_package(tmp_path):
    code = ("import importlib.util as u; print([u.find_spec(n) is None for n in ('flows', 'tasks', 'manifests')], "
            "[u.find_spec(f'rifeflow.{n}').origin.split('/')[-2] for n in ('flows', 'tasks', 'manifests')])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path).stdout
    assert out.strip() == "[True, True, True] ['flows', 'tasks', 'manifests']"
