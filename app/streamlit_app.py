"""Scoreline reports: `streamlit run app/streamlit_app.py` (or `make app`)."""

import importlib
import sys
import threading
from pathlib import Path

import streamlit as st

# `streamlit run` puts app/ on the path, not the project root that holds ml/ and app/.
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

st.set_page_config(page_title="Scoreline", page_icon=":bar_chart:", layout="wide")


@st.cache_resource
def _preload_mlflow() -> None:
    """Import MLflow in the background once per server: it takes seconds, and only the Model
    health page needs it, so its first visit should not pay for it."""
    threading.Thread(target=importlib.import_module, args=("mlflow",), daemon=True).start()


_preload_mlflow()

PAGES = Path(__file__).parent / "app_pages"
navigation = st.navigation(
    {
        "Scores": [
            st.Page(PAGES / "overview.py", title="Overview", icon=":material/dashboard:",
                    url_path="overview", default=True),
            st.Page(PAGES / "at_risk.py", title="At-risk customers", icon=":material/warning:",
                    url_path="at_risk"),
            st.Page(PAGES / "segments.py", title="Segments", icon=":material/pie_chart:",
                    url_path="segments"),
        ],
        "Monitoring": [
            st.Page(PAGES / "model_health.py", title="Model health",
                    icon=":material/monitor_heart:", url_path="model_health"),
            st.Page(PAGES / "drift.py", title="Drift", icon=":material/trending_up:",
                    url_path="drift"),
            st.Page(PAGES / "data_quality.py", title="Data quality", icon=":material/rule:",
                    url_path="data_quality"),
            st.Page(PAGES / "feature_catalog.py", title="Feature catalog",
                    icon=":material/menu_book:", url_path="feature_catalog"),
        ],
    }
)  # fmt: skip
navigation.run()
