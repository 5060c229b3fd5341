"""Map the CDNOW purchase log onto Scoreline's raw input contract: data preparation, not
Scoreline code (any business would write its own).

The log ships inside the `lifetimes` 0.11.3 wheel on PyPI (lifetimes/datasets/CDNOW_master.txt:
customer id, YYYYMMDD date, CDs bought, dollars paid; 69,659 lines of 23,570 customers). The
wheel is fetched by package name with pip into a cache folder, never vendored. Written:

    <raw>/day=YYYY-MM-DD/customers.parquet    customers whose first purchase is that day
                                              (first_seen_at: its midnight)
    <raw>/day=YYYY-MM-DD/activities.parquet   that day's purchase lines (activity 'purchase',
                                              amount: dollars, quantity: CDs)

    python businesses/cdnow/prepare.py --raw-dir data/cdnow/raw --cache-dir data/cdnow/cache
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd

WHEEL = "lifetimes==0.11.3"
MASTER = "lifetimes/datasets/CDNOW_master.txt"
SAMPLE_SUMMARY = "lifetimes/datasets/cdnow_customers_summary.csv"


def fetch_dataset(cache_dir: Path, member: str = MASTER) -> Path:
    """One file of the lifetimes wheel, downloaded from PyPI once into `cache_dir`."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    target = cache_dir / Path(member).name
    if target.exists():
        return target
    wheels = list(cache_dir.glob("[Ll]ifetimes-0.11.3-*.whl"))
    if not wheels:
        command = [sys.executable, "-m", "pip", "download", WHEEL, "--no-deps", "--quiet",
                   "--dest", str(cache_dir)]  # fmt: skip
        result = subprocess.run(command, capture_output=True, text=True)
        wheels = list(cache_dir.glob("[Ll]ifetimes-0.11.3-*.whl"))
        if result.returncode != 0 or not wheels:
            raise RuntimeError(
                f"could not download {WHEEL} from PyPI into {cache_dir} (`{' '.join(command)}`): "
                f"{result.stderr.strip()[-500:]}"
            )
    with zipfile.ZipFile(wheels[0]) as wheel:
        target.write_bytes(wheel.read(member))
    return target


def read_purchases(master: Path) -> pd.DataFrame:
    """One row per purchase line: customer_id, date (midnight), cds, dollars."""
    frame = pd.read_csv(
        master, sep=r"\s+", header=0, names=["customer_id", "date", "cds", "dollars"],
        dtype={"customer_id": "int64", "date": "string"},
    )  # fmt: skip
    frame["date"] = pd.to_datetime(frame["date"], format="%Y%m%d")
    return frame


def write_raw(purchases: pd.DataFrame, raw_dir: Path) -> tuple[int, int]:
    """Write the day folders; returns (customers, activities) written."""
    first_seen = purchases.groupby("customer_id").date.min().rename("first_seen_at").reset_index()
    activities = pd.DataFrame(
        {
            "activity_id": range(1, len(purchases) + 1),
            "customer_id": purchases.customer_id,
            "activity_at": purchases.date.astype("datetime64[us]"),
            "activity": "purchase",
            "amount": purchases.dollars.astype("float64"),
            "quantity": purchases.cds.astype("float64"),
        }
    )
    for day, rows in activities.groupby(activities.activity_at.dt.date):
        folder = raw_dir / f"day={day}"
        folder.mkdir(parents=True, exist_ok=True)
        rows.to_parquet(folder / "activities.parquet", index=False)
    first_seen["first_seen_at"] = first_seen.first_seen_at.astype("datetime64[us]")
    for day, rows in first_seen.groupby(first_seen.first_seen_at.dt.date):
        rows.to_parquet(raw_dir / f"day={day}" / "customers.parquet", index=False)
    return len(first_seen), len(activities)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raw-dir", type=Path, required=True, help="where day folders go")
    parser.add_argument("--cache-dir", type=Path, required=True, help="where the wheel is kept")
    args = parser.parse_args(argv)
    if any(args.raw_dir.glob("day=*")):
        print(f"{args.raw_dir} already holds day folders; remove them to map again")
        return 0
    purchases = read_purchases(fetch_dataset(args.cache_dir))
    customers, activities = write_raw(purchases, args.raw_dir)
    print(f"wrote {customers:,} customers and {activities:,} purchases to {args.raw_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
