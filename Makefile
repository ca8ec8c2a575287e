# Tilts: `make run` starts the whole stack, `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
PACKAGES := contracts runtime services/registry services/pledges services/matching services/notify services/gateway

.PHONY: run test unit e2e test-faults bench lint fmt venv clean lock

venv: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt constraints.txt $(addsuffix /pyproject.toml,$(PACKAGES))
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation \
		$(addprefix -e ,$(PACKAGES))
	touch $(STAMP)

# supervised: a process that dies is started again; Ctrl-C (or SIGTERM, SIGHUP) stops all
run: $(STAMP)
	@$(PY) deploy/local/run.py

test: $(STAMP)
	$(PY) -m pytest --durations=20

unit: $(STAMP)
	$(PY) -m pytest -m "not integration" contracts runtime services

e2e: $(STAMP)
	$(PY) -m pytest tests

test-faults: $(STAMP)
	$(PY) -m pytest tests/faults

# timed figures: printed, recorded in bench/RESULTS.md by hand, never pass/fail
bench: $(STAMP)
	$(PY) bench/matching.py
	$(PY) bench/e2e.py
	$(PY) bench/privacy.py

lint: $(STAMP)
	$(VENV)/bin/ruff check .

fmt: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# after changing requirements*.txt: pin what they pull in, as installed and tested here
lock: $(STAMP)
	{ sed -n 1,3p constraints.txt; $(PY) -m pip freeze --exclude-editable; } > constraints.txt.new
	mv constraints.txt.new constraints.txt

clean:
	rm -rf $(VENV) var
