"""Benchmark a full refresh, each stage and a +1 % refresh on generated corpora.

    python bench/run.py                      # sizes from BENCH_SIZES, default 1000,10000,100000
    python bench/run.py --sizes 1000 --out bench/out

Each size runs in a fresh process. Peak RSS is that of the full refresh: the largest sum of the
resident memory of the benchmark's process (which runs the refresh, dbt included) and of the parse
workers under it, sampled every 0.2 s (bench/memory.py), which also splits the parse steps' CPU
time between the two (printed to stderr). Prints a table, writes
bench/out/results.csv and regenerates docs/performance.md from the same figures.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.memory import ProcessTreeSampler, resident_bytes  # noqa: E402
# The refresh job's steps in each stage (step keys: an asset's op name, a check's
# <asset>_<check>); every Pandera check counts in validate.
STAGES = {
    "ingest": ("raw_documents", "staging__admin_divisions"),
    "clean": ("staging__articles",),
    "extract": ("extracted_facts",),
    "validate": (),
    "dbt": ("dbt_models",),
    "publish": ("published_warehouse",),
}
UNTIMED_STEPS = {"regional_gmv_chart"}  # after the publish; not a stage of the refresh
COLUMNS = ["articles", "files", "mb", "full_refresh_s", "ingest_s", "clean_s", "extract_s", "validate_s", "dbt_s",
           "publish_s", "clean_mb_per_s", "extract_mb_per_s", "parse_mb_per_s", "peak_rss_mb", "plus_1pct_refresh_s", "plus_1pct_share",
           "plus_1pct_runs_s",
           "plus_1pct_new_process_s", "plus_1pct_new_process_share", "plus_1pct_new_process_no_home_s",
           "plus_1pct_warm_worker_s", "plus_1pct_warm_worker_share", "plus_1pct_warm_worker_runs_s", "warehouse_mb", "staging_mb", "recall"]


# How the per-size run's stderr lines that the summary passes on begin.
FORWARDED_LINES = ("full refresh steps:", "full refresh peak RSS:", "full refresh parse CPU,", "+1 % refresh steps:",
                   "+1 % refresh runs in process:", "+1 % refresh in a new process:",
                   "+1 % refresh runs in a warm run worker:", "+1 % refresh's run worker:")
# The +1 % refresh in process runs this many times, each from the state the full refresh left, and
# the median counts: one run moves by a fifth between runs of the same code, and the first, right
# after the full refresh, also pays a copy several times slower than later ones
# (docs/scaling-history.md, session 18). Every run's seconds are in plus_1pct_runs_s. The +1 %
# refresh through the run launcher runs as many times (plus_1pct_warm_worker_runs_s).
PLUS_RUNS = 3


def stage_of(step_key: str) -> str | None:
    if "pandera" in step_key:
        return "validate"
    return next((stage for stage, steps in STAGES.items() if step_key in steps), None)


def stage_times(durations: dict[str, float]) -> dict[str, float]:
    out = dict.fromkeys(STAGES, 0.0)
    for step_key, seconds in durations.items():
        stage = stage_of(step_key)
        if stage:
            out[stage] += seconds
    return out


def step_running(spans: dict[str, tuple[float, float]], at: float | None) -> str:
    """The step of a run (``spans``: each step's start and end) that was running at time ``at``
    (``time.time()``), or "between steps"."""
    running = [step for step, (start, end) in spans.items() if at is not None and start <= at <= end]
    return running[0] if running else "between steps"


def print_parse_cpu(sampler: ProcessTreeSampler, spans: dict[str, tuple[float, float]]) -> None:
    """Where the parse steps' CPU time went: the benchmark's process (which reads each chunk from
    the store, receives the parsed frames and inserts them) against its parse workers, beside
    what the machine's cores could give over the step's wall time."""
    cores = os.cpu_count() or 1
    for stage in ("clean", "extract"):
        for step in STAGES[stage]:
            start, end = spans[step]
            own, workers = sampler.cpu_between(start, end)
            print(f"full refresh parse CPU, {stage} ({step}): {own:.1f} s in the benchmark's process, {workers:.1f} s in its parse "
                  f"workers, {own + workers:.1f} s of the {cores * (end - start):.1f} s that {cores} cores give "
                  f"over its {end - start:.1f} s", file=sys.stderr)


def storage_mb(warehouse: Path, store: Path) -> tuple[float, float]:
    """The published file's size (what a refresh copies) and the staging store's (updated in place), in MB."""
    return warehouse.stat().st_size / 1e6, store.stat().st_size / 1e6


def answer_key_recall(warehouse: Path, key_path: Path) -> float:
    import duckdb
    import polars as pl
    key = pl.read_ndjson(key_path)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        pred = con.sql("select source_file, value, value_high, unit from marts.metric_observations").pl()
    joined = key.join(pred, on=["source_file", "unit"], how="left", suffix="_pred")
    hit = joined.with_columns(
        ((pl.col("value_pred") - pl.col("value")).abs() <= 0.005 * pl.col("value").abs().clip(lower_bound=1e-9))
        .fill_null(False).alias("ok")
    ).group_by(["source_file", "value", "unit", "metric"]).agg(pl.col("ok").any())
    return round(hit["ok"].mean(), 4)


def run_one(articles: int, out: Path, seed: int) -> dict:
    import dagster as dg

    from bench.generate import generate
    from dagster_project.resources import build_resources
    from dagster_project.runner import run_refresh, step_seconds, step_spans

    corpus = out / f"corpus_{articles}"
    work = out / f"work_{articles}"
    shutil.rmtree(work, ignore_errors=True)
    if not corpus.exists():
        generate(articles, corpus, seed)
    input_dir = work / "input"
    shutil.copytree(corpus, input_dir)
    warehouse = work / "livecommerce.duckdb"
    paths = build_resources(published=warehouse)["warehouse"]
    build, store = Path(paths.build_path), Path(paths.staging_path)
    size = sum(p.stat().st_size for p in input_dir.iterdir())
    instance = dg.DagsterInstance.ephemeral()

    # Before each timed run the setup's own writes (copied corpus, warehouse copies) are flushed to
    # disk, so that a run does not pay for writing back files the benchmark itself just copied.
    os.sync()
    t0 = time.perf_counter()
    with ProcessTreeSampler() as sampler:
        result = run_refresh(input_dir, warehouse, instance)
    full = time.perf_counter() - t0
    assert result.success, "full refresh failed"
    full_spans = step_spans(instance, result.run_id)  # read once: the stages, the peak's step and the CPU split
    full_steps = {step: end - start for step, (start, end) in full_spans.items()}
    stages = stage_times(full_steps)
    print(f"full refresh peak RSS: {sampler.bytes / 2**20:.0f} MB during {step_running(full_spans, sampler.at)}"
          f" ({sampler.root_bytes / 2**20:.0f} MB in the benchmark's process, "
          f"{(sampler.bytes - sampler.root_bytes) / 2**20:.0f} MB in its parse workers)", file=sys.stderr)
    print_parse_cpu(sampler, full_spans)
    warehouse_mb, staging_mb = storage_mb(warehouse, store)

    extra = out / f"extra_{articles}"
    shutil.rmtree(extra, ignore_errors=True)
    generate(max(1, articles // 100), extra, seed + 1)
    for p in extra.iterdir():
        shutil.copy(p, input_dir / p.name)
    after_full, store_after_full = work / "after_full.duckdb", work / "after_full.staging.duckdb"
    shutil.copy2(warehouse, after_full)
    shutil.copy2(store, store_after_full)
    os.sync()

    def from_after_full() -> None:
        shutil.copy2(after_full, warehouse)
        shutil.copy2(store_after_full, store)
        os.sync()

    plus_runs = []
    for run in range(PLUS_RUNS):
        if run:
            from_after_full()
        t1 = time.perf_counter()
        plus_result = run_refresh(input_dir, warehouse, instance)
        plus_runs.append((time.perf_counter() - t1, plus_result.run_id))
        assert plus_result.success, "+1 % refresh failed"
    plus, plus_run_id = sorted(plus_runs)[len(plus_runs) // 2]
    print(f"+1 % refresh runs in process: {' '.join(f'{s:.1f}' for s, _ in plus_runs)} s, median {plus:.1f} s",
          file=sys.stderr)
    plus_steps = {k: round(v, 1) for k, v in step_seconds(instance, plus_run_id).items()}
    print("+1 % refresh steps:", json.dumps(plus_steps), file=sys.stderr)
    print("full refresh steps:", json.dumps({k: round(v, 1) for k, v in full_steps.items()}), file=sys.stderr)

    # The same +1 % refresh of the same warehouse again, in a new process as `lcw refresh` runs it
    # (and Dagster's default run launcher would run a scheduled one): it also pays for starting
    # Python and importing Dagster and dbt.
    published_after_plus = work / "after_plus.duckdb"
    os.replace(warehouse, published_after_plus)

    # It records the run in its own DAGSTER_HOME, as a scheduled run does, so that its steps and
    # the time before and after the run can be read back.
    home = work / "dagster_home"
    home.mkdir()
    shutil.copy(ROOT / "instance" / "dagster.yaml", home / "dagster.yaml")
    with dg.DagsterInstance.from_config(str(home)):
        pass  # creates the instance's storage, which a scheduled run finds in place
    env = {**os.environ, "LCW_INPUT_DIR": str(input_dir), "LCW_WAREHOUSE": str(warehouse),
           "LCW_BUILD_WAREHOUSE": str(build), "LCW_STAGING_STORE": str(store)}
    env.pop("DAGSTER_HOME", None)
    from_after_full()
    started_at = time.time()
    plus_new_process = refresh_in_new_process({**env, "DAGSTER_HOME": str(home)}, work / "lcw_refresh.log")
    phases = new_process_phases(home, started_at, time.time())
    print("+1 % refresh in a new process:", json.dumps(phases), file=sys.stderr)
    # Once more without DAGSTER_HOME: Dagster keeps the run's events in memory instead of writing
    # each to its SQLite storage, so the difference is what that record costs.
    from_after_full()
    plus_no_home = refresh_in_new_process(env, work / "lcw_refresh_no_home.log")
    # And as the schedule and the sensor run it through the instance's run launcher
    # (instance/dagster.yaml): a worker process that warmed up before the run arrived runs it.
    warm_runs = refresh_in_warm_worker(home, env, work / "warm_worker.log", PLUS_RUNS, from_after_full)
    plus_warm_worker, warm_run_id, started_at, ended_at = sorted(warm_runs)[len(warm_runs) // 2]
    warm_phases = new_process_phases(home, started_at, ended_at, warm_run_id)
    print(f"+1 % refresh runs in a warm run worker: {' '.join(f'{r[0]:.1f}' for r in warm_runs)} s, "
          f"median {plus_warm_worker:.1f} s: {json.dumps(warm_phases)}", file=sys.stderr)
    os.replace(published_after_plus, warehouse)  # recall below is read from the in-process run's result

    row = {"articles": articles, "files": len(list(corpus.iterdir())), "mb": round(size / 1e6, 2),
           "full_refresh_s": round(full, 1), **{f"{k}_s": round(v, 1) for k, v in stages.items()},
           "clean_mb_per_s": round(size / 1e6 / max(1e-9, stages["clean"]), 2),
           "extract_mb_per_s": round(size / 1e6 / max(1e-9, stages["extract"]), 2),
           "parse_mb_per_s": round(size / 1e6 / max(1e-9, stages["clean"] + stages["extract"]), 2),
           "peak_rss_mb": round(sampler.bytes / 2**20), "plus_1pct_refresh_s": round(plus, 1),
           "plus_1pct_share": round(plus / full, 3), "plus_1pct_runs_s": "/".join(f"{s:.1f}" for s, _ in plus_runs),
           "plus_1pct_new_process_s": round(plus_new_process, 1),
           "plus_1pct_new_process_share": round(plus_new_process / full, 3),
           "plus_1pct_new_process_no_home_s": round(plus_no_home, 1),
           "plus_1pct_warm_worker_s": round(plus_warm_worker, 1),
           "plus_1pct_warm_worker_share": round(plus_warm_worker / full, 3),
           "plus_1pct_warm_worker_runs_s": "/".join(f"{r[0]:.1f}" for r in warm_runs), "warehouse_mb": round(warehouse_mb),
           "staging_mb": round(staging_mb), "recall": answer_key_recall(warehouse, corpus.parent / f"{corpus.name}.answer_key.jsonl"),
           "plus_1pct_steps": plus_steps, "plus_1pct_new_process_phases": phases,
           "plus_1pct_warm_worker_phases": warm_phases}
    shutil.rmtree(work, ignore_errors=True)
    return row


def refresh_in_new_process(env: dict, output: Path) -> float:
    """Seconds of `lcw refresh` in a new process with ``env``."""
    # Its output goes to a file, not a pipe: a process that outlives it (a `tail -F` of Dagster's log
    # capture did, when this benchmark ran as a background job, see cli.default_stop_signals) must
    # not keep the benchmark reading a pipe after the refresh has exited.
    started = time.perf_counter()
    with open(output, "w") as log:
        fresh = subprocess.run([str(Path(sys.executable).parent / "lcw"), "refresh"], env=env, cwd=ROOT,
                               stdout=log, stderr=subprocess.STDOUT)
    seconds = time.perf_counter() - started
    assert fresh.returncode == 0, f"+1 % refresh in a new process failed: {output.read_text()[-2000:]}"
    return seconds


def refresh_in_warm_worker(home: Path, env: dict, output: Path, runs: int,
                           before_each: Callable[[], None]) -> list[tuple[float, str, float, float]]:
    """The +1 % refresh ``runs`` times through the run launcher of the instance in ``home``, each
    after ``before_each`` and once the launcher's spare worker has warmed up: for each, the
    seconds from creating the run to its end, its run id and the ``time.time()`` of both ends.
    The workers inherit ``env``; their output (dbt's console log) goes to ``output``, not to this
    process's stdout, whose last line is the benchmark's result."""
    import dagster as dg

    from dagster_project.runner import launch_refresh, wait_for_run

    timed = []
    saved_env, saved_stdout = dict(os.environ), os.dup(1)
    os.environ.clear()
    os.environ.update(env)
    try:
        with open(output, "w") as log, dg.DagsterInstance.from_config(str(home)) as instance:
            sys.stdout.flush()
            os.dup2(log.fileno(), 1)
            launcher = instance.run_launcher
            warm_up_started = time.perf_counter()
            launcher.start_spare()
            for _ in range(runs):
                # The first spare warms up now; each later one once the previous run's worker has ended.
                assert launcher.spare_ready(timeout=300), f"the run worker did not warm up: {output}"
                if not timed:
                    print(f"+1 % refresh's run worker: warmed up in {time.perf_counter() - warm_up_started:.1f} s, "
                          f"{resident_bytes(launcher.spare_pid) / 2**20:.0f} MB resident while it waits",
                          file=sys.stderr)
                before_each()
                started, started_at = time.perf_counter(), time.time()
                run = wait_for_run(instance, launch_refresh(instance))
                timed.append((time.perf_counter() - started, run.run_id, started_at, time.time()))
                assert run.status == dg.DagsterRunStatus.SUCCESS, f"+1 % refresh in a warm run worker failed: {output}"
            launcher.dispose()
    finally:
        os.dup2(saved_stdout, 1)
        os.close(saved_stdout)
        os.environ.clear()
        os.environ.update(saved_env)
    return timed


def new_process_phases(home: Path, started_at: float, ended_at: float, run_id: str | None = None) -> dict:
    """Seconds before the run started (Python, imports, the definitions), of each step, and after
    the run ended until the process exited, from the run recorded in ``home`` (the last one unless
    ``run_id`` is given)."""
    import dagster as dg

    from dagster_project.runner import step_seconds

    with dg.DagsterInstance.from_config(str(home)) as instance:
        run = instance.get_run_by_id(run_id) if run_id else instance.get_runs(limit=1)[0]
        stats = instance.get_run_stats(run.run_id)
        steps = step_seconds(instance, run.run_id)
    return {"before_run": round(stats.start_time - started_at, 1),
            **{k: round(v, 1) for k, v in steps.items()},
            "after_run": round(ended_at - stats.end_time, 1)}


# The steps of the refresh job, grouped as the +1 % table shows them (Pandera checks are one column).
PHASES = ["before_run", "raw_documents", "articles", "extracted_facts", "pandera", "dbt_models",
          "published_warehouse", "after_run"]


def _phase_seconds(seconds: dict, phase: str) -> str:
    """A phase's seconds from a step dict: the Pandera checks summed, a step by the last part of its key."""
    found = [v for k, v in seconds.items() if ("pandera" in k if phase == "pandera" else k.split("__")[-1] == phase)]
    return f"{sum(found):.1f}" if found else "-"


def write_docs(rows: list[dict], command: str) -> None:
    lines = ["# Performance", "",
             f"Figures from `{command}` on this project's machine (2 cores, 24 GiB); "
             "`bench/out/results.csv` holds the same numbers. Stages are Dagster step wall times; "
             "clean and extract MB/s are input size over each stage's time, parse MB/s over both together; the +1 % refresh adds 1 % new generated "
             f"articles to the warehouse of the full refresh and runs the job again, {PLUS_RUNS} times in the benchmark's "
             "own process (Python modules already imported), each from the state the full refresh left "
             "(plus_1pct_refresh_s is the median, plus_1pct_runs_s every run in order; the first comes right after "
             "the full refresh), and once from the same starting point in a new "
             "process (`lcw refresh` with a DAGSTER_HOME of its own, as the CLI starts it, and as Dagster's "
             "default run launcher would start the schedule's and the sensor's runs), and again in a new process "
             "without DAGSTER_HOME (Dagster then keeps the run's events in "
             "memory instead of writing each to the instance's SQLite files: the difference is what that record "
             f"costs), and {PLUS_RUNS} times through the instance's run launcher as the schedule and the sensor "
             "start it, each from the same starting point (plus_1pct_warm_worker_s: the median time from creating "
             "the run to its end, in the launcher's run worker, which had warmed up before the run arrived, "
             "plus_1pct_warm_worker_runs_s every run in order; `dagster_project/run_worker.py`); peak_rss_mb is "
             "the full "
             "refresh's largest sum of the resident memory of the benchmark's "
             "process (which runs the refresh, dbt included) and of its parse workers, sampled every 0.2 s; "
             "recall is the share "
             "of the generator's answer-key figures found in `marts.metric_observations`; warehouse_mb is the "
             "published file after the full refresh (a refresh copies it) and staging_mb the staging store beside "
             "it (updated in place). Before each timed "
             "run the benchmark flushes its own setup copies to disk (`os.sync()`), so no run pays for writing "
             "back the corpus or warehouse copies the benchmark just made.", "",
             "| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(str(r[c]) for c in COLUMNS) + " |" for r in rows]
    lines += ["", "Targets (issue 7): clean + extract ≥ 25 MB/s; a full refresh of 100k articles under 5 minutes "
              "with peak RSS under 4 GB; a +1 % refresh under 10 % of a full one.", "",
              "## Where a +1 % refresh spends its time", "",
              "Seconds per step of the +1 % refresh, in the benchmark's process (the median run), in a new process "
              "and in a warm run worker (the median run). In the "
              "new process, `before_run` is the time from starting `lcw refresh` to the start of the run "
              "(Python, imports, the definitions, the instance) and `after_run` the time from the end of the "
              "run to the end of the process; in the warm run worker, `before_run` is the time from creating the "
              "run to its start (the run's record, the hand-over to the worker) and `after_run` the time from "
              "the run's end until the benchmark saw it. Two short steps (the division table and the chart) are not "
              "shown; the total is the whole refresh's wall time, so it also holds them and Dagster's time "
              "between steps.", "",
              "| articles | where | " + " | ".join(PHASES) + " | total |", "|" + "---|" * (len(PHASES) + 3)]
    for r in rows:
        for where, key, total in (("in process", "plus_1pct_steps", "plus_1pct_refresh_s"),
                                  ("new process", "plus_1pct_new_process_phases", "plus_1pct_new_process_s"),
                                  ("warm run worker", "plus_1pct_warm_worker_phases", "plus_1pct_warm_worker_s")):
            cells = [_phase_seconds(r[key], phase) for phase in PHASES]
            lines.append(f"| {r['articles']} | {where} | " + " | ".join(cells) + f" | {r[total]} |")
    lines.append("")
    (ROOT / "docs" / "performance.md").write_text("\n".join(lines), encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default=os.environ.get("BENCH_SIZES", "1000,10000,100000"))
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    if args.one:
        print(json.dumps(run_one(args.one, args.out, args.seed)))
        return
    rows = []
    print(" ".join(f"{c:>14}" for c in COLUMNS))
    for size in [int(s) for s in args.sizes.split(",") if s]:
        proc = subprocess.run([sys.executable, __file__, "--one", str(size), "--out", str(args.out), "--seed", str(args.seed)],
                              capture_output=True, text=True, cwd=ROOT)
        if proc.returncode != 0:
            print(proc.stdout[-2000:], proc.stderr[-4000:], file=sys.stderr)
            sys.exit(f"benchmark of {size} articles failed")
        for line in proc.stderr.splitlines():
            if line.startswith(FORWARDED_LINES):
                print(f"  {size}: {line}", file=sys.stderr)  # per-step seconds behind the stage columns
        row = json.loads(proc.stdout.strip().splitlines()[-1])
        rows.append(row)
        print(" ".join(f"{row[c]!s:>14}" for c in COLUMNS), flush=True)
    with open(args.out / "results.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    write_docs(rows, "make bench" + ("" if args.sizes == "1000,10000,100000" else f" BENCH_SIZES={args.sizes}"))


if __name__ == "__main__":
    main()
