"""Segments: risk and realized outcomes by each categorical attribute of the business."""

import streamlit as st

from app import data
from app.app_pages.common import nothing_published, pick_model, pick_score_date

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
    st.bar_chart(risk.set_index("segment")[["high_risk_share"]], y_label="high-risk share")
    st.dataframe(risk, hide_index=True, width="stretch")
    st.subheader(f"Realized {spec.name} rate by {dimension}")
    if realized.empty:
        st.info("No score date has a matured label window yet (it takes the label horizon).")
    else:
        st.bar_chart(realized.set_index("segment")[["realized_rate"]], y_label="realized rate")
        st.dataframe(realized, hide_index=True, width="stretch")
