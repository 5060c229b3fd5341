"""Feature catalog: every feature, its meaning, window and version, from dbt's manifest."""

import streamlit as st

from app import data

st.title("Feature catalog")
catalog = data.feature_catalog()
if catalog.empty:
    st.info("No dbt manifest yet: `make demo` (or `scoreline docs`) writes it.")
    st.stop()
versions = sorted(catalog.version.dropna().unique())
version = st.sidebar.selectbox(
    "Feature version", versions, index=len(versions) - 1, key="feature_catalog_version"
)
query = st.sidebar.text_input("Search", key="feature_catalog_search")
shown = catalog[catalog.version == version]
if query:
    mask = shown.feature.str.contains(query, case=False) | shown.description.str.contains(
        query, case=False
    )
    shown = shown[mask]
st.caption(
    f"{len(shown)} columns of customer_features v{version}"
    + (" (latest)" if shown.latest.any() else "")
    + ". A change in logic is a new version; released versions never change."
)
st.dataframe(
    shown[["feature", "type", "window", "owner", "description"]],
    hide_index=True,
    width="stretch",
    column_config={"description": st.column_config.TextColumn(width="large")},
)
