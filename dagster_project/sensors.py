"""Request a refresh when a file in the input folder is added, changed or removed."""

import hashlib
import json

import dagster as dg

from dagster_project.jobs import refresh_warehouse
from dagster_project.settings import input_dir


def folder_fingerprint() -> tuple[str, int]:
    """A digest of every file's name, size and modification time under LCW_INPUT_DIR."""
    folder = input_dir()
    entries = []
    if folder.exists():
        for p in sorted(folder.rglob("*")):
            if p.is_file() or p.is_symlink():
                st = p.lstat()
                entries.append([p.relative_to(folder).as_posix(), st.st_size, st.st_mtime_ns])
    return hashlib.sha256(json.dumps(entries).encode()).hexdigest(), len(entries)


@dg.sensor(job=refresh_warehouse, minimum_interval_seconds=60, default_status=dg.DefaultSensorStatus.STOPPED,
           description="Polls LCW_INPUT_DIR and requests a refresh when its files change.")
def input_folder_sensor(context: dg.SensorEvaluationContext):
    digest, n_files = folder_fingerprint()
    if context.cursor == digest:
        return dg.SkipReason(f"no change in {n_files} files")
    context.update_cursor(digest)
    return dg.RunRequest(run_key=digest, tags={"lcw/trigger": "input_folder_sensor"})
