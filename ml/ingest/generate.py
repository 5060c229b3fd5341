"""Synthetic subscription business: customers and their activity stream, one folder per day.

Churn is caused by things the features can see (falling engagement, failed payments, support
tickets, plan, channel) plus noise, so an honest model lands around ROC-AUC 0.8, never 1.0.
Everything is drawn up front per customer (vectorized), then each day is a handful of numpy
operations over the active customers, so 1M customers x 1 year takes a couple of minutes.

Layout written (the raw input contract, docs/contract.md; the vocabulary is
businesses/subscription/business.yml):
    <out>/day=YYYY-MM-DD/customers.parquet   customers first seen (signed up) that day; day 1 also
                                             holds the base that signed up before the start; no
                                             file on a day without signups
    <out>/day=YYYY-MM-DD/activities.parquet  that day's logins, sessions, purchases, support
                                             tickets, failed payments, plan changes, cancellations
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import IO

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from tqdm import tqdm

PLANS = np.array(["basic", "standard", "premium"])
PLAN_PRICES = np.array([9.99, 19.99, 39.99])
REGIONS = np.array(["north", "south", "east", "west"])
CHANNELS = np.array(["organic", "paid_search", "referral", "paid_social", "partner_app"])
CANCEL_REASONS = np.array(["price", "not_using", "switched_provider", "other"])
EVENT_TYPES = ("login", "session", "purchase", "support_ticket", "payment_failed", "plan_change")
CANCELLATION = "cancellation"  # the business's contract-ending activity
DRIFT_KINDS = ("price_increase", "new_channel", "longer_sessions")
SECONDS_PER_DAY = 86_400
# Base events per customer-day: ~100M events for 1M customers over a year (churn and dips
# pull the realised average below the base).
BASE_EVENT_RATE = 0.39


@dataclass(frozen=True)
class DriftScenario:
    """A change in the business switched on from `start` (inclusive)."""

    kind: str
    start: date

    @classmethod
    def parse(cls, text: str) -> DriftScenario:
        """Parse `kind@YYYY-MM-DD`, e.g. `price_increase@2026-05-01`."""
        kind, _, day = text.partition("@")
        if kind not in DRIFT_KINDS or not day:
            raise ValueError(
                f"drift scenario {text!r}: expected KIND@YYYY-MM-DD with KIND one of {DRIFT_KINDS}"
            )
        return cls(kind, date.fromisoformat(day))


@dataclass(frozen=True)
class GenerationSummary:
    customers: int
    activities: int
    cancellations: int
    days: int
    malformed_rows: int


def _population(
    rng: np.random.Generator,
    scenario_rng: np.random.Generator,
    n: int,
    days: int,
    start_idx_of: dict[str, int],
):
    """Draw every customer's static attributes and churn day (day index, may be >= days).

    A drift scenario draws from `scenario_rng` only, so the days before it starts are
    byte-identical to the data without it (the drift bench trains once for every scenario)."""
    existing = rng.random(n) < 0.7
    signup_idx = np.where(
        existing, -rng.integers(1, 366, n), rng.integers(0, max(days, 1), n)
    ).astype(np.int32)
    plan = rng.choice(3, n, p=[0.5, 0.35, 0.15]).astype(np.int8)
    region = rng.choice(4, n, p=[0.3, 0.25, 0.25, 0.2]).astype(np.int8)
    channel = rng.choice(4, n, p=[0.45, 0.2, 0.15, 0.2]).astype(np.int8)
    base_rate = BASE_EVENT_RATE * rng.lognormal(-0.18, 0.6, n) * np.array([0.85, 1.05, 1.3])[plan]
    # Payment risk is lopsided: most cards rarely fail, a minority fail again and again.
    risky_payer = rng.random(n) < 0.15
    pay_risk = np.where(risky_payer, rng.beta(3, 8, n), rng.beta(1, 60, n))
    pay_risk = pay_risk * np.array([1.4, 1.0, 0.7])[plan]

    new_channel_from = start_idx_of.get("new_channel")
    if new_channel_from is not None:
        # The new partner channel brings lighter users who leave faster.
        switched = (signup_idx >= new_channel_from) & (scenario_rng.random(n) < 0.45)
        channel[switched] = 4
        base_rate[switched] *= 0.55

    logit = (
        -4.3
        + np.array([0.55, 0.0, -0.45])[plan]
        + np.array([0.0, 0.15, -0.4, 0.45, 0.9])[channel]
        + 5.0 * pay_risk
        - 0.9 * np.log(base_rate / BASE_EVENT_RATE)
        + rng.normal(0, 0.45, n)
    )
    monthly_hazard = 1 / (1 + np.exp(-logit))
    daily_hazard = 1 - (1 - monthly_hazard) ** (1 / 30)
    # Geometric time-to-churn is memoryless, so the existing base (alive at the start by
    # construction) draws its remaining lifetime from day 0.
    origin = np.maximum(signup_idx, 0)
    churn_idx = origin + rng.geometric(daily_hazard).astype(np.int32)

    # Onboarding churn: some new customers never settle in and leave within weeks. A step in
    # tenure, which trees see and a linear model on tenure_days does not.
    # (Only for signups inside the window: earlier ones are, by construction, past that stage.)
    onboarding = (signup_idx >= 0) & (rng.random(n) < 0.12)
    churn_idx = np.where(
        onboarding, np.minimum(churn_idx, signup_idx + rng.integers(7, 50, n)), churn_idx
    ).astype(np.int32)

    price_from = start_idx_of.get("price_increase")
    shocked = None
    if price_from is not None:
        # A price rise pushes a slice of price-sensitive (basic/standard) customers out soon after.
        alive = (signup_idx < price_from) & (churn_idx > price_from)
        shocked = alive & (plan < 2) & (scenario_rng.random(n) < 0.12)
        churn_idx[shocked] = np.minimum(
            churn_idx[shocked], price_from + scenario_rng.integers(7, 60, shocked.sum())
        )

    # Most churners disengage first; a fifth leave abruptly (the noise a model cannot see).
    decline_days = rng.integers(10, 50, n).astype(np.int32)
    if price_from is not None:
        # the shocked disengage after the rise, not in anticipation of it
        decline_days[shocked] = np.minimum(decline_days[shocked], churn_idx[shocked] - price_from)
    decline_floor = np.where(rng.random(n) < 0.2, 1.0, rng.uniform(0.05, 0.4, n))
    # Some loyal customers dip for a while too (holidays), which keeps the task honest.
    dip_start = np.where(rng.random(n) < 0.15, rng.integers(-30, max(days, 1), n), 10**6)
    dip_len = rng.integers(14, 40, n)
    return dict(
        signup_idx=signup_idx,
        plan=plan,
        region=region,
        channel=channel,
        base_rate=base_rate,
        pay_risk=pay_risk,
        churn_idx=churn_idx,
        decline_days=decline_days,
        decline_floor=decline_floor,
        dip_start=dip_start,
        dip_len=dip_len,
    )


def _customers_table(pop: dict, ids: np.ndarray, start: date, rng: np.random.Generator):
    day0 = np.datetime64(start, "s")
    signup_at = (
        day0
        + (pop["signup_idx"][ids].astype(np.int64) * SECONDS_PER_DAY).astype("timedelta64[s]")
        + rng.integers(0, SECONDS_PER_DAY, ids.size).astype("timedelta64[s]")
    )
    plan = pop["plan"][ids]
    return pa.table(
        {
            "customer_id": pa.array(ids.astype(np.int64) + 1),
            "first_seen_at": pa.array(signup_at.astype("datetime64[us]")),
            "plan": pa.array(PLANS[plan]),
            "monthly_price": pa.array(PLAN_PRICES[plan]),
            "region": pa.array(REGIONS[pop["region"][ids]]),
            "channel": pa.array(CHANNELS[pop["channel"][ids]]),
        }
    )


def _day_events(
    pop: dict,
    t: int,
    day: date,
    rng: np.random.Generator,
    price_factor: float,
    session_factor: float = 1.0,
):
    """All events of day index `t` for active customers, as column arrays."""
    active = np.flatnonzero((pop["signup_idx"] <= t) & (pop["churn_idx"] > t))
    to_churn = pop["churn_idx"][active] - t
    declining = to_churn <= pop["decline_days"][active]
    progress = np.clip(1 - to_churn / pop["decline_days"][active], 0, 1)
    engagement = np.where(declining, 1 - progress * (1 - pop["decline_floor"][active]), 1.0)
    dip_start = pop["dip_start"][active]
    in_dip = (t >= dip_start) & (t < dip_start + pop["dip_len"][active])
    engagement = engagement * np.where(in_dip, 0.35, 1.0)
    weekday = 0.8 if day.weekday() >= 5 else 1.08

    rate = pop["base_rate"][active] * engagement * weekday
    core_n = rng.poisson(rate)
    ticket_n = rng.poisson(0.004 + 0.03 * declining * pop["decline_floor"][active].clip(0, 0.9))
    plan = pop["plan"][active]
    billing = (pop["signup_idx"][active] - t) % 30 == 0
    fail_p = np.minimum(pop["pay_risk"][active] * np.where(declining, 3.0, 1.0), 0.9)
    failed = billing & (rng.random(active.size) < fail_p)
    plan_change = rng.random(active.size) < 0.0008

    core_ids = np.repeat(active, core_n)
    core_type = rng.choice(3, core_ids.size, p=[0.5, 0.42, 0.08])
    ticket_ids = np.repeat(active, ticket_n)
    ids = np.concatenate([core_ids, ticket_ids, active[failed], active[plan_change]])
    etype = np.concatenate(
        [
            core_type,
            np.full(ticket_n.sum(), 3),
            np.full(failed.sum(), 4),
            np.full(plan_change.sum(), 5),
        ]
    ).astype(np.int8)
    n = ids.size
    amount = np.full(n, np.nan)
    duration = np.full(n, np.nan)
    is_purchase = etype == 2
    amount[is_purchase] = np.round(rng.lognormal(2.6, 0.7, is_purchase.sum()), 2)
    is_session = etype == 1
    duration[is_session] = np.round(rng.lognormal(6.3, 0.9, is_session.sum()) * session_factor)
    price = PLAN_PRICES[pop["plan"][ids]] * price_factor
    amount[etype == 4] = np.round(price[etype == 4], 2)
    new_plan = rng.integers(0, 3, plan_change.sum())
    amount[etype == 5] = np.round(PLAN_PRICES[new_plan] * price_factor, 2)
    del plan
    seconds = rng.integers(0, SECONDS_PER_DAY, n).astype("timedelta64[s]")
    event_at = np.datetime64(day, "s") + seconds
    return ids, etype, event_at, amount, duration


def _price_increase_events(pop: dict, t: int, day: date, factor: float):
    """Every active customer gets a plan_change to the new price on the day of the increase."""
    active = np.flatnonzero((pop["signup_idx"] <= t) & (pop["churn_idx"] > t))
    amount = np.round(PLAN_PRICES[pop["plan"][active]] * factor, 2)
    event_at = np.full(active.size, np.datetime64(day, "s") + np.timedelta64(1, "s"))
    etype = np.full(active.size, 5, dtype=np.int8)
    return active, etype, event_at, amount, np.full(active.size, np.nan)


def _inject_malformed(events: dict, rng: np.random.Generator, share: float, day: date) -> int:
    """Sprinkle each malformed-row kind the quarantine handles, so the demo shows them."""
    n = events["activity_id"].size
    k = int(n * share)
    if k == 0:
        return 0
    picks = rng.choice(n, size=min(6 * k, n), replace=False).reshape(-1, k) if 6 * k <= n else None
    if picks is None:
        return 0
    events["customer_id"] = events["customer_id"].astype("float64")
    events["customer_id"][picks[0]] = np.nan  # missing customer id
    events["activity_at"][picks[1]] = np.datetime64(day + timedelta(days=400), "s")  # future
    events["amount"][picks[2]] = -np.abs(np.nan_to_num(events["amount"][picks[2]], nan=5.0))
    events["activity"][picks[3]] = "mystery_event"  # not in the vocabulary
    events["customer_id"][picks[4]] = 10**12  # unknown customer
    dup = {k2: v[picks[5]] for k2, v in events.items()}
    for key, values in dup.items():
        events[key] = np.concatenate([events[key], values])
    return 6 * k


def _write(table: pa.Table, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, compression="snappy")


def generate(
    out_dir: Path,
    customers: int = 20_000,
    days: int = 180,
    start: date = date(2026, 1, 1),
    seed: int = 7,
    drifts: Sequence[DriftScenario] = (),
    malformed_share: float = 0.0,
    progress: bool = True,
    progress_file: IO[str] | None = None,
) -> GenerationSummary:
    """Write `days` day folders of synthetic raw data under `out_dir`.

    Args:
        out_dir: Raw data root; `day=YYYY-MM-DD/` folders are written below it.
        customers: Customers over the whole period (70% exist before `start`).
        days: Number of days to write, starting at `start`.
        start: First day.
        seed: Same seed and options give byte-identical data.
        drifts: Business changes switched on from a date (see `DriftScenario`).
        malformed_share: Share of each day's events replaced by each malformed kind (demo only).
        progress: Show a progress bar.
        progress_file: Where the bar goes (default: stderr).

    Returns:
        Row counts written.
    """
    rng = np.random.default_rng(seed)
    start_idx_of = {d.kind: (d.start - start).days for d in drifts}
    pop = _population(rng, np.random.default_rng([seed, 1]), customers, days, start_idx_of)
    price_from = start_idx_of.get("price_increase")
    sessions_from = start_idx_of.get("longer_sessions")
    next_activity_id = 1
    totals = dict(activities=0, cancellations=0, malformed=0)
    days_bar = tqdm(
        range(days),
        desc="generating days",
        unit="day",
        file=progress_file,
        disable=None if progress else True,  # None: no bar when not on a terminal
    )
    for t in days_bar:
        day = start + timedelta(days=t)
        day_dir = Path(out_dir) / f"day={day.isoformat()}"
        new_ids = np.flatnonzero(pop["signup_idx"] == t if t else pop["signup_idx"] <= 0)
        signups = _customers_table(pop, new_ids, start, rng)
        if signups.num_rows:  # a day without signups has no customers file
            _write(signups, day_dir / "customers.parquet")

        price_factor = 1.25 if price_from is not None and t >= price_from else 1.0
        # sessions get longer: a change only features reading session length can see
        session_factor = 1.6 if sessions_from is not None and t >= sessions_from else 1.0
        parts = [_day_events(pop, t, day, rng, price_factor, session_factor)]
        if price_from is not None and t == price_from:
            parts.append(_price_increase_events(pop, t, day, price_factor))
        ids, etype, event_at, amount, duration = (
            np.concatenate(c) for c in zip(*parts, strict=True)
        )
        order = np.argsort(event_at, kind="stable")
        events = {
            "activity_id": np.arange(next_activity_id, next_activity_id + ids.size, dtype=np.int64),
            "customer_id": ids[order].astype(np.int64) + 1,
            "activity_at": event_at[order],
            "activity": np.array(EVENT_TYPES, dtype=object)[etype[order]],
            "amount": amount[order],
            "quantity": duration[order],
        }
        next_activity_id += ids.size
        totals["malformed"] += _inject_malformed(events, rng, malformed_share, day)

        leaving = np.flatnonzero(pop["churn_idx"] == t)
        cancelled_at = np.datetime64(day, "s") + rng.integers(
            0, SECONDS_PER_DAY, leaving.size
        ).astype("timedelta64[s]")
        reasons = rng.choice(CANCEL_REASONS, leaving.size)
        cancellation_ids = np.arange(next_activity_id, next_activity_id + leaving.size)
        next_activity_id += leaving.size
        no_number = np.full(leaving.size, np.nan)
        _write(
            pa.table(
                {
                    "activity_id": pa.array(
                        np.concatenate([events["activity_id"], cancellation_ids]), type=pa.int64()
                    ),
                    # float only after malformed injection: NaN becomes a null id
                    "customer_id": pa.array(
                        np.concatenate([events["customer_id"], leaving + 1]),
                        type=pa.int64(), from_pandas=True,
                    ),
                    "activity_at": pa.array(
                        np.concatenate([events["activity_at"], cancelled_at]).astype(
                            "datetime64[us]"
                        )
                    ),
                    "activity": pa.array(
                        np.concatenate([events["activity"], np.full(leaving.size, CANCELLATION)]),
                        type=pa.string(),
                    ),
                    "amount": pa.array(
                        np.concatenate([events["amount"], no_number]), from_pandas=True
                    ),
                    "quantity": pa.array(
                        np.concatenate([events["quantity"], no_number]), from_pandas=True
                    ),
                    # the declared activity attribute: why a customer cancelled
                    "reason": pa.concat_arrays(
                        [pa.nulls(events["activity_id"].size, pa.string()),
                         pa.array(reasons, type=pa.string())]
                    ),
                }
            ),
            day_dir / "activities.parquet",
        )  # fmt: skip
        totals["activities"] += events["activity_id"].size + leaving.size
        totals["cancellations"] += leaving.size
    return GenerationSummary(
        customers=customers,
        activities=totals["activities"],
        cancellations=totals["cancellations"],
        days=days,
        malformed_rows=totals["malformed"],
    )
