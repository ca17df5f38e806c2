"""`rifeflow run` reports to the API Prefect's own settings name, set the ways Prefect users set it."""
from __future__ import annotations

import json
import subprocess
import urllib.request

import pytest

from rifeflow.video.sample import make_sample_clip
from tests.services import BIN, pipeline_env, run_cli

pytestmark = pytest.mark.slow  # servers or a browser


def _flow_runs(url: str, flow_name: str) -> list[dict]:
    body = json.dumps({"flows": {"name": {"any_": [flow_name]}}}).encode()
    request = urllib.request.Request(f"{url}/flow_runs/filter", data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def _user_env(home, cwd=None) -> dict:
    env = pipeline_env(PREFECT_HOME=str(home))
    for name in ("PREFECT_API_URL", "PREFECT_PROFILE", "PREFECT_PROFILES_PATH", "PREFECT_API_KEY"):
        env.pop(name, None)
    return env


def _prefect(args: list[str], env: dict, cwd=None) -> str:
    done = subprocess.run([str(BIN / "prefect"), *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.fixture
def catalog(tmp_path):
    source = tmp_path / "catalog"
    source.mkdir()
    make_sample_clip(str(source / "clip.mp4"), seconds=0.6, size=64, fps=25)
    return source


def test_a_profile_set_with_prefect_config_set_is_where_the_run_goes(prefect_server, catalog, tmp_path):
    home = tmp_path / "user-prefect"
    env = _user_env(home)
    _prefect(["profile", "create", "studio"], env)
    # `profile use` checks the API it would switch to, so the URL goes into the profile first.
    _prefect(["--profile", "studio", "config", "set", f"PREFECT_API_URL={prefect_server['url']}"], env)
    _prefect(["profile", "use", "studio"], env)
    assert prefect_server["url"] in (home / "profiles.toml").read_text()
    before = {r["id"] for r in _flow_runs(prefect_server["url"], "interpolate-catalog")}

    run = run_cli(["run", str(catalog), str(tmp_path / "out"), "--workers", "1", "--heldout-frames", "0"], env)
    assert run.returncode == 0, run.stderr[-3000:]
    assert (tmp_path / "out" / "clip.mp4").is_file()
    new = [r for r in _flow_runs(prefect_server["url"], "interpolate-catalog") if r["id"] not in before]
    assert [r["state_type"] for r in new] == ["COMPLETED"]
    videos = [r for r in _flow_runs(prefect_server["url"], "interpolate-video") if r["parent_task_run_id"]]
    assert any(r["name"].endswith("clip.mp4") for r in videos)
    assert prefect_server["url"].removesuffix("/api") in run.stdout + run.stderr  # "View at" links to that UI
    bar = _artifacts(prefect_server["url"], new[0]["id"])
    assert [(a["type"], a["data"], a["description"]) for a in bar] == [("progress", 100.0, "1 of 1 videos finished")]


def _artifacts(url: str, flow_run_id: str) -> list[dict]:
    body = json.dumps({"artifacts": {"flow_run_id": {"any_": [flow_run_id]}}}).encode()
    request = urllib.request.Request(f"{url}/artifacts/filter", data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return [a for a in json.loads(response.read()) if a["type"] == "progress"]


def test_prefect_toml_in_the_working_folder_names_the_api(prefect_server, catalog, tmp_path):
    work = tmp_path / "project"
    work.mkdir()
    (work / "prefect.toml").write_text(f'[api]\nurl = "{prefect_server["url"]}"\n')
    env = _user_env(tmp_path / "user-prefect")
    before = {r["id"] for r in _flow_runs(prefect_server["url"], "interpolate-catalog")}
    run = subprocess.run([str(BIN / "rifeflow"), "run", str(catalog), str(tmp_path / "out"), "--workers", "1",
                          "--heldout-frames", "0"], env=env, cwd=work, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stderr[-3000:]
    new = [r for r in _flow_runs(prefect_server["url"], "interpolate-catalog") if r["id"] not in before]
    assert [r["state_type"] for r in new] == ["COMPLETED"]


def test_without_any_setting_prefect_is_not_imported_to_decide(tmp_path, monkeypatch):
    from rifeflow.orchestration import prefect_api

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "empty-home"))
    for name in ("PREFECT_API_URL", "PREFECT_PROFILE", "PREFECT_PROFILES_PATH"):
        monkeypatch.delenv(name, raising=False)
    assert not prefect_api.could_name_an_api()
    assert prefect_api.configured_api() is None
    (tmp_path / "empty-home").mkdir()
    (tmp_path / "empty-home" / "profiles.toml").write_text(
        'active = "cloud"\n[profiles.cloud]\nPREFECT_API_URL = "https://api.prefect.cloud/api/accounts/a/workspaces/w"\n'
        'PREFECT_API_KEY = "pnu_rifeflowtestkey"\n')
    assert prefect_api.could_name_an_api()
    api = prefect_api.configured_api()
    assert api.url == "https://api.prefect.cloud/api/accounts/a/workspaces/w" and api.key == "pnu_rifeflowtestkey"
