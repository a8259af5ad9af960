import dagster as dg

from dagster_project.jobs import refresh_warehouse

daily_refresh = dg.ScheduleDefinition(
    name="daily_refresh",
    job=refresh_warehouse,
    cron_schedule="0 6 * * *",
    execution_timezone="Asia/Shanghai",
    description="Refresh the warehouse every morning at 06:00 Beijing time.",
)
