"""The README's SQL cookbook and the lcw command line against a built warehouse."""
from __future__ import annotations

import re

import duckdb
import pytest

from dagster_project import cli
from dagster_project.settings import REPO_ROOT

COOKBOOK = re.findall(r"```sql\n(.*?)```", (REPO_ROOT / "README.md").read_text(encoding="utf-8"), re.S)


def test_the_readme_has_a_cookbook():
    assert len(COOKBOOK) >= 6


@pytest.mark.parametrize("sql", COOKBOOK, ids=[q.splitlines()[0][3:40] for q in COOKBOOK])
def test_every_cookbook_query_runs_and_answers(seed_warehouse, sql):
    with duckdb.connect(str(seed_warehouse), read_only=True) as con:
        rows = con.sql(sql).fetchall()
    assert rows, "the query returned nothing on the seed warehouse"


@pytest.fixture
def published(seed_warehouse, monkeypatch):
    monkeypatch.setenv("LCW_WAREHOUSE", str(seed_warehouse))
    return seed_warehouse


def test_lcw_sql_prints_a_table(published, capsys):
    assert cli.main(["sql", "select region, value from marts.regional_metrics where region = '杭州市' "
                            "and metric = 'live_sessions'"]) == 0
    out = capsys.readouterr().out
    assert "| 杭州市" in out and "4713600.0" in out


def test_lcw_sql_is_read_only_and_explains_bad_sql(published, capsys):
    assert cli.main(["sql", "select nope from marts.articles"]) == 2
    assert "SQL error" in capsys.readouterr().err
    assert cli.main(["sql", "delete from marts.articles"]) == 2
    assert "read-only" in capsys.readouterr().err


def test_lcw_says_where_the_warehouse_is_missing(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LCW_WAREHOUSE", str(tmp_path / "none.duckdb"))
    assert cli.main(["sql", "select 1"]) == 2
    assert "no warehouse at" in capsys.readouterr().err


def test_lcw_status(published, capsys):
    assert cli.main(["status"]) == 0
    out = capsys.readouterr().out
    assert "articles:     8 (5 about live commerce)" in out and "quarantined:  0 files" in out


def test_lcw_explain_shows_raw_and_clean_evidence(published, capsys):
    with duckdb.connect(str(published), read_only=True) as con:
        start = con.sql("select char_start from marts.metric_observations where span = '3640.06亿元'").fetchone()[0]
    assert cli.main(["explain", f"001_9466b8a903cc27a1.txt:{start}"]) == 0
    out = capsys.readouterr().out
    assert "实现直播成交额3640.06亿元" in out and "【3640.06億元】" in out
    assert cli.main(["explain", "nothing.txt:1"]) == 2


def test_lcw_refresh_runs_the_job_and_draws_progress(tmp_path, monkeypatch, capsys):
    import shutil

    from tests.conftest import SEEDS
    input_dir = tmp_path / "input"
    input_dir.mkdir()
    shutil.copy(SEEDS / "001_9466b8a903cc27a1.txt", input_dir)
    monkeypatch.setenv("LCW_INPUT_DIR", str(input_dir))
    monkeypatch.setenv("LCW_WAREHOUSE", str(tmp_path / "wh.duckdb"))
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    assert cli.main(["refresh"]) == 0
    out = capsys.readouterr().out
    assert "refreshed" in out
    # The last draw counts each step of the job once, read from the run's events as they came.
    from dagster._core.execution.api import create_execution_plan
    from dagster_project.definitions import defs
    steps = len(create_execution_plan(defs.resolve_job_def("refresh_warehouse")).step_keys_to_execute)
    assert re.findall(r"(\d+)/(\d+) steps", out)[-1] == (str(steps), str(steps)), out
    assert cli.main(["sql", "select count(*) as n from marts.articles"]) == 0
    assert "| 1 " in capsys.readouterr().out


def test_lcw_refresh_started_with_stop_signals_ignored_leaves_no_process_behind(tmp_path):
    # As a background job or the benchmark start it: SIGINT and SIGTERM ignored. Dagster's log
    # capture stops its `tail` processes with SIGTERM; inherited as ignored, they outlived the run.
    import os
    import shutil
    import signal
    import subprocess
    import sys
    from pathlib import Path

    from tests.conftest import SEEDS
    input_dir, home = tmp_path / "input", tmp_path / "dagster_home"
    input_dir.mkdir()
    home.mkdir()
    shutil.copy(SEEDS / "001_9466b8a903cc27a1.txt", input_dir)
    shutil.copy(REPO_ROOT / "instance" / "dagster.yaml", home / "dagster.yaml")
    env = {**os.environ, "DAGSTER_HOME": str(home), "LCW_INPUT_DIR": str(input_dir),
           "LCW_WAREHOUSE": str(tmp_path / "wh" / "livecommerce.duckdb")}
    env.pop("LCW_BUILD_WAREHOUSE", None)
    env.pop("LCW_STAGING_STORE", None)

    def ignore_stop_signals():
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)

    with open(tmp_path / "lcw.log", "w") as log:
        proc = subprocess.run([str(Path(sys.executable).parent / "lcw"), "refresh"], env=env, cwd=REPO_ROOT,
                              stdout=log, stderr=subprocess.STDOUT, preexec_fn=ignore_stop_signals, timeout=600)
    assert proc.returncode == 0, (tmp_path / "lcw.log").read_text()[-2000:]
    left = subprocess.run(["pgrep", "-f", f"tail -F -c \\+0 {home}"], capture_output=True, text=True).stdout.split()
    for pid in left:
        os.kill(int(pid), signal.SIGKILL)
    assert left == [], "log-capture tail processes outlived the refresh"


def test_progress_follows_the_run_started_after_it_not_an_earlier_one(capsys):
    import dagster as dg

    @dg.op
    def step():
        return 1

    @dg.job
    def two_steps():
        step.alias("a")()
        step.alias("b")()

    @dg.job
    def three_steps():
        step.alias("a")()
        step.alias("b")()
        step.alias("c")()

    instance = dg.DagsterInstance.ephemeral()
    assert two_steps.execute_in_process(instance=instance).success  # as a DAGSTER_HOME keeps older runs
    progress = cli.StepProgress(instance)
    progress.draw(0.0)  # drawn before the new run exists: nothing to follow yet
    assert progress.run_id is None and progress.done == 0
    assert three_steps.execute_in_process(instance=instance).success
    progress.draw(1.0, final=True)
    assert progress.done == 3
    assert capsys.readouterr().out.endswith(f"3/3 steps {1.0:5.0f}s " + " " * 40)
