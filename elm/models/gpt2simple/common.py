"""What the gpt2simple backend's jobs share: TensorFlow and gpt-2-simple, imported once with the install hint
when they are missing, and the end token the library's training text uses."""
from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's C++ start-up notices drown the stage's own lines

try:
    import gpt_2_simple as gpt2
    import tensorflow as tf
    from gpt_2_simple.src import encoder as gpt2_encoder
    from gpt_2_simple.src import model as gpt2_model
except ModuleNotFoundError as err:
    from elm.errors import ElmError

    raise ElmError(f"finetune.backend gpt2simple needs the Python package {err.name!r}, which is not installed: "
                   f"run `make setup-gpt2simple` (or `pip install -e '.[gpt2simple]'` and then "
                   f"`pip install --no-deps gpt-2-simple==0.8.1`)") from None

from elm.models.format import END_TOKEN as END

tf.get_logger().setLevel("ERROR")  # the library calls APIs TensorFlow 2 marks deprecated, on every save

__all__ = ["END", "gpt2", "gpt2_encoder", "gpt2_model", "tf"]
