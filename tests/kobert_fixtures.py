"""Builders standing in for KoBERT: a SentencePiece vocabulary and a tiny BERT, built here.

The real ``monologg/kobert`` weights cannot be downloaded in tests, so a session builds a
KoBERT-style base folder (``tokenizer_78b3253a26.model`` + ``vocab.txt`` + ``config.json``
+ ``model.safetensors``) from a SentencePiece model trained on the sentences below (our
own, written for these tests) and a randomly initialised 2-layer BERT.
"""

from __future__ import annotations

from pathlib import Path

from core.dataset.records import Dataset, Example

# Four categories with clearly different words, so a few steps can learn them.
TINY_DATA: dict[str, list[str]] = {
    "감정/우울감": [
        "요즘 너무 우울해요", "우울해서 아무것도 하기 싫어요", "계속 우울한 기분이 들어요",
        "우울하고 눈물이 나요", "하루 종일 우울해요", "우울한 마음이 안 없어져요",
        "기분이 우울하고 무기력해요", "오늘도 우울해요",
    ],
    "증상/불면": [
        "밤에 잠을 못 자요", "잠이 안 와서 힘들어요", "새벽까지 잠을 못 자요",
        "잠들기가 너무 어려워요", "불면증 때문에 피곤해요", "밤새 뒤척이며 잠을 못 자요",
        "자다가 자꾸 깨요", "잠을 자도 개운하지 않아요",
    ],
    "배경/직장": [
        "회사 가기가 싫어요", "직장 상사 때문에 스트레스 받아요", "회사 일이 너무 많아요",
        "야근이 계속돼서 지쳤어요", "직장에서 실수를 했어요", "회사 동료랑 사이가 나빠요",
        "출근하는 게 괴로워요", "회사를 그만두고 싶어요",
    ],
    "증상/식욕저하": [
        "밥맛이 하나도 없어요", "입맛이 없어서 안 먹었어요", "식욕이 너무 없어요",
        "밥을 먹기가 싫어요", "요즘 밥을 거의 안 먹어요", "먹고 싶은 게 없어요",
        "식사를 자꾸 거르게 돼요", "입맛이 뚝 떨어졌어요",
    ],
}

TINY_ANSWERS = {
    "감정/우울감": ["우울한 마음이 드시는군요. 이야기해 주셔서 고마워요."],
    "증상/불면": ["잠을 못 주무셔서 많이 힘드시겠어요."],
    "배경/직장": ["회사 일로 많이 지치셨군요."],
    "증상/식욕저하": ["입맛이 없으시군요. 조금이라도 챙겨 드셨으면 해요."],
}

def tiny_dataset() -> Dataset:
    examples = [Example(t, c) for c, texts in TINY_DATA.items() for t in texts]
    return Dataset(examples, {k: list(v) for k, v in TINY_ANSWERS.items()})


def build_base(folder: Path, hidden: int = 64, layers: int = 2, heads: int = 2) -> Path:
    """Write a KoBERT-style base model folder with random weights into ``folder``.

    ``initializer_range`` 0.1 (BERT's is 0.02) lets a random encoder learn the four
    categories in a few dozen steps, which keeps the tests short.
    """
    from training.bases.scratch import write_base

    sentences = [t for texts in TINY_DATA.values() for t in texts]
    write_base(
        folder, sentences * 3,
        encoder={"vocab_size": 122, "hidden_size": hidden, "num_hidden_layers": layers,
                 "num_attention_heads": heads, "intermediate_size": hidden * 2,
                 "max_position_embeddings": 128},
        initializer_range=0.1,
    )
    return folder
