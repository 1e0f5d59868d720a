# plan-rag: `make serve` and `make test` do every set-up step on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
STAMP := $(VENV)/.installed
MODEL_STAMP := data/models/multilingual-e5-small/.converted
ONNX_STAMP := data/models/multilingual-e5-small/onnx/.exported
CHROMIUM := /usr/bin/chromium
CJK_FONT := /usr/share/fonts/truetype/wqy/wqy-microhei.ttc
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

.DEFAULT_GOAL := help
.PHONY: help setup model index serve test lint typecheck pytest pytest-milvus eval bench clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip==26.3
	# torch first, pinned: this exact spec installs the local CPU wheel, anything looser pulls CUDA
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

# the browser tests drive Debian's chromium (Playwright's own browser download is not reachable);
# the CJK font makes their screenshots readable
$(CHROMIUM) $(CJK_FONT) &:
	$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium fonts-wqy-microhei

setup: $(STAMP) $(CHROMIUM) $(CJK_FONT) ## create .venv, install the pinned packages and chromium for the browser tests

# one run writes both: the converted model, then its ONNX export (fused fp32 and int8)
$(MODEL_STAMP) $(ONNX_STAMP) &: $(STAMP)
	$(BIN)/python -m embeddings.prepare

model: $(MODEL_STAMP) $(ONNX_STAMP) ## convert the packaged 4-bit e5 model, then export it to ONNX
	# jieba's dictionary with the domain terms, pre-built for a fast start (no work when current)
	$(BIN)/python -m rag.lang.text

index: model ## build the index over seeds/ (no work when it is up to date)
	$(BIN)/rag ingest seeds

# serve builds the seeds only into an empty knowledge base (or a stale one holding only seeds):
# documents a user added or removed stay as they are
serve: model ## set up, build the index if missing, and serve the chat page and API
	$(BIN)/rag serve --host $(HOST) --port $(PORT)

lint: $(STAMP)
	$(BIN)/ruff format --check rag embeddings tests bench
	$(BIN)/ruff check rag embeddings tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: model $(CHROMIUM) $(CJK_FONT)
	$(BIN)/python -m pytest

# the store-level tests again on the Milvus store (milvus-lite in a temp file): the service,
# retrieval, knowledge bases, generations and the index (FAISS's own files aside)
MILVUS_TESTS = tests/test_service.py tests/test_retrieve.py tests/test_library.py \
	tests/test_generations.py tests/test_index.py

pytest-milvus: model
	RAG_TEST_VECTOR_STORE=milvus $(BIN)/python -m pytest -q $(MILVUS_TESTS)

test: lint typecheck pytest pytest-milvus ## set up, then ruff, mypy and the whole pytest suite (and its store tests on Milvus)

eval: index ## score the system on the dev question set
	$(BIN)/rag eval tests/data/dev_questions.jsonl --out artifacts/eval

bench: index ## print speed and memory figures
	$(BIN)/python bench/run.py

clean: ## remove the venv, model and index
	rm -rf $(VENV) data artifacts
