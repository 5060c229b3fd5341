"""Drift: how far each day's inputs and scores moved from what the model was trained on."""

from pathlib import Path

import altair as alt
import pandas as pd
import streamlit as st

from app import data
from app.app_pages.common import date_axis, nothing_published, pick_model

st.title("Drift")
spec = pick_model("drift")
if not nothing_published("drift_history"):
    history = data.history("drift_history", spec.name)
    latest = history.iloc[-1]
    alarms = history[history.alarm]
    left, middle, right = st.columns(3)
    left.metric("Latest score date", str(latest.score_date.date()))
    middle.metric("Features drifted", f"{latest.share_drifted:.0%}",
                  help=f"alarm at {spec.drift.feature_drift_share:.0%}")  # fmt: skip
    right.metric("Score drift", f"{latest.prediction_drift:.3f}",
                 help=f"alarm at {spec.drift.prediction_drift_threshold}")  # fmt: skip
    if latest.alarm:
        st.error("Drift alarm: " + "; ".join(latest.reasons))
    elif not alarms.empty:
        st.warning(f"Alarms on {', '.join(str(d.date()) for d in alarms.score_date)}")
    else:
        st.success("No drift alarm on any score date.")

    st.subheader("Drift history")
    thresholds = {
        "share_drifted": ("share of features drifted", spec.drift.feature_drift_share),
        "prediction_drift": ("score drift", spec.drift.prediction_drift_threshold),
    }
    for measure, (title, threshold) in thresholds.items():
        line = (
            alt.Chart(history)
            .mark_line(point=True)
            .encode(
                x=date_axis("score_date"),
                y=alt.Y(f"{measure}:Q", title=title),
                tooltip=[alt.Tooltip("score_date:T", format="%Y-%m-%d"), measure, "alarm"],
            )
        )
        # the alarm level as a horizontal line across the chart
        level = (
            alt.Chart(pd.DataFrame({"alarm at": [threshold]}))
            .mark_rule(color="#e6550d", strokeDash=[4, 4])
            .encode(y="alarm at:Q")
        )
        st.altair_chart(line + level, width="stretch")

    features = data.history("feature_drift", spec.name)
    on_latest = features[features.score_date == latest.score_date]
    st.subheader(f"Per feature on {latest.score_date.date()}")
    st.dataframe(
        on_latest[["feature", "method", "value", "threshold", "drifted"]].sort_values(
            "value", ascending=False
        ),
        hide_index=True,
        width="stretch",
    )
    st.subheader("Latest Evidently report")
    report = Path(latest.report_html)
    if report.is_file():
        # Evidently's own report (written by the pipeline, not by users): its script runs
        st.iframe(report, height=900)
    else:
        st.caption(f"Report file not found: {report}")
