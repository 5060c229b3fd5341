"""Widgets every page shares: the model picker, the score date picker, the empty state."""

import altair as alt
import streamlit as st

from app import data


def _kept(choice: str, options: list, label: str, page: str, **kwargs):
    """A sidebar selectbox whose choice follows the user from page to page: Streamlit forgets a
    widget's value when its page is left, so the choice is kept under a key of its own."""
    kept = st.session_state.get(f"chosen_{choice}")
    index = options.index(kept) if kept in options else 0
    picked = st.sidebar.selectbox(label, options, index=index, key=f"{page}_{choice}", **kwargs)
    st.session_state[f"chosen_{choice}"] = picked
    return picked


def pick_model(page: str):
    """The model the page shows (the one picked on any page before)."""
    return data.specs()[_kept("model", data.model_names(), "Model", page)]


def nothing_published(what: str = "predictions") -> bool:
    """Show the empty state and return True when nothing is published yet."""
    if data.has_published(what):
        return False
    st.info(
        f"No {what.replace('_', ' ')} published yet. Run the pipeline first: `make demo`, or "
        "`scoreline nightly` once raw data has landed. This page fills in by itself."
    )
    return True


def pick_score_date(page: str, model: str):
    """The score date the page shows (the one picked on any page before, else the newest)."""
    return _kept("score_date", list(reversed(data.score_dates(model))), "Score date", page,
                 format_func=str)  # fmt: skip


def date_axis(field: str, title: str = "score date") -> alt.X:
    """A date axis by day (Vega's default shows "12 PM" ticks between daily points)."""
    return alt.X(
        f"yearmonthdate({field}):T", title=title,
        axis=alt.Axis(format="%b %d", labelAngle=0, tickCount={"interval": "day", "step": 1}),
    )  # fmt: skip


def health_banner(spec) -> None:
    """What a manager must know before acting on a list: a drift alarm or warning on the
    model's latest score date, and scores older than another model's (its last night was
    blocked or failed)."""
    drift = data.history("drift_history", spec.name)
    latest = drift.iloc[-1] if not drift.empty else None
    if latest is not None and bool(latest.alarm):
        st.error(
            f"Drift alarm on {latest.score_date.date()}: "
            + "; ".join(latest.reasons)
            + ". Scores may be less reliable until the model is retrained (see Drift)."
        )
    elif latest is not None and latest.get("status") == "warning":
        st.warning(
            f"Drift warning on {latest.score_date.date()}: "
            + "; ".join(latest.warnings)
            + ". The scores stand; worth knowing before acting on them (see Drift)."
        )
    newest = {name: dates[-1] for name in data.model_names() if (dates := data.score_dates(name))}
    mine = newest.get(spec.name)
    landed = data.newest_raw_score_date()
    if (
        mine is not None
        and landed is not None
        and (landed - mine).days > (spec.checks.max_score_age_days)
    ):
        st.warning(
            f"{spec.name}'s newest scores are from {mine}, but raw data has landed for scoring "
            f"{landed}: {(landed - mine).days} nights have not published (the spec allows "
            f"{spec.checks.max_score_age_days} days). Applications reading Redis get the safe "
            "default once the export expires. See the Dagster UI."
        )
    elif mine is not None and mine < max(newest.values()):
        st.warning(
            f"{spec.name}'s newest scores are from {mine}, other models' from "
            f"{max(newest.values())}: its last night was blocked or failed (see the Dagster UI), "
            "so this list is older."
        )
