"""Every RIFEFLOW_* variable is read in rifeflow/settings.py, when a run asks, and a bad value is refused in one
line that names it; nothing reads them while a module is imported."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from rifeflow.settings import Settings, SettingsError, settings

ROOT = Path(__file__).resolve().parents[1]
BAD = {"RIFEFLOW_RUN_TIMEOUT_S": ("-3", "a positive number of seconds"),
       "RIFEFLOW_STORAGE_TIMEOUT_S": ("soon", "a positive number of seconds"),
       "RIFEFLOW_STORAGE_RETRIES": ("9", "a whole number from 0 to 5")}


def test_defaults_and_values(monkeypatch, tmp_path):
    for name in [n for n in list(__import__("os").environ) if n.startswith("RIFEFLOW_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    plain = settings()
    assert (plain.run_timeout_s, plain.storage_timeout_s, plain.storage_retries) == (None, 30.0, 5)
    assert plain.cache_root() == tmp_path / "xdg" / "rifeflow"
    monkeypatch.setenv("RIFEFLOW_RUN_TIMEOUT_S", "72000")
    monkeypatch.setenv("RIFEFLOW_STORAGE_RETRIES", "0")
    monkeypatch.setenv("RIFEFLOW_CACHE", str(tmp_path / "mine"))
    monkeypatch.setenv("RIFEFLOW_STORAGE_TIMEOUT_S", "")  # empty counts as unset
    chosen = settings()
    assert (chosen.run_timeout_s, chosen.storage_retries, chosen.storage_timeout_s) == (72000.0, 0, 30.0)
    assert chosen.cache_root() == tmp_path / "mine"
    from rifeflow.engine.weights import cache_dir
    from rifeflow.storage import faults

    assert cache_dir() == tmp_path / "mine" / "weights" and faults.retry_delays() == ()


@pytest.mark.parametrize("name", sorted(BAD))
def test_a_bad_value_is_refused_in_one_line_naming_the_variable(name, monkeypatch):
    value, needs = BAD[name]
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as info:
        settings()
    assert str(info.value).startswith(f"{name}={value!r}: must be {needs}")
    assert "\n" not in str(info.value)


def test_no_module_reads_a_rifeflow_variable_but_settings():
    readers = {}
    for path in [*ROOT.glob("rifeflow/**/*.py"), *ROOT.glob("flows/*.py"), *ROOT.glob("tasks/*.py"),
                 *ROOT.glob("manifests/*.py"), *ROOT.glob("rife_kernels/*.py")]:
        if path.name == "settings.py":
            continue
        found = re.findall(r"environ(?:\.get)?\(?\[?\s*[\"'](RIFEFLOW_\w+)", path.read_text())
        if found:
            readers[str(path.relative_to(ROOT))] = found
    assert readers == {}
    assert {f"RIFEFLOW_{n.upper()}" for n in Settings.model_fields} >= set(BAD)


def test_importing_the_flows_with_bad_values_works_and_the_cli_refuses_them_by_name(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), **{k: v for k, (v, _) in BAD.items()}}
    imported = subprocess.run([sys.executable, "-c", "import rifeflow.flows.catalog, rifeflow.flows.video; print('ok')"],
                              env=env, capture_output=True, text=True, timeout=120)
    assert imported.stdout.strip() == "ok", imported.stderr[-2000:]
    env = {**env, "RIFEFLOW_STORAGE_TIMEOUT_S": "30", "RIFEFLOW_STORAGE_RETRIES": "2"}
    cli = subprocess.run([str(Path(sys.executable).parent / "rifeflow"), "run", str(tmp_path / "in"),
                          str(tmp_path / "out")], env=env, capture_output=True, text=True, timeout=120)
    assert cli.returncode == 2
    assert cli.stderr.strip() == ("rifeflow: error: RIFEFLOW_RUN_TIMEOUT_S='-3': must be a positive number of "
                                  "seconds (input should be greater than 0)")
    assert not (tmp_path / "out").exists()
