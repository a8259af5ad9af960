"""dbt models and seeds as Dagster assets; dbt tests become asset checks."""

import hashlib
import os
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Mapping

import dagster as dg
import polars as pl
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets, get_asset_key_for_model
from dagster_dbt.asset_utils import get_manifest_and_translator_from_dbt_assets

from dagster_project.dbt_project import dbt_project
from dagster_project.dbt_runner import build_in_process
from dagster_project.markdown import markdown_table
from dagster_project.resources import WarehouseResource
from dagster_project.settings import dbt_file_log_level, duckdb_memory_limit


class Translator(DagsterDbtTranslator):
    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "dictionaries"
        fqn = dbt_resource_props.get("fqn", [])
        return fqn[1] if len(fqn) > 2 else "dbt"


@dbt_assets(manifest=dbt_project.manifest_path, project=dbt_project, dagster_dbt_translator=Translator())
def dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource):
    # A whole-project build runs in this process (dagster_project/dbt_runner.py), a subset chosen
    # in the UI through the dbt CLI. Events are held until dbt is done, then each mart gets its
    # row count and a Markdown preview read from the build file (no fetch_row_counts(): it keeps
    # an adapter connection open on the build file).
    # Marts with rows per file, and regional_metrics by group, are incremental. When neither the
    # dbt project nor the parser changed since this warehouse was built, a full run uses the
    # data_refresh selector (dbt/selectors.yml): seeds, views and reference tables are already what
    # a build would make. Otherwise every model is rebuilt from scratch, so no row keeps the
    # logic of an older model and no view is bound to older staging columns.
    # raw_documents records the parser that wrote the staging tables; it is read, not hashed again.
    warehouse.require_build_of(context.run, "dbt")  # before a session, which would create a missing build file
    with warehouse.session():
        fingerprint = dbt_project_fingerprint(warehouse.read_table("parser_state")["fingerprint"][0])
        same_project = warehouse.has_table("dbt_state", "meta") and \
            warehouse.read_table("dbt_state", schema="meta")["fingerprint"].to_list() == [fingerprint]
    if not same_project:
        context.log.info("dbt project or parser changed since this warehouse was built (or first build): --full-refresh")
    args = dbt_build_args(same_project, context.is_subset)
    with dbt_profile_env(warehouse):
        if context.is_subset:
            invocation = dbt.cli(args, context=context)
            events, target = list(invocation.stream()), invocation.target_path
        else:
            events, target = build_in_process(context, args)
    keep_partial_parse(target)
    prune_invocation_folders(target)
    with warehouse.session(), warehouse.connect() as con:
        if built_whole_refresh(context, same_project):
            warehouse.write_table("dbt_state", pl.DataFrame({"fingerprint": [fingerprint]}), schema="meta")
            warehouse.mark_dbt_passed()
        for event in events:
            if isinstance(event, dg.Output) and event.output_name.startswith("marts__"):
                table = event.output_name.split("__", 1)[1]
                event = event.with_metadata({**event.metadata, **mart_metadata(con, table)})
            yield event


def built_whole_refresh(context: dg.AssetExecutionContext, same_project: bool) -> bool:
    """Whether this dbt step built what a refresh must, so the copy may be published and its
    dbt_state says it is built by this project. A subset that left out a mart the refresh rebuilds
    leaves it holding the old rows of the changed files beside marts with the new ones; after a
    change to the project or the parser, a subset leaves the seeds, views and reference tables it
    did not select as the old project made them, and recording the new digest would keep the next
    refreshes from rebuilding them."""
    if not context.is_subset:
        return True
    return same_project and set(built_every_refresh()) <= set(context.selected_asset_keys)


@contextmanager
def dbt_profile_env(warehouse: WarehouseResource) -> Iterator[None]:
    """dbt's profile reads the file to build from LCW_BUILD_WAREHOUSE, attaches the staging store
    from LCW_STAGING_STORE and takes DuckDB's memory limit from LCW_DUCKDB_MEMORY_LIMIT
    (dbt/profiles.yml), so dbt's connection gets the settings the refresh's own connections have.
    Set for this invocation only: left in the process, the paths would send a later run on another
    warehouse to this one's files."""
    wanted = {"LCW_BUILD_WAREHOUSE": warehouse.build_path, "LCW_STAGING_STORE": warehouse.staging_path,
              "LCW_DUCKDB_MEMORY_LIMIT": duckdb_memory_limit()}
    before = {name: os.environ.get(name) for name in wanted}
    os.environ.update(wanted)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def keep_partial_parse(invocation_target: Path) -> None:
    """Each invocation writes to its own target folder, and dagster-dbt seeds it with the project's
    partial_parse.msgpack. dbt parses from scratch when the profile (the build file's path) differs
    from the one that file was made with, so keep the latest one: the next refresh of the same
    warehouse then skips parsing."""
    made = invocation_target / "partial_parse.msgpack"
    if made.exists():
        kept = Path(dbt_project.project_dir) / "target" / "partial_parse.msgpack"
        tmp = kept.with_name(f".partial_parse.{os.getpid()}.msgpack")
        shutil.copyfile(made, tmp)
        os.replace(tmp, kept)


def dbt_build_args(same_project: bool, subset: bool) -> list[str]:
    """`dbt build` for this refresh: from scratch after a change to the project or the parser;
    otherwise, unless Dagster asked for a subset, only what holds data (dbt/selectors.yml)."""
    log = ["--log-level-file", dbt_file_log_level()]
    if not same_project:
        return ["build", "--full-refresh", *log]
    return ["build", *log] if subset else ["build", "--selector", "data_refresh", *log]


def models_every_refresh_builds() -> list[str]:
    """The models the data_refresh selector builds (dbt/selectors.yml: not views, not tagged
    `reference`). A refresh that leaves the others alone materializes these, so what comes
    after dbt depends on them: an asset downstream of one that was not materialized is skipped."""
    nodes = get_manifest_and_translator_from_dbt_assets([dbt_models])[0]["nodes"].values()
    return sorted(n["name"] for n in nodes if n["resource_type"] == "model"
                  and n["config"]["materialized"] != "view" and "reference" not in n["tags"])


def built_every_refresh() -> list[dg.AssetKey]:
    return [get_asset_key_for_model([dbt_models], name) for name in models_every_refresh_builds()]


def dbt_project_fingerprint(parser: str) -> str:
    """A digest of everything that decides what the models compute and the staging columns they
    read: SQL, macros, yml, seeds, selectors, and ``parser`` (the digest of the parser that wrote
    the staging tables)."""
    root = Path(dbt_project.project_dir)
    digest = hashlib.sha256(parser.encode())
    files = [root / "dbt_project.yml", root / "selectors.yml",
             *(p for d in ("models", "macros", "seeds") for p in (root / d).rglob("*"))]
    for path in sorted(p for p in files if p.is_file()):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


KEPT_INVOCATIONS = 10


def prune_invocation_folders(invocation_target: Path) -> None:
    """dagster-dbt gives each invocation its own folder under dbt/target (manifest, run results,
    logs; about 5 MB each): keep the latest few so a scheduled refresh does not fill the disk."""
    op_prefix = invocation_target.name.rsplit("-", 2)[0]  # <op name>-<run id>-<hash>
    folders = sorted((p for p in invocation_target.parent.glob(f"{op_prefix}-*") if p.is_dir()),
                     key=lambda p: p.stat().st_mtime, reverse=True)
    for old in folders[KEPT_INVOCATIONS:]:
        shutil.rmtree(old, ignore_errors=True)


def mart_metadata(con, table: str) -> dict:
    rows = con.sql(f"select count(*) from marts.{table}").fetchone()[0]
    rel = con.sql(f"select * exclude (clean_text) from marts.{table} limit 5") if table == "articles" \
        else con.sql(f"select * from marts.{table} limit 5")
    return {"dagster/row_count": rows, "preview": dg.MetadataValue.md(markdown_table(rel.columns, rel.fetchall(), 40))}
