"""Compare plans side by side (the page is built in the next commit)."""

import streamlit as st

from ui.nav import page_menu

page_menu()
st.title("Compare plans")
