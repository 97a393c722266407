"""Speech engines behind one small interface (see ``base``)."""
from .base import Capabilities, DurationControl, Engine, Synthesis, SynthesisControls, Voice

__all__ = ["Capabilities", "DurationControl", "Engine", "Synthesis", "SynthesisControls", "Voice"]
