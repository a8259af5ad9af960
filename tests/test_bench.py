"""The benchmark's per-size run works end to end on a small generated corpus: a full refresh, a
+1 % refresh in process, in a new process (with and without DAGSTER_HOME) and in the run launcher's
warm worker, and the answer-key recall beside them."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time

from bench.run import COLUMNS, FORWARDED_LINES, PLUS_RUNS
from tests.conftest import REPO_ROOT as ROOT


def test_one_benchmark_size_runs_and_reports_every_column(tmp_path):
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "run.py"), "--one", "100", "--out", str(tmp_path),
                           "--seed", "3"], capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    row = json.loads(proc.stdout.strip().splitlines()[-1])
    assert set(COLUMNS) <= set(row)
    assert row["articles"] == 100 and row["files"] > 0
    for column in ("full_refresh_s", "plus_1pct_refresh_s", "plus_1pct_new_process_s", "plus_1pct_new_process_no_home_s",
                   "plus_1pct_warm_worker_s", "peak_rss_mb", "parse_mb_per_s"):
        assert row[column] > 0, column
    assert row["recall"] >= 0.95
    for runs_column, median_column in (("plus_1pct_runs_s", "plus_1pct_refresh_s"),
                                       ("plus_1pct_warm_worker_runs_s", "plus_1pct_warm_worker_s")):
        runs = [float(s) for s in row[runs_column].split("/")]
        assert len(runs) == PLUS_RUNS and row[median_column] == sorted(runs)[len(runs) // 2], runs_column
    assert re.search(r"^full refresh peak RSS: \d+ MB during \S+.* \(\d+ MB in the benchmark's process, \d+ MB in its",
                     proc.stderr, re.M)
    for stage in ("clean", "extract"):
        assert re.search(rf"^full refresh parse CPU, {stage} \(\w+\): [\d.]+ s in the benchmark's process, [\d.]+ s in its "
                         r"parse workers", proc.stderr, re.M), stage
    worker = re.search(r"^\+1 % refresh's run worker: warmed up in [\d.]+ s, (\d+) MB resident while it waits",
                       proc.stderr, re.M)
    assert worker and int(worker.group(1)) > 100  # it has imported Dagster, dbt and the definitions
    summaries = [line for line in proc.stderr.splitlines() if line.startswith(("full refresh ", "+1 % refresh"))]
    assert summaries and all(line.startswith(FORWARDED_LINES) for line in summaries)  # the summary passes them on


def test_every_step_of_the_refresh_job_counts_in_one_stage():
    from bench.run import STAGES, UNTIMED_STEPS, stage_of
    from dagster_project.definitions import defs

    steps = {node.name for node in defs.resolve_job_def("refresh_warehouse").graph.nodes}
    assert {step for step in steps if stage_of(step) is None} == UNTIMED_STEPS
    assert {step for named in STAGES.values() for step in named} <= steps
    assert stage_of("pandera_after_articles") == "validate" and stage_of("raw_documents") == "ingest"


def test_the_memory_peak_sums_a_process_and_its_descendants():
    from bench.memory import ProcessTreeSampler, process_tree, resident_bytes

    assert process_tree(1, {2: 1, 3: 2, 4: 9, 5: 3}) == {1, 2, 3, 5}
    holder = "import sys, time; block = bytearray(300 * 2**20); print('ready', flush=True); time.sleep(30)"
    child = subprocess.Popen([sys.executable, "-c", holder], stdout=subprocess.PIPE, text=True)
    try:
        started = time.time()
        with ProcessTreeSampler(interval=0.05) as peak:
            assert child.stdout.readline().strip() == "ready"
            own = resident_bytes(os.getpid())
    finally:
        child.kill()
        child.wait()
    assert peak.bytes >= own + 300 * 2**20  # the child's 300 MB block counts beside this process
    assert 0 < peak.root_bytes <= peak.bytes - 300 * 2**20  # ... and is not this process's own
    assert started <= peak.at <= time.time()


def test_the_cpu_split_counts_a_descendant_apart_from_the_root():
    from bench.memory import ProcessTreeSampler

    # The child spins for about a second and says when it starts; meanwhile this process sleeps.
    spinner = ("import time; print('spinning', flush=True); end = time.process_time() + 1.0\n"
               "while time.process_time() < end: pass\ntime.sleep(30)")
    child = subprocess.Popen([sys.executable, "-c", spinner], stdout=subprocess.PIPE, text=True)
    try:
        with ProcessTreeSampler(interval=0.05, tree_every=1) as sampler:
            assert child.stdout.readline().strip() == "spinning"
            started = time.time()
            time.sleep(1.5)
            ended = time.time()
    finally:
        child.kill()
        child.wait()
    own, descendants = sampler.cpu_between(started, ended)
    assert 0.7 <= descendants <= 1.5
    series = [others for _, _, others in sampler.cpu_samples]
    assert all(later >= earlier for earlier, later in zip(series, series[1:]))  # never below zero
    assert own < 0.5
