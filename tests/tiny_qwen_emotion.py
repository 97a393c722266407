"""Build a tiny Qwen3 emotion model (``qwen0.6bemo4-merge/``) that gives one known answer.

IndexTTS2's emotion-from-text model is a Qwen3 causal LM asked, through its chat template,
to classify a description; its answer is read as JSON scores. This folder has the same
files a real one has (config.json, model.safetensors, generation_config.json, tokenizer
files with a chat template) and loads through ``transformers`` exactly as the real model
does, so ``TextEmotionModel`` runs unchanged: template, tokenizer, ``generate``, decode.

Only its weights are set by hand so that greedy decoding says ``ANSWER`` whatever the
description: attention and MLP add nothing, the embeddings are one-hot, and the output
head maps each token to the next one of a fixed chain (end of prompt -> the answer's
tokens -> end of text). A random model would answer nonsense, which only the fallback
path can use.

    python tests/tiny_qwen_emotion.py OUT_DIR
"""
from __future__ import annotations

import sys
from pathlib import Path

FOLDER = "qwen0.6bemo4-merge"  # the name config.yaml's qwen_emo_path gives
# Decoded with a space between: {"高兴": 0.46875} -> happy 0.46875, which is what a user's
# vector [0.5, 0, ...] becomes after IndexTTS2's happy bias (0.9375): exact in binary.
ANSWER = ('{"高兴":', "0.46875}")
PROMPT_END = "<|assistant|>"
END = "<|endoftext|>"
TEMPLATE = ("{% for m in messages %}<|{{ m['role'] }}|> {{ m['content'] }}\n{% endfor %}"
            "{% if add_generation_prompt %}" + PROMPT_END + "{% endif %}")
HIDDEN = 16


def build(out: Path, answer: tuple[str, ...] = ANSWER) -> Path:
    """The model folder at ``out``; greedy decoding of any prompt yields ``answer``'s tokens."""
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast, Qwen3Config, Qwen3ForCausalLM

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    vocab = ["<unk>", END, PROMPT_END, "<|system|>", "<|user|>", *answer]
    ids = {t: i for i, t in enumerate(vocab)}
    word_level = Tokenizer(models.WordLevel({t: i for t, i in ids.items()}, unk_token="<unk>"))
    word_level.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tok = PreTrainedTokenizerFast(tokenizer_object=word_level, unk_token="<unk>", eos_token=END, pad_token=END,
                                  additional_special_tokens=[PROMPT_END, "<|system|>", "<|user|>"],
                                  model_input_names=["input_ids", "attention_mask"])
    tok.chat_template = TEMPLATE
    tok.save_pretrained(out)

    cfg = Qwen3Config(vocab_size=len(vocab), hidden_size=HIDDEN, intermediate_size=8, num_hidden_layers=1,
                      num_attention_heads=2, num_key_value_heads=1, head_dim=8, max_position_embeddings=256,
                      tie_word_embeddings=False, eos_token_id=ids[END], bos_token_id=ids[END],
                      pad_token_id=ids[END])
    model = Qwen3ForCausalLM(cfg)
    chain = [ids[PROMPT_END], *(ids[t] for t in answer), ids[END]]
    with torch.no_grad():
        for layer in model.model.layers:  # the residual stream stays the token's own embedding
            layer.self_attn.o_proj.weight.zero_()
            layer.mlp.down_proj.weight.zero_()
        model.model.embed_tokens.weight.copy_(torch.eye(len(vocab), HIDDEN))
        head = torch.zeros(len(vocab), HIDDEN)
        head[ids[END], :len(vocab)] = 1.0  # every token leads to the end of text...
        for here, nxt in zip(chain, chain[1:]):  # ...but the chain's tokens lead along it
            head[:, here] = 0.0
            head[nxt, here] = 10.0
        model.lm_head.weight.copy_(head)
    model.save_pretrained(out)
    return out


if __name__ == "__main__":
    print(build(Path(sys.argv[1]) / FOLDER))
