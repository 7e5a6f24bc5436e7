"""Elm's DVC entry points, one module per stage (``python -m stages.<name> --help``); the code they
share lives in the ``elm`` package. Holds no code, so dvc.yaml's stages do not depend on it."""
