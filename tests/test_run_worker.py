"""The instance's run launcher (instance/dagster.yaml) runs each refresh in a worker process that
warmed up before the run arrived, also for the runs the daemon dequeues; terminating a run
interrupts its worker; a worker whose code changed runs the run in a fresh interpreter."""
from __future__ import annotations

import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest
import yaml
from dagster._core.launcher import WorkerStatus

from dagster_project.run_worker import WORKER_PID_TAG, WarmRunLauncher, runs_here, runs_run
from dagster_project.jobs import REFRESH_PROCESS_TAG
from dagster_project.processes import process_identity, process_running
from dagster_project.run_worker_process import code_stamp
from dagster_project.runner import launch_refresh, run_refresh, wait_for_run
from tests.conftest import REPO_ROOT, SEEDS, query


@pytest.fixture
def home_instance(tmp_path, monkeypatch):
    """A DAGSTER_HOME with the project's instance settings, and the seeds to refresh."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(REPO_ROOT / "instance" / "dagster.yaml", home / "dagster.yaml")
    shutil.copytree(SEEDS, tmp_path / "input")
    warehouse = tmp_path / "wh" / "livecommerce.duckdb"
    monkeypatch.setenv("LCW_INPUT_DIR", str(tmp_path / "input"))  # the workers inherit them
    monkeypatch.setenv("LCW_WAREHOUSE", str(warehouse))
    monkeypatch.delenv("LCW_BUILD_WAREHOUSE", raising=False)
    monkeypatch.delenv("LCW_STAGING_STORE", raising=False)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        yield instance, warehouse
        instance.run_launcher.join(timeout=60)


def run_worker_children() -> list[int]:
    """Run worker processes started by this process."""
    from bench.memory import parent_pids

    def is_run_worker(pid: int) -> bool:
        try:
            return b"dagster_project.run_worker_process" in Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            return False

    return [pid for pid, parent in parent_pids().items() if parent == os.getpid() and is_run_worker(pid)]


def engine_messages(instance: dg.DagsterInstance, run_id: str) -> list[str]:
    return [e.message for e in instance.all_logs(run_id, of_type=dg.DagsterEventType.ENGINE_EVENT)]


def wait_for_step_start(instance: dg.DagsterInstance, run_id: str) -> None:
    deadline = time.monotonic() + 120
    while not instance.all_logs(run_id, of_type=dg.DagsterEventType.STEP_START):
        assert time.monotonic() < deadline, "the run did not start a step"
        time.sleep(0.02)


def test_refreshes_run_one_after_another_each_in_a_worker_of_its_own(home_instance):
    instance, warehouse = home_instance
    launcher = instance.run_launcher
    assert isinstance(launcher, WarmRunLauncher)
    pids = []
    # The first run starts the worker it is handed to; the second goes to the spare started then,
    # which warmed up once the first run's worker had ended.
    for expected in ("still warming up", "warm"):
        if pids:
            assert launcher.spare_ready(timeout=300)
        run = wait_for_run(instance, launch_refresh(instance), timeout=300)
        assert run.status == dg.DagsterRunStatus.SUCCESS
        pid = int(run.tags[WORKER_PID_TAG])
        messages = engine_messages(instance, run.run_id)
        assert any(m.endswith(f"Run handed to run worker pid {pid} ({expected}).") for m in messages)
        assert f"Started process for run (pid: {pid})." in messages
        pids.append(pid)
    assert len(set(pids)) == 2 and os.getpid() not in pids  # a process per run, none of them this one
    assert query(warehouse, "select count(*) from marts.metric_observations")[0][0] > 0
    launcher.join(timeout=60)
    assert not any(process_running(pid) for pid in pids)  # each worker ended with its run
    assert len(run_worker_children()) == 1  # the spare for the next run
    launcher.dispose()
    assert run_worker_children() == []


def test_a_spare_waiting_for_the_previous_run_loads_nothing_but_python():
    """A spare started while a run goes on must not take a core from it: until the run's worker
    ends it imports only the standard library."""
    previous = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    read_fd, write_fd = os.pipe()
    spare = subprocess.Popen([sys.executable, "-m", "dagster_project.run_worker_process", "--ready-fd", str(write_fd),
                              "--after-pid", str(previous.pid)], stdin=subprocess.PIPE, pass_fds=(write_fd,),
                             cwd=REPO_ROOT)
    os.close(write_fd)
    try:
        spare.stdin.close()  # the launcher lets it go: it was, or will be, waiting for its turn
        _, status, usage = os.wait4(spare.pid, 0)
        spare.returncode = os.waitstatus_to_exitcode(status)
    finally:
        previous.kill()
        previous.wait()
        os.close(read_fd)
    assert spare.returncode == 0
    assert usage.ru_utime + usage.ru_stime < 0.3  # importing Dagster alone takes 0.8 s here


def test_the_warm_up_article_parses_and_passes_the_staging_checks():
    from dagster_project.checks import validate_frame
    from dagster_project.run_worker_process import sample_frames
    from dagster_project.schemas import STAGING_SCHEMAS

    frames = sample_frames()
    assert {table: frame.height > 0 for table, frame in frames.items()} == dict.fromkeys(frames, True)
    assert all(validate_frame(STAGING_SCHEMAS[table], frame)[0] for table, frame in frames.items())
    assert "gmv" in frames["metric_observations"]["metric"].to_list()


def test_terminating_a_run_interrupts_its_worker_and_keeps_the_published_warehouse(home_instance):
    instance, warehouse = home_instance
    launcher = instance.run_launcher
    launcher.start_spare()
    assert launcher.spare_ready(timeout=300)
    assert wait_for_run(instance, launch_refresh(instance), timeout=300).status == dg.DagsterRunStatus.SUCCESS
    published = hashlib.sha256(warehouse.read_bytes()).hexdigest()

    assert launcher.spare_ready(timeout=300)
    run_id = launch_refresh(instance)
    wait_for_step_start(instance, run_id)
    assert launcher.terminate(run_id)
    run = wait_for_run(instance, run_id, timeout=120)
    assert run.status == dg.DagsterRunStatus.CANCELED
    assert hashlib.sha256(warehouse.read_bytes()).hexdigest() == published
    assert launcher.terminate(run_id) is False  # a finished run


def test_a_run_whose_worker_is_killed_fails_and_the_next_refresh_runs(home_instance):
    instance, warehouse = home_instance
    launcher = instance.run_launcher
    launcher.start_spare()
    assert launcher.spare_ready(timeout=300)
    run_id = launch_refresh(instance)
    wait_for_step_start(instance, run_id)
    os.kill(int(instance.get_run_by_id(run_id).tags[WORKER_PID_TAG]), 9)  # as the out-of-memory killer would
    assert wait_for_run(instance, run_id, timeout=60).status == dg.DagsterRunStatus.FAILURE
    assert any(m.startswith("[WarmRunLauncher] Run worker pid") and "was terminated by signal 9 (SIGKILL)." in m
               for m in engine_messages(instance, run_id))
    assert not warehouse.exists()  # nothing was published
    assert wait_for_run(instance, launch_refresh(instance), timeout=300).status == dg.DagsterRunStatus.SUCCESS


def test_run_monitoring_finds_a_run_whose_worker_is_gone(home_instance):
    instance, _ = home_instance
    launcher = instance.run_launcher
    assert launcher.supports_check_run_worker_health and instance.run_monitoring_enabled
    launcher.start_spare()
    live = launcher.spare_pid  # a run worker's command line, as a worker that took a run has
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()

    def health(pid: int, run_id: str) -> dg.DagsterRun:
        run = instance.add_run(dg.DagsterRun(job_name="refresh_warehouse", run_id=run_id,
                                             status=dg.DagsterRunStatus.STARTED, tags={WORKER_PID_TAG: str(pid)}))
        return launcher.check_run_worker_health(run).status

    assert health(live, "00000000-0000-0000-0000-000000000001") == WorkerStatus.RUNNING
    assert health(gone.pid, "00000000-0000-0000-0000-000000000002") == WorkerStatus.FAILED


def test_run_monitoring_finds_a_refresh_whose_process_outside_the_launcher_is_gone(home_instance, tmp_path):
    """`make run` and `lcw refresh` run the job in their own process, not through the launcher: the
    run names that process before it waits for the refresh lock, and run monitoring fails the run
    when the process is gone, so a killed one does not keep the run queue's one refresh slot."""
    instance, warehouse = home_instance
    launcher = instance.run_launcher
    result = run_refresh(tmp_path / "input", warehouse, instance)
    assert result.success
    assert instance.get_run_by_id(result.run_id).tags[REFRESH_PROCESS_TAG] == process_identity()

    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    try:
        def health(tags: dict, run_id: str) -> WorkerStatus:
            run = instance.add_run(dg.DagsterRun(job_name="refresh_warehouse", run_id=run_id,
                                                 status=dg.DagsterRunStatus.STARTED, tags=tags))
            return launcher.check_run_worker_health(run).status

        assert health({REFRESH_PROCESS_TAG: process_identity(live.pid)}, "00000000-0000-0000-0000-000000000011") \
            == WorkerStatus.RUNNING
        assert health({REFRESH_PROCESS_TAG: f"{gone.pid}:1"}, "00000000-0000-0000-0000-000000000012") \
            == WorkerStatus.FAILED
        # A process that took the pid of the one that ran the refresh does not keep its run alive.
        assert health({REFRESH_PROCESS_TAG: f"{live.pid}:1"}, "00000000-0000-0000-0000-000000000013") \
            == WorkerStatus.FAILED
        # Not tagged yet: its first step has not started.
        assert health({}, "00000000-0000-0000-0000-000000000014") == WorkerStatus.RUNNING
    finally:
        live.kill()
        live.wait()


def test_a_worker_runs_the_run_in_a_fresh_interpreter_when_a_module_changed_since_it_warmed_up(home_instance):
    instance, _ = home_instance
    launcher = instance.run_launcher
    launcher.start_spare()
    assert launcher.spare_ready(timeout=300)
    module = REPO_ROOT / "dagster_project" / "summary.py"
    before = module.stat()
    os.utime(module, ns=(before.st_atime_ns, before.st_mtime_ns + 10**9))  # as an editor's save would
    try:
        run = wait_for_run(instance, launch_refresh(instance), timeout=300)
    finally:
        os.utime(module, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert run.status == dg.DagsterRunStatus.SUCCESS
    assert "The project's code changed since this worker warmed up: the run starts in a fresh interpreter." \
        in engine_messages(instance, run.run_id)


def test_terminate_signals_only_a_process_that_is_a_run_worker():
    idle = subprocess.Popen([sys.executable, "-c", "import time; print('ready', flush=True); time.sleep(30)", "run-1234"],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert idle.stdout.readline().strip() == "ready"  # past its exec: the command line is its own
        assert runs_run(idle.pid, "run-1234")  # a fresh interpreter started for the run names it
        assert not runs_run(idle.pid, "run-5678")  # a process that took the pid of a dead worker
        assert not runs_run(os.getpid(), "run-1234")
    finally:
        idle.kill()
        idle.wait()
    assert not runs_run(idle.pid, "run-1234")


def test_the_code_stamp_follows_the_modules(tmp_path):
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "sub" / "a.py").write_text("x = 1\n")
    before = code_stamp(package)
    assert code_stamp(package) == before
    (package / "sub" / "a.py").write_text("x = 22\n")
    assert code_stamp(package) != before


def test_only_this_projects_definitions_in_this_python_run_in_the_worker():
    from dagster._core.definitions.reconstruct import ReconstructableRepository

    def origin(module: str, executable: str | None = None):
        repo = ReconstructableRepository.for_module(module, "defs", working_directory=str(REPO_ROOT))
        job_origin = repo.get_reconstructable_job("refresh_warehouse").get_python_origin()
        if executable:
            job_origin = job_origin._replace(repository_origin=job_origin.repository_origin._replace(executable_path=executable))
        return job_origin

    assert runs_here(origin("dagster_project.definitions"))
    assert not runs_here(origin("other_project.definitions"))
    assert not runs_here(origin("dagster_project.definitions", executable="/usr/bin/false"))
    assert not runs_here(None)


def test_queued_refreshes_go_from_the_daemon_to_a_warm_worker(tmp_path):
    """The path of the schedule and the sensor: a run submitted to the instance's queue, which the
    daemon dequeues and hands to its run launcher. Then an `lcw refresh` killed while it waits for
    the refresh lock, whose run the daemon's run monitoring marks failed."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    settings = yaml.safe_load((REPO_ROOT / "instance" / "dagster.yaml").read_text())
    settings["run_monitoring"]["poll_interval_seconds"] = 1  # Dagster's default is 120 s
    (home / "dagster.yaml").write_text(yaml.safe_dump(settings))
    shutil.copytree(SEEDS, tmp_path / "input")
    env = {**os.environ, "DAGSTER_HOME": str(home), "LCW_INPUT_DIR": str(tmp_path / "input"),
           "LCW_WAREHOUSE": str(tmp_path / "wh" / "livecommerce.duckdb")}
    for name in ("LCW_BUILD_WAREHOUSE", "LCW_STAGING_STORE"):
        env.pop(name, None)
    bin_dir = Path(sys.executable).parent
    daemon_log = tmp_path / "daemon.log"  # the daemon's and its run workers' stderr
    with open(daemon_log, "w") as log:
        daemon = subprocess.Popen([str(bin_dir / "dagster-daemon"), "run", "-m", "dagster_project.definitions"],
                                  cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log, start_new_session=True)

    def workers_warmed() -> int:
        return len(re.findall(r"^run worker \d+: warm after [\d.]+ s$", daemon_log.read_text(), re.M))

    refresh = lock = None
    try:
        with dg.DagsterInstance.from_config(str(home)) as instance:
            messages = []
            for attempt in range(2):
                deadline = time.monotonic() + 300
                while attempt and workers_warmed() < 2:  # the spare the first run left, after that run
                    assert time.monotonic() < deadline, daemon_log.read_text()[-3000:]
                    time.sleep(0.2)
                subprocess.run([str(bin_dir / "dagster"), "job", "launch", "-m", "dagster_project.definitions",
                                "-j", "refresh_warehouse"], cwd=REPO_ROOT, env=env, check=True, capture_output=True)
                run = wait_for_run(instance, instance.get_runs(limit=1)[0].run_id, timeout=300)
                assert run.status == dg.DagsterRunStatus.SUCCESS
                messages.append(engine_messages(instance, run.run_id))
        assert any(m.endswith("(still warming up).") for m in messages[0])  # the daemon's first run
        assert any(m.endswith("(warm).") for m in messages[1])  # the same launcher kept the spare

        # This process holds the refresh lock, so the `lcw refresh` below waits for it, and is
        # killed while it waits.
        lock = os.open(tmp_path / "wh" / ".build" / "livecommerce.lock", os.O_RDWR)
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with dg.DagsterInstance.from_config(str(home)) as instance:
            earlier = {r.run_id for r in instance.get_runs()}
            refresh = subprocess.Popen([str(bin_dir / "lcw"), "refresh"], cwd=REPO_ROOT, env=env,
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            def waiting_tagged(run: dg.DagsterRun) -> bool:
                return run.run_id not in earlier and REFRESH_PROCESS_TAG in run.tags and any(
                    "waiting for the refresh running as pid" in e.message for e in instance.all_logs(run.run_id))

            deadline = time.monotonic() + 120
            while not waiting_tagged(run := instance.get_runs(limit=1)[0]):
                assert time.monotonic() < deadline and refresh.poll() is None
                time.sleep(0.05)
            assert run.tags[REFRESH_PROCESS_TAG] == process_identity(refresh.pid)
            refresh.kill()
            refresh.wait()
            run = wait_for_run(instance, run.run_id, timeout=60)
            assert run.status == dg.DagsterRunStatus.FAILURE
            failure = instance.all_logs(run.run_id, of_type=dg.DagsterEventType.PIPELINE_FAILURE)[0].message
            assert f"the process that ran the refresh (pid {refresh.pid}) is gone" in failure
    finally:
        if refresh is not None and refresh.poll() is None:
            refresh.kill()
            refresh.wait()
        if lock is not None:
            os.close(lock)
        os.killpg(daemon.pid, 9)
        daemon.wait(timeout=30)
