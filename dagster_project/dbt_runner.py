"""`dbt build` inside the Dagster process (dbt's programmatic `dbtRunner`), turned into the same
Dagster events dagster-dbt makes from a dbt subprocess.

Why: dagster-dbt's resource starts a `dbt` process for every build. That process imports dbt-core
(seconds of start-up) although the Dagster process has already imported it (dagster-dbt does), and in a
long-lived process a second build finds dbt's modules and adapter warm. Run inside the step, the
build's events are dbt's own structured log events, the ones the subprocess prints as JSON lines,
so dagster-dbt converts them exactly as it does for a subprocess.

Only whole-project builds run here; a subset chosen in the UI goes through `DbtCliResource.cli`,
which knows how to select it. The event class and the manifest helper are dagster-dbt internals
(pinned in requirements.lock); tests/test_refresh_safety.py runs both the passing and the failing
build through them.
"""
from __future__ import annotations

import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Iterator

import dagster as dg
from dagster_dbt.asset_utils import get_manifest_and_translator_from_dbt_assets
from dagster_dbt.core.dbt_cli_event import DbtCoreCliEventMessage

from dagster_project.dbt_project import dbt_project


# The events dagster-dbt makes asset materializations and check results from (DbtCoreCliEventMessage).
RESULT_EVENTS = frozenset({"LogSeedResult", "LogModelResult", "LogSnapshotResult", "LogTestResult"})


def invocation_target(context: dg.AssetExecutionContext) -> Path:
    """A target folder per build, named as dagster-dbt names them (<op>-<run id>-<random>), seeded
    with the project's partial_parse.msgpack so dbt skips parsing an unchanged project."""
    target = Path(dbt_project.project_dir) / "target" / f"{context.op_execution_context.op.name}-" \
        f"{context.run.run_id[:7]}-{uuid.uuid4().hex[:7]}"
    target.mkdir(parents=True, exist_ok=True)
    return with_partial_parse(target)


def with_partial_parse(target: Path) -> Path:
    """``target`` with a copy of the project's partial_parse.msgpack in it."""
    partial = Path(dbt_project.project_dir) / "target" / "partial_parse.msgpack"
    if partial.exists():
        shutil.copyfile(partial, target / "partial_parse.msgpack")
    return target


def runner_args(target: Path) -> list[str]:
    """The options every dbt invocation in this process takes besides its command."""
    project_dir = str(dbt_project.project_dir)
    return ["--project-dir", project_dir, "--profiles-dir", str(dbt_project.profiles_dir or project_dir),
            "--target-path", str(target), "--log-path", str(target), "--no-send-anonymous-usage-stats"]


def build_in_process(context: dg.AssetExecutionContext, args: list[str]) -> tuple[list, Path]:
    """Run `dbt <args>` here; return (Dagster events of every model and test, target folder).
    Raises dg.Failure, with dbt's error messages, when the build fails (a failing test included)."""
    from dbt.cli.main import dbtRunner
    from dbt_common.events.functions import msg_to_dict

    target = invocation_target(context)
    raw_events: list[dict] = []

    def keep(msg) -> None:
        # dbt calls back for every event, a few dozen per node, mostly debug ones; converting each
        # to a dict costs more than the check. Kept: the results dagster-dbt turns into Dagster
        # events, and the errors a failure reports.
        if msg.info.name in RESULT_EVENTS or msg.info.level == "error":
            raw_events.append(msg_to_dict(msg))

    try:
        result = dbtRunner(callbacks=[keep]).invoke([*args, *runner_args(target)])
    finally:
        close_duckdb_environment()
    if not result.success:
        errors = [e["info"]["msg"] for e in raw_events if e.get("info", {}).get("level") == "error"]
        raise dg.Failure(description=f"dbt {' '.join(args)} failed" +
                         (f": {result.exception}" if result.exception else ""),
                         metadata={"dbt errors": dg.MetadataValue.md("\n\n".join(errors[-20:]) or "-")})
    return list(_asset_events(context, raw_events, target)), target


def warm_up_dbt() -> None:
    """Parse the project once in this process, into a throwaway target folder: dbt's imports, its
    adapter and the project read back from the partial-parse file, which the first build of a
    process otherwise pays for (dagster_project/run_worker_process.py calls it before a run arrives)."""
    from dbt.cli.main import dbtRunner

    with tempfile.TemporaryDirectory(prefix="lcw-dbt-warm-up-") as target:
        dbtRunner().invoke(["parse", "--quiet", *runner_args(with_partial_parse(Path(target)))])


def close_duckdb_environment() -> None:
    """dbt-duckdb keeps its DuckDB database open in the process after a build. The next refresh
    replaces the build file, and DuckDB, which caches open databases by path, would hand this
    process the old, unlinked file again: close it."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    with DuckDBConnectionManager._LOCK:
        if DuckDBConnectionManager._ENV is not None:
            DuckDBConnectionManager._ENV.close()
            DuckDBConnectionManager._ENV = None


def _asset_events(context: dg.AssetExecutionContext, raw_events: list[dict], target: Path) -> Iterator:
    manifest, translator, project = get_manifest_and_translator_from_dbt_assets([context.assets_def])
    for raw_event in raw_events:
        event = DbtCoreCliEventMessage(raw_event=raw_event, event_history_metadata={})
        yield from event.to_default_asset_events(manifest=manifest, dagster_dbt_translator=translator,
                                                 context=context, target_path=target, project=project)
