"""lcw: the warehouse from the command line.

    lcw refresh                 run the refresh job (the same Dagster job), with a progress bar
    lcw status                  last refresh, freshness, sizes, quarantined files
    lcw sql "select ..."        read-only SQL on the published warehouse (works during a refresh)
    lcw explain FILE:OFFSET     an observation's clean and raw evidence side by side
"""
from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from dagster_project.settings import input_dir, warehouse_path


class CliError(Exception):
    pass


def _connect() -> duckdb.DuckDBPyConnection:
    path = warehouse_path()
    if not path.exists():
        raise CliError(f"no warehouse at {path}: run `make run` or `lcw refresh` first (LCW_WAREHOUSE sets the path)")
    return duckdb.connect(str(path), read_only=True)


def format_table(columns: list[str], rows: list[tuple], max_width: int = 40) -> str:
    def cell(v) -> str:
        s = "" if v is None else str(v)
        return s if len(s) <= max_width else s[: max_width - 1] + "…"

    def width(s: str) -> int:  # CJK characters take two columns in a terminal
        return sum(2 if ord(c) > 0x2E80 else 1 for c in s)

    cells = [[cell(v) for v in r] for r in rows]
    widths = [max([width(c)] + [width(r[i]) for r in cells]) for i, c in enumerate(columns)]
    pad = lambda s, w: s + " " * (w - width(s))  # noqa: E731
    line = "+" + "+".join("-" * (w + 2) for w in widths) + "+"
    out = [line, "| " + " | ".join(pad(c, w) for c, w in zip(columns, widths)) + " |", line]
    out += ["| " + " | ".join(pad(c, w) for c, w in zip(r, widths)) + " |" for r in cells]
    out.append(line)
    return "\n".join(out)


def cmd_sql(query: str, limit: int = 200) -> str:
    with _connect() as con:
        try:
            rel = con.sql(query)
        except duckdb.Error as exc:
            raise CliError(f"SQL error: {str(exc).splitlines()[0]}") from None
        if rel is None:
            return "ok"
        columns = rel.columns
        rows = rel.fetchmany(limit + 1)
    more = f"\n({limit} rows shown; add a LIMIT to see fewer)" if len(rows) > limit else f"\n({len(rows)} rows)"
    return format_table(columns, rows[:limit]) + more


def cmd_status() -> str:
    path = warehouse_path()
    lines = [f"input folder: {input_dir()}", f"warehouse:    {path}"]
    if not path.exists():
        return "\n".join(lines + ["no published warehouse yet: run `lcw refresh`"])
    age = time.time() - path.stat().st_mtime
    published = datetime.fromtimestamp(path.stat().st_mtime, timezone.utc).isoformat(timespec="seconds")
    with _connect() as con:
        one = lambda sql: con.sql(sql).fetchone()[0]  # noqa: E731
        # A warehouse built before the staging store has no meta schema until its next refresh.
        last_ingest = one("select last_ingested_at from meta.refresh_state") if one(
            "select count(*) from duckdb_tables() where schema_name = 'meta' and table_name = 'refresh_state'") \
            else "unknown (built before the staging store; the next refresh records it)"
        lines += [
            f"published:    {published} ({age / 3600:.1f} h ago)",
            f"last ingest:  {last_ingest}",
            f"articles:     {one('select count(*) from marts.articles')} "
            f"({one('select count(*) from marts.articles where is_live_commerce')} about live commerce)",
            f"observations: {one('select count(*) from marts.metric_observations')}",
            f"quarantined:  {one('select count(*) from marts.quarantine')} files",
        ]
    lines.append(_last_run())
    return "\n".join(lines)


def _last_run() -> str:
    try:
        import dagster as dg
        instance = dg.DagsterInstance.get()
        runs = instance.get_runs(limit=1)
    except Exception:  # no DAGSTER_HOME: runs were not recorded
        return "last run:     not recorded (set DAGSTER_HOME to keep run history)"
    if not runs:
        return "last run:     none recorded in DAGSTER_HOME"
    run = runs[0]
    stats = instance.get_run_stats(run.run_id)
    ended = datetime.fromtimestamp(stats.end_time, timezone.utc).isoformat(timespec="seconds") if stats.end_time else "-"
    return f"last run:     {run.job_name} {run.status.value} (ended {ended}, id {run.run_id[:8]})"


def cmd_explain(ref: str) -> str:
    if ":" not in ref:
        raise CliError("name an observation as SOURCE_FILE:CHAR_START (both columns of marts.metric_observations)")
    source_file, _, start = ref.rpartition(":")
    if not start.isdigit():
        raise CliError(f"{start!r} is not a character offset")
    with _connect() as con:
        row = con.execute("""
            select o.span, o.value, o.value_high, o.unit, o.metric, o.region, o.company, o.period, o.qualifier,
                   o.status, o.evidence, e.raw_char_start, e.raw_char_end, e.raw_before, e.raw_span, e.raw_after,
                   e.encoding
            from marts.metric_observations o
            join marts.raw_evidence e using (source_file, article_seq, char_start)
            where o.source_file = ? and o.char_start = ?""", [source_file, int(start)]).fetchone()
    if row is None:
        raise CliError(f"no observation at {ref}: see `lcw sql \"select source_file, char_start, span from marts.metric_observations\"`")
    span, value, high, unit, metric, region, company, period, qual, status, evidence, rs, re_, before, raw_span, after, enc = row
    raw_context = before + "【" + raw_span + "】" + after
    fact = f"{value:g}" + (f"..{high:g}" if high is not None else "") + f" {unit}"
    return "\n".join([
        f"{source_file} @ {start}: {span} = {fact}  [{metric}; {region or '-'}; {company or '-'}; {period or '-'}; {qual}; {status}]",
        "", "cleaned evidence:", f"  {evidence}", "", f"raw file ({enc}), characters {rs}..{re_}:",
        "  " + raw_context.replace("\n", "⏎"),
    ])


def default_stop_signals() -> None:
    """Put SIGINT and SIGTERM back to their defaults if this process inherited them ignored. A
    background job (``lcw refresh &``, ``nohup … &``) starts with SIGINT ignored, and a process that
    ran a Dagster job while it was (the benchmark's) leaves SIGTERM ignored as well: Dagster maps
    SIGTERM to whatever SIGINT does. The `tail` processes that Dagster's log capture starts would
    inherit that, ignore the SIGTERM that ends them, hold the run 30 s each and outlive it."""
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    if signal.getsignal(signal.SIGTERM) == signal.SIG_IGN:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def cmd_refresh() -> int:
    import dagster as dg

    from dagster_project.runner import run_refresh

    default_stop_signals()
    instance = dg.DagsterInstance.get() if _has_home() else dg.DagsterInstance.ephemeral()
    done: dict = {}
    progress = StepProgress(instance)
    worker = threading.Thread(target=lambda: done.setdefault("result", run_refresh(input_dir(), warehouse_path(), instance)))
    worker.start()
    started = time.monotonic()
    while worker.is_alive():
        progress.draw(time.monotonic() - started)
        worker.join(0.5)
    result = done["result"]
    progress.draw(time.monotonic() - started, final=True)
    if result.success:
        print(f"\nrefreshed {warehouse_path()} in {time.monotonic() - started:.0f} s")
        return 0
    failed = [e.step_key for e in result.all_events if e.is_step_failure]
    checks = [e.check_name for e in result.get_asset_check_evaluations() if not e.passed]
    print(f"\nrefresh failed (steps: {', '.join(failed) or '-'}; failed checks: {', '.join(checks) or '-'}); "
          f"the published warehouse is unchanged", file=sys.stderr)
    return 1


def _has_home() -> bool:
    import os
    return bool(os.environ.get("DAGSTER_HOME")) and Path(os.environ["DAGSTER_HOME"]).exists()


class StepProgress:
    """A progress bar from the step events of the run started after it was made. Each draw reads
    only the step events stored since the last one: the run shares this interpreter, and reading
    the whole event log (hundreds of dbt events by the end) twice a second slowed it down."""

    def __init__(self, instance) -> None:
        self.instance, self.run_id, self.cursor = instance, None, None
        self.done, self.steps, self.current = 0, 0, ""
        latest = instance.get_runs(limit=1)
        self.earlier_run_id = latest[0].run_id if latest else None  # a DAGSTER_HOME keeps older runs

    def _read_new_events(self) -> None:
        from dagster._core.events import DagsterEventType

        if self.run_id is None:
            runs = self.instance.get_runs(limit=1)
            if not runs or runs[0].run_id == self.earlier_run_id:
                return
            self.run_id = runs[0].run_id
            if runs[0].execution_plan_snapshot_id:  # the steps this run will execute
                plan = self.instance.get_execution_plan_snapshot(runs[0].execution_plan_snapshot_id)
                self.steps = len(plan.step_keys_to_execute)
        while True:
            page = self.instance.get_records_for_run(
                self.run_id, cursor=self.cursor, of_type={DagsterEventType.STEP_START, DagsterEventType.STEP_SUCCESS})
            for record in page.records:
                event = record.event_log_entry.dagster_event
                if event.event_type_value == "STEP_SUCCESS":
                    self.done += 1
                else:
                    self.current = event.step_key
            self.cursor = page.cursor
            if not page.has_more:
                return

    def draw(self, elapsed: float, final: bool = False) -> None:
        self._read_new_events()
        if self.run_id is None:
            return
        total = max(self.steps, self.done, 1)
        filled = int(30 * self.done / total)
        bar = "#" * filled + "-" * (30 - filled)
        sys.stdout.write(f"\r[{bar}] {self.done}/{total} steps {elapsed:5.0f}s {'' if final else self.current[:40]:<40}")
        sys.stdout.flush()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="lcw", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    sub.add_parser("refresh", help="run the refresh job")
    sub.add_parser("status", help="last refresh, freshness, quarantine")
    sql = sub.add_parser("sql", help="read-only SQL on the published warehouse")
    sql.add_argument("query")
    sql.add_argument("--limit", type=int, default=200)
    explain = sub.add_parser("explain", help="raw and clean evidence of an observation")
    explain.add_argument("observation", help="SOURCE_FILE:CHAR_START")
    args = ap.parse_args(argv)
    try:
        if args.command == "refresh":
            return cmd_refresh()
        if args.command == "status":
            print(cmd_status())
        elif args.command == "sql":
            print(cmd_sql(args.query, args.limit))
        elif args.command == "explain":
            print(cmd_explain(args.observation))
    except CliError as exc:
        print(f"lcw: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
