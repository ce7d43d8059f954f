"""``python -m simulator``: the same CLI as the ``whiplash`` command."""

import sys

from .cli import main

sys.exit(main())
