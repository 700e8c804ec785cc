"""The TRL exports through TRL 1.16 itself: a build without media trains a text model (DPO and
KTO, two steps on a tiny local model made here, nothing downloaded); a build with media loads as
TRL's vision format (absolute frame paths cast to images, one image part per frame)."""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path
from typing import Any

from tests.consumers.gate import require

trl, datasets, transformers, tokenizers = require("eval-trl", "trl", "datasets", "transformers", "tokenizers")

CHAT_TEMPLATE = ("{% for m in messages %}<{{ m['role'] }}> {{ m['content'] }} </s> {% endfor %}"
                 "{% if add_generation_prompt %}<assistant> {% endif %}")


def words(rows: list[dict[str, Any]]) -> set[str]:
    found: set[str] = set()
    for row in rows:
        for key in ("prompt", "chosen", "rejected", "completion"):
            for message in row.get(key, []):
                found.update(str(message["content"]).split())
    return found


def tiny_model(vocabulary: set[str]) -> tuple[Any, Any]:
    """A one-layer Llama with a word-level tokenizer over ``vocabulary`` (random weights)."""
    specials = ["<pad>", "<unk>", "<s>", "</s>", "<user>", "<assistant>", "<system>"]
    vocab = {w: i for i, w in enumerate(specials + sorted(vocabulary - set(specials)))}
    backend = tokenizers.Tokenizer(tokenizers.models.WordLevel(vocab=vocab, unk_token="<unk>"))
    backend.pre_tokenizer = tokenizers.pre_tokenizers.WhitespaceSplit()
    tokenizer = transformers.PreTrainedTokenizerFast(tokenizer_object=backend, pad_token="<pad>",
                                                     unk_token="<unk>", bos_token="<s>", eos_token="</s>")
    tokenizer.chat_template = CHAT_TEMPLATE
    config = transformers.LlamaConfig(vocab_size=len(vocab), hidden_size=16, intermediate_size=32,
                                      num_hidden_layers=1, num_attention_heads=2, num_key_value_heads=2,
                                      max_position_embeddings=1024, pad_token_id=0, bos_token_id=2,
                                      eos_token_id=3)
    transformers.set_seed(0)
    return transformers.LlamaForCausalLM(config), tokenizer


def load(path: Path) -> Any:
    return datasets.load_dataset("json", data_files=str(path), split="train")


def train_two_steps(name: str, data: Any, tmp_path: Path) -> list[float]:
    model, tokenizer = tiny_model(words(data.to_list()))
    reference = copy.deepcopy(model)  # TRL would otherwise reload the policy from its (absent) hub id
    common = {"output_dir": str(tmp_path / name), "max_steps": 2, "per_device_train_batch_size": 4,
              "report_to": "none", "logging_steps": 1, "save_strategy": "no", "use_cpu": True,
              "max_length": 256}
    if name == "dpo":
        trainer = trl.DPOTrainer(model=model, ref_model=reference, args=trl.DPOConfig(**common),
                                 train_dataset=data, processing_class=tokenizer)
    else:
        trainer = trl.KTOTrainer(model=model, ref_model=reference, args=trl.KTOConfig(**common),
                                 train_dataset=data, processing_class=tokenizer)
    trainer.train()
    return [entry["loss"] for entry in trainer.state.log_history if "loss" in entry]


def test_text_only_exports_train_a_text_model(timewarp_text_only: Path, tmp_path: Path) -> None:
    for name in ("dpo", "kto"):
        data = load(timewarp_text_only / "exports" / "trl" / f"{name}.jsonl")
        assert "images" not in data.column_names
        assert trl.data_utils.is_conversational(data[0])
        losses = train_two_steps(name, data, tmp_path)
        assert len(losses) == 2 and all(math.isfinite(x) for x in losses)


def test_media_exports_are_trl_vision_records(timewarp_demo: Path) -> None:
    for name in ("dpo", "kto"):
        data = load(timewarp_demo / "exports" / "trl" / f"{name}.jsonl")
        root = str(timewarp_demo)
        # the card's advice: absolute paths, then cast to images
        data = data.map(lambda r, root=root: {"images": [f"{root}/{p}" for p in r["images"]]})
        data = data.cast_column("images", datasets.Sequence(datasets.Image()))
        for row in data:
            parts = sum(p["type"] == "image" for p in row["prompt"][0]["content"])
            assert parts == len(row["images"]) > 0
            assert all(image.size[0] > 0 for image in row["images"])
            assert trl.data_utils.is_conversational(row)


def test_cards_say_which_exports_need_media(timewarp_text_only: Path) -> None:
    text = (timewarp_text_only / "README.md").read_text()
    assert "needs media" in text
    assert json.loads((timewarp_text_only / "manifest.json").read_text())["media_rendered"] is False
