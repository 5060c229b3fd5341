"""Data quality: the last dbt test results and the rows kept in quarantine, with reasons."""

import streamlit as st

from app import data

st.title("Data quality")
results, generated_at = data.last_test_results()
st.subheader("Last dbt tests (feature contracts)")
if results.empty:
    st.info("No dbt run yet: `make demo` builds the warehouse and runs every contract test.")
else:
    failing = results[~results.status.isin(["pass", "success"])]
    left, right = st.columns(2)
    left.metric("Tests run", len(results), help=f"dbt run at {generated_at}")
    right.metric("Not passing", len(failing))
    if len(failing):
        st.error("Failing tests block scoring, publishing and the Redis export.")
        st.dataframe(failing, hide_index=True, width="stretch")
    with st.expander("All tests"):
        st.dataframe(results, hide_index=True, width="stretch")

st.subheader("Quarantined raw rows")
quarantine = data.quarantine_summary()
if quarantine.empty:
    st.success("No quarantined rows (or no night has run yet).")
else:
    by_reason = quarantine.groupby(["table_name", "reject_reason"], as_index=False)[
        "rejected_rows"
    ].sum()
    st.bar_chart(by_reason, x="reject_reason", y="rejected_rows", color="table_name",
                 horizontal=True)  # fmt: skip
    st.dataframe(quarantine, hide_index=True, width="stretch")
