"""Entry script of the dashboard (`revops dashboard` runs it with `streamlit run`).

Draws the header and the filter bar, then the chosen page (views/*.py). With no serving
file yet, shows an empty state instead of any page.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from revops.dashboard import data, filters

VIEWS = Path(__file__).parent / "views"
PAGES = [
    ("revenue.py", "Revenue", ":material/payments:"),
    ("funnel.py", "Funnel and marketing", ":material/filter_alt:"),
    ("sales.py", "Sales", ":material/handshake:"),
    ("success.py", "Success", ":material/sentiment_satisfied:"),
    ("playbooks.py", "Playbooks", ":material/checklist:"),
    ("activation.py", "Alerts and deliveries", ":material/notifications:"),
]


def main() -> None:
    st.set_page_config(
        page_title="RevOps dashboard", page_icon=":material/monitoring:", layout="wide"
    )
    if not data.is_published():
        st.title("RevOps dashboard")
        st.info(
            f"Nothing published yet: {data.serving_path()} does not exist. Run `make run` (or "
            "`revops refresh`) to build and publish the warehouse, then reload this page.",
            icon=":material/hourglass_empty:",
        )
        st.stop()
    pages = [
        st.Page(str(VIEWS / name), title=title, icon=icon, default=index == 0)
        for index, (name, title, icon) in enumerate(PAGES)
    ]
    page = st.navigation(pages)
    filters.render_header()
    if filters.render_filter_bar() is None:
        st.info("The serving file has no monthly data yet.", icon=":material/hourglass_empty:")
        st.stop()
    page.run()


main()
