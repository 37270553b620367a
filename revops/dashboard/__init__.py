"""The revenue dashboard: a Streamlit app reading only the published serving file, read-only.

`revops dashboard` starts it (revops/dashboard/app.py is the entry script); each page is one
module in views/, data access is data.py, the shared filter bar and header are filters.py.
"""
