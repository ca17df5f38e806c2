"""The orchestrating side of the command line starts without torch; model names agree everywhere."""
from __future__ import annotations

import subprocess
import sys

import pytest
from pydantic import ValidationError

from manifests.config import CatalogConfig
from rife_kernels import MODEL_NAMES, MODELS


def test_registry_and_torch_free_names_agree():
    assert tuple(MODELS) == MODEL_NAMES


def test_cli_and_run_plumbing_import_without_torch():
    code = ("import sys, rifeflow, rifeflow.cli, rifeflow.cli_pipeline, rifeflow.cluster, rifeflow.errors, "
            "manifests.config, rife_kernels; rifeflow.cli.build_parser(); "
            "print(sorted(m for m in ('torch', 'prefect', 'distributed') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_package_api_still_loads_on_use():
    import rifeflow

    assert callable(rifeflow.interpolate_video) and callable(rifeflow.main_interpolate)
    with pytest.raises(AttributeError):
        rifeflow.no_such_name


def test_unknown_model_is_refused_by_the_config():
    with pytest.raises(ValidationError, match="unknown model 'rife-9'"):
        CatalogConfig(source_uri="a", dest_uri="b", model="rife-9")
