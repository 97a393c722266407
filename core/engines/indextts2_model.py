"""IndexTTS2's networks, loaded from a local layout and run stage by stage.

The stages are public so the engine can do what the released ``infer()`` cannot: generate
the semantic tokens freely, then render the mel spectrogram at a chosen frame count.

    speaker_conditioning(16 kHz, 22.05 kHz audio) -> SpeakerConditioning tensors
    emotion_conditioning(16 kHz audio)            -> w2v-BERT features of an emotion clip
    emotion_vector(weights, style)                -> IndexTTS2's emotion-matrix mix
    semantic_tokens(text ids, ...)                -> GPT codes + latent (natural length)
    render(tokens, frames, speaker)               -> waveform of exactly frames * hop samples

A sibling model (IndexTTS-2.5 has a native duration input) provides the same methods.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from ..errors import EngineError
from .indextts_imports import repcodec_class, require_indextts, set_offline
from .indextts_layout import IndexTTSLayout
from .kaldi_fbank import fbank

log = logging.getLogger(__name__)

SAMPLE_RATE = 22050
HOP = 256
TOKENS_TO_FRAMES = 1.72  # IndexTTS2's fixed semantic-token -> mel-frame ratio
W2V_LAYER = 17  # hidden state IndexTTS2 conditions on


@dataclass
class SemanticTokens:
    """One text segment after the GPT stage: codes, their latent, and the natural frame count."""

    codes: object  # LongTensor (1, n)
    latent: object  # (1, n, 1280)
    natural_frames: int
    hit_limit: bool  # generation stopped at max_mel_tokens, not at the stop token


def _keep_attention_mask(inference_model) -> None:
    """Give IndexTTS2's GPT the attention mask newer transformers drop when it is all ones.

    ``GPT2InferenceModel.forward`` reads the mask's length to position each new mel token;
    transformers >= 5.x (seen with 5.23) passes ``None`` for an unpadded batch, which fails.
    The full sequence is what ``prepare_inputs_for_generation`` receives, so an all-ones mask
    of its length is exactly the mask generate() dropped.
    """
    original = inference_model.prepare_inputs_for_generation

    def prepare_inputs_for_generation(input_ids, past_key_values=None, **kwargs):
        if kwargs.get("attention_mask") is None:
            kwargs["attention_mask"] = input_ids.new_ones(input_ids.shape[:2])
        return original(input_ids, past_key_values=past_key_values, **kwargs)

    inference_model.prepare_inputs_for_generation = prepare_inputs_for_generation


class IndexTTS2Model:
    """Every network of IndexTTS2 on one device; no hub access, no torchaudio."""

    def __init__(self, layout: IndexTTSLayout, device: str, fp16: bool, language: str | None = None):
        import torch

        set_offline()
        require_indextts()
        from omegaconf import OmegaConf

        self.layout = layout
        self.device = device
        self.fp16 = fp16
        self.cfg = OmegaConf.load(layout.config)
        self.version = str(self.cfg.get("version", "2.0"))
        self.stop_token = int(self.cfg.gpt.stop_mel_token)
        self.max_mel_tokens = int(self.cfg.gpt.max_mel_tokens)
        with torch.no_grad():
            self._load_gpt()
            self._load_semantic()
            self._load_s2mel()
            self._load_vocoder()
            self._load_emotion()
        self._load_text(language)

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
        import torch
        from transformers import SeamlessM4TFeatureExtractor, Wav2Vec2BertModel

        w2v = str(self.layout.w2v_bert)
        self.features = SeamlessM4TFeatureExtractor.from_pretrained(w2v, local_files_only=True)
        self.w2v = Wav2Vec2BertModel.from_pretrained(w2v, local_files_only=True).to(self.device).eval()
        stats = torch.load(self.layout.w2v_stat, map_location="cpu")
        self.w2v_mean = stats["mean"].to(self.device)
        self.w2v_std = torch.sqrt(stats["var"]).to(self.device)
        codec = repcodec_class()(cfg=self.cfg.semantic_codec)
        safetensors.torch.load_model(codec, str(self.layout.semantic_codec))
        self.codec = codec.to(self.device).eval()

    def _load_s2mel(self) -> None:
        import torch
        from indextts.s2mel.modules.campplus.DTDNN import CAMPPlus
        from indextts.s2mel.modules.commons import MyModel, load_checkpoint2

        s2mel = MyModel(self.cfg.s2mel, use_gpt_latent=True)
        s2mel, _, _, _ = load_checkpoint2(s2mel, None, str(self.layout.s2mel), load_only_params=True,
                                          ignore_modules=[], is_distributed=False)
        self.s2mel = s2mel.to(self.device).eval()
        self.s2mel.models["cfm"].estimator.setup_caches(max_batch_size=1, max_seq_length=8192)
        campplus = CAMPPlus(feat_dim=80, embedding_size=192)
        campplus.load_state_dict(torch.load(self.layout.campplus, map_location="cpu"))
        self.campplus = campplus.to(self.device).eval()
        spect = self.cfg.s2mel.preprocess_params.spect_params
        self._mel_args = {
            "n_fft": spect.n_fft, "win_size": spect.win_length, "hop_size": spect.hop_length,
            "num_mels": spect.n_mels, "sampling_rate": self.cfg.s2mel.preprocess_params.sr,
            "fmin": spect.get("fmin", 0),
            "fmax": None if str(spect.get("fmax", "None")) == "None" else 8000,
            "center": False,
        }

    def _load_vocoder(self) -> None:
        from indextts.s2mel.modules.bigvgan.bigvgan import BigVGAN

        vocoder = BigVGAN.from_pretrained(str(self.layout.bigvgan), use_cuda_kernel=False)
        vocoder.remove_weight_norm()
        self.vocoder = vocoder.to(self.device).eval()

    def _load_emotion(self) -> None:
        import torch

        emo_num = [int(n) for n in self.cfg.emo_num]
        self.emo_matrix = torch.split(torch.load(self.layout.emo_matrix, map_location="cpu").to(self.device), emo_num)
        self.spk_matrix = torch.split(torch.load(self.layout.spk_matrix, map_location="cpu").to(self.device), emo_num)
        self.qwen = None
        if self.layout.qwen_emotion is not None:
            from indextts.emotion import QwenEmotion

            self.qwen = QwenEmotion(str(self.layout.qwen_emotion))

    def _load_text(self, language: str | None) -> None:
        from indextts.utils.front import TextNormalizer, TextTokenizer

        normalizer = None
        self.notes: list[str] = []
        try:
            import nemo_text_processing  # noqa: F401

            normalizer = TextNormalizer(enable_glossary=True, preferred_language=language)
        except ImportError:
            self.notes.append(
                "IndexTTS2 text normalisation is off (nemo_text_processing not installed): "
                "write numbers, dates and symbols out as words"
            )
        self.tokenizer = TextTokenizer(str(self.layout.bpe), normalizer)
        if normalizer is not None and self.layout.glossary is not None:
            normalizer.load_glossary_from_yaml(str(self.layout.glossary))

    # ---- conditioning ---------------------------------------------------------------
    def _w2v_features(self, audio_16k: np.ndarray):

        inputs = self.features(audio_16k, sampling_rate=16000, return_tensors="pt")
        out = self.w2v(
            input_features=inputs["input_features"].to(self.device),
            attention_mask=inputs["attention_mask"].to(self.device),
            output_hidden_states=True,
        )
        feat = out.hidden_states[W2V_LAYER]
        return (feat - self.w2v_mean) / self.w2v_std

    def speaker_conditioning(self, audio_16k: np.ndarray, audio_22k: np.ndarray) -> dict:
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

    def emotion_conditioning(self, audio_16k: np.ndarray) -> dict:
        import torch

        with torch.no_grad():
            return {"emo_cond": self._w2v_features(audio_16k)}

    def emotion_vector(self, weights: tuple[float, ...], style):
        """IndexTTS2's mix: per emotion, the matrix row whose speaker row is closest to ``style``."""
        import torch
        from indextts.emotion import find_most_similar_cosine

        w = torch.tensor(weights, device=self.device, dtype=torch.float32)
        rows = [emo[find_most_similar_cosine(style, spk)].unsqueeze(0)
                for emo, spk in zip(self.emo_matrix, self.spk_matrix)]
        mat = (w.unsqueeze(1) * torch.cat(rows, 0)).sum(0).unsqueeze(0)
        return mat, w

    def describe_emotion(self, description: str) -> tuple[float, ...]:
        return tuple(float(v) for v in self.qwen.inference(description).values())

    # ---- generation -----------------------------------------------------------------
    def text_segments(self, text: str, max_tokens: int) -> list[list[int]]:
        tokens = self.tokenizer.tokenize(text)
        return [self.tokenizer.convert_tokens_to_ids(seg)
                for seg in self.tokenizer.split_segments(tokens, max_tokens)]

    def merged_emovec(self, spk_cond, emo_cond, alpha: float, vector=None):
        import torch

        with torch.no_grad(), self._autocast():
            lens = lambda c: torch.tensor([c.shape[-1]], device=self.device)  # noqa: E731
            emovec = self.gpt.merge_emovec(spk_cond, emo_cond, lens(spk_cond), lens(emo_cond), alpha=alpha)
            if vector is not None:
                mat, w = vector
                emovec = mat + (1 - torch.sum(w)) * emovec
        return emovec

    def semantic_tokens(self, ids: list[int], spk_cond, emo_cond, emovec, sampling: dict) -> SemanticTokens:
        import torch

        text = torch.tensor(ids, dtype=torch.int32, device=self.device).unsqueeze(0)
        lens = lambda c: torch.tensor([c.shape[-1]], device=self.device)  # noqa: E731
        with torch.no_grad(), self._autocast():
            codes, cond_latent = self.gpt.inference_speech(
                spk_cond, text, emo_cond, cond_lengths=lens(spk_cond), emo_cond_lengths=lens(emo_cond),
                emo_vec=emovec, do_sample=True, num_return_sequences=1,
                max_generate_length=min(sampling["max_mel_tokens"], self.max_mel_tokens),
                top_p=sampling["top_p"], top_k=sampling["top_k"], temperature=sampling["temperature"],
                length_penalty=0.0, num_beams=sampling["num_beams"],
                repetition_penalty=sampling["repetition_penalty"],
            )
            code = codes[0]
            stops = (code == self.stop_token).nonzero(as_tuple=False)
            n = int(stops[0, 0]) if stops.numel() else len(code)
            if n == 0:
                raise EngineError("IndexTTS2 generated no speech tokens for this text (stop token first)")
            codes = codes[:, :n]
            latent = self.gpt(
                cond_latent, text, lens(text), codes, lens(codes), emo_cond,
                cond_mel_lengths=lens(spk_cond), emo_cond_mel_lengths=lens(emo_cond),
                emo_vec=emovec, use_speed=torch.zeros(1, device=self.device).long(),
            )
        return SemanticTokens(codes=codes, latent=latent, natural_frames=int(n * TOKENS_TO_FRAMES),
                              hit_limit=not stops.numel())

    def render(self, tokens: SemanticTokens, frames: int, speaker: dict, diffusion_steps: int,
               cfg_rate: float) -> np.ndarray:
        """Mel at exactly ``frames`` frames through the CFM, then BigVGAN: frames * HOP samples."""
        import torch

        with torch.no_grad():
            latent = self.s2mel.models["gpt_layer"](tokens.latent.float())
            s_infer = self.codec.quantizer.vq2emb(tokens.codes.unsqueeze(1)).transpose(1, 2) + latent
            target = torch.LongTensor([frames]).to(self.device)
            cond = self.s2mel.models["length_regulator"](s_infer, ylens=target, n_quantizers=3, f0=None)[0]
            cat = torch.cat([speaker["prompt"], cond], dim=1)
            mel = self.s2mel.models["cfm"].inference(
                cat, torch.LongTensor([cat.size(1)]).to(self.device), speaker["ref_mel"], speaker["style"],
                None, diffusion_steps, inference_cfg_rate=cfg_rate,
            )
            mel = mel[:, :, speaker["ref_mel"].size(-1):]
            wav = self.vocoder(mel.float()).squeeze()
            wav = torch.clamp(wav, -1.0, 1.0)
        return wav.float().cpu().numpy().reshape(-1)

    def _autocast(self):
        import torch

        dev = "cuda" if str(self.device).startswith("cuda") else "cpu"
        return torch.amp.autocast(dev, enabled=self.fp16, dtype=torch.float16)
