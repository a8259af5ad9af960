"""The dbt project handle, in its own module: the manifest must exist before definitions import.

Prepare it with ``dagster-dbt project prepare-and-package --file dagster_project/dbt_project.py``
(``make run`` and the tests do).
"""
from dagster_dbt import DbtProject

from dagster_project.settings import DBT_PROJECT_DIR

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
dbt_project.prepare_if_dev()
