"""The gpt2simple backend's generation (the ``generate`` stage): ``gpt_2_simple.generate`` with the prompt as
``prefix``, each post cut at the end token (its line breaks are part of it)."""
from __future__ import annotations

import contextlib
import io
from pathlib import Path

from elm.errors import ElmError
from elm.models.gpt2simple.common import END, gpt2, gpt2_encoder, tf
from elm.models.interface import check_max_new_tokens


def sampling(params) -> dict:
    """generate's sampling params as ``gpt_2_simple.generate`` takes them."""
    if params.min_p > 0 or params.typical_p < 1:
        raise ElmError("generate.min_p and generate.typical_p: gpt-2-simple samples with neither; set min_p 0 "
                       "and typical_p 1.0, or fine-tune with finetune.backend transformers")
    if params.temperature == 0:  # greedy: the library divides by the temperature, so take the top token
        return {"temperature": 1.0, "top_k": 1, "top_p": 0.0}
    # the library's top_p 0 is off, and a non-zero top_p overrides top_k
    top_p = params.top_p if params.top_p < 1 else 0.0
    return {"temperature": params.temperature, "top_k": params.top_k, "top_p": top_p}


def post(text: str, prompt: str) -> str | None:
    """The post in one sample (the prompt, then what the model wrote): what follows the prompt up to the end
    token, line breaks kept (the training text ends each post with a line break, then the end token); ``None``
    when no end token came within the sampled tokens."""
    text = text.removeprefix(prompt)
    if END not in text:
        return None
    return text.split(END)[0].strip()


class Gpt2SimpleGenerator:
    """This backend's ``Generator`` (``elm.models.interface``), a fine-tuned run folder ready to sample posts:
    ``generator(prompts, params, seed) -> texts``, ``None`` for a post that did not end within
    ``params.max_new_tokens`` tokens.

    ``gpt_2_simple.generate`` seeds each call afresh (the same seed gives the same posts, whatever came
    before) but adds its sampling ops to the graph on every call, so the model is reloaded every
    ``RELOAD_EVERY`` calls to keep the graph small."""

    RELOAD_EVERY = 50

    def __init__(self, model_dir: Path | str):
        self.folder = Path(model_dir).resolve()
        self.calls = 0
        self.graph = self.session = None

    def load(self) -> None:
        if self.session is not None:
            self.session.close()
        self.graph = tf.Graph()
        with self.graph.as_default(), contextlib.redirect_stdout(io.StringIO()):  # "Loading checkpoint ..."
            self.session = gpt2.start_tf_sess()
            gpt2.load_gpt2(self.session, run_name=self.folder.name, checkpoint_dir=str(self.folder.parent))

    def __call__(self, prompts: list[str], params, seed: int) -> list[str | None]:
        check_max_new_tokens(params)
        if self.calls % self.RELOAD_EVERY == 0:
            self.load()
        self.calls += 1
        # one library call per distinct prompt, each with a seed of its own (one seed would draw the same
        # noise for every prompt)
        by_prompt = {prompt: iter(self.sample(prompt, prompts.count(prompt), params, seed + n))
                     for n, prompt in enumerate(dict.fromkeys(prompts))}
        return [next(by_prompt[prompt]) for prompt in prompts]

    def sample(self, prompt: str, count: int, params, seed: int) -> list[str | None]:
        with self.graph.as_default():
            texts = gpt2.generate(
                self.session, run_name=self.folder.name, checkpoint_dir=str(self.folder.parent),
                return_as_list=True, prefix=prompt, nsamples=count,
                batch_size=count, length=params.max_new_tokens, seed=seed, **sampling(params))
        return [post(text, prompt) for text in texts]

    def post_lengths(self, prompts: list[str], lines: list[str]) -> list[int]:
        """Tokens the model samples to write each training line after its prompt, up to its end token, the end
        token's last piece excluded: a post ends only once the whole end token is written, and the library's
        encoder spells it in pieces ("\\n", "<|", "endoftext", "|>"), where the interface counts one token."""
        enc = gpt2_encoder.get_encoder(str(self.folder))
        return [len(enc.encode(line)) + len(enc.encode(f"\n{END}")) - 1 - len(enc.encode(prompt))
                for line, prompt in zip(lines, prompts)]
