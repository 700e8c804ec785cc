# FineForge. `make build-finebench` and `make test` work on a fresh machine with Python 3.11:
# they create .venv, install the project into it, then run.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
PY     := $(VENV)/bin/python
OUT    ?= out
SEED   ?= 0
WORKERS ?= 1
VERSION ?= 0.1.0

# The finebench throughput target is per core: pin the benchmark to one CPU where taskset exists.
ONE_CORE := $(shell command -v taskset >/dev/null 2>&1 && echo taskset -c 0)
FINEBENCH_ARGS := --out "$(OUT)" --seed $(SEED) --workers $(WORKERS) --version $(VERSION)
ifdef AVA_CSV
FINEBENCH_ARGS += --ava-csv "$(AVA_CSV)" --labels "$(AVA_LABELS)"
ifdef AVA_EXCLUDED
FINEBENCH_ARGS += --excluded "$(AVA_EXCLUDED)"
endif
ifdef AVA_VIDEOS
FINEBENCH_ARGS += --videos "$(AVA_VIDEOS)"
endif
endif

TIMEWARP_ARGS := --out "$(OUT)" --seed $(SEED) --workers $(WORKERS) --version $(VERSION)
ifdef FINEVIDEO
TIMEWARP_ARGS += --finevideo "$(FINEVIDEO)"
ifdef FINEVIDEO_VIDEOS
TIMEWARP_ARGS += --videos "$(FINEVIDEO_VIDEOS)"
endif
endif
ifdef LLM
TIMEWARP_ARGS += --llm $(LLM)
endif

REVOS_ARGS := --out "$(OUT)" --seed $(SEED) --workers $(WORKERS) --version $(VERSION)
REVOS_ARGS += $(if $(REVOS),--revos "$(REVOS)",) $(if $(MEVIS),--mevis "$(MEVIS)",)
REVOS_ARGS += $(if $(REFYTVOS),--refytvos "$(REFYTVOS)",) $(if $(FINEVIDEO),--finevideo "$(FINEVIDEO)",)
REVOS_ARGS += $(if $(AVA_CSV),--ava-csv "$(AVA_CSV)",) $(if $(LLM),--llm $(LLM),)

FRAGMENTS_ARGS := --out "$(OUT)" --seed $(SEED) --workers $(WORKERS) --version $(VERSION)
ifdef VIDEOS
FRAGMENTS_ARGS += --videos "$(VIDEOS)"
ifdef PRESENCE_AVA
FRAGMENTS_ARGS += --ava-csv "$(PRESENCE_AVA)"
endif
ifdef MASKS
FRAGMENTS_ARGS += --masks "$(MASKS)"
endif
ifdef ACTION_LABELS
FRAGMENTS_ARGS += --labels "$(ACTION_LABELS)"
endif
ifdef EFFECTS
FRAGMENTS_ARGS += --effects "$(EFFECTS)"
endif
endif

.PHONY: help install build-finebench push-finebench build-timewarp push-timewarp build-fragments \
	push-fragments build-revos push-revos test lint bench-finebench bench-video bench-llm \
	bench-fragments bench-fragments-memory bench-revos bench-scale clean test-consumers

help:  ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed  ## create .venv and install FineForge with test tools

build-finebench: $(VENV)/.installed  ## build finebench (demo input, or AVA_CSV= AVA_LABELS= [AVA_EXCLUDED=] [AVA_VIDEOS=])
	$(PY) -m pipelines finebench build $(FINEBENCH_ARGS)

push-finebench: $(VENV)/.installed  ## publish out/finebench/VERSION: HUB_REPO=org/name VERSION=x.y.z [DRY_RUN=1]
	@test -n "$(HUB_REPO)" || (echo "set HUB_REPO=org/name" >&2; exit 2)
	$(PY) -m pipelines finebench push --hub-repo "$(HUB_REPO)" --version $(VERSION) --out "$(OUT)" \
		$(if $(DRY_RUN),--dry-run,)

build-timewarp: $(VENV)/.installed  ## build timewarp (demo with rendered videos, or FINEVIDEO= [FINEVIDEO_VIDEOS=])
	$(PY) -m pipelines timewarp build $(TIMEWARP_ARGS)

push-timewarp: $(VENV)/.installed  ## publish out/timewarp/VERSION: HUB_REPO=org/name VERSION=x.y.z [DRY_RUN=1]
	@test -n "$(HUB_REPO)" || (echo "set HUB_REPO=org/name" >&2; exit 2)
	$(PY) -m pipelines timewarp push --hub-repo "$(HUB_REPO)" --version $(VERSION) --out "$(OUT)" \
		$(if $(DRY_RUN),--dry-run,)

build-revos: $(VENV)/.installed  ## build revos (drawn demo, or any of REVOS= MEVIS= REFYTVOS= AVA_CSV= FINEVIDEO=)
	$(PY) -m pipelines revos build $(REVOS_ARGS)

push-revos: $(VENV)/.installed  ## publish out/revos/VERSION: HUB_REPO=org/name VERSION=x.y.z [DRY_RUN=1]
	@test -n "$(HUB_REPO)" || (echo "set HUB_REPO=org/name" >&2; exit 2)
	$(PY) -m pipelines revos push --hub-repo "$(HUB_REPO)" --version $(VERSION) --out "$(OUT)" \
		$(if $(DRY_RUN),--dry-run,)

build-fragments: $(VENV)/.installed  ## build fragments (demo it renders itself, or VIDEOS= [PRESENCE_AVA=] [MASKS=] [ACTION_LABELS=] [EFFECTS=])
	$(PY) -m pipelines fragments build $(FRAGMENTS_ARGS)

push-fragments: $(VENV)/.installed  ## publish out/fragments/VERSION: HUB_REPO=org/name VERSION=x.y.z [DRY_RUN=1]
	@test -n "$(HUB_REPO)" || (echo "set HUB_REPO=org/name" >&2; exit 2)
	$(PY) -m pipelines fragments push --hub-repo "$(HUB_REPO)" --version $(VERSION) --out "$(OUT)" \
		$(if $(DRY_RUN),--dry-run,)

test: $(VENV)/.installed  ## run the test suite
	$(PY) -m pytest -q

# Consumers (lmms-eval, TRL, LLaMA-Factory) live in their own venvs: LLaMA-Factory pins datasets<=4.0
# and trl<=0.24, TRL 1.16 needs datasets>=4.7, so they cannot share one. First run: several minutes.
CONSUMERS ?= .venv-consumers
CONSUMER_EVAL := $(CONSUMERS)/eval-trl
CONSUMER_LF := $(CONSUMERS)/llamafactory

$(CONSUMERS)/%/.installed: tests/consumers/requirements-%.txt pyproject.toml
	$(PYTHON) -m venv $(CONSUMERS)/$*
	$(CONSUMERS)/$*/bin/python -m pip install --quiet --upgrade pip
	$(CONSUMERS)/$*/bin/python -m pip install --quiet -e '.[dev]' -r $<
	touch $@

test-consumers: $(CONSUMER_EVAL)/.installed $(CONSUMER_LF)/.installed  ## exports through lmms-eval, TRL, LLaMA-Factory
	FINEFORGE_CONSUMERS=eval-trl $(CONSUMER_EVAL)/bin/python -m pytest -q -p no:cacheprovider \
		tests/consumers/test_lmms_eval.py tests/consumers/test_trl.py
	FINEFORGE_CONSUMERS=llamafactory $(CONSUMER_LF)/bin/python -m pytest -q -p no:cacheprovider \
		tests/consumers/test_llamafactory.py

lint: $(VENV)/.installed  ## ruff
	$(VENV)/bin/ruff check pipelines tests benchmarks similarity_maps

bench-finebench: $(VENV)/.installed  ## throughput benchmark (250K-row AVA-shaped input, one core)
	$(ONE_CORE) $(PY) benchmarks/finebench_throughput.py

bench-video: $(VENV)/.installed  ## video toolkit benchmark (frames, shuffle render, reverse memory)
	$(PY) benchmarks/video_ops.py

bench-fragments: $(VENV)/.installed  ## frame extraction vs decode floor, short- and long-GOP clips
	$(PY) benchmarks/fragments_frames.py

bench-fragments-memory: $(VENV)/.installed  ## driver peak RSS of fragments builds, 500 vs 2,000 synthetic FineVideo-shaped videos
	$(PY) benchmarks/fragments_memory.py

bench-scale: $(VENV)/.installed  ## Ray vs local: per-unit overhead, render speed-up, driver memory (needs the ray extra)
	$(PY) -m pip install --quiet -e '.[ray]'
	$(PY) benchmarks/scale.py

bench-llm: $(VENV)/.installed  ## LLM client throughput against a loopback server
	$(PY) benchmarks/llm_throughput.py

bench-revos: $(VENV)/.installed  ## RLE decode + record build vs pycocotools decode alone (one core)
	$(ONE_CORE) $(PY) benchmarks/revos_throughput.py

clean:  ## remove build outputs (keeps .venv)
	rm -rf $(OUT)
