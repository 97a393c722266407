"""IndexTTS2 emotion controls: which one wins, how a vector is normalised, and Qwen.

Precedence is IndexTTS2's own: a text description (when the checkpoint has the emotion
model) replaces a vector, a vector (or a preset, which is a one-hot vector) replaces an
emotion reference clip, and with none of them the speaker reference carries the emotion.
User vectors get IndexTTS2's per-emotion bias and a sum cap of 0.8 (what its own UI does
before inference); the intensity becomes ``emo_alpha``, 0.65 where the line gives none
(upstream's UI default) and 0.6 for emotion read from text (upstream's README advice).
"""
from __future__ import annotations

import json
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...lines import EMOTIONS, Emotion

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


@dataclass(frozen=True)
class EmotionDefaults:
    """What a line without an intensity, or without any emotion, gets."""

    intensity: float = 0.65
    text_intensity: float = 0.6
    from_text: bool = False  # no emotion given: read it from the line's own text


def normalize_vector(vector: tuple[float, ...], apply_bias: bool = True) -> tuple[float, ...]:
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


def _alpha(given: float | None, default: float) -> float:
    return max(0.0, min(1.0, float(default if given is None else given)))


def plan_emotion(emotion: Emotion | None, has_text_model: bool, text: str = "",
                 defaults: EmotionDefaults = EmotionDefaults()) -> EmotionPlan:
    """Choose the control to use for one line; every control not used becomes a warning."""
    if emotion is None or emotion.is_neutral():
        if defaults.from_text and text.strip():
            if has_text_model:
                return EmotionPlan("text", alpha=_alpha(None, defaults.text_intensity), description=text)
            return EmotionPlan("speaker", warnings=(
                "emotion from the line's text is on, but the IndexTTS2 checkpoint has no emotion text "
                "model (qwen_emo_path); the voice's own emotion is used",))
        return EmotionPlan("speaker")
    given: float | None = emotion.intensity
    warnings: list[str] = []
    if emotion.description and not has_text_model:
        warnings.append(
            f"emotion description {emotion.description!r} ignored: the IndexTTS2 checkpoint "
            "directory has no emotion text model (qwen_emo_path); use a vector, preset or "
            "emotion reference clip"
        )
    elif emotion.description:
        _ignored(warnings, emotion, keep="description")
        return EmotionPlan("text", alpha=_alpha(given, defaults.text_intensity), description=emotion.description,
                           warnings=tuple(warnings))
    alpha = _alpha(given, defaults.intensity)
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


# ---- emotion from text (the checkpoint's Qwen model) -----------------------------------
# QwenEmotion's labels (upstream indextts/infer_v2.py), in EMOTIONS order.
QWEN_LABELS = ("高兴", "愤怒", "悲伤", "恐惧", "反感", "低落", "惊讶", "自然")
MELANCHOLIC_WORDS = ("低落", "melancholy", "melancholic", "depression", "depressed", "gloomy")
MAX_SCORE = 1.2
_PAIR = re.compile(r'([^\s":.,{}]+?)"?\s*:\s*([\d.]+)')


def parse_emotion_answer(answer: str, text: str) -> tuple[float, ...] | None:
    """Qwen's answer as weights in EMOTIONS order; None when it named no known emotion.

    Mirrors upstream's QwenEmotion: JSON, else ``label: value`` pairs; the sad/melancholic
    swap for words Qwen cannot tell apart; scores clamped to [0, 1.2].
    """
    try:
        content = json.loads(answer)
    except json.JSONDecodeError:
        content = {m.group(1): float(m.group(2)) for m in _PAIR.finditer(answer)}
    if not isinstance(content, dict) or not any(k in content for k in QWEN_LABELS):
        return None
    try:
        scores = {k: float(content.get(k, 0.0)) for k in QWEN_LABELS}
    except (TypeError, ValueError):
        return None
    if any(w in text.lower() for w in MELANCHOLIC_WORDS):
        scores["悲伤"], scores["低落"] = scores["低落"], scores["悲伤"]
    weights = tuple(max(0.0, min(MAX_SCORE, scores[k])) for k in QWEN_LABELS)
    if all(w <= 0.0 for w in weights):
        return tuple(1.0 if e == "calm" else 0.0 for e in EMOTIONS)  # upstream's neutral default
    return weights


Verdict = tuple[tuple[float, ...] | None, str | None]  # weights, or None and why


class TextEmotionModel:
    """The checkpoint's Qwen emotion classifier, loaded on first use on the model's device.

    Its answers are remembered per description (greedy decoding: the same text, the same
    answer), up to ``remembered`` of them: a line asks it when its GPT is prepared and again
    when its tokens come back from disk, and a scene's lines often share one description.
    """

    PROMPT = "文本情感分类"

    def __init__(self, path: Path, device: str, fp16: bool, remembered: int = 1024):
        self.path = path
        self.device = device
        self.fp16 = fp16
        self.remembered = remembered
        self._loaded: tuple[Any, Any] | None = None
        self._error: str | None = None
        self._lock = threading.Lock()
        self._answers: OrderedDict[str, Verdict] = OrderedDict()
        self._answers_lock = threading.Lock()

    def _load(self) -> tuple[Any, Any]:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        with self._lock:
            if self._loaded is None:
                tok = AutoTokenizer.from_pretrained(str(self.path), local_files_only=True)
                dtype = torch.float16 if self.fp16 else torch.float32
                causal_lm: Any = AutoModelForCausalLM  # its from_pretrained is typed for a bound call
                model = causal_lm.from_pretrained(str(self.path), local_files_only=True, dtype=dtype)
                self._loaded = (tok, model.to(self.device).eval())
            return self._loaded

    def answer(self, text: str) -> str:
        """Qwen's raw answer for ``text`` (the chat template upstream uses, no thinking)."""
        import torch

        tok, model = self._load()
        messages = [{"role": "system", "content": self.PROMPT}, {"role": "user", "content": text}]
        prompt = tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=True,
                                         enable_thinking=False)
        inputs = tok([prompt], return_tensors="pt").to(self.device)
        with torch.no_grad():
            out = model.generate(**inputs, max_new_tokens=96, do_sample=False, pad_token_id=tok.eos_token_id)
        decoded: str = tok.decode(out[0][len(inputs.input_ids[0]):].tolist(), skip_special_tokens=True)
        return decoded.split("</think>")[-1].strip()

    def weights(self, text: str) -> Verdict:
        """Weights for ``text``, or None and why (load failed, nonsense answer).

        An answer (or a nonsense one) is remembered; a run that raised is not, so a passing
        failure (out of memory) is asked again next time.
        """
        if self._error is not None:
            return None, self._error
        with self._answers_lock:
            if text in self._answers:
                self._answers.move_to_end(text)
                return self._answers[text]
        try:
            answer = self.answer(text)
        except Exception as e:  # a broken optional model must not fail the line
            if self._loaded is None:
                self._error = f"the emotion text model could not be loaded ({type(e).__name__}: {e})"
                return None, self._error
            return None, f"the emotion text model failed ({type(e).__name__}: {e})"
        weights = parse_emotion_answer(answer, text)
        verdict: Verdict = (weights, None) if weights is not None else (
            None, f"the emotion text model answered no emotion ({answer[:60]!r})")
        with self._answers_lock:
            self._answers[text] = verdict
            while len(self._answers) > self.remembered:
                self._answers.popitem(last=False)
        return verdict
