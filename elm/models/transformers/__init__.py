"""The ``transformers`` backend (``finetune.backend: transformers``): any causal LM that Hugging Face transformers
loads, one module per job, so that each stage's code dependencies hold what it runs:

- ``common``: loading a base model (hub id, folder, ``.gguf`` file, a file inside a Python package) and the device;
- ``train``: fine-tuning it with a plain PyTorch loop (the ``finetune`` stage);
- ``generate``: sampling posts from the fine-tuned model (the ``generate`` stage);
- ``score``: every post's token log-probabilities, entropies and ranks (the ``likelihood`` stage).

The package is named after the params value (dvc.yaml lists ``elm/models/${finetune.backend}/...``); inside it,
``import transformers`` is Hugging Face's library, as absolute imports always are.
"""
