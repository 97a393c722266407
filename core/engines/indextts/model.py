"""IndexTTS2's networks, loaded from a local layout and run stage by stage.

The stages are public so the engine can do what the released ``infer()`` cannot: generate
the semantic tokens freely, then render the mel spectrogram at a chosen frame count.

    speaker_conditioning(16 kHz, 22.05 kHz audio) -> speaker tensors
    emotion_conditioning(16 kHz audio)            -> w2v-BERT features of an emotion clip
    emotion_vector(weights, style)                -> IndexTTS2's emotion-matrix mix
    semantic_rows(rows of text ids, ...)          -> GPT codes + latent (natural length), batched
    render(tokens, frames, speaker, ..., noise)   -> waveform of exactly frames * hop samples
    render_rows(rows of (tokens, frames, noise))  -> the same, the CFM over rows of one voice at once
"""
from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ...errors import EngineError
from .emotion import TextEmotionModel
from .fbank import fbank
from . import second_stage
from .gpt_batch import GptRow, semantic_rows
from .imports import repcodec_class, require_indextts, set_offline
from .layout import IndexTTSLayout
from .timing import token_frames
from .tokenizer import Tokenized, load_tokenizer, tokenize

log = logging.getLogger(__name__)

W2V_LAYER = 17  # hidden state IndexTTS2 conditions on
Tensor = Any  # torch.Tensor; torch is imported only where a model runs


@dataclass
class SemanticTokens:
    """One text segment after the GPT stage: codes, their latent, and the natural frame count."""

    codes: Tensor  # LongTensor (1, n)
    latent: Tensor  # (1, n, 1280)
    natural_frames: int
    hit_limit: bool  # generation stopped at max_mel_tokens, not at the stop token


def _keep_attention_mask(inference_model: Any) -> None:
    """Give IndexTTS2's GPT the attention mask newer transformers drop when it is all ones.

    ``GPT2InferenceModel.forward`` reads the mask's length to position each new mel token;
    transformers >= 5.x (seen with 5.23) passes ``None`` for an unpadded batch, which fails.
    The full sequence is what ``prepare_inputs_for_generation`` receives, so an all-ones mask
    of its length is exactly the mask generate() dropped.
    """
    original = inference_model.prepare_inputs_for_generation

    def prepare_inputs_for_generation(input_ids: Tensor, past_key_values: Any = None, **kwargs: Any) -> Any:
        if kwargs.get("attention_mask") is None:
            kwargs["attention_mask"] = input_ids.new_ones(input_ids.shape[:2])
        return original(input_ids, past_key_values=past_key_values, **kwargs)

    inference_model.prepare_inputs_for_generation = prepare_inputs_for_generation


class IndexTTS2Model:
    """Every network of IndexTTS2 on one device; no hub access, no torchaudio."""

    def __init__(self, layout: IndexTTSLayout, device: str, fp16: bool, language: str | None = None,
                 cuda_kernel: bool = False, compile: bool = False):
        import torch

        set_offline()
        self._require_package(layout)
        from omegaconf import OmegaConf

        self.layout = layout
        self.device = device
        self.fp16 = fp16
        self.notes: list[str] = []  # load-time warnings, repeated in each line's report
        self.cfg: Any = OmegaConf.load(layout.config)
        self.version = layout.version
        self.stop_token = int(self.cfg.gpt.stop_mel_token)
        self.max_mel_tokens = int(self.cfg.gpt.max_mel_tokens)
        self.max_text_tokens = int(self.cfg.gpt.max_text_tokens)
        with torch.no_grad():
            self._load_gpt()
            self._load_semantic()
            self._load_s2mel(compile)
            self._load_vocoder(cuda_kernel)
            self._load_emotion()
        self._load_text(language)

    @staticmethod
    def _require_package(layout: IndexTTSLayout) -> None:
        """Register the inference package this version's networks come from (2.0's here)."""
        require_indextts()

    # ---- loading -------------------------------------------------------------------
    def _load_gpt(self) -> None:
        from indextts.gpt.model_v2 import UnifiedVoice
        from indextts.utils.checkpoint import load_checkpoint

        gpt = UnifiedVoice(**self.cfg.gpt)
        load_checkpoint(gpt, str(self.layout.gpt))
        gpt = gpt.to(self.device).eval()
        if self.fp16:
            gpt = gpt.half()
        gpt.post_init_gpt2_config(use_deepspeed=False, kv_cache=True, half=self.fp16)
        _keep_attention_mask(gpt.inference_model)
        self.gpt = gpt

    def _load_semantic(self) -> None:
        import safetensors.torch

        self._load_w2v()
        codec = repcodec_class()(cfg=self.cfg.semantic_codec)
        safetensors.torch.load_model(codec, str(self.layout.semantic_codec))
        self.codec = codec.to(self.device).eval()

    def _load_w2v(self) -> None:
        """w2v-BERT 2.0 and its feature statistics: both versions read a clip's features with it."""
        import torch
        from transformers import SeamlessM4TFeatureExtractor, Wav2Vec2BertModel

        w2v = str(self.layout.w2v_bert)
        self.features = SeamlessM4TFeatureExtractor.from_pretrained(w2v, local_files_only=True)
        w2v_class: Any = Wav2Vec2BertModel  # its from_pretrained is typed for a bound call
        self.w2v = w2v_class.from_pretrained(w2v, local_files_only=True).to(self.device).eval()
        stats = torch.load(self.layout.w2v_stat, map_location="cpu")
        self.w2v_mean = stats["mean"].to(self.device)
        self.w2v_std = torch.sqrt(stats["var"]).to(self.device)

    def _mel_params(self) -> dict[str, Any]:
        """The mel spectrogram of the reference clip the second stage is prompted with."""
        spect = self.cfg.s2mel.preprocess_params.spect_params
        return {
            "n_fft": spect.n_fft, "win_size": spect.win_length, "hop_size": spect.hop_length,
            "num_mels": spect.n_mels, "sampling_rate": self.cfg.s2mel.preprocess_params.sr,
            "fmin": spect.get("fmin", 0),
            "fmax": None if str(spect.get("fmax", "None")) == "None" else 8000,
            "center": False,
        }

    def _load_s2mel(self, compile: bool) -> None:
        import torch
        from indextts.s2mel.modules.campplus.DTDNN import CAMPPlus
        from indextts.s2mel.modules.commons import MyModel, load_checkpoint2

        s2mel = MyModel(self.cfg.s2mel, use_gpt_latent=True)
        s2mel, _, _, _ = load_checkpoint2(s2mel, None, str(self.layout.s2mel), load_only_params=True,
                                          ignore_modules=[], is_distributed=False)
        self.s2mel = s2mel.to(self.device).eval()
        self.s2mel.models["cfm"].estimator.setup_caches(max_batch_size=1, max_seq_length=8192)
        if compile:
            try:
                self.s2mel.enable_torch_compile()
            except Exception as e:  # an option that fails to build falls back, as upstream
                self.notes.append(f"torch.compile of the second stage failed, running uncompiled ({e})")
        campplus = CAMPPlus(feat_dim=80, embedding_size=192)
        campplus.load_state_dict(torch.load(self.layout.campplus, map_location="cpu"))
        self.campplus = campplus.to(self.device).eval()
        self._mel_args = self._mel_params()

    def _load_vocoder(self, cuda_kernel: bool) -> None:
        from indextts.s2mel.modules.bigvgan.bigvgan import BigVGAN

        use_kernel = cuda_kernel and str(self.device).startswith("cuda")
        if cuda_kernel and not use_kernel:
            self.notes.append("BigVGAN's CUDA kernel needs a CUDA device; using the torch activation")
        if use_kernel:
            try:  # builds the fused kernel with the local CUDA toolkit; upstream falls back too
                from indextts.s2mel.modules.bigvgan.alias_free_activation.cuda import activation1d  # noqa: F401
            except Exception as e:
                self.notes.append(f"BigVGAN's CUDA kernel failed to build, using the torch activation ({e})")
                use_kernel = False
        vocoder = BigVGAN.from_pretrained(str(self.layout.bigvgan), use_cuda_kernel=use_kernel)
        vocoder.remove_weight_norm()
        self.vocoder = vocoder.to(self.device).eval()

    def _load_emotion(self) -> None:
        import torch

        emo_num = [int(n) for n in self.cfg.emo_num]
        self.emo_matrix = torch.split(torch.load(self.layout.emo_matrix, map_location="cpu").to(self.device), emo_num)
        self.spk_matrix = torch.split(torch.load(self.layout.spk_matrix, map_location="cpu").to(self.device), emo_num)
        # Qwen loads on first use: a job without text emotions never pays for it.
        self.text_emotion = (TextEmotionModel(self.layout.qwen_emotion, self.device, self.fp16)
                             if self.layout.qwen_emotion is not None else None)

    def _load_text(self, language: str | None) -> None:
        self.tokenizer = load_tokenizer(self.layout.bpe, self.layout.glossary, language)

    # ---- text -----------------------------------------------------------------------
    def tokenize(self, text: str, max_tokens: int) -> Tokenized:
        """BPE pieces of the normalised line, split where upstream splits it (tokenizer.py)."""
        return tokenize(self.tokenizer, text, max_tokens, self.max_text_tokens)

    # ---- conditioning ---------------------------------------------------------------
    def _w2v_features(self, audio_16k: np.ndarray) -> Tensor:
        inputs = self.features(audio_16k, sampling_rate=16000, return_tensors="pt")
        out = self.w2v(
            input_features=inputs["input_features"].to(self.device),
            attention_mask=inputs["attention_mask"].to(self.device),
            output_hidden_states=True,
        )
        feat = out.hidden_states[W2V_LAYER]
        return (feat - self.w2v_mean) / self.w2v_std

    def speaker_conditioning(self, audio_16k: np.ndarray, audio_22k: np.ndarray) -> dict[str, Tensor]:
        import torch
        from indextts.s2mel.modules.audio import mel_spectrogram

        with torch.no_grad():
            spk_cond = self._w2v_features(audio_16k)
            _, s_ref = self.codec.quantize(spk_cond)
            wav22 = torch.from_numpy(audio_22k).float().unsqueeze(0).to(self.device)
            ref_mel = mel_spectrogram(wav22, **self._mel_args)
            wav16 = torch.from_numpy(audio_16k).float().unsqueeze(0).to(self.device)
            feat = fbank(wav16, 16000, 80)
            feat = feat - feat.mean(dim=0, keepdim=True)
            style = self.campplus(feat.unsqueeze(0))
            lengths = torch.LongTensor([ref_mel.size(2)]).to(self.device)
            prompt = self.s2mel.models["length_regulator"](s_ref, ylens=lengths, n_quantizers=3, f0=None)[0]
        return {"spk_cond": spk_cond, "style": style, "prompt": prompt, "ref_mel": ref_mel}

    def emotion_conditioning(self, audio_16k: np.ndarray) -> dict[str, Tensor]:
        import torch

        with torch.no_grad():
            return {"emo_cond": self._w2v_features(audio_16k)}

    def emotion_vector(self, weights: tuple[float, ...], style: Tensor) -> tuple[Tensor, Tensor]:
        """IndexTTS2's mix: per emotion, the matrix row whose speaker row is closest to ``style``."""
        import torch
        import torch.nn.functional as F

        w = torch.tensor(weights, device=self.device, dtype=torch.float32)
        rows = [emo[int(torch.argmax(F.cosine_similarity(style.float(), spk.float(), dim=1)))].unsqueeze(0)
                for emo, spk in zip(self.emo_matrix, self.spk_matrix)]
        mat = (w.unsqueeze(1) * torch.cat(rows, 0)).sum(0).unsqueeze(0)
        return mat, w

    # ---- generation -----------------------------------------------------------------
    def merged_emovec(self, spk_cond: Tensor, emo_cond: Tensor, alpha: float,
                      vector: tuple[Tensor, Tensor] | None = None) -> Tensor:
        import torch

        with torch.no_grad(), self._autocast():
            emovec = self.gpt.merge_emovec(spk_cond, emo_cond, _length(spk_cond), _length(emo_cond), alpha=alpha)
            if vector is not None:
                mat, w = vector
                emovec = mat + (1 - torch.sum(w)) * emovec
        return emovec

    def semantic_rows(self, rows: Sequence[GptRow], speaker: dict[str, Tensor], sampling: dict[str, float | int],
                      batch: int) -> list[SemanticTokens]:
        """GPT codes + latent of each row (text segment), ``batch`` rows of one voice per
        generate(); each row's tokens are what it gives alone (gpt_batch.py)."""
        out: list[SemanticTokens] = semantic_rows(self, rows, speaker, sampling, batch)
        return out

    def s2_condition(self, tokens: SemanticTokens, frames: int, speaker: dict[str, Tensor]) -> Tensor:
        """The CFM's condition: the voice's prompt, then the segment stretched to ``frames``
        by the length regulator, (1, prompt + frames, content dim)."""
        import torch

        with torch.no_grad():
            latent = self.s2mel.models["gpt_layer"](tokens.latent.float())
            s_infer = self.codec.quantizer.vq2emb(tokens.codes.unsqueeze(1)).transpose(1, 2) + latent
            target = torch.LongTensor([frames]).to(self.device)
            cond = self.s2mel.models["length_regulator"](s_infer, ylens=target, n_quantizers=3, f0=None)[0]
            return torch.cat([speaker["prompt"], cond], dim=1)

    def cfm_noise(self, seed: int, frames: Sequence[int], speaker: dict[str, Tensor]) -> list[Tensor]:
        """The CFM's starting noise for segments of ``frames`` frames, drawn in order from one
        stream seeded with ``seed`` (what upstream draws after ``torch.manual_seed(seed)``)."""
        prompt = int(speaker["prompt"].size(1))
        channels = int(self.s2mel.models["cfm"].in_channels)
        return second_stage.line_noise(seed, [prompt + n for n in frames], channels, str(self.device))

    def render(self, tokens: SemanticTokens, frames: int, speaker: dict[str, Tensor], diffusion_steps: int,
               cfg_rate: float, noise: Tensor) -> np.ndarray:
        """Mel at exactly ``frames`` frames through the CFM from ``noise`` (``cfm_noise``), then
        BigVGAN: frames * HOP samples. Upstream's own Euler solver, one row."""
        import torch

        cfm = self.s2mel.models["cfm"]
        with torch.no_grad():
            cat = self.s2_condition(tokens, frames, speaker)
            t_span = torch.linspace(0, 1, diffusion_steps + 1, device=cat.device)
            with torch.inference_mode():
                mel = cfm.solve_euler(noise.clone(), torch.LongTensor([cat.size(1)]).to(self.device),
                                      speaker["ref_mel"], cat, speaker["style"], None, t_span, cfg_rate)
        return self.vocode(mel, speaker)

    def render_rows(self, rows: Sequence[tuple[SemanticTokens, int, Tensor]], speaker: dict[str, Tensor],
                    diffusion_steps: int, cfg_rate: float) -> list[np.ndarray]:
        """``render`` of each (tokens, frames, noise) row, the CFM over all rows at once
        (rows of one voice; see second_stage.py), BigVGAN row by row."""
        import torch

        with torch.no_grad():
            s2_rows = [second_stage.S2Row(self.s2_condition(tok, n, speaker), noise) for tok, n, noise in rows]
            mels = second_stage.solve(self.s2mel.models["cfm"], s2_rows, speaker["ref_mel"], speaker["style"],
                                      diffusion_steps, cfg_rate)
        return [self.vocode(mel, speaker) for mel in mels]

    def batches_second_stage(self) -> bool:
        """Whether ``render_rows`` can batch this checkpoint's DiT (its convolutions' padding)."""
        return second_stage.supported(self.s2mel.models["cfm"].estimator)

    def vocode(self, mel: Tensor, speaker: dict[str, Tensor]) -> np.ndarray:
        """BigVGAN on a CFM output without its prompt part."""
        import torch

        with torch.no_grad():
            mel = mel[:, :, speaker["ref_mel"].size(-1):]
            wav = torch.clamp(self.vocoder(mel.float()).squeeze(), -1.0, 1.0)
        out: np.ndarray = wav.float().cpu().numpy().reshape(-1)
        return out

    def _autocast(self) -> Any:
        import torch

        dev = "cuda" if str(self.device).startswith("cuda") else "cpu"
        return torch.amp.autocast(dev, enabled=self.fp16, dtype=torch.float16)


def _length(t: Tensor) -> Tensor:
    import torch

    return torch.tensor([t.shape[-1]], device=t.device)

