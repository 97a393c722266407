"""IndexTTS-2.5's networks (indextts25-inference), loaded from a local layout, stage by stage.

What differs from 2.0 (``model.py``) is the middle of the pipeline:

- text: a tiktoken vocabulary with a language token (``text25``), not SentencePiece;
- GPT: conditioned on the CAMPPlus speaker style plus the emotion vector (no w2v-BERT
  perceiver for the speaker), 25 tokens a second, no latent handed to the second stage;
- codec: ``codec.pth`` decodes the tokens to 50 Hz w2v-BERT-like features, which the
  length regulator stretches (2.0 quantised and re-embedded MaskGCT codes);
- the reference's prompt is its w2v-BERT features themselves, not their MaskGCT codes.

The exact-length stage is the same: upstream's ``duration_factor`` scales one target length
(``features x 1.72 x factor``) handed to the length regulator, so rendering at a chosen frame
count is upstream's own duration control. What is the same as 2.0 (w2v-BERT features of a
clip, the emotion merge and matrices, the Qwen text-emotion model) is inherited from
``IndexTTS2Model``; everything that touches a 2.0-only network is overridden here.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ...errors import EngineError
from .fbank import fbank
from .imports import require_indextts25
from .layout import IndexTTSLayout
from .model import IndexTTS2Model, SemanticTokens, Tensor, Tokenized
from .text25 import Text25
from .timing import version_token_frames


class IndexTTS25Model(IndexTTS2Model):
    """Every network of IndexTTS-2.5 on one device; no hub access, no package ``__init__``."""

    @staticmethod
    def _require_package(layout: IndexTTSLayout) -> None:
        """2.5's own package; 2.0's is not needed (``IndexTTS2Model.__init__`` loads the rest)."""
        if layout.version != "2.5":
            raise EngineError(f"{layout.config}: version {layout.version} is not an IndexTTS-2.5 checkpoint")
        require_indextts25()

    # ---- loading -------------------------------------------------------------------
    def _load_gpt(self) -> None:
        from indextts25.gpt.model_v2 import UnifiedVoice
        from indextts25.utils.checkpoint import load_checkpoint

        gpt = UnifiedVoice(**self.cfg.gpt)
        load_checkpoint(gpt, str(self.layout.gpt))
        gpt = gpt.to(self.device).eval()
        if self.fp16:  # upstream runs 2.5's GPT in bfloat16 (its activations overflow float16)
            gpt = gpt.bfloat16()
        gpt.post_init_gpt2_config()
        self.gpt = gpt

    def _load_semantic(self) -> None:
        from indextts25.codec.models import EnhancedCodec

        self._load_w2v()
        codec = EnhancedCodec(**self.cfg.semantic_codec)
        codec.load_checkpoint(str(self.layout.semantic_codec), self.device)
        self.codec = codec.to(self.device).eval()

    def _load_s2mel(self, compile: bool) -> None:
        import torch
        from indextts25.s2mel.modules.campplus.DTDNN import CAMPPlus
        from indextts25.s2mel.modules.commons import MyModel
        from indextts25.utils.checkpoint import fold_weight_norm

        s2mel = MyModel(self.cfg.s2mel)
        net = torch.load(self.layout.s2mel, map_location="cpu")["net"]
        for name, module in s2mel.models.items():  # strict: a missing key is a broken checkpoint
            module.load_state_dict(fold_weight_norm(net[name], "cpu"))
        self.s2mel = s2mel.to(self.device).eval()
        self.s2mel.models["cfm"].estimator.setup_caches(max_batch_size=1, max_seq_length=8192)
        if compile:
            self.notes.append("torch.compile is not offered for IndexTTS-2.5's second stage; running uncompiled")
        campplus = CAMPPlus(feat_dim=80, embedding_size=192)
        campplus.load_state_dict(torch.load(self.layout.campplus, map_location="cpu"))
        self.campplus = campplus.to(self.device).eval()
        self._mel_args = self._mel_params()

    def _load_vocoder(self, cuda_kernel: bool) -> None:
        from indextts25.s2mel.modules.bigvgan.bigvgan import BigVGAN

        if cuda_kernel:  # indextts25-inference ships only the torch activation
            self.notes.append("BigVGAN's CUDA kernel is not available for IndexTTS-2.5; using the torch activation")
        self.vocoder = BigVGAN.from_dir(str(self.layout.bigvgan), self.device).eval()

    def _load_text(self, language: str | None) -> None:
        self.text = Text25(self.layout.bpe, language, self.max_text_tokens)

    # ---- text -----------------------------------------------------------------------
    def tokenize(self, text: str, max_tokens: int) -> Tokenized:
        return self.text.tokenize(text, max_tokens)

    # ---- conditioning ---------------------------------------------------------------
    def speaker_conditioning(self, audio_16k: np.ndarray, audio_22k: np.ndarray) -> dict[str, Tensor]:
        import torch
        from indextts25.s2mel.modules.audio import mel_spectrogram

        with torch.no_grad():
            spk_cond = self._w2v_features(audio_16k)
            wav22 = torch.from_numpy(audio_22k).float().unsqueeze(0).to(self.device)
            ref_mel = mel_spectrogram(wav22, **self._mel_args)
            wav16 = torch.from_numpy(audio_16k).float().unsqueeze(0).to(self.device)
            feat = fbank(wav16, 16000, 80)
            style = self.campplus((feat - feat.mean(dim=0, keepdim=True)).unsqueeze(0))
            lengths = torch.LongTensor([ref_mel.size(2)]).to(self.device)
            prompt = self.s2mel.models["length_regulator"](spk_cond, ylens=lengths)
        return {"spk_cond": spk_cond, "style": style, "prompt": prompt, "ref_mel": ref_mel}

    # ---- generation -----------------------------------------------------------------
    def semantic_tokens(self, ids: list[int], speaker: dict[str, Tensor], emo_cond: Tensor, emovec: Tensor,
                        sampling: dict[str, float | int]) -> SemanticTokens:
        """GPT codes at 25 a second, decoded by the codec to the features the second stage stretches."""
        import torch

        text = torch.tensor(ids, dtype=torch.int32, device=self.device).unsqueeze(0)
        lang = torch.tensor([self.text.language_id(ids[0])], dtype=torch.long, device=self.device)
        with torch.no_grad(), self._autocast():
            codes = self.gpt.inference_speech(
                text, lang, emovec, speaker["style"], do_sample=True,
                max_generate_length=min(int(sampling["max_mel_tokens"]), self.max_mel_tokens),
                top_p=sampling["top_p"], top_k=sampling["top_k"], temperature=sampling["temperature"],
                length_penalty=0.0, num_beams=sampling["num_beams"],
                repetition_penalty=sampling["repetition_penalty"],
            )
        stops = (codes[0] == self.stop_token).nonzero(as_tuple=False)
        n = int(stops[0, 0]) if stops.numel() else codes.shape[1]
        if n == 0:
            raise EngineError("IndexTTS-2.5 generated no speech tokens for this text (stop token first)")
        codes = codes[:, :n]
        with torch.no_grad():
            features = self.codec.decode(codes)  # (1, 2n, 1024) at 50 Hz
        return SemanticTokens(codes=codes, latent=features, natural_frames=version_token_frames(n, "2.5"),
                              hit_limit=not stops.numel())

    def s2_condition(self, tokens: SemanticTokens, frames: int, speaker: dict[str, Tensor]) -> Tensor:
        """The voice's prompt, then the codec's features stretched to ``frames`` (no GPT latent)."""
        import torch

        with torch.no_grad():
            target = torch.LongTensor([frames]).to(self.device)
            cond = self.s2mel.models["length_regulator"](tokens.latent.float(), ylens=target)
            return torch.cat([speaker["prompt"], cond], dim=1)

    def _autocast(self) -> Any:
        import torch

        dev = "cuda" if str(self.device).startswith("cuda") else "cpu"
        return torch.amp.autocast(dev, enabled=self.fp16, dtype=torch.bfloat16)
