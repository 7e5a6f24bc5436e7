"""How a post is written for a language model, in training, in prompts and in scoring: ``account: text``, each
post followed by the end token (the account conditions the model on a voice)."""
from __future__ import annotations

END_TOKEN = "<|endoftext|>"  # GPT-2's end of document, also the end token of every BPE vocabulary trained here


def format_post(account: str, text: str) -> str:
    """The training line for one post: the account conditions the model on a voice."""
    return f"{account}: {text}"


def prompt_for(account: str) -> str:
    """The generation prompt that asks for a post in ``account``'s voice."""
    return f"{account}:"
