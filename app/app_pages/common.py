"""Widgets every page shares: the model picker, the score date picker, the empty state."""

import streamlit as st

from app import data


def pick_model(page: str):
    """The model the page shows (kept per page in session state)."""
    names = data.model_names()
    name = st.sidebar.selectbox("Model", names, key=f"{page}_model")
    return data.specs()[name]


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
    dates = data.score_dates(model)
    return st.sidebar.selectbox(
        "Score date", list(reversed(dates)), key=f"{page}_date", format_func=str
    )
