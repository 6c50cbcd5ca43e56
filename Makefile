# avocado-vexfs: every target installs what it needs and is safe to run again.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
RECIPE ?= debian-12
# Filters: COMPONENT=fs_smoke (a test name), QUICK=1 (trimmed counts), ONLY='a b'.
ONLY ?=
COMPONENT ?=
QUICK ?=
VT_EXTRA ?=
FILTERS := $(strip $(ONLY) $(COMPONENT))
# QUICK and DEBUG: 1/yes on, 0/no/empty off (check-make-vars refuses anything else).
QUICK_ON := $(filter 1 yes,$(strip $(QUICK)))
DEBUG_ON := $(filter 1 yes,$(strip $(DEBUG)))
MAKE_VARS := "PARALLEL=$(PARALLEL)" "QUICK=$(QUICK)" "DEBUG=$(DEBUG)" "RECIPE=$(RECIPE)" \
	"VEXFS_SRC=$(VEXFS_SRC)" "VEXFS_PATCHES=$(VEXFS_PATCHES)" "FSTESTS_SRC=$(FSTESTS_SRC)" \
	"KERNEL=$(KERNEL)"
VT_ARGS := $(if $(FILTERS),--vt-only-filter "$(FILTERS)") \
	$(if $(QUICK_ON),--vt-extra-params quick=yes) \
	$(if $(VEXFS_SRC),--vt-extra-params vexfs_src=$(VEXFS_SRC)) \
	$(if $(VEXFS_PATCHES),--vt-extra-params vexfs_patches=$(VEXFS_PATCHES)) \
	$(if $(FSTESTS_SRC),--vt-extra-params fstests_src=$(FSTESTS_SRC)) \
	$(if $(KERNEL),--vt-extra-params guest_kernel_flavour=$(KERNEL)) $(VT_EXTRA)
AVOCADO := PATH="$(BIN):$$PATH" VIRTUAL_ENV="$(CURDIR)/$(VENV)" $(BIN)/avocado
AVX := PATH="$(BIN):$$PATH" VIRTUAL_ENV="$(CURDIR)/$(VENV)" $(BIN)/avocado-vexfs
# KERNEL=debug: the guests boot the KASAN/lockdep/kmemleak/UBSAN kernel
# (guest-os/kernels/debug.config, built once); empty or stock: Debian's kernel.
# DEBUG=1: verbose logs, a failed test's guest is kept alive (`make sweep` lists it).
# PARALLEL=N: N tests (one guest each) at once in the job: --max-parallel-tasks N.
# Default 2 (measured on 2 cores: level 2 1.3-1.9x faster, level 1 76 s vs 108 s).
PARALLEL_DEFAULT = 2
DEBUG_ENV := $(if $(DEBUG_ON),VEXFS_TEST_DEBUG=1 VEXFS_LOG_LEVEL=DEBUG)

.PHONY: all host venv setup image level1 level2 level3 test unit e2e sweep clean help bench-level1

help:
	@echo "make level1   quick smoke in a real guest (installs everything first)"
	@echo "make test     the project's own tests: unit, then end-to-end guests"
	@echo "make level2 | level3   longer levels; COMPONENT=<test> QUICK=1 filter them"
	@echo "make instrumented TAGS=fast   tests-instrumented/ with avocado run"

host:
	@scripts/install-host.sh

$(VENV)/.installed: setup.py | host
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q 'setuptools<81' wheel
	$(BIN)/pip install -q -e '.[test]'
	touch $@

venv: $(VENV)/.installed

setup: venv
	@$(AVX) setup-avocado --repo "$(CURDIR)" --venv "$(CURDIR)/$(VENV)" >/dev/null
	@$(AVX) host >/dev/null

image: setup
	@$(AVX) image --recipe $(RECIPE) >/dev/null

# Explicit targets: make skips pattern rules for .PHONY targets.
level1 level2 level3: image
	@$(AVX) check-make-vars $(MAKE_VARS) && $(AVX) check-cfg cfg/$@.cfg --run-args $(VT_ARGS)
	@$(BIN)/python -m avocado_vexfs.bench.estimate cfg/$@.cfg \
		$(if $(FILTERS),--only "$(FILTERS)") $(if $(QUICK_ON),--quick)
	$(DEBUG_ENV) $(AVOCADO) run --vt-config cfg/$@.cfg $(VT_ARGS) \
		--max-parallel-tasks $(or $(PARALLEL),$(PARALLEL_DEFAULT))
	@$(if $(filter level3,$@),$(if $(FSTESTS_SRC),for fs in ext4 vexfs; do \
		$(MAKE) --no-print-directory fstests FS=$$fs GROUP=quick || exit 1; done, \
		echo "level3: fstests generic/quick left out: FSTESTS_SRC is not set"))

# fstests (issue 16): any selection, one Avocado test per fstests test, longest first,
# PARALLEL guests (default 2) shared by the tests while they stay healthy:
# make fstests FS=vexfs|ext4 GROUP=quick TESTS='generic/001 ...' EXCLUDE='...' FSTESTS_SRC=<dir|tarball|git URL>
FS ?= vexfs
.PHONY: fstests
fstests: image
	@$(AVX) check-make-vars $(MAKE_VARS) "FS=$(FS)"
	@cfg=$$($(AVX) fstests-cfg --fs "$(FS)" --src "$(FSTESTS_SRC)" --group "$(GROUP)" \
		--tests "$(TESTS)" --exclude "$(EXCLUDE)") && \
	$(DEBUG_ENV) $(AVOCADO) run --vt-config $$cfg $(VT_ARGS) \
		--max-parallel-tasks $(or $(PARALLEL),2)

# Mount-path fuzzing (issue 18): mutated images mounted and walked in guests for MINUTES
# (default 5) per filesystem; both ext4 (the control) and VexFS unless FS= narrows it.
# Findings: <logdir>/fuzz/findings/<title>/, each re-run by avocado-vexfs fuzz-repro <dir>.
MINUTES ?=
FUZZ_FILTER = $(strip fuzz $(if $(filter command line environment,$(origin FS)),$(FS)))
.PHONY: fuzz
fuzz: image
	@$(AVX) check-make-vars $(MAKE_VARS) "FS=$(FS)" "MINUTES=$(MINUTES)"
	$(DEBUG_ENV) $(AVOCADO) run --vt-config cfg/level3.cfg --vt-only-filter "$(FUZZ_FILTER)" \
		$(if $(VEXFS_SRC),--vt-extra-params vexfs_src=$(VEXFS_SRC)) \
		$(if $(VEXFS_PATCHES),--vt-extra-params vexfs_patches=$(VEXFS_PATCHES)) \
		$(if $(KERNEL),--vt-extra-params guest_kernel_flavour=$(KERNEL)) \
		$(if $(MINUTES),--vt-extra-params fuzz_minutes=$(MINUTES)) $(VT_EXTRA) \
		--max-parallel-tasks $(or $(PARALLEL),2)

# Instrumented tests (issue 19): the scenarios of tests-instrumented/ run by plain
# `avocado run` (the levels' guests, verdicts and artifacts), on ext4 and VexFS
# (filesystems.yml; VexFS needs VEXFS_SRC). TAGS='fast' or 'vexfs,-destructive' selects
# by Avocado tag; SCENARIOS=<files|folder> and VARIANTS=<variants file> pick others:
# make instrumented SCENARIOS=tests-instrumented/mount_matrix.py \
#     VARIANTS=tests-instrumented/mount_matrix.py.data/variants.yml
# INSTR_PARAMS='vcpus=1 mem=4096': cfg keys for every test; QUICK and KERNEL apply too.
SCENARIOS ?= tests-instrumented
VARIANTS ?= tests-instrumented/filesystems.yml
TAGS ?=
INSTR_PARAMS ?=
# KEY=VALUE as --mux-inject /run:KEY:VALUE (the value may hold '=' or ':')
mux_inject = --mux-inject "/run:$(firstword $(subst =, ,$(1))):$(patsubst \
	$(firstword $(subst =, ,$(1)))=%,%,$(1))"
INSTR_ARGS := $(if $(VARIANTS),-m $(VARIANTS)) \
	$(foreach tags,$(TAGS),--filter-by-tags $(tags)) \
	$(foreach p,$(INSTR_PARAMS) $(if $(QUICK_ON),quick=yes) \
		$(if $(KERNEL),guest_kernel_flavour=$(KERNEL)),$(call mux_inject,$(p)))
.PHONY: instrumented
instrumented: image
	@$(AVX) check-make-vars $(MAKE_VARS) "TAGS=$(TAGS)" "SCENARIOS=$(SCENARIOS)" \
		"VARIANTS=$(VARIANTS)" "INSTR_PARAMS=$(INSTR_PARAMS)"
	$(DEBUG_ENV) VEXFS_SRC="$(VEXFS_SRC)" VEXFS_PATCHES="$(VEXFS_PATCHES)" \
		$(AVOCADO) run $(SCENARIOS) $(INSTR_ARGS) --max-parallel-tasks $(or $(PARALLEL),2)

unit: setup
	$(BIN)/pytest -q tests/unit

e2e: image
	$(BIN)/pytest -q tests/e2e

# End-to-end files on E2E_WORKERS pytest-xdist workers (a file stays on one worker: its
# tests share fixtures); 1 runs them one by one.
E2E_WORKERS ?= 2
test: image
	@$(AVX) check-make-vars "E2E_WORKERS=$(E2E_WORKERS)"
	$(BIN)/pytest -q tests/unit
	$(BIN)/pytest --durations=20 $(if $(filter-out 1,$(E2E_WORKERS)),-n $(E2E_WORKERS) \
		--dist loadfile) tests/e2e

sweep: setup
	@$(AVX) sweep

clean:
	rm -rf .avocado-data $(VENV) *.egg-info

bench-level1: image
	$(BIN)/python benchmarks/bench_level1.py $(if $(COLD),--cold) \
		$(if $(VEXFS_SRC),--vexfs-src "$(VEXFS_SRC)") \
		$(if $(VEXFS_PATCHES),--vexfs-patches "$(VEXFS_PATCHES)")

# Re-run failed tests of a job exactly: make repro JOB=<job id|dir|latest> TEST=<name>
# (without TEST: write repro.json with one command per failed test, run nothing).
.PHONY: repro bisect
repro: image
	@$(AVX) repro --job "$(JOB)" $(if $(TEST),--test "$(TEST)")

# git bisect on a private clone by one test's verdict; your tree is never touched:
# make bisect VEXFS_SRC=<git path|URL> GOOD=<ref> BAD=<ref> TEST=<name> [CFG=cfg/level2.cfg]
# [BISECT_EXTRA='vcpus=1 lifecycle_cycles=2']  (each word: --vt-extra-params for every step)
bisect: image
	@$(AVX) bisect --src "$(VEXFS_SRC)" --good "$(GOOD)" --bad "$(BAD)" --test "$(TEST)" \
		$(if $(CFG),--cfg "$(CFG)") $(foreach p,$(BISECT_EXTRA),--extra "$(p)") \
		$(if $(VEXFS_PATCHES),--extra "vexfs_patches=$(VEXFS_PATCHES)")

# Benchmarks (issue 6). make baseline: run the bench variants of BASELINE_LEVEL (level2:
# bench.short, level3: bench.long) and record every repetition in the baseline store
# (results/baselines/bench.json). make bench-regression-eval: false-alarm and detection
# rates of the distribution check and of the old one-sample 10% rule, measured here.
.PHONY: baseline bench-regression-eval
BASELINE_LEVEL ?= level2
baseline: image
	@$(AVX) check-make-vars $(MAKE_VARS) "BASELINE_LEVEL=$(BASELINE_LEVEL)"
	@$(BIN)/python -m avocado_vexfs.bench.estimate cfg/$(BASELINE_LEVEL).cfg \
		--only "bench $(FILTERS)" $(if $(QUICK_ON),--quick)
	$(AVOCADO) run --vt-config cfg/$(BASELINE_LEVEL).cfg --vt-only-filter "bench $(FILTERS)" \
		$(if $(QUICK_ON),--vt-extra-params quick=yes) \
		$(if $(VEXFS_SRC),--vt-extra-params vexfs_src=$(VEXFS_SRC)) \
		$(if $(VEXFS_PATCHES),--vt-extra-params vexfs_patches=$(VEXFS_PATCHES)) \
		--vt-extra-params bench_regression=record $(VT_EXTRA)

bench-regression-eval: image
	$(BIN)/python benchmarks/regression_eval.py $(EVAL_ARGS)

# Reports (issue 7). report: (re)build report.html of the latest job or JOB=<dir|id>.
# diff: new failures, fixed tests, changed crash titles and metric changes, A -> B.
# nightly: jobs/nightly.py (level 2 + quick level 3, report, baseline when clean); cron:
#   30 1 * * *  cd /path/to/avocado-vexfs && make nightly >> results/nightly.log 2>&1
# debug-bundle: host facts, versions, the job's logs, cfg and image recipe in one tarball.
.PHONY: report diff nightly debug-bundle settings
report: setup
	@$(AVX) report $(JOB)

diff: setup
	@$(AVX) diff "$(A)" "$(B)"

nightly: image
	$(DEBUG_ENV) PATH="$(BIN):$$PATH" VIRTUAL_ENV="$(CURDIR)/$(VENV)" $(BIN)/python \
		jobs/nightly.py $(NIGHTLY_ARGS)

debug-bundle: setup
	@$(AVX) debug-bundle $(JOB)

settings: setup
	@$(AVX) settings
