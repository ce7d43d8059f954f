"""Browser tests: the real app served on loopback, driven by Chromium."""
