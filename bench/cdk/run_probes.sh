#!/bin/sh
# Synthesize every probes/<name>/spec.yaml into probes/<name>/cdk/ with the CDK oracle.
# A probe the CDK rejects gets probes/<name>/cdk/ERROR.txt (the CDK's message) instead.
set -u
here=$(cd "$(dirname "$0")" && pwd)
py=${PYTHON:-$here/../../.venv-cdk/bin/python}
status=0
for spec in "$here"/probes/*/spec.yaml; do
  dir=$(dirname "$spec"); out=$dir/cdk
  rm -rf "$out"; mkdir -p "$out"
  if "$py" "$here/app.py" "$spec" "$out" >/dev/null 2>"$out/stderr.tmp"; then
    echo "ok      $(basename "$dir")"
  else
    grep '^app.py:' "$out/stderr.tmp" > "$out/ERROR.txt" || cp "$out/stderr.tmp" "$out/ERROR.txt"
    echo "REJECTED $(basename "$dir"): $(cat "$out/ERROR.txt")"
  fi
  rm -f "$out/stderr.tmp"
done
exit $status
