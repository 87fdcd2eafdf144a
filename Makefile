# Hugging Face, hands-on — the two commands a newcomer needs: `make lab` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
# `make test VENV=build/latest-venv` runs the same suite with another environment
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TORCH := torch==2.13.0
export COURSE_HUB_DIR ?= $(CURDIR)/data/hub
# course runs fail on a DeprecationWarning/FutureWarning from a Hugging Face library (helpers/strict_warnings.py)
STRICT := COURSE_STRICT_WARNINGS=1
LATEST := build/latest-venv
# what `make test-latest` takes at its newest release
LATEST_PACKAGES := huggingface_hub transformers datasets tokenizers safetensors sentence-transformers accelerate \
	gradio gradio_client langchain-core jupyterlab nbclient nbval papermill ipykernel ipywidgets

.PHONY: help setup hub lab test check lint format test-hub test-lfs test-notebooks test-cpus test-cpus-notebooks test-browser test-papermill \
	test-hygiene test-online test-latest test-launch pack lock run bench notebooks screenshots stop clean \
	test-jupyterhub bench-jupyterhub jupyterhub-deps test-py313 test-colab test-room

help:
	@echo "make lab        set up, build the course hub, start it and JupyterLab"
	@echo "make check      a developer's verdict in minutes: lint + the fast tests (no hub build; -m 'not slow and not serial')"
	@echo "make test       set up, build the course hub, run every test (hub, content, notebooks, browser)"
	@echo "make test-cpus  the build and the notebooks' model outputs under every CPU kernel set this CPU has"
	@echo "                (make test runs its notebook half under the portable kernels: test-cpus-notebooks)"
	@echo "make test-papermill  every notebook with papermill, FAST=True, against the course hub (not in make test)"
	@echo "make setup      only create .venv and install the course"
	@echo "make test-latest  the same tests against the newest Hugging Face, gradio and jupyter releases"
	@echo "make test-py313   make test under Python 3.13 in a Debian trixie root (root, debootstrap; GBs once)"
	@echo "make test-colab   the Colab install on a twin of Colab's runtime (Python 3.13, its pip freeze), then every notebook there (not in make test)"
	@echo "make test-room    30 learners in a sandboxed classroom push and run their own Spaces (alone; also in make test-hub)"
	@echo "make lock       rewrite constraints.txt from .venv"
	@echo "make run        execute every notebook with papermill and report time and memory"
	@echo "make bench      benchmarks: course run, learner's day under 2 GB, setup, the hub vs nginx and olah,"
	@echo "                batched chat vs transformers serve and vs one at a time (1/4/8 clients, TTFT at 8)"
	@echo "make test-jupyterhub   10 learners on a real JupyterHub (deploy/jupyterhub/) push at once; two run 01 and 05"
	@echo "make bench-jupyterhub  10 and 30 learners on JupyterHub at once: errors, slowest, peak RAM"
	@echo "make screenshots  the website's pages as PNGs in notebooks/images/"
	@echo "make pack       the workshop pack: wheels, course and built hub in one archive (offline install)"
	@echo "make notebooks  re-execute the notebooks in place (commit the result)"
	@echo "make stop       stop the background course hub"

setup: $(STAMP)

# The CPU build of torch first, so nothing pulls a multi-GB CUDA build; then the course itself with its extras:
# [lab] (JupyterLab, jupyter-server-proxy) and [test] (pytest, nbval, papermill, playwright, ruff...); a learner's
# runtime needs neither (Colab installs the course alone: helpers/colab.py)
$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet $(TORCH)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[lab,test]"
	$(BIN)/python -m pip install --quiet -c constraints.txt --no-deps langchain-huggingface
	touch $(STAMP)

hub: setup
	$(BIN)/course-hub build

lab: hub
	$(BIN)/python -m tools.lab

# Every pytest run prints its 25 slowest tests (where the time goes). The notebooks run twice in `make test`: nbval
# (test-notebooks) and papermill with parameters in online mode (test-online); test-hygiene last: it scans the
# executed copies that test-online writes. Markers (pyproject.toml): slow, serial, browser, notebooks, content.
DURATIONS := --durations=25
test: hub lint test-hub test-lfs test-notebooks test-cpus-notebooks test-browser test-online test-launch test-jupyterhub test-hygiene

# A verdict in a few minutes, without a hub build: ruff, then every test that is neither slow nor serial (the
# in-process tier, the hub suite against one session server; content tests run only when the hub is already built)
check: lint
	$(STRICT) $(BIN)/python -m pytest tests -p no:cacheprovider --ignore=tests/browser --ignore=tests/launch \
		--ignore=tests/online --ignore=tests/jupyterhub -m "not slow and not serial" -q $(DURATIONS)

# ruff: lint + format check of every Python file (pyproject.toml [tool.ruff]); `make format` fixes what it can
lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test-hub: setup
	$(STRICT) $(BIN)/python -m pytest tests -p no:cacheprovider --ignore=tests/browser --ignore=tests/launch \
		--ignore=tests/online --ignore=tests/jupyterhub $(DURATIONS)

# The LFS path (a learner's HF_HUB_DISABLE_XET=1): the real clients' uploads and downloads (huggingface_hub,
# transformers, datasets) again with Xet off; test-hub ran them through Xet. The whole suite that way:
# HF_HUB_DISABLE_XET=1 make test-hub
test-lfs: setup
	HF_HUB_DISABLE_XET=1 $(STRICT) $(BIN)/python -m pytest tests/test_hub_upload.py tests/test_hub_download.py \
		tests/test_hub_libraries.py tests/test_xet_report.py -p no:cacheprovider $(DURATIONS)

# 30 learners in a sandboxed classroom each push and run their own Space (about 2 min on a quiet 2-core machine), in
# make test-hub too; this target runs it alone
test-room: setup
	$(STRICT) $(BIN)/python -m pytest tests/test_classroom_spaces.py -p no:cacheprovider -m room $(DURATIONS)

test-notebooks: hub
	COURSE_CI=1 $(STRICT) $(BIN)/python -m pytest -p no:cacheprovider --nbval notebooks \
		--nbval-sanitize-with notebooks/sanitize.cfg $(DURATIONS)

# the build and the notebooks' model outputs are the same under every CPU kernel set this CPU has (tools/cpus.py):
# the hub built again under each (every model trained again) and compared ref by ref, then nbval of 02, 03 and 07
test-cpus: hub
	$(STRICT) $(BIN)/python -m tools.cpus

# in make test: nbval of 02, 03 and 07 under the portable kernels only (the build's pinning is checked by
# tests/test_content_build.py in test-hub; the full rebuild comparison is make test-cpus)
test-cpus-notebooks: hub
	$(STRICT) $(BIN)/python -m tools.cpus --no-build --sets default

# Notebook 00 in JupyterLab, driven by the system's Chromium (Debian: apt-get install chromium)
test-browser: hub
	$(BIN)/python -m pytest tests/browser -p no:cacheprovider $(DURATIONS)

# every notebook with papermill, FAST=True, against the course hub (build/papermill-fast): for developers; `make test`
# runs papermill with parameters once, in online mode (test-online)
test-papermill: hub
	COURSE_CI=1 $(STRICT) $(BIN)/python -m tools.run_notebooks --fast --out build/papermill-fast

# Online mode where every repo exists: `course-hub publish` into a second course hub standing in for huggingface.co
# (`--like-huggingface-co`: none of the course hub's own routes, the Hub's Space stages; course_hub/flavour.py),
# then every notebook with papermill in online mode there, HF_TOKEN = a learner's token (build/papermill-online)
test-online: hub
	$(STRICT) $(BIN)/python -m pytest tests/online -p no:cacheprovider $(DURATIONS)

# The workshop pack (wheels + course + built hub in one tar), then the ways in: the pack installed offline,
# a notebook's Colab setup cell (simulated google.colab), Binder's environment.yml and postBuild
pack: hub
	$(BIN)/python -m tools.pack

test-launch: pack
	$(BIN)/python -m pytest tests/launch -p no:cacheprovider $(DURATIONS)

# the executed copies of test-online (required), and of test-papermill / make run when they are there
test-hygiene: setup
	COURSE_EXECUTED_DIRS=build/papermill-online$(if $(wildcard build/papermill-fast/*.ipynb),:build/papermill-fast)$(if $(wildcard build/run/*.ipynb),:build/run) \
		$(BIN)/python -m pytest -p no:cacheprovider -q tests/test_hygiene.py $(DURATIONS)

# A second venv with the newest releases (no constraints; torch stays the pinned CPU build), then `make test` in it.
# `make test` under Python 3.13 in a Debian trixie root (debootstrap) under build/py313/: needs root; torch for 3.13
# comes from PyPI as its CUDA build (GBs, once). `tools/py313.sh test-hub test-notebooks` runs a part.
test-py313:
	tools/py313.sh test

# Colab's published runtime (tools/colab_runtime/, googlecolab/backend-info of 2026-08-19; nothing here refreshes it)
# in a Python 3.13 venv under build/colab-twin/ (pyenv's 3.13.0, not Colab's Ubuntu; torch: PyPI's cp313 build of
# TORCH, not Colab's 2.11.0+cpu): the setup cell verbatim keeps Colab's kernel packages and torch, says "Restart the
# runtime" once, then every notebook with papermill (FAST) in a kernel that imports a stand-in google.colab
# (tools/colab_twin.py). Not in make test: 17-38 min on 2 shared cores (notebooks 12.5-34); a fresh clone builds the
# twin from PyPI (12.5 min loaded; build/ then holds about 12 GB: torch's CUDA wheels, the venv, its runtimes)
test-colab: hub
	$(BIN)/python -m tools.colab_twin

test-latest:
	test -x $(LATEST)/bin/python || $(PYTHON) -m venv $(LATEST)
	$(LATEST)/bin/python -m pip install --quiet --upgrade "pip>=24"
	$(LATEST)/bin/python -m pip install --quiet $(TORCH)
	$(LATEST)/bin/python -m pip install --quiet --upgrade -e ".[lab,test]" $(LATEST_PACKAGES) $(TORCH)
	$(LATEST)/bin/python -m pip install --quiet --upgrade --no-deps langchain-huggingface
	@echo "newer than constraints.txt:" && $(LATEST)/bin/python -m tools.lock --diff
	touch $(LATEST)/.installed
	$(MAKE) test VENV=$(LATEST)

lock: setup
	$(BIN)/python -m tools.lock

run: hub
	COURSE_CI=1 $(STRICT) $(BIN)/python -m tools.run_notebooks --out build/run

# the website's pages in Chromium, as small PNGs in notebooks/images/ (commit them)
screenshots: hub
	$(BIN)/python -m tools.screenshots

# about 15 minutes; installs nginx-light with apt-get if nginx is missing (needs root), olah into build/bench/
bench: hub
	$(STRICT) $(BIN)/python -m benchmarks
	$(STRICT) $(BIN)/python -m benchmarks.spaces --starts

# JupyterHub beside the course (deploy/jupyterhub/): its pins into .venv, configurable-http-proxy into build/
CHP := build/jupyterhub/node_modules/.bin/configurable-http-proxy
$(CHP):
	npm install --prefix build/jupyterhub --no-audit --no-fund --no-save --silent configurable-http-proxy@5.3.0

# (in test-latest's venv without constraints.txt: it would take its newer packages back to the pins)
jupyterhub-deps: setup $(CHP)
	$(BIN)/python -m pip install --quiet $(if $(filter .venv,$(VENV)),-c constraints.txt) \
		-r deploy/jupyterhub/requirements.txt

# about 2 minutes: ten learners' servers push at once (notebook 05's push cells), two run 01 and 05 whole
test-jupyterhub: hub jupyterhub-deps
	$(STRICT) $(BIN)/python -m pytest tests/jupyterhub -p no:cacheprovider $(DURATIONS)

# about 5 minutes; writes the JupyterHub section of benchmarks/RESULTS.md
bench-jupyterhub: hub jupyterhub-deps
	$(STRICT) $(BIN)/python -m benchmarks.jupyterhub

notebooks: hub
	COURSE_CI=1 $(STRICT) $(BIN)/python -m tools.run_notebooks --in-place
	$(BIN)/python -c "import json; print(json.load(open('$(COURSE_HUB_DIR)/build.json'))['fingerprint'])" \
		> notebooks/hub-fingerprint.txt

stop:
	-$(BIN)/course-hub stop

clean:
	rm -rf build .pytest_cache
