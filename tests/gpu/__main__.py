"""``python -m tests.gpu [--model-dir DIR]``: IndexTTS2 speed, memory and exactness on a GPU."""
from __future__ import annotations

import sys

from .check import main

sys.exit(main(sys.argv[1:]))
