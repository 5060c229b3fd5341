"""At-risk customers: who to call, why, filtered and downloadable."""

import streamlit as st

from app import data
from app.app_pages.common import health_banner, nothing_published, pick_model, pick_score_date

st.title("At-risk customers")
spec = pick_model("at_risk")
if not nothing_published():
    score_date = pick_score_date("at_risk", spec.name)
    health_banner(spec)
    values = data.segment_values()
    bands = st.sidebar.multiselect(
        "Risk band", ["high", "medium", "low"], default=["high"], key="at_risk_bands"
    )
    filters = tuple(
        (
            column,
            tuple(
                st.sidebar.multiselect(
                    column.replace("_", " ").title(), choices, key=f"at_risk_{column}"
                )
            ),
        )  # fmt: skip
        for column, choices in values.items()
    )
    rows = data.at_risk_customers(spec.name, score_date, tuple(bands), filters,
                                  threshold=spec.high_risk_threshold)  # fmt: skip
    value = data.value_attribute()
    if value is None:
        rows = rows.drop(columns=["value_at_stake"])
    left, middle, right = st.columns(3)
    left.metric("Customers listed", f"{len(rows):,}")
    if value is not None:
        middle.metric(
            "Value at stake", f"{rows.value_at_stake.sum():,.0f}",
            help=f"score x {value} (the business's declared customer value), summed",
        )  # fmt: skip
    if rows.since_previous.notna().any():
        right.metric("New since the previous date", f"{(rows.since_previous == 'new').sum():,}")
    st.caption(
        f"For {score_date}, "
        + (f"ranked by value at stake (score x {value}); " if value else "highest scores first; ")
        + "at most 5,000. Since previous: new (entered the high-risk set or first scored), up "
        f"or down (moved {data.SCORE_MOVE:.2f} or more), same. Reasons are the features "
        "pushing each score up the most."
    )
    st.dataframe(
        rows,
        hide_index=True,
        width="stretch",
        column_config={
            "score": st.column_config.ProgressColumn("score", min_value=0, max_value=1,
                                                     format="%.2f"),
            "value_at_stake": st.column_config.NumberColumn("value at stake", format="%.2f"),
            "since_previous": st.column_config.TextColumn("since previous date"),
            "previous_score": st.column_config.NumberColumn("previous score", format="%.2f"),
            "reasons": st.column_config.TextColumn("why", width="large"),
        },
    )  # fmt: skip
    st.download_button(
        "Download CSV",
        rows.to_csv(index=False).encode(),
        file_name=f"{spec.name}_at_risk_{score_date}.csv",
        mime="text/csv",
    )
