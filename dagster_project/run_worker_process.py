"""The run worker's process (dagster_project/run_worker.py starts it): it waits for the previous
run's worker to end, warms up, and runs the run that arrives on stdin.

    python -m dagster_project.run_worker_process --ready-fd FD [--after-pid PID]

The run arrives as one line (serialized `ExecuteRunArgs`), as `dagster api execute_run` takes it;
end of input without a line ends the worker. Until the previous run's process has ended this
module imports only the standard library: a spare that imported Dagster at once would take a
core from the run it waits behind.
"""
from __future__ import annotations

import argparse
import os
import select
import sys
import time
from pathlib import Path

from dagster_project.processes import process_running

PACKAGE_DIR = Path(__file__).resolve().parent


def code_stamp(package_dir: Path = PACKAGE_DIR) -> tuple:
    """What a worker's imports depend on: the name, size and modification time of each of the
    project's Python modules, and the digest of the dbt project the definitions' manifest is parsed
    from (not the manifest file, which `dagster dev` parses again in every process that imports
    the definitions)."""
    from dagster_project.dbt_assets import dbt_project_fingerprint

    modules = tuple((str(p), st.st_size, st.st_mtime_ns) for p in sorted(package_dir.rglob("*.py"))
                    if (st := _stat(p)) is not None)
    return modules, dbt_project_fingerprint(parser="")


def _stat(path: Path):
    try:
        return path.stat()
    except FileNotFoundError:
        return None


def wait_for_turn(after_pid: int | None, poll_seconds: float = 0.2) -> str | None:
    """Wait until the previous run's worker has ended (None), or return what arrived on stdin
    first: a run, or "" when the launcher let this worker go."""
    while after_pid is not None and process_running(after_pid):
        if select.select([sys.stdin], [], [], poll_seconds)[0]:
            return sys.stdin.readline().strip()
    return None


def warm_up() -> None:
    """Import what a run imports, and do once what the first run in a process otherwise pays for:
    dbt's parse of the project, the parser's dictionaries and indexes, Pandera's first checks."""
    import dagster._cli.api  # noqa: F401  (the run worker's own code)
    import dagster_project.definitions  # noqa: F401  (Dagster, dbt's manifest, Polars, DuckDB, Pandera)
    import dagster_project.instance  # noqa: F401  (the run's instance, and Dagster's storage modules)
    from dagster_project.checks import validate_frame
    from dagster_project.dbt_runner import warm_up_dbt
    from dagster_project.schemas import STAGING_SCHEMAS

    warm_up_dbt()
    for table, frame in sample_frames().items():
        validate_frame(STAGING_SCHEMAS[table], frame)


SAMPLE_ARTICLE = "2024年，杭州市余杭区直播电商交易额达1200亿元，同比增长15%；遥望科技直播间超过3000个。"


def sample_frames() -> dict:
    """The staging frames (articles, sentences, entity_mentions, metric_observations) of one short
    article. The first parse in a process builds the dictionaries and indexes that every later one
    reuses. (Kept out of dagster_project/parsing, whose code the parser's fingerprint digests.)"""
    import polars as pl

    from dagster_project.parsing.pipeline import build_article_frame, build_extraction_frames

    raw = pl.DataFrame({"source_file": ["sample.txt"], "content_hash": ["-"], "raw_text": [SAMPLE_ARTICLE]})
    articles = build_article_frame(raw)
    sentences, mentions, observations = build_extraction_frames(articles)
    return {"articles": articles, "sentences": sentences, "entity_mentions": mentions,
            "metric_observations": observations}


def execute(payload: str) -> int:
    """Run the run in this process, as `dagster api execute_run` does."""
    from dagster._cli.api import execute_run_command

    try:
        execute_run_command.callback(input_json=payload, compressed_input_json=None)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m dagster_project.run_worker_process")
    ap.add_argument("--ready-fd", type=int, required=True, help="written 'ready' once warm, then closed")
    ap.add_argument("--after-pid", type=int, help="warm up once this process (the previous run's) has ended")
    args = ap.parse_args(argv)
    payload = wait_for_turn(args.after_pid)
    if payload == "":
        return 0
    from dagster_project.cli import default_stop_signals

    default_stop_signals()
    started = time.perf_counter()
    try:
        stamp = code_stamp()
        warm_up()
        print(f"run worker {os.getpid()}: warm after {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
    except Exception as exc:  # the run itself will report the error, in its event log
        print(f"run worker {os.getpid()}: warm-up failed ({exc!r}); the run will start cold", file=sys.stderr)
        stamp = None
    warmed = stamp is not None
    try:
        os.write(args.ready_fd, b"ready\n" if warmed else b"cold\n")
    except BrokenPipeError:  # the launcher handed the run over without waiting for this
        pass
    os.close(args.ready_fd)
    if payload is None:
        payload = sys.stdin.readline().strip()
    if not payload:
        return 0
    if not warmed or code_stamp() != stamp:
        if warmed:
            report_code_changed(payload)
        os.execv(sys.executable, [sys.executable, "-m", "dagster", "api", "execute_run", payload])
    return execute(payload)


def report_code_changed(payload: str) -> None:
    from dagster import DagsterInstance
    from dagster._grpc.types import ExecuteRunArgs
    from dagster._serdes import deserialize_value

    args = deserialize_value(payload, ExecuteRunArgs)
    with DagsterInstance.from_ref(args.instance_ref) as instance:
        instance.report_engine_event(
            "The project's code changed since this worker warmed up: the run starts in a fresh interpreter.",
            instance.get_run_by_id(args.run_id))


if __name__ == "__main__":
    sys.exit(main())
