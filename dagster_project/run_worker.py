"""Runs of this project start in a run worker that is already warm (instance/dagster.yaml).

Dagster's default launcher has the code server start each run in a new interpreter, which
imports Dagster, dbt, Polars and the definitions again before the first step, and then pays for
dbt's first build in a cold process: seconds that a small refresh spends waiting. WarmRunLauncher
keeps one spare worker process that has done all of that, hands it the next run, and starts the
next spare, which waits for that run's process to end before it warms (so it takes no CPU from
the run). Each run still has a process of its own, which ends with it: no state of one run
(DuckDB's cached databases, dbt's adapter, the memory a full refresh grew to) is left for the
next.

The worker runs the run as `dagster api execute_run` does (the command Dagster's container
launchers start). A worker that finds the project's code changed since it warmed up (a module
or a file of the dbt project) runs that command instead, in a fresh interpreter, so a run never
executes stale code. Runs of other code locations, or of another Python, go to Dagster's default
launcher. Terminating a run from the UI interrupts its worker, as Dagster's launchers do, and a
run whose worker dies before it ends (killed, out of memory) is reported failed, as Dagster's
code server does for the processes it starts.

The worker is `python -m dagster_project.run_worker_process`; the run reaches it on stdin.
"""
from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from dagster._core.launcher import CheckRunHealthResult, DefaultRunLauncher, LaunchRunContext, WorkerStatus
from dagster._grpc.types import ExecuteRunArgs
from dagster._serdes import ConfigurableClassData, serialize_value

from dagster_project.jobs import REFRESH_PROCESS_TAG
from dagster_project.processes import identity_running, process_running

PROJECT_MODULE = "dagster_project.definitions"
WORKER_PID_TAG = "lcw/run_worker_pid"


class WarmRunLauncher(DefaultRunLauncher):
    """Hands this project's runs to a warm spare worker; other runs to the default launcher."""

    def __init__(self, inst_data: ConfigurableClassData | None = None):
        super().__init__(inst_data=inst_data)
        self._lock = threading.Lock()
        self._spare: subprocess.Popen | None = None
        self._spare_ready_fd: int | None = None
        self._spare_ready = False
        self._workers: list[subprocess.Popen] = []

    def launch_run(self, context: LaunchRunContext) -> None:
        run = context.dagster_run
        if not runs_here(run.job_code_origin):
            return super().launch_run(context)
        payload = serialize_value(ExecuteRunArgs(
            job_origin=run.job_code_origin, run_id=run.run_id, instance_ref=self._instance.get_ref()))
        with self._lock:
            worker, warm = self._hand_over(payload)
            self._workers.append(worker)
            self._instance.add_run_tags(run.run_id, {WORKER_PID_TAG: str(worker.pid)})
            threading.Thread(target=self._fail_run_if_worker_dies, args=(worker, run.run_id), daemon=True,
                             name=f"run-worker-{worker.pid}").start()
            self._start_spare(after_pid=worker.pid)
        self._instance.report_engine_event(
            f"Run handed to run worker pid {worker.pid} ({'warm' if warm else 'still warming up'}).",
            run, cls=self.__class__)

    def _fail_run_if_worker_dies(self, worker: subprocess.Popen, run_id: str) -> None:
        """Report the run failed if its worker ends before the run does (killed, out of memory), as
        Dagster's code server does for the processes it starts: a run left started would hold the
        run queue's one refresh slot for good."""
        from dagster._utils import get_run_crash_explanation

        exit_code = worker.wait()
        run = self._instance.get_run_by_id(run_id)
        if run is None or run.is_finished:
            return
        self._instance.report_engine_event(
            get_run_crash_explanation(prefix=f"Run worker pid {worker.pid}", exit_code=exit_code), run,
            cls=self.__class__)
        self._instance.report_run_failed(run)

    def _hand_over(self, payload: str) -> tuple[subprocess.Popen, bool]:
        for _ in range(2):  # a spare that died while waiting is replaced once
            if self._spare is None or self._spare.poll() is not None:
                self._start_spare(after_pid=None)
            worker, warm = self._spare, self.spare_ready(timeout=0)
            self._spare = None
            self._close_ready_fd()
            try:
                worker.stdin.write(payload + "\n")
                worker.stdin.close()
                return worker, warm
            except (BrokenPipeError, ValueError):
                worker.wait()
        raise RuntimeError("the run worker exited before it took the run; see its output in the daemon's log")

    def start_spare(self) -> None:
        """Start the spare worker now rather than at the first run (the benchmark and tests do)."""
        with self._lock:
            if self._spare is None or self._spare.poll() is not None:
                self._start_spare(after_pid=None)

    def _start_spare(self, after_pid: int | None) -> None:
        read_fd, write_fd = os.pipe()
        command = [sys.executable, "-m", "dagster_project.run_worker_process", "--ready-fd", str(write_fd)]
        if after_pid is not None:
            command += ["--after-pid", str(after_pid)]
        self._reap()
        self._close_ready_fd()
        self._spare = subprocess.Popen(command, stdin=subprocess.PIPE, text=True, pass_fds=(write_fd,),
                                       start_new_session=True)  # a Ctrl-C meant for the daemon does not hit a run
        os.close(write_fd)
        self._spare_ready_fd, self._spare_ready = read_fd, False

    @property
    def spare_pid(self) -> int | None:
        """The process id of the spare worker waiting for the next run, if there is one."""
        return self._spare.pid if self._spare is not None and self._spare.poll() is None else None

    def spare_ready(self, timeout: float) -> bool:
        """Whether the spare has warmed up, waiting up to ``timeout`` seconds for it."""
        if self._spare_ready or self._spare_ready_fd is None:
            return self._spare_ready
        if select.select([self._spare_ready_fd], [], [], timeout)[0]:
            self._spare_ready = os.read(self._spare_ready_fd, 16) == b"ready\n"
        return self._spare_ready

    def _close_ready_fd(self) -> None:
        if self._spare_ready_fd is not None:
            os.close(self._spare_ready_fd)
            self._spare_ready_fd = None

    def _reap(self) -> None:
        self._workers = [w for w in self._workers if w.poll() is None]

    def terminate(self, run_id: str) -> bool:
        run = self._instance.get_run_by_id(run_id)
        if run is None or WORKER_PID_TAG not in run.tags:
            return super().terminate(run_id)
        pid = int(run.tags[WORKER_PID_TAG])
        if run.is_finished or not runs_run(pid, run_id):  # a worker that died leaves its pid to others
            return False
        self._instance.report_run_canceling(run)
        try:  # the worker turns SIGINT into Dagster's interrupt, and the run ends as canceled
            os.kill(pid, signal.SIGINT)
        except ProcessLookupError:
            return False
        return True

    @property
    def supports_check_run_worker_health(self) -> bool:
        return True

    def check_run_worker_health(self, run) -> CheckRunHealthResult:
        """For Dagster's run monitoring (instance/dagster.yaml), which fails a started run whose
        worker is gone: the daemon that started the worker may have been restarted since, and with
        it the thread that would have noticed. A run this launcher did not start (`make run`,
        `lcw refresh`) is judged by the process its first step named before it waited for the
        refresh lock."""
        if WORKER_PID_TAG not in run.tags:
            identity = run.tags.get(REFRESH_PROCESS_TAG)
            if identity is None or identity_running(identity):
                return CheckRunHealthResult(WorkerStatus.RUNNING)
            pid = identity.split(":", 1)[0]
            return CheckRunHealthResult(WorkerStatus.FAILED, f"the process that ran the refresh (pid {pid}) is gone",
                                        run_worker_id=pid)
        pid = int(run.tags[WORKER_PID_TAG])
        if runs_run(pid, run.run_id):
            return CheckRunHealthResult(WorkerStatus.RUNNING, run_worker_id=str(pid))
        return CheckRunHealthResult(WorkerStatus.FAILED, f"run worker pid {pid} is gone", run_worker_id=str(pid))

    def join(self, timeout: int = 30) -> None:
        deadline = time.monotonic() + timeout
        for worker in list(self._workers):
            worker.wait(max(0.0, deadline - time.monotonic()))
        self._reap()
        super().join(timeout=max(0, int(deadline - time.monotonic())))  # runs of other code locations

    def dispose(self) -> None:
        """Let the idle spare go (end of its input ends it); runs in progress finish on their own."""
        with self._lock:
            if self._spare is not None:
                self._spare.stdin.close()
                try:
                    self._spare.wait(10)  # a spare in the middle of warming up finishes that first
                except subprocess.TimeoutExpired:
                    self._spare.kill()
                    self._spare.wait()
                self._spare = None
            self._close_ready_fd()


def runs_here(origin) -> bool:
    """Whether a run's code is this project's definitions, in this Python."""
    if origin is None:
        return False
    pointer = origin.repository_origin.code_pointer
    return getattr(pointer, "module", None) == PROJECT_MODULE and \
        os.path.realpath(origin.executable_path) == os.path.realpath(sys.executable)


def runs_run(pid: int, run_id: str) -> bool:
    """Whether process ``pid`` is a run worker that may be running run ``run_id``: a spare that took
    it, or the fresh interpreter it started for it (whose command line holds the run's id)."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except FileNotFoundError:
        return False
    except OSError:  # no /proc: trust the tag
        return process_running(pid)
    return process_running(pid) and (b"dagster_project.run_worker_process" in command or run_id.encode() in command)
