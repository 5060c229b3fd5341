"""Daily partitions by score date: partition D scores every active customer as of D, reading
raw days before D.

On the clock, `end_offset=1` makes today's partition available once yesterday's day folder
has landed, which is when the nightly schedule runs. On a replayed calendar (SCORELINE_TODAY,
which `scoreline dev` sets when the raw data ends before the clock, as the demo's does) the
partitions end at that today: the UI's "Latest" and its launch dialog point at dates that have
data, not at months of empty days up to the clock."""

from datetime import date, timedelta

import dagster as dg

from ml.config import Settings


def daily_partitions(settings: Settings) -> dg.DailyPartitionsDefinition:
    if settings.calendar_replayed:
        # end_date is exclusive: the last partition is today's, as with end_offset=1
        end = (settings.today + timedelta(days=1)).isoformat()
        return dg.DailyPartitionsDefinition(
            start_date=settings.first_score_date.isoformat(), end_date=end
        )
    return dg.DailyPartitionsDefinition(
        start_date=settings.first_score_date.isoformat(), end_offset=1
    )


def partition_date(context: dg.AssetExecutionContext) -> date:
    return date.fromisoformat(context.partition_key)


# Each score date is its own run: a partition scores exactly one as-of date.
ONE_RUN_PER_DATE = dg.BackfillPolicy.multi_run(max_partitions_per_run=1)
