"""The gpt2simple backend, for real: gpt-2-simple and TensorFlow on a tiny random GPT-2 the test builds
in the library's own format, through the backend interface and through the finetune and generate stages."""
from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("tensorflow", reason="the optional gpt2simple backend is not installed (make setup-gpt2simple)")
pytest.importorskip("gpt_2_simple", reason="the optional gpt2simple backend is not installed (make setup-gpt2simple)")

from elm import paths
from elm.errors import ElmError  # noqa: E402
from elm.models.bpe import train_bpe
from elm.models.checkpoint import Checkpoint  # noqa: E402
from elm.models.format import format_post
from elm.models.gpt2simple import common as g2s_common
from elm.models.gpt2simple import generate as g2s_generate
from elm.models.gpt2simple import train as g2s_train
from elm.models.manifest import read_manifest
from elm.params.finetune import Finetune
from elm.params.generate import Generate
from elm.params.validation import build

from stage_runner import DVC, TINY, kill_stage_when, new_project, run_stage, sh, stages_run, write_params  # noqa: E402

VOICES = {
    "sailor": ["wind in the sails and salt on the deck today", "harbor lights at dawn, the tide is turning",
               "anchored in a quiet bay with the crew", "a long reach across the strait, sails full"],
    "baker": ["sourdough starter bubbling on the counter", "proofing the dough overnight for crusty loaves",
              "butter, flour and patience make the croissant", "fresh rye bread out of the oven at six"],
}
CORPUS = [format_post(account, text) for _ in range(12) for account, texts in VOICES.items() for text in texts]
LIBRARY_OPTIONS = {"only_train_transformer_layers": False, "use_memory_saving_gradients": False, "sample_every": 0,
                   "sample_length": 100}
WORDS = {word.strip(",") for texts in VOICES.values() for text in texts for word in text.split() if len(word) > 3}


def finetune_params(**overrides):
    """A validated finetune section for the backend (the project's params.yaml, changed where the test says)."""
    section = {**TINY["finetune"], "backend": "gpt2simple", "max_steps": 30, "batch_size": 1, "grad_accum": 1,
               "learning_rate": 5e-3, "eval_batches": 2, "checkpoint_every": 10, "seed": 0,
               "gpt2simple": LIBRARY_OPTIONS, **overrides}
    return build(Finetune, section, "test finetune")


def sampling_params(**overrides):
    return build(Generate, {**TINY["generate"], "max_new_tokens": 20, **overrides}, "test generate")


@pytest.fixture(scope="module")
def base_model(tmp_path_factory):
    """A random 2-layer GPT-2 in gpt-2-simple's layout, its BPE vocabulary trained on the corpus."""
    tokenizer = train_bpe(g2s_train.training_lines(CORPUS), 400)
    return g2s_train.write_random_checkpoint(tmp_path_factory.mktemp("base") / "tiny", tokenizer, 2, 2, 64)


@pytest.fixture(scope="module")
def trained(tmp_path_factory, base_model):
    """The base model fine-tuned for 30 steps, saving every 10 and sampling after 15, with the steps it reported."""
    work = tmp_path_factory.mktemp("trained")
    out, checkpoint = work / "finetuned", work / "checkpoints" / "finetune.pt"
    out.mkdir()
    steps = []
    sampling_every_15 = {**LIBRARY_OPTIONS, "sample_every": 15, "sample_length": 10}
    section = finetune_params(model=str(base_model), gpt2simple=sampling_every_15)
    summary = g2s_train.finetune(CORPUS, CORPUS[:8], section, out, lambda step, metrics: steps.append((step, metrics)),
                                  Checkpoint(checkpoint, "run-a"))
    return out, checkpoint, steps, summary


def test_training_lowers_the_eval_loss_and_reports_every_step(base_model, trained):
    _, _, steps, summary = trained
    assert [step for step, _ in steps] == list(range(1, 31))
    assert all(m["tokens_per_s"] > 0 and m["learning_rate"] == 5e-3 for _, m in steps)
    assert "eval/loss" in steps[-1][1] and not any("eval/loss" in m for _, m in steps[:-1])
    enc = g2s_common.gpt2_encoder.get_encoder(str(base_model))
    before = g2s_train.eval_loss(base_model, g2s_train.encode(enc, CORPUS[:8], 4096), 2)
    assert summary["eval_loss"] < before - 2.0  # random: ln(400) ~ 6.0
    assert steps[-1][1]["train/loss"] < steps[0][1]["train/loss"] - 2.0
    assert summary["parameters"] == 400 * 64 + 1024 * 64 + 2 * (12 * 64 * 64 + 13 * 64) + 2 * 64


def test_the_model_folder_is_a_gpt_2_simple_run_that_loads_from_anywhere(trained, tmp_path):
    out, checkpoint, _, _ = trained
    assert {p.name for p in out.iterdir()} == {"checkpoint", "counter", "encoder.json", "vocab.bpe", "hparams.json",
                                               "model-30.data-00000-of-00001", "model-30.index", "model-30.meta",
                                               "samples-16"}
    assert not (Path.cwd() / "samples").exists()  # the library's default place for them
    assert (out / "counter").read_text().strip() == "30"
    assert json.loads(checkpoint.with_suffix(".json").read_text()) == {"step": 30, "fingerprint": "run-a"}
    moved = tmp_path / "elsewhere" / "finetuned"
    shutil.copytree(out, moved)
    generator = g2s_generate.Gpt2SimpleGenerator(moved)
    assert len(generator(["sailor:"], sampling_params(), seed=0)) == 1


def test_generation_is_seeded_and_each_post_is_one_line_of_training_words(trained):
    out, _, _, _ = trained
    generator = g2s_generate.Gpt2SimpleGenerator(out)
    prompts = ["sailor:"] * 3 + ["baker:"] * 2 + ["sailor:"]
    room = sampling_params(max_new_tokens=40)  # None: a post not ended within 40 tokens, never one cut off
    first = generator(prompts, room, seed=3)
    assert len(first) == 6 and all(t is None or ("<|" not in t and t == t.strip()) for t in first)
    assert any(t for t in first)
    assert generator(prompts, room, seed=4) != first
    assert generator(prompts, room, seed=3) == first  # whatever ran before
    greedy = generator(["baker:"] * 3, sampling_params(temperature=0.0, max_new_tokens=40), seed=0)
    assert len(set(greedy)) == 1 and greedy[0] and WORDS & set(greedy[0].replace(",", " ").split())


def test_a_killed_run_resumes_from_its_saved_step_and_another_run_starts_afresh(base_model, trained, tmp_path):
    _, checkpoint, _, _ = trained  # its marker says step 30 of run-a

    def steps_of(run: str, max_steps: int, out):
        steps = []
        g2s_train.finetune(CORPUS, CORPUS[:8], finetune_params(model=str(base_model), max_steps=max_steps), out,
                            lambda step, m: steps.append(step), Checkpoint(checkpoint, run))
        return steps

    assert steps_of("run-a", 32, tmp_path / "resumed") == [31, 32]
    assert (tmp_path / "resumed" / "counter").read_text().strip() == "32"
    assert steps_of("run-b", 2, tmp_path / "other") == [1, 2]


def test_ctrl_c_during_training_is_not_taken_for_a_finished_run(base_model, tmp_path):
    """gpt-2-simple catches KeyboardInterrupt, saves and returns as if done: the backend must still stop."""
    def interrupt_at_step_3(step, metrics):
        if step == 3:
            raise KeyboardInterrupt

    checkpoint = tmp_path / "checkpoints" / "finetune.pt"
    with pytest.raises(KeyboardInterrupt):
        g2s_train.finetune(CORPUS, [], finetune_params(model=str(base_model)), tmp_path / "out", interrupt_at_step_3,
                            Checkpoint(checkpoint, "run-c"))
    assert not (tmp_path / "out").exists()
    assert json.loads(checkpoint.with_suffix(".json").read_text())["fingerprint"] == "run-c"  # it can resume


def test_scratch_builds_a_random_gpt2_of_the_scratch_shape(tmp_path):
    section = finetune_params(model="scratch", max_steps=1,
                              scratch={"vocab_size": 350, "n_layer": 1, "n_head": 2, "n_embd": 32})
    summary = g2s_train.finetune(CORPUS, [], section, tmp_path, lambda step, m: None)
    shape = json.loads((tmp_path / "hparams.json").read_text())
    assert shape == {"n_vocab": 350, "n_ctx": 1024, "n_embd": 32, "n_head": 2, "n_layer": 1}
    assert len(json.loads((tmp_path / "encoder.json").read_text())) == 350
    assert summary["eval_loss"] > 0


@pytest.mark.parametrize("change, message", [
    ({"model": "gpt2-medium"}, "neither a gpt-2-simple model name"),
    ({"gpt2simple": {**LIBRARY_OPTIONS, "use_memory_saving_gradients": True}}, "TensorFlow 1 only"),
])
def test_bad_finetune_params_are_explained(change, message, tmp_path):
    with pytest.raises(ElmError, match=message):
        g2s_train.finetune(CORPUS, [], finetune_params(**change), tmp_path, lambda step, m: None)


def test_a_model_with_a_short_context_or_a_corpus_under_one_window_is_refused(base_model, tmp_path):
    short = tmp_path / "short"
    shutil.copytree(base_model, short)
    shape = json.loads((short / "hparams.json").read_text())
    (short / "hparams.json").write_text(json.dumps({**shape, "n_ctx": 512}))
    with pytest.raises(ElmError, match="n_ctx is 512"):
        g2s_train.finetune(CORPUS, [], finetune_params(model=str(short)), tmp_path / "a", lambda step, m: None)
    with pytest.raises(ElmError, match="more than 1024"):
        g2s_train.finetune(CORPUS[:8], [], finetune_params(model=str(base_model)), tmp_path / "b", lambda s, m: None)


def test_a_named_model_that_cannot_be_downloaded_says_how_to_provide_it(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "BASE_MODELS", tmp_path / "base")
    monkeypatch.setattr(g2s_train, "DOWNLOAD_URL", "http://127.0.0.1:9")  # the discard port: nothing listens
    with pytest.raises(ElmError, match="cannot download GPT-2 124M.*download_gpt2"):
        g2s_train.finetune(CORPUS, [], finetune_params(model="124M"), tmp_path / "out", lambda step, m: None)
    assert not (tmp_path / "base" / "124M").exists()


@pytest.fixture(scope="module")
def cleaned_data(tmp_path_factory):
    """data/ of a project after scrape and clean on the tiny profile."""
    project = tmp_path_factory.mktemp("cleaned")
    write_params(project, TINY)
    for stage in ("scrape", "clean"):
        run_stage(stage, project)
    return project / "data"


def backend_params(base_model, **finetune) -> dict:
    """The tiny profile with its finetune section set for the backend."""
    setup = copy.deepcopy(TINY)
    setup["finetune"].update(backend="gpt2simple", model=str(base_model), batch_size=1, gpt2simple=LIBRARY_OPTIONS,
                             **finetune)
    setup["generate"].update(posts=40)
    return setup


def stage_project(folder, cleaned_data, base_model, **finetune):
    """A project holding the cleaned data, its finetune section set for the backend."""
    shutil.copytree(cleaned_data, folder / "data")
    write_params(folder, backend_params(base_model, **finetune))
    return folder


def test_dvc_repro_fine_tunes_and_generates_with_the_backend(base_model, tmp_path):
    setup = backend_params(base_model, max_steps=4, checkpoint_every=2)
    setup["generate"].update(max_new_tokens=0)  # auto: room for the longest post and its end token's pieces
    project = new_project(tmp_path, setup)
    assert stages_run(sh(DVC, "repro", "generate", cwd=project)) == ["scrape", "clean", "finetune", "generate"]
    assert stages_run(sh(DVC, "repro", "generate", cwd=project)) == []  # recorded in dvc.lock: nothing reruns

    model_dir = project / "models/finetuned"
    manifest = read_manifest(model_dir)
    assert {k: manifest[k] for k in ("backend", "base_model", "steps")} == {"backend": "gpt2simple",
                                                                            "base_model": str(base_model), "steps": 4}
    assert manifest["parameters"] > 0
    assert (model_dir / "checkpoint").read_text().startswith('model_checkpoint_path: "model-4"')
    metrics = json.loads((project / "reports/train/metrics.json").read_text())
    assert metrics["step"] == 3 and metrics["final"]["eval_loss"] > 0
    curves = project / "reports/train/plots/metrics"
    assert len((curves / "train/loss.tsv").read_text().splitlines()) == 5  # header + 4 steps
    assert len((curves / "eval/loss.tsv").read_text().splitlines()) == 2  # measured once, at the end

    posts = pd.read_json(project / paths.GENERATED, lines=True)
    assert set(posts["account"]) <= {"ada_sails", "basil_bakes", "coach_cleo", "dr_dune"}
    report = json.loads((project / paths.GENERATE_BREAKDOWN).read_text())
    assert report["posts_ended"] == 40 and report["posts_kept"] == len(posts) > 0


def test_a_killed_finetune_stage_resumes_from_the_library_s_last_save(base_model, cleaned_data, tmp_path):
    project = stage_project(tmp_path, cleaned_data, base_model, max_steps=14, checkpoint_every=3)
    marker = project / "models/.checkpoints/finetune.json"
    kill_stage_when("finetune", project, lambda: marker.exists() and json.loads(marker.read_text())["step"] >= 6)

    resumed = run_stage("finetune", project)
    assert "resuming from the checkpoint of step" in resumed.stderr
    assert (project / "models/finetuned/counter").read_text().strip() == "14"
    curve = (project / "reports/train/plots/metrics/train/loss.tsv").read_text().splitlines()
    assert [int(row.split("\t")[0]) for row in curve[1:]] == list(range(14))
    assert not (project / "models/.checkpoints").exists()


def test_a_post_ends_at_the_end_token_only_and_keeps_its_line_breaks():
    assert g2s_generate.post("baker: fresh rye\n<|endoftext|>", "baker:") == "fresh rye"
    assert g2s_generate.post("fresh rye<|endoftext|>more", "baker:") == "fresh rye"
    assert g2s_generate.post("baker: fresh rye\nout of the oven\n\nat six\n<|endoftext|>\nbaker: more",
                             "baker:") == "fresh rye\nout of the oven\n\nat six"
    assert g2s_generate.post("baker: fresh rye bread out of the", "baker:") is None
    assert g2s_generate.post("baker: fresh rye\nbread out of the", "baker:") is None  # a line break ends nothing
    poem = "roses are red\nviolets are blue"
    assert g2s_train.training_lines([poem]) == [f"{poem}\n<|endoftext|>\n"]


def test_auto_max_new_tokens_leaves_room_for_every_piece_of_the_end_token(base_model):
    """The library's encoder spells the end of a training post as a line break and three pieces ("<|",
    "endoftext", "|>"); a post ends only once all are written, so the room auto gives counts them (generate adds
    one for the last)."""
    generator = g2s_generate.Gpt2SimpleGenerator(base_model)
    assert generator.post_lengths(["baker:"], ["baker: fresh rye"]) == [3 + 4 - 1]  # " fresh", " ry", "e"


def test_min_p_and_typical_p_are_refused_by_gpt_2_simple():
    with pytest.raises(ElmError, match="gpt-2-simple samples with neither"):
        g2s_generate.sampling(sampling_params(min_p=0.1))
