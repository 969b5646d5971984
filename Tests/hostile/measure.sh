#!/usr/bin/env bash
# Measures every hostile case (docs/hostile-input.md): runs `ecrsynth synth CASE -o OUT` under
# /usr/bin/time -v and prints a Markdown table of case, outcome (exit code and first error line), wall
# time and peak memory (maximum resident set size). Performance is measured here, never asserted in tests.
#   usage: Tests/hostile/measure.sh [ECRSYNTH_BINARY]     (default .build/release/ecrsynth)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
bin="$(realpath "${1:-$root/.build/release/ecrsynth}")"
[ -x "$bin" ] || { echo "measure: no binary at $bin (run 'make build' first)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "measure: needs GNU time at /usr/bin/time (apt-get install time)" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 "$root/Tests/hostile/generate.py" "$work/gen" >/dev/null
mkdir -p "$work/cases" "$work/folder.yaml"
mkfifo "$work/cases/fifo.yaml"
for f in "$root"/Fixtures/hostile/*.yaml "$work"/gen/*.yaml; do ln -s "$f" "$work/cases/$(basename "$f")"; done
ln -s "$work/folder.yaml" "$work/cases/directory.yaml"
ln -s /dev/zero "$work/cases/dev-zero.yaml"

size() { local s; s=$(stat -L -c %s "$1" 2>/dev/null || echo 0); if [ "$s" -ge 1048576 ]; then echo "$((s / 1048576)) MiB"; elif [ "$s" -ge 1024 ]; then echo "$((s / 1024)) KiB"; else echo "$s B"; fi; }

echo "Binary: \`${bin#$root/}\` ($("$bin" --version)), $(nproc) CPUs, $(uname -sr)"
echo
echo "| case | size | outcome | time | peak memory | files written |"
echo "| --- | --- | --- | ---: | ---: | ---: |"
cd "$work/cases"
for c in $(ls | sort); do
    kind=""
    [ -p "$c" ] && kind="FIFO"; [ -d "$c" ] && kind="directory"; [ -c "$c" ] && kind="character device"
    rm -rf "$work/out"
    set +e
    /usr/bin/time -v -o "$work/time" "$bin" synth "$c" -o "$work/out" >"$work/stdout" 2>"$work/stderr"
    status=$?
    set -e
    wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$work/time")
    rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/time")
    first=$(grep -m1 -E ': error: ' "$work/stderr" | sed -E "s/^[^ ]*: error: //; s/k{20,}/kkk…/; s/(.{90}).+/\1…/; s/\|/\\\\|/g" || true)
    errors=$(grep -c ': error: ' "$work/stderr" || true)
    [ "$errors" -gt 1 ] && first="$first (+$((errors - 1)) more)"
    [ $status -eq 0 ] && first="accepted: $(tr -d '\n' < "$work/stdout" | sed 's/^[^:]*: //')"
    files=$( (find "$work/out" -type f 2>/dev/null || true) | wc -l)
    # wall time m:ss.cc → seconds
    secs=$(echo "$wall" | awk -F: '{ if (NF == 3) print $1*3600 + $2*60 + $3; else print $1*60 + $2 }')
    echo "| $c | ${kind:-$(size "$c")} | exit $status: $first | ${secs} s | $((rss / 1024)) MiB | $files |"
done
