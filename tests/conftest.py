"""Shared test settings."""

import os

from hypothesis import settings

# On CI the generated examples are the same every run (no example database there),
# so a red build can be reproduced; locally hypothesis explores new examples.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
