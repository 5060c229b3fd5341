"""Jobs run in process by `scoreline` (orchestration/lib/runner.py): a score date outside the
job's partitions is refused before any run starts, naming the dates that exist and what sets
them; a date inside runs."""

from datetime import date

import dagster as dg
import pytest

from orchestration.lib.resources import WarehouseResource
from orchestration.lib.runner import JobFailed, run_job

DATES = dg.DailyPartitionsDefinition(start_date="2026-01-01", end_date="2026-02-01")


@dg.asset(partitions_def=DATES)
def scored(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={"score_date": context.partition_key})


def _definitions(tmp_path) -> dg.Definitions:
    return dg.Definitions(
        assets=[scored],
        jobs=[dg.define_asset_job("nightly_job", selection=[scored], partitions_def=DATES)],
        resources={"warehouse": WarehouseResource(data_dir=str(tmp_path))},
    )


def test_a_score_date_outside_the_partitions_names_the_dates_that_exist(tmp_path):
    instance = dg.DagsterInstance.ephemeral()
    with pytest.raises(JobFailed) as refused:
        run_job(_definitions(tmp_path), "nightly_job", instance, date(2030, 1, 1))
    message = str(refused.value)
    assert "no score date 2030-01-01" in message
    assert "from 2026-01-01 (SCORELINE_FIRST_SCORE_DATE) to 2026-01-31" in message
    assert instance.get_runs() == [], "no run was started"

    result = run_job(_definitions(tmp_path), "nightly_job", instance, date(2026, 1, 15))
    assert result.success and result.dagster_run.tags["dagster/partition"] == "2026-01-15"
