"""The ``gpt2simple`` backend (``finetune.backend: gpt2simple``): the original study's library, gpt-2-simple 0.8.1, on TensorFlow 2.

An optional install (`make setup-gpt2simple`). ``finetune.model`` is a gpt-2-simple model name (``124M``,
``355M``, ...: downloaded once into ``models/base/<name>`` by the library, which needs the internet), a local
directory in the library's layout (``encoder.json``, ``vocab.bpe``, ``hparams.json`` and a TensorFlow
checkpoint, with ``n_ctx`` 1024), or ``scratch`` (a random GPT-2 of ``finetune.scratch``'s shape with a
byte-level BPE vocabulary trained on the corpus).

The training documents go to a text file, each followed by an ``<|endoftext|>`` line, as in the study, and
``gpt_2_simple.finetune`` trains on it: ``max_steps`` -> ``steps``, ``batch_size``, ``learning_rate``,
``grad_accum`` -> ``accumulate_gradients``, ``checkpoint_every`` -> ``save_every``, ``threads`` -> the
TensorFlow session's threads, ``seed`` -> Python's, NumPy's and TensorFlow's seeds, and the section
``finetune.gpt2simple`` holds the library's own options. The library draws random 1024-token windows and
uses Adam at a constant learning rate, so ``seq_len``, ``warmup_steps``, ``weight_decay``, ``precision``,
``compile``, ``dropout`` (the library's GPT-2 has none), ``eval_every``, ``early_stopping_patience`` and ``lora``
do not apply. Train loss (to two decimals) and tokens/s come from the library's own per-step line; the eval loss is measured once, after the last step.
A killed run resumes through the library's ``restore_from="latest"``: the weights and the step come back,
the Adam moments and the window sampler start afresh.

``models/finetuned/`` is a run folder in the library's layout: ``gpt_2_simple.load_gpt2(sess,
run_name="finetuned", checkpoint_dir="models")`` loads it. Generation calls ``gpt_2_simple.generate`` with
the prompt as ``prefix`` and generate's temperature, top_k, top_p (1.0: off) and max_new_tokens; it always
samples ``max_new_tokens`` tokens, and each post is what follows the prompt up to the end token, line breaks
kept (a sample without one did not end: ``None``).
"""