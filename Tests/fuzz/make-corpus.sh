#!/usr/bin/env bash
# Builds the fuzz seed corpus: every .yaml under Fixtures/ (except Fixtures/fuzz and the generated hostile
# cases), plus Fixtures/fuzz/seeds/* and Fixtures/fuzz/regressions/*, copied into OUT named by content hash
# (so reruns do not duplicate). Seeds larger than 64 KiB are skipped (libFuzzer's -max_len default is 4096
# anyway, and big seeds only slow it down).
#   usage: Tests/fuzz/make-corpus.sh OUT_DIR
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="${1:?usage: $0 OUT_DIR}"
mkdir -p "$out"
n=0
while IFS= read -r -d '' f; do
    [ "$(stat -c %s "$f")" -le 65536 ] || continue
    h=$(sha1sum "$f" | cut -c1-40)
    if [ ! -e "$out/$h" ]; then cp "$f" "$out/$h"; n=$((n + 1)); fi
done < <(find "$root/Fixtures" \( -path "$root/Fixtures/fuzz/regressions" -o -path "$root/Fixtures/fuzz/seeds" \) -prune -o \
            -type f \( -name '*.yaml' -o -name '*.yml' \) -print0 | sort -z;
         find "$root/Fixtures/fuzz/seeds" "$root/Fixtures/fuzz/regressions" -type f ! -name 'README*' -print0 2>/dev/null | sort -z)
echo "make-corpus: $n new seeds in $out ($(find "$out" -type f | wc -l) in all)"
