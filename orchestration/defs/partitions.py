"""Daily partitions by score date: partition D scores every active customer as of D, reading
raw days before D. `end_offset=1` makes today's partition available once yesterday's day folder
has landed, which is when the nightly schedule runs."""

from datetime import date

import dagster as dg

from ml.config import Settings


def daily_partitions(settings: Settings) -> dg.DailyPartitionsDefinition:
    return dg.DailyPartitionsDefinition(
        start_date=settings.first_score_date.isoformat(), end_offset=1
    )


def partition_date(context: dg.AssetExecutionContext) -> date:
    return date.fromisoformat(context.partition_key)


# Each score date is its own run: a partition scores exactly one as-of date.
ONE_RUN_PER_DATE = dg.BackfillPolicy.multi_run(max_partitions_per_run=1)
