"""The embedded English voice: Piper (VITS) on onnxruntime with exact native duration control."""
from .engine import PiperEngine, bundled_voice

__all__ = ["PiperEngine", "bundled_voice"]
