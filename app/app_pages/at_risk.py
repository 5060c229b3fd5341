"""At-risk customers: who to call, why, filtered and downloadable."""

import streamlit as st

from app import data
from app.app_pages.common import nothing_published, pick_model, pick_score_date

st.title("At-risk customers")
spec = pick_model("at_risk")
if not nothing_published():
    score_date = pick_score_date("at_risk", spec.name)
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
    rows = data.at_risk_customers(spec.name, score_date, tuple(bands), filters)
    st.caption(
        f"{len(rows):,} customers (highest scores first, at most 5,000) for {score_date}. "
        "Reasons are the features pushing each score up the most."
    )
    st.dataframe(
        rows,
        hide_index=True,
        width="stretch",
        column_config={
            "score": st.column_config.ProgressColumn("score", min_value=0, max_value=1,
                                                     format="%.2f"),
            "reasons": st.column_config.TextColumn("why", width="large"),
        },
    )  # fmt: skip
    st.download_button(
        "Download CSV",
        rows.to_csv(index=False).encode(),
        file_name=f"{spec.name}_at_risk_{score_date}.csv",
        mime="text/csv",
    )
