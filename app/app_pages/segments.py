"""Segments: risk and realized outcomes by each categorical attribute of the business."""

import altair as alt
import streamlit as st

from app import data
from app.app_pages.common import nothing_published, pick_model, pick_score_date


def _share_bars(frame, column: str, title: str) -> None:
    st.altair_chart(
        alt.Chart(frame).mark_bar().encode(
            x=alt.X(f"{column}:Q", title=title, axis=alt.Axis(format="%")),
            y=alt.Y("segment:N", sort="-x", title=None),
            tooltip=["segment", alt.Tooltip(f"{column}:Q", format=".2%")],
        ),
        width="stretch",
    )  # fmt: skip


st.title("Segments")
spec = pick_model("segments")
if not nothing_published():
    score_date = pick_score_date("segments", spec.name)
    dimensions = data.segment_dimensions()
    if not dimensions:
        st.info("This business declares no categorical customer attribute to segment by.")
        st.stop()
    dimension = st.sidebar.radio("Segment by", dimensions, key="segments_by")
    risk = data.segment_risk(spec.name, score_date, spec.high_risk_threshold, dimension)
    realized = data.realized_rate_by_segment(spec.name, dimension)
    st.subheader(f"Risk by {dimension} on {score_date}")
    _share_bars(risk, "high_risk_share", "high-risk share")
    st.dataframe(
        risk, hide_index=True, width="stretch",
        column_config={"mean_score": st.column_config.NumberColumn("mean score", format="%.3f"),
                       "high_risk_share": st.column_config.NumberColumn("high-risk share",
                                                                        format="percent")},
    )  # fmt: skip
    st.subheader(f"Realized {spec.name} rate by {dimension}")
    if realized.empty:
        st.info("No score date has a matured label window yet (it takes the label horizon).")
    else:
        _share_bars(realized, "realized_rate", "realized rate")
        st.dataframe(
            realized, hide_index=True, width="stretch",
            column_config={"realized_rate": st.column_config.NumberColumn("realized rate",
                                                                          format="percent")},
        )  # fmt: skip
