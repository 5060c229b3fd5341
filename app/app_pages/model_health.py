"""Model health: who is champion, how each version validated, how scores held up in reality."""

from datetime import timedelta

import altair as alt
import pandas as pd
import streamlit as st

from app import data
from app.app_pages.common import date_axis, pick_model

st.title("Model health")
spec = pick_model("model_health")
registry = data.model_registry(spec.name)
if not registry["versions"]:
    st.info(f"No {spec.name} model is registered yet: run `make demo` or the training job.")
    st.stop()

left, right = st.columns(2)
left.metric("Champion", f"v{registry['champion']}" if registry["champion"] else "none")
right.metric("Challenger", f"v{registry['challenger']}" if registry["challenger"] else "none")
if registry["champion"] and registry["champion"] == registry["challenger"]:
    st.caption(
        "Champion and challenger are the same version: no version has been trained since the "
        "champion was promoted. The next training registers a challenger, and the gate decides."
    )

versions = pd.DataFrame(registry["versions"])
performance = data.history("performance_history", spec.name)
st.subheader("Validation and realized ROC-AUC")
# Realized ROC-AUC by score date against each served version's validation ROC-AUC as a level:
# the question is whether reality keeps up with what the model promised when promoted.
served = {registry["champion"], registry["challenger"]} - {None}
levels = (
    versions[versions.version.isin(served)]
    .assign(measure=lambda v: "validation ROC-AUC of v" + v.version.astype(str))[
        ["measure", "validation_roc_auc"]
    ]
    .dropna()
)
layers = [
    alt.Chart(levels)
    .mark_rule(strokeDash=[4, 4])
    .encode(
        y=alt.Y(
            "validation_roc_auc:Q",
            title="ROC-AUC",
            scale=alt.Scale(domain=[0.5, 1]),
            axis=alt.Axis(format=".2f"),
        ),
        color=alt.Color("measure:N", title=None, legend=alt.Legend(orient="bottom", labelLimit=0)),
        tooltip=["measure", alt.Tooltip("validation_roc_auc:Q", format=".3f")],
    )
]
if not performance.empty:
    # points as well as lines: one matured date is one point, which a line alone never draws
    realized = performance.assign(measure="realized ROC-AUC (matured score dates)")
    layers.append(
        alt.Chart(realized)
        .mark_line(point=alt.OverlayMarkDef(size=80))
        .encode(
            x=date_axis("score_date"),
            y=alt.Y("roc_auc:Q", scale=alt.Scale(domain=[0.5, 1])),
            color=alt.Color("measure:N"),
            tooltip=[
                alt.Tooltip("score_date:T", format="%Y-%m-%d"),
                "model_version",
                alt.Tooltip("roc_auc:Q", format=".3f"),
            ],
        )
    )
st.altair_chart(alt.layer(*layers), width="stretch")
if performance.empty:
    dates = data.score_dates(spec.name)
    horizon = spec.label.horizon_days
    st.caption(
        f"Realized metrics appear once a score date's {horizon}-day label window has passed: "
        + (
            f"the first published date, {dates[0]}, is measured by the night of "
            f"{dates[0] + timedelta(days=horizon)}."
            if dates
            else "no score date is published yet."
        )
    )
else:
    shown = performance.drop(columns=["model_name"]).dropna(axis="columns", how="all")
    st.dataframe(
        shown.assign(score_date=shown.score_date.dt.date), hide_index=True, width="stretch"
    )

if spec.ab_test.challenger_share > 0:
    st.subheader("A/B: the challenger's arm against the champion's")
    arms = (
        performance.dropna(subset=["challenger_roc_auc"])
        if "challenger_roc_auc" in performance.columns
        else performance.iloc[0:0]
    )
    if arms.empty:
        st.caption(
            f"On: a stable {spec.ab_test.challenger_share:.0%} of customers is served the "
            "challenger while it differs from the champion; the arms compare here once a "
            "score date's labels mature."
        )
    else:
        latest = arms.iloc[-1]
        low, high = latest.arm_difference_low, latest.arm_difference_high
        verdict = (
            "the challenger is better" if low > 0
            else "the challenger is worse" if high < 0
            else "no difference shown yet"
        )  # fmt: skip
        st.caption(
            f"{latest.score_date.date()}: challenger v{int(latest.challenger_version)} minus "
            f"champion v{int(latest.model_version)} realized ROC-AUC "
            f"{latest.arm_difference:+.3f} (95% interval {low:+.3f} to {high:+.3f}): {verdict}."
        )
        st.dataframe(
            arms[["score_date", "model_version", "rows", "roc_auc", "challenger_version",
                  "challenger_rows", "challenger_roc_auc", "arm_difference",
                  "arm_difference_low", "arm_difference_high"]],
            hide_index=True, width="stretch",
        )  # fmt: skip

st.subheader("Champion and challenger history")
history = pd.DataFrame(registry["history"])
if history.empty:
    st.caption("No alias moves recorded.")
else:
    st.dataframe(history.iloc[::-1], hide_index=True, width="stretch")
st.dataframe(versions.drop(columns=["run_id"]), hide_index=True, width="stretch")

champion = next((v for v in registry["versions"] if v["version"] == registry["champion"]), None)
if champion:
    st.subheader(f"Champion v{champion['version']}: calibration and feature importance")
    left, right = st.columns(2)
    for column, plot in ((left, "calibration.png"), (right, "feature_importance.png")):
        path = data.model_plot(champion["run_id"], plot)
        if path:
            column.image(path, width="stretch")
