"""Overview: how many customers were scored, how many are at high risk, and the trend."""

import altair as alt
import streamlit as st

from app import data
from app.app_pages.common import (
    date_axis,
    health_banner,
    nothing_published,
    pick_model,
    pick_score_date,
)

st.title("Overview")
spec = pick_model("overview")
if not nothing_published():
    score_date = pick_score_date("overview", spec.name)
    health_banner(spec)
    summary = data.daily_summary(spec.name, spec.high_risk_threshold)
    today = summary[summary.score_date.dt.date == score_date].iloc[0]
    previous = summary[summary.score_date.dt.date < score_date].tail(1)
    delta = None if previous.empty else int(today.high_risk - previous.high_risk.iloc[0])
    st.caption(f"{spec.description} Score date {score_date}, model version {today.model_version}.")
    left, middle, right = st.columns(3)
    left.metric("Customers scored", f"{int(today.customers):,}")
    middle.metric(
        f"High risk (score >= {spec.high_risk_threshold:.2f})",
        f"{int(today.high_risk):,}",
        delta=delta,
        delta_color="inverse",
    )
    right.metric("High-risk share", f"{today.high_risk_share:.1%}")

    st.subheader("Risk distribution")
    histogram = data.score_histogram(spec.name, score_date)
    st.altair_chart(
        alt.Chart(histogram)
        .mark_bar()
        .encode(
            x=alt.X("score_bin:Q", title="score", bin=alt.Bin(step=0.05, extent=[0, 1])),
            # a log scale: the high band is a few hundred customers beside tens of thousands
            y=alt.Y(
                "customers:Q",
                title="customers (log scale)",
                scale=alt.Scale(type="symlog"),
                axis=alt.Axis(values=[10**k for k in range(8)], format=","),
            ),
            color=alt.Color(
                "risk_band:N",
                title="risk band",
                scale=alt.Scale(
                    domain=["low", "medium", "high"], range=["#9ecae1", "#fdae6b", "#e6550d"]
                ),
            ),
            tooltip=["score_bin", "risk_band", "customers"],
        ),  # fmt: skip
        width="stretch",
    )
    st.subheader("High-risk share over score dates")
    st.altair_chart(
        alt.Chart(summary)
        .mark_line(point=True)
        .encode(
            x=date_axis("score_date"),
            y=alt.Y("high_risk_share:Q", title="high-risk share", axis=alt.Axis(format="%")),
            tooltip=[alt.Tooltip("score_date:T", format="%Y-%m-%d"),
                     alt.Tooltip("high_risk_share:Q", format=".2%"), "high_risk"],
        ),
        width="stretch",
    )  # fmt: skip
