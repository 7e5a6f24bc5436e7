"""A byte-level BPE vocabulary trained on the corpus: the tokenizer of a ``scratch`` model, in either backend."""
from __future__ import annotations

from elm.models.format import END_TOKEN


def train_bpe(texts: list[str], vocab_size: int):
    """A GPT-2-style byte-level BPE (a ``tokenizers.Tokenizer``) trained on ``texts``, with ``END_TOKEN``
    as its only special token."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    bpe.train_from_iterator(texts, trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=[END_TOKEN], initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False))
    return bpe
