# ecrsynth — build, test and demo. Everything a fresh machine needs is installed by `make deps`.
SWIFT     ?= swift
PREFIX    ?= /usr/local
PYTHON    ?= python3
CFN_LINT_VERSION ?= 1.51.0
BIN       := .build/release/ecrsynth
CFN_LINT  := $(PYTHON) -c 'import sys; from cfnlint.runner import main; sys.exit(main())'

DEMO_SPEC := Fixtures/example/ecrsynth.yaml

.PHONY: all deps build test unit-tests lint-templates schema-check demo install clean

all: build

# System and Python packages: libyaml (through pkg-config) for the parser, cfn-lint for the checks.
deps:
	@if ! pkg-config --exists yaml-0.1 2>/dev/null; then \
		echo "installing libyaml-dev and pkg-config"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libyaml-dev pkg-config; \
	fi
	@if ! $(PYTHON) -c "import cfnlint" >/dev/null 2>&1; then \
		echo "installing cfn-lint $(CFN_LINT_VERSION)"; \
		$(PYTHON) -m pip install -q "cfn-lint==$(CFN_LINT_VERSION)"; \
	fi
	@if ! $(PYTHON) -c "import jsonschema, yaml" >/dev/null 2>&1; then \
		echo "installing jsonschema and PyYAML"; \
		$(PYTHON) -m pip install -q "jsonschema>=4.18" "PyYAML>=6"; \
	fi

build: deps
	$(SWIFT) build -c release --static-swift-stdlib --product ecrsynth

test: deps unit-tests lint-templates schema-check

unit-tests:
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

# Every template the tests compare against passes cfn-lint with no error or warning.
lint-templates:
	@files=$$(find Fixtures/synth -name '*.template.json' | sort); \
	echo "cfn-lint: $$(echo $$files | wc -w) templates"; \
	$(CFN_LINT) --format parseable -- $$files && echo "cfn-lint: clean"
	@tmp=$$(mktemp -d); \
	for d in Fixtures/synth/*/; do \
		.build/debug/ecrsynth synth "$$d/spec.yaml" --format yaml -o "$$tmp/$$(basename $$d)" >/dev/null 2>&1 || exit 1; \
	done; \
	files=$$(find $$tmp -name '*.template.yaml' | sort); \
	echo "cfn-lint: $$(echo $$files | wc -w) YAML templates"; \
	$(CFN_LINT) --format parseable -- $$files && echo "cfn-lint: clean"; status=$$?; rm -rf $$tmp; exit $$status


# The JSON Schema accepts every valid fixture and rejects the invalid ones it can see.
schema-check:
	$(PYTHON) Tests/schema/check_schema.py .build/debug/ecrsynth

demo: build
	$(BIN) validate $(DEMO_SPEC)
	$(BIN) synth $(DEMO_SPEC) -o ecrsynth.out
	@echo; echo "ecrsynth.out/:"; find ecrsynth.out -type f | sort

install: build
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/ecrsynth

clean:
	rm -rf .build ecrsynth.out

# ---------------------------------------------------------------------------------------------------
# End-to-end deployment against moto_server; see e2e/README.md. This block is
# and self-contained: e2e-deps makes the pinned virtual environment, e2e builds ecrsynth and runs it.
E2E_VENV := .venv-e2e
E2E_PY   := $(E2E_VENV)/bin/python

.PHONY: e2e e2e-deps

e2e-deps: $(E2E_VENV)/.installed

$(E2E_VENV)/.installed: e2e/requirements.txt
	@echo "e2e: making $(E2E_VENV) with $$(grep -E '^[A-Za-z]' e2e/requirements.txt | tr '\n' ' ')"
	@rm -rf $(E2E_VENV)
	@$(PYTHON) -m venv $(E2E_VENV) 2>/dev/null || { \
		echo "e2e: '$(PYTHON) -m venv' failed; using virtualenv instead"; rm -rf $(E2E_VENV); \
		$(PYTHON) -m pip install -q virtualenv && $(PYTHON) -m virtualenv -q $(E2E_VENV); }
	$(E2E_PY) -m pip install -q --disable-pip-version-check -r e2e/requirements.txt
	@touch $@

e2e: deps e2e-deps
	$(SWIFT) build --product ecrsynth
	$(E2E_PY) e2e/run.py --ecrsynth .build/debug/ecrsynth
