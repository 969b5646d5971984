#!/usr/bin/env bash
# Builds ecrsynth-fuzz (libFuzzer + AddressSanitizer, in .build-fuzz) and fuzzes the pipeline.
#   usage: Tests/fuzz/run.sh SECONDS [more libFuzzer options]
# The growing corpus is kept in .build-fuzz/corpus (git-ignored); seeds come from Tests/fuzz/make-corpus.sh.
# Findings (crash-*, leak-*, timeout-*, oom-*) land in .build-fuzz/artifacts/; copy each one into
# Fixtures/fuzz/regressions/ so FuzzRegressionTests (Tests/CLITests/HostileCorpusTests.swift) replays it forever.
# Exit status: 0 when the run ended with no finding, libFuzzer's status otherwise.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds="${1:-60}"; shift || true
SWIFT="${SWIFT:-swift}"
scratch="${FUZZ_SCRATCH:-.build-fuzz}"   # FUZZ_SCRATCH: another scratch folder (e.g. to time a fresh build)
echo "fuzz: building ecrsynth-fuzz in $scratch"
set +e
# Release (-O): Swift keeps its bounds and overflow traps, and an input's time is close to what the
# shipped binary takes, so the 1 s timeout flags real slowness rather than debug + ASan overhead
# (a heavy 31 KB input took 1.2 s in a debug ASan build, 0.45 s in release ASan, 0.05 s shipped).
"$SWIFT" build -c release --scratch-path "$scratch" --product ecrsynth-fuzz ${FUZZ_BUILD_FLAGS:-} \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -DECRSYNTH_FUZZ_DRIVER 2>&1 \
    | grep -v -e "Cannot export local symbol" -e "warning:" -e "^ *[0-9]* |" -e "^ *|"
built=${PIPESTATUS[0]}
set -e
bin="$scratch/release/ecrsynth-fuzz"
[ "$built" -eq 0 ] && [ -x "$bin" ] || { echo "fuzz: build failed" >&2; exit 1; }
mkdir -p "$scratch/corpus" "$scratch/seeds" "$scratch/artifacts"
Tests/fuzz/make-corpus.sh "$scratch/seeds"
echo "fuzz: running for $seconds s"
export SWIFT_BACKTRACE=enable=no
export LSAN_OPTIONS="suppressions=$PWD/Fixtures/fuzz/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_stack_use_after_return=0}"
set +e
"$bin" -max_total_time="$seconds" -timeout=1 -rss_limit_mb=2048 -malloc_limit_mb=2048 \
    -dict=Fixtures/fuzz/yaml.dict -artifact_prefix="$scratch/artifacts/" -print_final_stats=1 \
    "$@" "$scratch/corpus" "$scratch/seeds"
status=$?
set -e
if [ $status -ne 0 ]; then
    echo "fuzz: FINDING (exit $status); inputs in $scratch/artifacts/:" >&2
    ls -l "$scratch/artifacts/" >&2
    echo "fuzz: copy each into Fixtures/fuzz/regressions/ and fix the cause" >&2
fi
exit $status
