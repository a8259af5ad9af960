"""Run the refresh job in this process on a given input folder and warehouse file (tests, the
benchmark and the CLI use it; `make run` uses `dagster job execute`)."""
from __future__ import annotations

import os
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
