"""Language models: the typed interface every backend implements (``interface``), one package per backend
(``transformers``, ``gpt2simple``) with one module per job (``train``, ``generate``, ``score``), and what
several jobs share: how a post is written for a model (``format``), the model folder's manifest, the
checkpoint of a resumable run, the number format (``precision``), the training schedule and the scratch
vocabulary (``bpe``). Holds no code, so a stage depends only on the modules it imports."""
