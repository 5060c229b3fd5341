"""Published files are names pointing at immutable versions: a query that pinned its files
reads them whole while the same date is republished (DuckDB opens a file by its path again
during a scan, so a file renamed over the old one mid-query was read half old, half new), and
versions out of use are deleted once no query can still hold them (real files, real DuckDB)."""

from __future__ import annotations

import os
import time
from datetime import date

import duckdb
import pandas as pd

from ml.scoring.file_versions import SUPERSEDED_KEPT_SECONDS, version_folder
from ml.scoring.publish import pinned_files, publish_table, published_path
from ml.serving.read_model import sql_database_path, write_sql_database
from tests.conftest import settings_under

DAY = date(2026, 6, 1)


def _rows(score: float, customers: int = 1_000) -> pd.DataFrame:
    return pd.DataFrame(
        {"customer_id": [f"c{i}" for i in range(customers)], "score_date": DAY,
         "score": score, "model_name": "churn"}
    )  # fmt: skip


def _scores(files: list[str]) -> tuple[int, set[float]]:
    with duckdb.connect() as con:
        frame = con.execute("select score from read_parquet($f)", {"f": files}).df()
    return len(frame), set(frame.score)


def test_a_query_on_pinned_files_reads_the_version_it_began_with(tmp_path):
    settings = settings_under(tmp_path)
    publish_table(settings, "predictions", _rows(0.25), "churn", DAY)
    pinned = pinned_files(settings, "predictions")

    publish_table(settings, "predictions", _rows(0.75, customers=300), "churn", DAY)

    assert _scores(pinned) == (1_000, {0.25}), "the pinned version is whole and unchanged"
    assert _scores(pinned_files(settings, "predictions")) == (300, {0.75})
    name = published_path(settings, "predictions", "churn", DAY)
    assert name.is_symlink() and not os.path.isabs(os.readlink(name)), (
        "a relative link: the data folder can be moved or copied"
    )


def test_versions_out_of_use_are_deleted_once_no_query_can_hold_them(tmp_path):
    settings = settings_under(tmp_path)
    name = published_path(settings, "predictions", "churn", DAY)
    versions = version_folder(settings.published_dir, name)
    publish_table(settings, "predictions", _rows(0.1), "churn", DAY)
    first = name.resolve()
    publish_table(settings, "predictions", _rows(0.2), "churn", DAY)
    second = name.resolve()
    assert sorted(versions.iterdir()) == sorted([first, second]), "just superseded: kept"

    # the first left use longer ago than any query or analyst's session on the views lasts
    long_ago = time.time() - SUPERSEDED_KEPT_SECONDS - 60
    os.utime(first, (long_ago, long_ago))
    publish_table(settings, "predictions", _rows(0.3), "churn", DAY)

    assert not first.exists() and second.exists()
    assert sorted(versions.iterdir()) == sorted([second, name.resolve()])
    assert not list(name.parent.glob(".*")), "no link left aside"


def test_sql_views_list_their_nights_versions_until_rewritten(tmp_path):
    """An analyst's query on published/scoreline.duckdb never reads a file being replaced:
    the views name versions, and the next rewrite (each night's read model) moves them on."""
    settings = settings_under(tmp_path)
    publish_table(settings, "predictions", _rows(0.25), "churn", DAY)
    write_sql_database(settings)

    def analyst() -> set[float]:
        with duckdb.connect(str(sql_database_path(settings)), read_only=True) as con:
            return {
                score for (score,) in con.sql("select distinct score from predictions").fetchall()
            }

    publish_table(settings, "predictions", _rows(0.75), "churn", DAY)
    assert analyst() == {0.25}
    write_sql_database(settings)
    assert analyst() == {0.75}


def test_a_plain_file_from_before_versions_is_read_and_then_replaced_by_a_version(tmp_path):
    settings = settings_under(tmp_path)
    name = published_path(settings, "predictions", "churn", DAY)
    name.parent.mkdir(parents=True)
    _rows(0.5).to_parquet(name)

    assert _scores(pinned_files(settings, "predictions")) == (1_000, {0.5})
    publish_table(settings, "predictions", _rows(0.6), "churn", DAY)
    assert name.is_symlink() and _scores(pinned_files(settings, "predictions"))[1] == {0.6}
