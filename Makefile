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

# System and Python packages: libyaml (through pkg-config) for the parser, mimalloc for the command's
# allocations, cfn-lint for the checks.
deps:
	@if ! pkg-config --exists yaml-0.1 2>/dev/null || ! dpkg -s libmimalloc-dev >/dev/null 2>&1; then \
		echo "installing libyaml-dev, libmimalloc-dev and pkg-config"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libyaml-dev libmimalloc-dev pkg-config; \
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

# ---------------------------------------------------------------------------------------------------
# Benchmark; not run by CI or `make test`. See docs/performance.md.
#   make bench       release binary vs the floor (libyaml parse + writing the same bytes), hyperfine
#   make bench-cdk   the CDK app (bench/cdk/app.py, aws-cdk-lib in .venv-cdk) vs ecrsynth synth
BENCH_OUT      := bench/out
BENCH_FLOOR    := $(BENCH_OUT)/floor
BENCH_SIZES    ?= 1,100,1000,10000
BENCH_CDK_SIZES ?= 1,100,131
BENCH_MIN_RUNS ?= 10
CDK_VENV       := .venv-cdk

.PHONY: bench bench-cdk bench-build bench-hyperfine bench-specs bench-cdk-venv

# The release binary is copied to bench/out/ecrsynth so a concurrent rebuild cannot swap it mid-run.
# BENCH_BIN=path skips the build and times that binary instead.
BENCH_BIN      ?=
BENCH_RUN_BIN  := $(if $(BENCH_BIN),$(BENCH_BIN),$(BENCH_OUT)/ecrsynth)

bench-build:
ifeq ($(BENCH_BIN),)
	$(SWIFT) build -c release --static-swift-stdlib --product ecrsynth
	@mkdir -p $(BENCH_OUT) && cp $(BIN) $(BENCH_OUT)/ecrsynth
endif

bench-hyperfine:
	@command -v hyperfine >/dev/null 2>&1 || { \
		echo "installing hyperfine"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hyperfine; }

$(BENCH_FLOOR): bench/floor.c
	@pkg-config --exists yaml-0.1 || $(MAKE) deps
	@mkdir -p $(BENCH_OUT)
	cc -O2 -Wall -o $@ bench/floor.c $$(pkg-config --cflags --libs yaml-0.1)

bench-specs:
	$(PYTHON) bench/gen_specs.py --sizes $(BENCH_SIZES) --cdk-sizes $(BENCH_CDK_SIZES) >/dev/null

bench: bench-build bench-hyperfine $(BENCH_FLOOR) bench-specs
	$(PYTHON) bench/run_bench.py --bin $(BENCH_RUN_BIN) --floor $(BENCH_FLOOR) --sizes $(BENCH_SIZES) --min-runs $(BENCH_MIN_RUNS)

bench-cdk-venv:
	@if [ ! -x $(CDK_VENV)/bin/python ] || ! $(CDK_VENV)/bin/python -c "import aws_cdk, constructs, yaml" >/dev/null 2>&1; then \
		echo "making $(CDK_VENV) with aws-cdk-lib 2.275.0"; \
		$(PYTHON) -m venv $(CDK_VENV) && \
		$(CDK_VENV)/bin/pip install -q --disable-pip-version-check aws-cdk-lib==2.275.0 constructs PyYAML; \
	fi

bench-cdk: bench-build bench-hyperfine bench-cdk-venv bench-specs
	$(PYTHON) bench/run_bench_cdk.py --bin $(BENCH_RUN_BIN) --python $(CDK_VENV)/bin/python --sizes $(BENCH_CDK_SIZES)

# ---------------------------------------------------------------------------------------------------
# Shell completions and the man page, generated from the argument parser so they always match the
# binary (docs/ci.md#shell-completions-and-the-man-page). `make extras` writes them to $(EXTRAS_DIR);
# `make install` also installs them, through install-extras. The man page comes from
# swift-argument-parser's generate-manual tool (what `swift package plugin generate-manual` runs),
# built here directly so that the plugin's own release build does not replace $(BIN).
EXTRAS_DIR          := .build/extras
BASH_COMPLETION_DIR ?= $(PREFIX)/share/bash-completion/completions
ZSH_COMPLETION_DIR  ?= $(PREFIX)/share/zsh/site-functions
FISH_COMPLETION_DIR ?= $(PREFIX)/share/fish/vendor_completions.d
MAN1_DIR            ?= $(PREFIX)/share/man/man1

.PHONY: extras install-extras

extras: build
	@mkdir -p $(EXTRAS_DIR)
	$(BIN) --generate-completion-script bash > $(EXTRAS_DIR)/ecrsynth.bash
	$(BIN) --generate-completion-script zsh > $(EXTRAS_DIR)/_ecrsynth
	$(BIN) --generate-completion-script fish > $(EXTRAS_DIR)/ecrsynth.fish
	$(SWIFT) build --product generate-manual
	"$$($(SWIFT) build --show-bin-path)/generate-manual" $(BIN) --output-directory $(EXTRAS_DIR)

install: install-extras

install-extras: extras
	install -d $(DESTDIR)$(BASH_COMPLETION_DIR) $(DESTDIR)$(ZSH_COMPLETION_DIR) $(DESTDIR)$(FISH_COMPLETION_DIR) $(DESTDIR)$(MAN1_DIR)
	install -m 0644 $(EXTRAS_DIR)/ecrsynth.bash $(DESTDIR)$(BASH_COMPLETION_DIR)/ecrsynth
	install -m 0644 $(EXTRAS_DIR)/_ecrsynth $(DESTDIR)$(ZSH_COMPLETION_DIR)/_ecrsynth
	install -m 0644 $(EXTRAS_DIR)/ecrsynth.fish $(DESTDIR)$(FISH_COMPLETION_DIR)/ecrsynth.fish
	install -m 0644 $(EXTRAS_DIR)/ecrsynth.1 $(DESTDIR)$(MAN1_DIR)/ecrsynth.1

# ---------------------------------------------------------------------------------------------------
# Fuzzing (docs/hostile-input.md). The libFuzzer + AddressSanitizer build of Sources/ecrsynth-fuzz
# lives in its own scratch folder .build-fuzz (git-ignored), so the normal build is untouched.
#   make fuzz            fuzz for FUZZ_SECONDS (default 60); the corpus grows in .build-fuzz/corpus
#   make fuzz-ci         the CI run: about 60 s from the committed seeds, fails on any finding
# A finding (crash-*, leak-*, timeout-*, oom-*) is written to .build-fuzz/artifacts/; keep it in
# Fixtures/fuzz/regressions/, where the unit tests replay it.
FUZZ_SECONDS ?= 60

.PHONY: fuzz fuzz-ci

fuzz:
	SWIFT=$(SWIFT) Tests/fuzz/run.sh $(FUZZ_SECONDS)

fuzz-ci:
	SWIFT=$(SWIFT) Tests/fuzz/run.sh 60 -timeout=5

# ---------------------------------------------------------------------------------------------------
# checkov against `ecrsynth validate` (e2e/README.md). checkov lives in its own virtual
# environment .venv-checkov (it pins an old boto3 that would break moto in .venv-e2e). `make e2e` runs
# the comparison too; it reuses .build/debug/ecrsynth (the `swift build` below is a no-op after e2e's).
CHECKOV_VERSION ?= 3.3.30
CHECKOV_VENV    := .venv-checkov

.PHONY: checkov-deps checkov-compare

checkov-deps: $(CHECKOV_VENV)/.installed-$(CHECKOV_VERSION)

$(CHECKOV_VENV)/.installed-$(CHECKOV_VERSION):
	@echo "checkov: making $(CHECKOV_VENV) with checkov==$(CHECKOV_VERSION)"
	@rm -rf $(CHECKOV_VENV)
	@$(PYTHON) -m venv $(CHECKOV_VENV) 2>/dev/null || { \
		echo "checkov: '$(PYTHON) -m venv' failed; using virtualenv instead"; rm -rf $(CHECKOV_VENV); \
		$(PYTHON) -m pip install -q virtualenv && $(PYTHON) -m virtualenv -q $(CHECKOV_VENV); }
	$(CHECKOV_VENV)/bin/python -m pip install -q --disable-pip-version-check "checkov==$(CHECKOV_VERSION)"
	@touch $@

e2e: checkov-compare

checkov-compare: checkov-deps
	$(SWIFT) build --product ecrsynth
	$(CHECKOV_VENV)/bin/python e2e/checkov_compare.py --ecrsynth .build/debug/ecrsynth --checkov $(CHECKOV_VENV)/bin/checkov
