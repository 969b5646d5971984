#!/usr/bin/env bash
# A long fuzz that does not stop at the first finding: runs Tests/fuzz/run.sh again after each finding
# until TOTAL seconds have passed. Log: .build-fuzz/long.log. Findings: .build-fuzz/artifacts/.
#   usage: Tests/fuzz/long.sh TOTAL_SECONDS
set -uo pipefail
cd "$(dirname "$0")/../.."
total="${1:-1800}"
end=$(( $(date +%s) + total ))
round=0
while [ "$(date +%s)" -lt "$end" ]; do
    round=$((round + 1))
    left=$(( end - $(date +%s) ))
    echo "=== long fuzz round $round: $left s left ($(date -u +%FT%TZ))"
    Tests/fuzz/run.sh "$left"
    echo "=== round $round exit $?"
done
