"""IndexTTS2 emotion controls: which one wins, and how a vector is normalised.

Precedence is IndexTTS2's own: a text description (when the checkpoint has the emotion
model) replaces a vector, a vector (or a preset, which is a one-hot vector) replaces an
emotion reference clip, and with none of them the speaker reference carries the emotion.
User vectors get IndexTTS2's per-emotion bias and a sum cap of 0.8 (what its own UI does
before inference); the intensity becomes ``emo_alpha``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..lines import EMOTIONS, Emotion

# IndexTTS2 de-emphasises emotions that produce strange results, in EMOTIONS order.
EMOTION_BIAS = (0.9375, 0.875, 1.0, 1.0, 0.9375, 0.9375, 0.6875, 0.5625)
MAX_EMOTION_SUM = 0.8


@dataclass(frozen=True)
class EmotionPlan:
    """What the model is asked for: mode is 'speaker', 'reference', 'vector' or 'text'."""

    mode: str
    alpha: float = 1.0
    vector: tuple[float, ...] | None = None  # final weights, EMOTIONS order, before alpha
    reference: Path | None = None
    description: str | None = None
    warnings: tuple[str, ...] = field(default_factory=tuple)


def normalize_vector(vector, apply_bias: bool = True) -> tuple[float, ...]:
    values = [max(0.0, float(v)) for v in vector]
    if apply_bias:
        values = [v * b for v, b in zip(values, EMOTION_BIAS)]
    total = sum(values)
    if total > MAX_EMOTION_SUM:
        values = [v * MAX_EMOTION_SUM / total for v in values]
    return tuple(values)


def preset_vector(name: str, intensity: float) -> tuple[float, ...]:
    key = name.strip().lower()
    if key not in EMOTIONS:
        raise ValueError(f"unknown emotion preset {name!r}; use one of {', '.join(EMOTIONS)}")
    return tuple(float(intensity) if e == key else 0.0 for e in EMOTIONS)


def scale_by_alpha(vector: tuple[float, ...], alpha: float) -> tuple[float, ...]:
    """IndexTTS2 folds emo_alpha into a vector (vectors cannot be alpha-blended later)."""
    a = max(0.0, min(1.0, alpha))
    if a == 1.0:
        return vector
    return tuple(int(v * a * 10000) / 10000 for v in vector)


def plan_emotion(emotion: Emotion | None, has_text_model: bool) -> EmotionPlan:
    """Choose the control to use for one line; every control not used becomes a warning."""
    if emotion is None or emotion.is_neutral():
        return EmotionPlan("speaker")
    alpha = max(0.0, min(1.0, float(emotion.intensity)))
    warnings: list[str] = []
    if emotion.description and not has_text_model:
        warnings.append(
            f"emotion description {emotion.description!r} ignored: the IndexTTS2 checkpoint "
            "directory has no emotion text model (qwen_emo_path); use a vector, preset or "
            "emotion reference clip"
        )
    elif emotion.description:
        _ignored(warnings, emotion, keep="description")
        return EmotionPlan("text", alpha=alpha, description=emotion.description, warnings=tuple(warnings))
    if emotion.vector is not None:
        if len(emotion.vector) != len(EMOTIONS):
            raise ValueError(f"emotion vector needs {len(EMOTIONS)} values ({', '.join(EMOTIONS)}), got {len(emotion.vector)}")
        _ignored(warnings, emotion, keep="vector")
        return EmotionPlan("vector", alpha=alpha, vector=normalize_vector(emotion.vector), warnings=tuple(warnings))
    if emotion.preset:
        _ignored(warnings, emotion, keep="preset")
        vec = normalize_vector(preset_vector(emotion.preset, 1.0))
        return EmotionPlan("vector", alpha=alpha, vector=vec, warnings=tuple(warnings))
    if emotion.reference is not None:
        return EmotionPlan("reference", alpha=alpha, reference=Path(emotion.reference), warnings=tuple(warnings))
    return EmotionPlan("speaker", warnings=tuple(warnings))


def _ignored(warnings: list[str], emotion: Emotion, keep: str) -> None:
    order = ("description", "vector", "preset", "reference")
    given = [c for c in order if getattr(emotion, c) not in (None, "")]
    for c in given[given.index(keep) + 1:]:
        warnings.append(f"emotion {c} ignored: IndexTTS2 uses the {keep} when both are given")
