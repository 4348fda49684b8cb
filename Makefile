# isnote: `make help` lists the targets. Every target installs what it needs on first use.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PARAMS ?= params/demo.yaml
# passed to the commands through the environment (never pasted into a shell line)
export PARAMS STRICT
PYTHON_SYS ?= python3
VENV := .venv
PY := $(VENV)/bin/python
ENV_STAMP := $(VENV)/.isnote-installed
# User values reach the commands through the environment ("$$PARAMS"), never pasted into the shell
# text, and are not expanded by make either: a path holding a backtick, `$(...)` or a quote is
# passed to isnote literally.
override PARAMS := $(value PARAMS)
override FILE := $(value FILE)
override FORCE := $(value FORCE)
export PARAMS FILE FORCE

.PHONY: help setup report preview demo-data test test-fast review review-import screening-report approve-text bench clean browser-deps

help: ## List the targets and what they do
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_-]+:.*## / {printf "  \033[1m%-14s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)
	@echo "  Variables: PARAMS=$$PARAMS (parameters file of the run)"

setup: $(ENV_STAMP) ## Create the virtual environment, install isnote and register the Jupyter kernel (once)

$(ENV_STAMP): pyproject.toml requirements.lock
	@test -x $(PY) || $(PYTHON_SYS) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	$(PY) -m ipykernel install --sys-prefix --name isnote --display-name "isnote (Python 3)" >/dev/null
	@touch $@

report: $(ENV_STAMP) ## Run the whole chain on PARAMS (default: the synthetic demo data) and build the note; STRICT=1: refuse editorial text citing changed figures
	$(PY) -m isnote.pipeline run --params "$$PARAMS"

preview: $(ENV_STAMP) ## Live preview of the HTML note on 127.0.0.1, rebuilt and reloaded on each save (Ctrl-C stops it)
	$(PY) -m isnote.preview --params "$$PARAMS"

demo-data: $(ENV_STAMP) ## Regenerate the synthetic demo dataset in data/demo (byte for byte; generator: demo_generator/isnote_demo)
	$(PY) -m isnote_demo --out data/demo

review: $(ENV_STAMP) ## Write the review workbook (revue/ beside the register): candidates awaiting a decision, best score first
	$(PY) -m isnote.cli review-export --params "$$PARAMS"

review-import: $(ENV_STAMP) ## Import a filled workbook into the review register: make review-import FILE=... [FORCE=1]
	$(PY) -m isnote.cli review-import --params "$$PARAMS" --file "$$FILE" $${FORCE:+--force}

# arguments reach the command through the environment, never through the shell's text
screening-report: export ISNOTE_PARAMS := $(PARAMS)
screening-report: export ISNOTE_LABELS := $(LABELS)
screening-report: $(ENV_STAMP) ## Per signal, the operations it flags; with LABELS=file.csv (op_id;attendu) its precision and recall
	$(PY) -m isnote.cli screening-report

approve-text: $(ENV_STAMP) ## Record the figures cited by the editorial paragraphs of content/ as approved (after re-reading them)
	$(PY) -m isnote.editorial approve

browser-deps: ## Install headless Chromium and poppler-utils from Debian (browser and PDF checks), if missing
	@{ command -v chromium >/dev/null 2>&1 && command -v pdftotext >/dev/null 2>&1; } || { \
	  echo "Installing Debian packages chromium poppler-utils (browser and PDF checks)..."; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium poppler-utils >/dev/null) \
	  || echo "WARNING: could not install chromium/poppler-utils; the browser check will be skipped"; }

test: $(ENV_STAMP) browser-deps ## Run the whole test suite (library, notebooks, chain, browser check)
	$(PY) -m pytest -q

test-fast: $(ENV_STAMP) ## Run the library tests only (no notebook execution)
	$(PY) -m pytest -q -m "not slow and not browser"

bench: $(ENV_STAMP) ## Measure timings (screening at scale, report builds); writes outputs/bench.json
	$(PY) -m isnote.bench --params "$$PARAMS"

clean: ## Remove generated outputs (keeps the virtual environment)
	rm -rf outputs/* .build
	@touch outputs/.gitkeep
