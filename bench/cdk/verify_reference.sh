#!/bin/sh
# Check the oracle against the CDK parity fixtures (Fixtures/cdk/{minimal,seed,rich}):
# every <case>/spec.yaml must give a template byte-identical to <case>/cdk.template.json.
set -u
here=$(cd "$(dirname "$0")" && pwd)
py=${PYTHON:-$here/../../.venv-cdk/bin/python}
ref=${REF:-$(cd "$(dirname "$0")/../../Fixtures/cdk" && pwd)}
tmp=$(mktemp -d); status=0
for spec in "$ref"/*/spec.yaml; do
  case_dir=$(dirname "$spec"); name=$(basename "$case_dir")
  if ! "$py" "$here/app.py" "$spec" "$tmp/$name" >/dev/null 2>"$tmp/$name.err"; then
    echo "FAIL $name: $(grep '^app.py:' "$tmp/$name.err")"; status=1; continue
  fi
  for out in "$tmp/$name"/*.template.json; do
    if cmp -s "$out" "$case_dir/cdk.template.json"; then echo "same $name"
    else echo "DIFF $name"; status=1; fi
  done
done
rm -rf "$tmp"
exit $status
