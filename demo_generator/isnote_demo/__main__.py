"""`python -m isnote_demo --out data/demo` (make demo-data)."""

import sys

from .generate import main

sys.exit(main())
