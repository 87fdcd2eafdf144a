# Hugging Face, hands-on — the two commands a newcomer needs: `make lab` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TORCH := torch==2.13.0
export COURSE_HUB_DIR ?= $(CURDIR)/data/hub

.PHONY: help setup hub lab test test-hub test-notebooks test-papermill run notebooks stop clean

help:
	@echo "make lab        set up, build the course hub, start it and JupyterLab"
	@echo "make test       set up, build the course hub, run every test (hub, content, notebooks)"
	@echo "make setup      only create .venv and install the course"
	@echo "make run        execute every notebook with papermill and report time and memory"
	@echo "make notebooks  re-execute the notebooks in place (commit the result)"
	@echo "make stop       stop the background course hub"

setup: $(STAMP)

# The CPU build of torch first, so nothing pulls a multi-GB CUDA build; then the course itself.
$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet $(TORCH)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e .
	$(BIN)/python -m pip install --quiet -c constraints.txt --no-deps langchain-huggingface
	touch $(STAMP)

hub: setup
	$(BIN)/course-hub build

lab: hub
	$(BIN)/python -m tools.lab

test: hub test-hub test-notebooks test-papermill

test-hub: setup
	$(BIN)/python -m pytest tests -p no:cacheprovider

test-notebooks: hub
	COURSE_CI=1 $(BIN)/python -m pytest -p no:cacheprovider --nbval notebooks --nbval-sanitize-with notebooks/sanitize.cfg

test-papermill: hub
	COURSE_CI=1 $(BIN)/python -m tools.run_notebooks --fast --out build/papermill-fast

run: hub
	COURSE_CI=1 $(BIN)/python -m tools.run_notebooks --out build/run

notebooks: hub
	COURSE_CI=1 $(BIN)/python -m tools.run_notebooks --in-place

stop:
	-$(BIN)/course-hub stop

clean:
	rm -rf build .pytest_cache
