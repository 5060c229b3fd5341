"""The asset graph, run night by night in process, on real components."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, timedelta

import dagster as dg
import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ml.scoring.publish import published_dates, published_path, read_published
from ml.serving.redis_export import export_metadata, live_key
from ml.serving.risk_lookup import RiskLookup
from ml.warehouse.dbt_runner import last_loaded_date
from orchestration.defs.automation import NIGHTLY_JOB, retraining_sensor, training_job_name
from orchestration.defs.definitions import build_definitions
from orchestration.defs.model_assets import accept_high_risk_shift_config
from orchestration.lib.resources import MlflowResource, WarehouseResource
from orchestration.lib.runner import (
    JobFailed,
    run_job,
    run_nights,
    run_seconds,
    step_summaries,
)
from orchestration.lib.single_writer import WarehouseBusy, single_writer
from tests.pipeline.fixtures import CLEAN_DATES, DRIFT_DATE, SPECS, private_copy


def _sensor_requests(pipeline, automatic: bool = True) -> list[dg.RunRequest]:
    """The retraining sensor's requests now, for the specs with automatic retraining on (the
    shipped specs leave it off)."""
    specs = [s.model_copy(update={"automatic_retraining": automatic}) for s in SPECS.values()]
    jobs = [pipeline.defs.resolve_job_def(training_job_name(spec.name)) for spec in specs]
    sensor = retraining_sensor(specs, jobs)
    context = dg.build_sensor_context(
        instance=pipeline.instance,
        resources={
            "warehouse": WarehouseResource(data_dir=str(pipeline.settings.data_dir)),
            "mlflow": MlflowResource(tracking_uri=pipeline.settings.mlflow_tracking_uri),
        },
    )
    return list(sensor.evaluate_tick(context).run_requests or [])


def test_definitions_hold_the_graph_checks_schedules_and_sensor(pipeline):
    repo = pipeline.defs.get_repository_def()
    keys = {key.to_user_string() for key in repo.asset_graph.get_all_asset_keys()}
    for spec in SPECS:
        for asset in ("trained_model", "predictions", "drift_report", "published_predictions",
                      "redis_export"):  # fmt: skip
            assert f"{spec}/{asset}" in keys
    assert {"customer_features_v3", "training_labels", "monitoring/realized_performance"} <= keys
    assert "customer_features_v1" not in keys, "a version no spec uses is not in the nightly graph"
    groups = {k.to_user_string(): repo.asset_graph.get(k).group_name
              for k in repo.asset_graph.get_all_asset_keys()}  # fmt: skip
    assert groups["raw/customers"] == groups["raw/activities"] == "raw"
    assert "default" not in groups.values(), "every asset sits in a named group"
    checks = {key.name for key in repo.asset_graph.asset_check_keys}
    assert {"rows_match_active_customers", "keys_written_equal_rows_selected"} <= checks
    # the leakage guard is a dbt test on the feature version: a blocking asset check of it
    leakage = [
        key for key in repo.asset_graph.asset_check_keys
        if "no_activity_at_or_after_as_of_date_customer_features_v3" in key.name
    ]  # fmt: skip
    assert [key.asset_key.to_user_string() for key in leakage] == ["customer_features_v3"]
    assert repo.asset_graph.get_check_spec(leakage[0]).blocking
    assert {s.name for s in repo.schedule_defs} == {
        "nightly_schedule", "churn_retraining_schedule", "payment_failure_retraining_schedule"
    }  # fmt: skip
    nightly = next(s for s in repo.schedule_defs if s.name == "nightly_schedule")
    assert nightly.cron_schedule == f"0 {pipeline.settings.nightly_hour_utc} * * *"
    assert sorted(s.name for s in repo.sensor_defs) == [
        "freshness_checks_sensor", "retraining_sensor"
    ]  # fmt: skip


def test_clean_nights_publish_scores_drift_reports_and_a_redis_export(pipeline):
    """(Tests of other files may have run the drifted night already: this one reads the clean
    dates, and Redis as of the newest published date, whichever that is.)"""
    settings = pipeline.settings
    for spec_name, spec in SPECS.items():
        for day in CLEAN_DATES:
            assert published_path(settings, "predictions", spec_name, day).exists()
        drift = read_published(settings, "drift_history", spec_name)
        clean = drift[drift.score_date.dt.date.isin(CLEAN_DATES)]
        assert list(clean.score_date.dt.date) == CLEAN_DATES
        # Regression: no alarm on clean days (a false alarm costs a training run)
        assert not clean.alarm.any(), clean[["score_date", "share_drifted", "prediction_drift"]]
        assert all(pd.io.common.file_exists(path) for path in drift.report_html)
        newest = published_dates(settings, "predictions", spec_name)[-1]
        published = pd.read_parquet(published_path(settings, "predictions", spec_name, newest))
        high = published[~published.is_shadow & (published.score >= spec.high_risk_threshold)]
        assert export_metadata(pipeline.redis, spec_name)["score_date"] == newest.isoformat()
        assert pipeline.redis.hlen(live_key(spec_name)) == len(high) > 0
        risk = RiskLookup(pipeline.redis, spec_name).get(high.customer_id.iloc[0])
        assert risk.is_high_risk and risk.score == pytest.approx(high.score.iloc[0], abs=1e-6)
        assert risk.reasons == list(high.reasons.iloc[0])


def test_each_drift_step_runs_as_soon_as_its_scores_exist(pipeline):
    """Its report is drawn by a helper process while the night goes on, and the run waits for
    it at the end: started before the other model's scoring, it is (nearly) drawn by then."""
    run = pipeline.instance.get_runs(dg.RunsFilter(job_name=NIGHTLY_JOB, statuses=[
        dg.DagsterRunStatus.SUCCESS]), limit=1)[0]  # fmt: skip
    started = {s.step_key: s.start_time for s in pipeline.instance.get_run_step_stats(run.run_id)}
    first, second = sorted(SPECS, key=lambda spec: started[f"{spec}__predictions"])
    assert started[f"{first}__drift_report"] < started[f"{second}__predictions"]


def test_a_night_prints_one_named_line_per_step(pipeline):
    """What `scoreline nightly` prints: every step by a name an operator can read, the freshness
    checks by the model they cover (Dagster names their steps by a hash)."""
    runs = pipeline.instance.get_runs(dg.RunsFilter(job_name=NIGHTLY_JOB, statuses=[
        dg.DagsterRunStatus.SUCCESS]))  # fmt: skip
    # the newest whole night (other tests run parts of one on the same instance)
    run, lines = next(
        (run, lines)
        for run in runs
        for lines in [step_summaries(pipeline.instance, run.run_id)]
        if all(f" {spec}__predictions " in "".join(lines) for spec in SPECS)
    )
    names = [line.split()[0] for line in lines]
    assert not [name for name in names if name.startswith("freshness_check_")], names
    assert {f"{spec}__freshness" for spec in SPECS} <= set(names), names
    # the night's own line gives its wall time: at least its steps', which run one at a time
    # (each line rounded to 0.1 s)
    step_total = sum(float(line.split()[1].rstrip("s")) for line in lines)
    assert step_total - 0.05 * len(lines) <= run_seconds(pipeline.instance, run.run_id) < 300


def test_the_first_date_after_a_price_rise_alarms_and_requests_retraining(drifted_pipeline):
    drift = read_published(drifted_pipeline.settings, "drift_history", "churn")
    latest = drift[drift.score_date.dt.date == DRIFT_DATE].iloc[0]
    assert latest.alarm and "monthly_price" in list(latest.drifted_features)
    # the shipped specs: the sensor starts stopped, and would ask nothing of its own accord
    shipped = drifted_pipeline.defs.resolve_sensor_def("retraining_sensor")
    assert shipped.default_status == dg.DefaultSensorStatus.STOPPED
    assert _sensor_requests(drifted_pipeline, automatic=False) == []
    requests = _sensor_requests(drifted_pipeline)
    assert "churn_training_job" in {r.job_name for r in requests}
    churn = next(r for r in requests if r.job_name == "churn_training_job")
    assert "drift on 2026-04-28" in churn.tags["scoreline/retrain_reason"]


@pytest.mark.slow
def test_a_backfilled_date_publishes_and_matures_without_rolling_redis_back(drifted_pipeline):
    pipeline = drifted_pipeline
    backfilled = date(2026, 3, 20)
    run_nights(pipeline.defs, pipeline.instance, [backfilled], progress=False)
    assert published_path(pipeline.settings, "predictions", "churn", backfilled).exists()
    assert export_metadata(pipeline.redis, "churn")["score_date"] == "2026-04-28"

    # Rerunning the newest night measures the backfilled date: its 28-day window has passed.
    run_nights(pipeline.defs, pipeline.instance, [DRIFT_DATE], progress=False)
    history = read_published(pipeline.settings, "performance_history")
    measured = history[history.score_date.dt.date == backfilled]
    assert set(measured.model_name) == set(SPECS)
    assert measured.roc_auc.between(0.5, 1).all() and (measured.positives > 0).all()
    assert measured.validation_roc_auc.notna().all()


def test_a_broken_feature_contract_blocks_publishing_and_the_export(drifted_pipeline, tmp_path):
    settings = private_copy(drifted_pipeline, tmp_path)
    published = published_path(settings, "predictions", "churn", DRIFT_DATE)
    before = (published.stat().st_mtime_ns, export_metadata(drifted_pipeline.redis, "churn"))
    with duckdb.connect(str(settings.warehouse_path)) as con:  # a corrupted upstream row
        con.execute(
            "update int_activities_aggregated_to_customer_days set activity_count = -50 "
            "where activity_date = date '2026-04-20' and customer_id = "
            "(select min(customer_id) from int_activities_aggregated_to_customer_days "
            " where activity_date = date '2026-04-20')"
        )
    defs = build_definitions(settings)

    with pytest.raises(JobFailed, match="nightly_dbt_models") as failed:
        run_job(defs, NIGHTLY_JOB, drifted_pipeline.instance, DRIFT_DATE)
    earlier = f"(readers still see the earlier publication of {DRIFT_DATE})"
    assert (
        f"published for {DRIFT_DATE}: no model; NOT published: churn {earlier}, "
        f"payment_failure {earlier}" in str(failed.value)
    )

    assert published.stat().st_mtime_ns == before[0]
    assert export_metadata(drifted_pipeline.redis, "churn") == before[1]


def test_a_second_writer_on_the_same_warehouse_refuses_at_once_naming_the_first(pipeline):
    """Regression: three nightly runs started at once on one warehouse all ran."""
    data_dir = str(pipeline.settings.data_dir)
    holder = subprocess.Popen(
        [sys.executable, "-c", (
            "import time\n"
            "from ml.config import Settings\n"
            "from orchestration.lib.single_writer import single_writer\n"
            f"settings = Settings.from_env({{'SCORELINE_DATA_DIR': {data_dir!r}}})\n"
            "with single_writer(settings, 'nightly_job 2026-04-28'):\n"
            "    print('holding', flush=True)\n"
            "    time.sleep(120)\n"
        )],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "holding"
        runs_before = len(pipeline.instance.get_runs())
        with pytest.raises(WarehouseBusy) as refused:
            run_nights(pipeline.defs, pipeline.instance, [CLEAN_DATES[-1]], progress=False)
        message = str(refused.value)
        assert f"nightly_job 2026-04-28 (pid {holder.pid}" in message
        assert str(pipeline.settings.data_dir) in message
        assert len(pipeline.instance.get_runs()) == runs_before, "the refused night never started"
    finally:
        holder.kill()
        holder.wait()
    # the kernel dropped the killed holder's lock: the next writer goes ahead
    with single_writer(pipeline.settings, "after the kill"):
        pass


def test_a_night_that_would_empty_the_high_risk_set_is_published_only_when_accepted(
    drifted_pipeline, tmp_path
):
    """Regression: a night whose high-risk sets fell from 129 to 0 and 64 to 1 was published
    and exported with a warning only."""
    settings = private_copy(drifted_pipeline, tmp_path)
    day = last_loaded_date(settings) + timedelta(days=1)  # the date the warehouse holds
    previous = max(d for d in published_dates(settings, "predictions", "churn") if d < day)
    # the previous night flagged every customer: tonight's ordinary share is a 100x fall
    flagged = published_path(settings, "predictions", "churn", previous)
    table = pq.read_table(flagged)
    scores = table.column_names.index("score")
    pq.write_table(table.set_column(scores, "score", pa.array([0.99] * len(table))), flagged)
    tonight = published_path(settings, "predictions", "churn", day)
    before = tonight.read_bytes()
    defs = build_definitions(settings)
    keys = [dg.AssetKey(["churn", "predictions"]), dg.AssetKey(["churn", "published_predictions"])]

    # the whole night: the other model publishes, and the failure says which one did not
    with pytest.raises(JobFailed, match="high_risk_share_within_tolerance") as blocked:
        run_job(defs, NIGHTLY_JOB, drifted_pipeline.instance, day)
    assert tonight.read_bytes() == before, "a blocked night publishes nothing of that model"
    assert str(blocked.value).splitlines()[1].strip() == (
        f"published for {day}: payment_failure; NOT published: churn (readers still see the "
        f"earlier publication of {day})"
    )

    accepted = accept_high_risk_shift_config(["churn"], "known event: test of the override")
    result = run_job(defs, NIGHTLY_JOB, drifted_pipeline.instance, day, asset_selection=keys,
                     run_config=accepted)  # fmt: skip
    check = next(
        evaluation for evaluation in result.get_asset_check_evaluations()
        if evaluation.check_name == "high_risk_share_within_tolerance"
    )  # fmt: skip
    assert check.passed
    assert check.metadata["accepted_shift"].value == "known event: test of the override"
    assert tonight.stat().st_mtime_ns > flagged.stat().st_mtime_ns, "published once accepted"


def _freshness(defs, instance) -> dict[str, bool]:
    """Run every freshness check in process: passed, by asset."""
    checks = [key for key in defs.get_repository_def().asset_graph.asset_check_keys
              if key.name == "freshness_check"]  # fmt: skip
    job = dg.define_asset_job("freshness", selection=dg.AssetSelection.checks(*checks))
    result = (
        dg.Definitions.merge(defs, dg.Definitions(jobs=[job]))
        .resolve_job_def("freshness")
        .execute_in_process(instance=instance, raise_on_error=False)
    )
    return {e.asset_key.to_user_string(): e.passed for e in result.get_asset_check_evaluations()}


def test_scores_that_stop_arriving_fail_the_freshness_checks(pipeline):
    """Published scores and the Redis export must be newer than max_score_age_days: the
    pipeline's instance has nights from minutes ago; an instance where no night published
    within the limit fails every check (Dagster's freshness sensor runs them between nights)."""
    expected = {f"{s}/{a}" for s in SPECS for a in ("published_predictions", "redis_export")}
    fresh = _freshness(pipeline.defs, pipeline.instance)
    assert set(fresh) == expected and all(fresh.values())
    stale = _freshness(pipeline.defs, dg.DagsterInstance.ephemeral())
    assert set(stale) == expected and not any(stale.values())


def test_drift_reads_the_same_panel_of_customers_as_calibration_sampled(pipeline):
    """The nightly panel comes straight from the warehouse; it must be the customers the
    reference and calibration history were sampled by (PANEL_ORDER), with their own scores."""
    from ml.monitoring.drift import panel_sample
    from ml.scoring.publish import read_published_file
    from ml.scoring.score import read_scoring_panel
    from ml.warehouse.dbt_runner import connect_read_only

    settings, day = pipeline.settings, CLEAN_DATES[0]
    spec = SPECS["churn"]
    spec = spec.model_copy(update={"drift": spec.drift.model_copy(update={"sample_rows": 500})})
    scored = read_published_file(settings, "scored_predictions", spec.name, day)
    drift = read_published(settings, "drift_history", spec.name)
    version = int(drift[drift.score_date.dt.date == day].model_version.iloc[0])
    panel = read_scoring_panel(settings, spec, day, scored, version)
    with connect_read_only(settings) as con:
        every = con.execute(
            f"select * from {spec.feature_relation} where as_of_date = ?", [day]
        ).df()
    scores = scored.to_pandas()
    every = every.merge(
        scores[scores.model_version == version][["customer_id", "score"]], on="customer_id"
    )
    assert len(every) > 500 and len(panel) == 500
    expected = panel_sample(every, 500)
    assert sorted(panel.customer_id) == sorted(expected.customer_id)
    joined = panel.merge(expected[["customer_id", "score"]], on="customer_id")
    assert (joined.score_x == joined.score_y).all()


def test_a_drift_warning_never_reaches_the_retraining_sensor(drifted_pipeline, tmp_path):
    """The same night as the price rise's alarm, read as a warning: news, not a retrain."""
    from types import SimpleNamespace

    from ml.scoring.publish import publish_table

    settings = private_copy(drifted_pipeline, tmp_path)
    drift = read_published(settings, "drift_history", "churn")
    night = drift[drift.score_date.dt.date == DRIFT_DATE]
    assert bool(night.alarm.iloc[0])
    publish_table(
        settings, "drift_history",
        night.assign(status="warning", alarm=False, warnings=night.reasons, reasons=[[]]),
        "churn", DRIFT_DATE,
    )  # fmt: skip
    copy = SimpleNamespace(
        defs=drifted_pipeline.defs, instance=drifted_pipeline.instance, settings=settings
    )
    assert [r for r in _sensor_requests(copy) if "churn" in r.job_name] == []
    assert [r for r in _sensor_requests(drifted_pipeline) if "churn" in r.job_name]
