"""Drift: how far each day's inputs and scores moved from what the model was trained on."""

import altair as alt
import streamlit as st
import streamlit.components.v1 as components

from app import data
from app.app_pages.common import nothing_published, pick_model

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
    long = history.melt(
        id_vars=["score_date", "alarm"], value_vars=["share_drifted", "prediction_drift"],
        var_name="measure", value_name="value",
    )  # fmt: skip
    thresholds = {"share_drifted": spec.drift.feature_drift_share,
                  "prediction_drift": spec.drift.prediction_drift_threshold}  # fmt: skip
    long["threshold"] = long.measure.map(thresholds)
    base = alt.Chart(long).encode(x=alt.X("score_date:T", title="score date"))
    st.altair_chart(
        (
            base.mark_line(point=True).encode(y="value:Q", color="measure:N",
                                              tooltip=["score_date", "measure", "value"])
            + base.mark_rule(strokeDash=[4, 4]).encode(y="threshold:Q", color="measure:N")
        ).facet(row="measure:N").resolve_scale(y="independent"),
        width="stretch",
    )  # fmt: skip

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
    try:
        components.html(open(latest.report_html).read(), height=900, scrolling=True)
    except OSError:
        st.caption(f"Report file not found: {latest.report_html}")
