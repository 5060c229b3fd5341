"""Render time of every reports page against a data directory (cold cache, then warm).

    SCORELINE_DATA_DIR=data/bench-pipeline-1000000 .venv/bin/python -m bench.app_bench

Uses Streamlit's AppTest, which runs each page's script exactly as the server does (queries,
aggregation, chart building), without the browser's drawing time.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import duckdb
import streamlit as st
from streamlit.testing.v1 import AppTest

from bench.warehouse_bench import dbt_import_seconds
from ml.config import Settings
from ml.scoring.publish import published_glob

APP = str(Path(__file__).resolve().parents[1] / "app" / "streamlit_app.py")
PAGES = ["overview", "at_risk", "segments", "model_health", "drift", "data_quality",
         "feature_catalog"]  # fmt: skip


def render(page: str) -> float:
    app = AppTest.from_file(APP, default_timeout=120)
    app.switch_page(f"app_pages/{page}.py")
    started = time.perf_counter()
    app.run()
    seconds = time.perf_counter() - started
    if app.exception:
        raise RuntimeError(f"{page}: {app.exception}")
    return seconds


def main() -> None:
    settings = Settings.from_env()
    scored = duckdb.execute(
        f"select count(*) from read_parquet('{published_glob(settings, 'predictions')}') "
        "where not is_shadow"
    ).fetchone()[0]
    print(f"{settings.data_dir}: {scored:,} published champion rows")
    print(
        f"machine yardstick (Python): a fresh process imported dbt in {dbt_import_seconds():.1f} s"
        " (bench/warehouse_bench.py; compare runs by it)"
    )
    for page in PAGES:
        st.cache_data.clear()
        cold = render(page)
        warm = render(page)
        print(f"{page:16s} cold {cold:5.2f} s   warm {warm:5.2f} s")


if __name__ == "__main__":
    os.environ.setdefault("SCORELINE_DATA_DIR", "data")
    main()
