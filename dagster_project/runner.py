"""Run the refresh job in this process on a given input folder and warehouse file (tests, the
benchmark and the CLI use it; `make run` uses `dagster job execute`), or launch it through the
instance's run launcher as the run queue does."""
from __future__ import annotations

import os
import time
from pathlib import Path

import dagster as dg


def run_refresh(input_dir: Path, warehouse: Path, instance: dg.DagsterInstance | None = None) -> dg.ExecuteInProcessResult:
    from dagster_project.definitions import build_definitions
    from dagster_project.resources import build_resources

    os.environ["LCW_INPUT_DIR"] = str(input_dir)
    os.environ["LCW_WAREHOUSE"] = str(warehouse)
    defs = build_definitions(build_resources(published=warehouse))
    job = defs.resolve_job_def("refresh_warehouse")
    return job.execute_in_process(instance=instance or dg.DagsterInstance.ephemeral(), raise_on_error=False)


def launch_refresh(instance: dg.DagsterInstance) -> str:
    """Create a refresh run of the project's definitions module and hand it to the instance's run
    launcher, as the run queue does with a scheduled or sensor run; return the run's id. The run
    goes on in the launcher's worker process, with this process's environment (LCW_*)."""
    from dagster._core.definitions.reconstruct import ReconstructableRepository

    from dagster_project.run_worker import PROJECT_MODULE
    from dagster_project.settings import REPO_ROOT

    recon_job = ReconstructableRepository.for_module(PROJECT_MODULE, "defs", working_directory=str(REPO_ROOT)) \
        .get_reconstructable_job("refresh_warehouse")
    run = instance.create_run_for_job(job_def=recon_job.get_definition(), job_code_origin=recon_job.get_python_origin())
    instance.launch_run(run.run_id, workspace=None)
    return run.run_id


def wait_for_run(instance: dg.DagsterInstance, run_id: str, timeout: float = 600) -> dg.DagsterRun:
    """The run once it has finished (success, failure or canceled)."""
    deadline = time.monotonic() + timeout
    while not (run := instance.get_run_by_id(run_id)).is_finished:
        if time.monotonic() > deadline:
            raise TimeoutError(f"run {run_id} still {run.status.value} after {timeout} s")
        time.sleep(0.05)
    return run


def step_spans(instance: dg.DagsterInstance, run_id: str) -> dict[str, tuple[float, float]]:
    """(start, end) of each step of a run, in ``time.time()`` seconds, from its event log."""
    starts, spans = {}, {}
    for entry in instance.all_logs(run_id):
        event = entry.dagster_event
        if event is None or not event.step_key:
            continue
        if event.event_type_value == "STEP_START":
            starts[event.step_key] = entry.timestamp
        elif event.event_type_value in ("STEP_SUCCESS", "STEP_FAILURE") and event.step_key in starts:
            spans[event.step_key] = (starts[event.step_key], entry.timestamp)
    return spans


def step_seconds(instance: dg.DagsterInstance, run_id: str) -> dict[str, float]:
    """Wall seconds of each step of a run, from its event log."""
    return {step: end - start for step, (start, end) in step_spans(instance, run_id).items()}
