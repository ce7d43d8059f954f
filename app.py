"""Streamlit entry point (placeholder until the app issue lands)."""

import streamlit as st

from simulator import list_presets, load_preset, simulate

st.set_page_config(page_title="Sales whiplash simulator", layout="wide")
st.title("Sales whiplash simulator")
name = st.selectbox("Scenario", list(list_presets()))
if name:
    result = simulate(load_preset(name))
    st.write(result.report.verdict)
