# `make run` sets up .venv, indexes the bank and serves the page on 127.0.0.1:7860; `make test` runs the tests.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# uv ignores pip's configuration, so pass pip's find-links on (it is where a CPU build of torch may live).
FIND_LINKS := $(or $(PIP_FIND_LINKS),$(shell $(PYTHON) -m pip config get global.find-links 2>/dev/null))
UV_FLAGS = $(addprefix --find-links ,$(FIND_LINKS))
# Installs exactly what uv.lock pins (--inexact keeps uv itself, which lives in the same venv).
UV_SYNC = $(BIN)/uv sync --frozen --inexact --extra dev --compile-bytecode $(UV_FLAGS)

.PHONY: setup lock run test browser lint bench eval vectors clean

setup: $(VENV)/.installed

$(BIN)/uv:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet "uv>=0.13,<0.14"  # uv.lock is read by this uv

$(VENV)/.installed: pyproject.toml uv.lock | $(BIN)/uv
	$(UV_SYNC)
	touch $@

lock: | $(BIN)/uv  # after changing dependencies in pyproject.toml
	$(BIN)/uv lock $(UV_FLAGS)

run: setup
	$(BIN)/interviewer index
	$(BIN)/interviewer serve

test: setup browser
	$(BIN)/python -m pytest

browser:  # Debian's Chromium and tmux for the browser and terminal tests (nothing is downloaded by Playwright)
	bash .ci/ensure-packages

lint: setup
	$(BIN)/uv lock --check $(UV_FLAGS)
	$(BIN)/ruff check interviewer tests bench app.py
	$(BIN)/ruff format --check interviewer tests bench app.py
	$(BIN)/mypy

bench: setup
	$(BIN)/python bench/offline_grading.py
	$(BIN)/python bench/llm_overhead.py

eval: setup
	$(BIN)/interviewer eval ../shared/data/mohler-dev.jsonl

vectors: setup  # after editing bank/: the bank's vectors shipped for a fast first run (tests fail until this is run)
	$(BIN)/python -m interviewer.retrieval.bank_vectors

clean:
	rm -rf $(VENV) .interviewer
