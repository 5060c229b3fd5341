"""Drift: how far each night's inputs and scores moved from the champion's reference, against
levels calibrated on the model's own clean history (docs/operations.md, Drift)."""

from pathlib import Path

import altair as alt
import streamlit as st

from app import data
from app.app_pages.common import date_axis, nothing_published, pick_model

STATUS = {"ok": "OK", "warning": "Warning", "alarm": "Alarm"}


def _status(row) -> str:
    # rows published before calibration carry only the alarm flag
    status = row.get("status")
    return status if isinstance(status, str) else ("alarm" if row.alarm else "ok")


st.title("Drift")
spec = pick_model("drift")
if not nothing_published("drift_history"):
    history = data.history("drift_history", spec.name)
    history = history.assign(status=[_status(row) for _, row in history.iterrows()])
    latest = history.iloc[-1]
    features = data.history("feature_drift", spec.name)
    on_latest = features[features.score_date == latest.score_date]
    score = on_latest[on_latest.feature == "score"]

    left, middle, right, far = st.columns(4)
    left.metric("Latest score date", str(latest.score_date.date()))
    middle.metric("Status", STATUS[latest.status],
                  help="warning: news, never retrains; alarm: may retrain (the spec's "
                  "automatic_retraining)")  # fmt: skip
    right.metric("Features at warning or above", f"{latest.share_drifted:.0%}",
                 help=f"alarm at {spec.drift.feature_drift_share:.0%}")  # fmt: skip
    if not score.empty and "warning_level" in score.columns:
        far.metric("Score drift", f"{latest.prediction_drift:.3f}",
                   help=f"warning at {score.warning_level.iloc[0]:.3f}, alarm at "
                   f"{score.threshold.iloc[0]:.3f} (calibrated for a model "
                   f"{int(latest.lag_days)} days from its reference)")  # fmt: skip
    else:
        far.metric("Score drift", f"{latest.prediction_drift:.3f}")
    if latest.status == "alarm":
        st.error("Drift alarm: " + "; ".join(latest.reasons))
    if latest.status != "ok" and len(latest.get("warnings", [])):
        st.warning("Drift warning: " + "; ".join(latest.warnings))
    earlier = history.iloc[:-1]
    if latest.status == "ok":
        flagged = earlier[earlier.status != "ok"]
        if flagged.empty:
            st.success("No drift warning or alarm on any score date.")
        else:
            st.info(
                "Earlier: " + ", ".join(
                    f"{STATUS[s].lower()} on {d.date()}"
                    for d, s in zip(flagged.score_date, flagged.status, strict=True)
                )
            )  # fmt: skip

    st.subheader("Score drift and its calibrated levels")
    if "warning_level" in features.columns:
        scores = features[features.feature == "score"].dropna(subset=["warning_level"])
        levels = scores.melt(
            id_vars=["score_date"],
            value_vars=["value", "warning_level", "threshold"],
            var_name="series",
            value_name="distance",
        ).replace({"value": "score drift", "warning_level": "warning at", "threshold": "alarm at"})
        st.altair_chart(
            alt.Chart(levels).mark_line(point=True).encode(
                x=date_axis("score_date"),
                y=alt.Y("distance:Q", title="normed Wasserstein distance"),
                color=alt.Color("series:N", scale=alt.Scale(
                    domain=["score drift", "warning at", "alarm at"],
                    range=["#3182bd", "#fdae6b", "#e6550d"])),
                strokeDash=alt.condition(
                    alt.datum.series == "score drift", alt.value([1, 0]), alt.value([4, 4])),
                tooltip=[alt.Tooltip("score_date:T", format="%Y-%m-%d"), "series",
                         alt.Tooltip("distance:Q", format=".3f")],
            ),
            width="stretch",
        )  # fmt: skip

    st.subheader(f"Every statistic on {latest.score_date.date()}")
    st.caption(
        "Each is judged against the levels calibrated at training on the clean history: "
        "`clean` is what a clean night is expected to measure at this model age."
    )
    if "warning_level" in on_latest.columns:
        table = on_latest.assign(
            beyond=on_latest.value / on_latest.threshold,
        ).sort_values("beyond", ascending=False)
        distances = table[table.method != "share"]
        st.dataframe(
            distances[["feature", "status", "value", "expected", "warning_level", "threshold",
                       "method"]].rename(columns={
                "expected": "clean", "warning_level": "warning at", "threshold": "alarm at"}),
            hide_index=True, width="stretch",
        )  # fmt: skip
        shares = table[table.method == "share"]
        if not shares.empty:
            st.subheader("Segment mix of the scored base")
            st.dataframe(
                shares.assign(
                    segment=shares.feature,
                    reference=shares.reference_share.map("{:.1%}".format),
                    today=shares.current_share.map("{:.1%}".format),
                    move=shares.value.map("{:.1%}".format),
                    warning=shares.warning_level.map("{:.1%}".format),
                    alarm=shares.threshold.map("{:.1%}".format),
                )[["segment", "status", "reference", "today", "move", "warning", "alarm"]],
                hide_index=True, width="stretch",
            )  # fmt: skip
    else:
        st.dataframe(on_latest, hide_index=True, width="stretch")

    st.subheader("Latest Evidently report")
    report = Path(latest.report_html)
    if report.is_file():
        # Evidently's own report (written by the pipeline, not by users): its script runs
        st.iframe(report, height=900)
    else:
        st.caption(f"Report file not found: {report}")
