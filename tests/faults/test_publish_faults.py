"""Publishing under faults: a publisher killed with SIGKILL at any point, a disk that fills up.
Readers keep a whole file (the old one or the new one), every row of it, and the next publish
cleans what a dead one left."""

from __future__ import annotations

import subprocess
import time
from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ml.config import Settings
from ml.scoring.publish import SCHEMA, PublishError, publish_table, published_path
from tests.faults.conftest import child, kill_9

DAY = date(2026, 6, 1)
OLD_ROWS, NEW_ROWS = 1_000, 300_000
OLD_SCORE = 0.25


def predictions(rows: int, scores: np.ndarray | float) -> pa.Table:
    return pa.table(
        {
            "customer_id": pa.array([f"c{i}" for i in range(rows)]),
            "score_date": pa.array([DAY] * rows, pa.date32()),
            "score": pa.array(np.broadcast_to(scores, rows), pa.float64()),
            "risk_band": pa.array(["low"] * rows),
            "model_name": pa.array(["churn"] * rows),
            "model_version": pa.array([1] * rows, pa.int64()),
            "feature_version": pa.array([3] * rows, pa.int64()),
            "reasons": pa.array([["days since last activity = 41"]] * rows, pa.list_(pa.string())),
            "is_shadow": pa.array([False] * rows),
        },
        schema=SCHEMA,
    )


def settings_in(folder) -> Settings:
    return Settings.from_env({"SCORELINE_DATA_DIR": str(folder)})


def staged(settings: Settings) -> list[str]:
    return sorted(p.name for p in (settings.published_dir / ".staging").glob("*"))


PUBLISHER = """
import sys
from ml.config import Settings
from ml.scoring.publish import publish_table
from tests.faults.test_publish_faults import DAY, NEW_ROWS, predictions
settings = Settings.from_env({{"SCORELINE_DATA_DIR": {folder!r}}})
table = predictions(NEW_ROWS, 0.75)
print("ready", flush=True)
while True:  # publish again and again: the kill lands in a write, an fsync or a rename
    publish_table(settings, "predictions", table, "churn", DAY)
"""


@pytest.mark.parametrize("after_seconds", [0.0, 0.05, 0.2, 0.45, 0.9])
def test_a_publish_killed_at_any_point_leaves_a_whole_file_and_no_leftover(tmp_path, after_seconds):
    settings = settings_in(tmp_path)
    publish_table(settings, "predictions", predictions(OLD_ROWS, OLD_SCORE), "churn", DAY)
    publisher = child(PUBLISHER.format(folder=str(tmp_path)))
    assert publisher.stdout.readline().strip() == "ready"
    time.sleep(after_seconds)
    kill_9(publisher)

    # what a reader opens now is whole, and is one of the two versions with all its rows
    served = pq.read_table(published_path(settings, "predictions", "churn", DAY))
    scores = frozenset(served.column("score").to_pylist())
    assert (served.num_rows, scores) in {(OLD_ROWS, frozenset([OLD_SCORE])),
                                         (NEW_ROWS, frozenset([0.75]))}  # fmt: skip
    # the next publish removes the dead publisher's temporary file or link, if it left one
    target = publish_table(settings, "predictions", predictions(OLD_ROWS, OLD_SCORE), "churn", DAY)
    assert staged(settings) == []
    assert [p.name for p in target.parent.iterdir()] == [target.name]


@pytest.fixture
def small_disk(tmp_path):
    """The published folder on a 3 MB tmpfs: a publish can run out of space mid-write."""
    folder = tmp_path / "published"
    folder.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(folder)],
        capture_output=True, text=True,
    )  # fmt: skip
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here (needs root): {mounted.stderr.strip()}")
    yield tmp_path
    subprocess.run(["umount", "--lazy", str(folder)], check=True)


def test_a_full_disk_fails_the_publish_by_name_and_keeps_the_previous_file(small_disk):
    settings = settings_in(small_disk)
    target = publish_table(settings, "predictions", predictions(OLD_ROWS, OLD_SCORE), "churn", DAY)
    before = target.read_bytes()
    noise = np.random.default_rng(7).random(NEW_ROWS)  # incompressible: ~2.4 MB of scores alone

    with pytest.raises(PublishError) as failed:
        publish_table(settings, "predictions", predictions(NEW_ROWS, noise), "churn", DAY)

    message = str(failed.value)
    assert "could not publish predictions of churn for 2026-06-01" in message
    assert "No space left on device" in message and "readers still see the previous" in message
    assert target.read_bytes() == before, "the last good file is untouched"
    assert staged(settings) == [], "the partial temporary file is gone, freeing the space"
