"""Elm's pipeline: one module per DVC stage (``python -m stages.<name>``) and the code they share."""
