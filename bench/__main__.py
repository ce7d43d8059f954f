"""``python -m bench`` (``make bench``): every benchmark of the project, in order."""

from __future__ import annotations

import importlib
import platform
import sys

import numpy as np

SECTIONS = [
    ("Engine", "bench.engine"),
    ("Cost model", "bench.cost"),
    ("App (server side)", "bench.app"),
    ("Cycle collector", "bench.gc_pause"),
    ("Diagnosis and suggest-a-fix", "bench.diagnosis"),
    ("Calibration", "bench.calibrate"),
    ("Browser", "bench.browser"),
    ("Browser, a team's Room page", "bench.browser_room"),
    ("Browser, a first load over Wi-Fi", "bench.browser_wifi"),
]


def main() -> int:
    print(f"Python {platform.python_version()}, numpy {np.__version__}, {platform.machine()}")
    for title, module_name in SECTIONS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                continue
            raise
        print(f"\n## {title}\n")
        sys.stdout.flush()
        module.main()
    return 0


if __name__ == "__main__":
    sys.exit(main())
