"""Streamlit user interface pieces: charts, formatting and page state."""
