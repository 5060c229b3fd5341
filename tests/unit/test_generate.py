"""The synthetic business: deterministic, causal enough to learn from, never trivially so."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

from ml.ingest.generate import DriftScenario, generate


def _digest(raw):
    return duckdb.execute(
        f"select count(*), sum(hash(activity_id, customer_id, activity_at, activity)) "
        f"from read_parquet('{raw}/day=*/activities.parquet')"
    ).fetchone()


def test_same_seed_gives_identical_data_and_another_seed_does_not(tmp_path):
    for name, seed in (("a", 3), ("b", 3), ("c", 4)):
        generate(tmp_path / name, customers=300, days=20, seed=seed, progress=False)
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    assert _digest(tmp_path / "a") != _digest(tmp_path / "c")


def test_churners_fade_before_they_leave(tmp_path):
    generate(tmp_path, customers=4000, days=90, seed=5, progress=False)
    last_week, weeks_5_to_6 = duckdb.execute(
        f"""
        with activities as (select * from read_parquet('{tmp_path}/day=*/activities.parquet')),
        cancels as (
            select customer_id, min(activity_at) as cancelled_at
            from activities
            where activity = 'cancellation'
            group by 1
            having min(activity_at) >= date '2026-03-01'
        ),
        -- only customers who were there for both windows (not onboarding churners)
        settled as (
            select cancels.*
            from cancels
            inner join read_parquet('{tmp_path}/day=*/customers.parquet') as customers
                using (customer_id)
            where customers.first_seen_at < cancels.cancelled_at - interval 42 day
        ),
        events as (select * from activities where activity <> 'cancellation')
        select
            count(e.activity_at) filter (where e.activity_at >= c.cancelled_at - interval 7 day),
            count(e.activity_at) filter (where e.activity_at < c.cancelled_at - interval 28 day
                and e.activity_at >= c.cancelled_at - interval 42 day) / 2
        from settled as c
        left join events as e using (customer_id)
        """
    ).fetchone()
    assert last_week < 0.8 * weeks_5_to_6


def test_price_increase_reprices_every_active_customer_on_its_day(tmp_path):
    day = date(2026, 1, 10)
    generate(
        tmp_path,
        customers=500,
        days=15,
        drifts=[DriftScenario("price_increase", day)],
        progress=False,
    )
    changes = duckdb.execute(
        "select count(distinct customer_id) "
        f"from read_parquet('{tmp_path}/day={day}/activities.parquet') "
        "where activity = 'plan_change'"
    ).fetchone()[0]
    assert changes > 250


def test_days_without_signups_have_no_customers_file(tmp_path):
    generate(tmp_path, customers=40, days=30, seed=2, progress=False)
    days = sorted(tmp_path.glob("day=*"))
    assert all((day / "activities.parquet").exists() for day in days)
    without = [day for day in days if not (day / "customers.parquet").exists()]
    assert 0 < len(without) < len(days), "optional tables need no empty files"


@pytest.mark.parametrize("share", [0.0, 0.01])
def test_malformed_share_controls_injected_rows(tmp_path, share):
    summary = generate(tmp_path, customers=500, days=10, malformed_share=share, progress=False)
    assert (summary.malformed_rows > 0) == (share > 0)


@pytest.mark.parametrize("kind", ["price_increase", "new_channel", "longer_sessions"])
def test_a_drift_scenario_leaves_the_days_before_it_byte_identical(tmp_path, kind):
    """The drift bench trains once on the clean history and replays every scenario after it."""
    start = date(2026, 1, 12)
    generate(tmp_path / "clean", customers=800, days=20, seed=3, progress=False)
    generate(
        tmp_path / kind, customers=800, days=20, seed=3, progress=False,
        drifts=[DriftScenario(kind, start)],
    )  # fmt: skip
    changed = [
        f"{day.name}/{f.name}"
        for day in sorted((tmp_path / "clean").glob("day=*"))
        for f in sorted(day.glob("*.parquet"))
        if f.read_bytes() != (tmp_path / kind / day.name / f.name).read_bytes()
    ]
    assert changed, "the scenario changed nothing"
    assert min(changed) >= f"day={start}", changed


def test_longer_sessions_lengthen_sessions_from_their_day(tmp_path):
    day = date(2026, 1, 10)
    generate(
        tmp_path, customers=800, days=15, seed=4, progress=False,
        drifts=[DriftScenario("longer_sessions", day)],
    )  # fmt: skip
    before, after = duckdb.execute(
        f"""
        select median(quantity) filter (where activity_at < '{day}'),
               median(quantity) filter (where activity_at >= '{day}')
        from read_parquet('{tmp_path}/day=*/activities.parquet') where activity = 'session'
        """
    ).fetchone()
    assert 1.4 < after / before < 1.8
