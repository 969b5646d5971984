#!/usr/bin/env bash
# Benchmark for `ecrsynth preview`: generates a describe-images dump of N images (default 100,000)
# and a five-rule policy, then times the release binary with /usr/bin/time -v (wall time, max RSS)
# for text and json output, and for --against. Not run by the tests.
#
#   bench/preview-bench.sh [N]            # builds .build-preview/release/ecrsynth if needed
#   ECRSYNTH_BIN=path bench/preview-bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-100000}
out=bench/out/preview
mkdir -p "$out"

bin=${ECRSYNTH_BIN:-.build-preview/release/ecrsynth}
if [ -z "${ECRSYNTH_BIN:-}" ]; then
    swift build -c release --scratch-path .build-preview --product ecrsynth >&2
fi

python3 - "$n" "$out" <<'PY'
import datetime, json, random, sys
n, out = int(sys.argv[1]), sys.argv[2]
rnd = random.Random(42)
now = datetime.datetime(2024, 6, 1, tzinfo=datetime.timezone.utc)
tz = datetime.timezone(datetime.timedelta(hours=2))
def iso(days):
    t = now - datetime.timedelta(seconds=int(days * 86400), microseconds=rnd.randrange(1000000))
    return t.astimezone(tz).isoformat()
with open(f"{out}/images.json", "w") as f:
    f.write('{\n    "imageDetails": [\n')
    for i in range(n):
        age = rnd.uniform(0, 900)
        kind = rnd.random()
        if kind < 0.3:
            tags = []
        elif kind < 0.45:
            tags = [f"v{i // 1000}.{i // 10 % 100}.{i % 10}"]
        elif kind < 0.75:
            tags = [f"main-{rnd.getrandbits(28):07x}"] + (["latest"] if rnd.random() < 0.01 else [])
        else:
            tags = [f"feature-{rnd.choice(['login', 'search', 'cart', 'billing'])}-{i}", f"build-{i}"]
        d = {"registryId": "123456789012", "repositoryName": "bench/app",
             "imageDigest": "sha256:%064x" % rnd.getrandbits(256)}
        if tags:
            d["imageTags"] = tags
        d["imageSizeInBytes"] = rnd.randrange(10**6, 10**9)
        d["imagePushedAt"] = iso(age)
        d["imageManifestMediaType"] = "application/vnd.oci.image.manifest.v1+json"
        if rnd.random() < 0.7:
            d["lastRecordedPullTime"] = iso(rnd.uniform(0, age))
        if age > 200 and rnd.random() < 0.3:
            d["imageStatus"] = "ARCHIVED"
            d["lastArchivedAt"] = iso(rnd.uniform(0, age - 100))
        else:
            d["imageStatus"] = "ACTIVE"
            if age > 300 and rnd.random() < 0.05:
                d["lastActivatedAt"] = iso(rnd.uniform(0, 100))
        f.write("        " + json.dumps(d) + (",\n" if i < n - 1 else "\n"))
    f.write("    ]\n}\n")
PY

cat > "$out/spec.yaml" <<'YAML'
version: 1
stack:
  name: PreviewBench
repositories:
  - id: App
    repositoryName: bench/app
    lifecycleRules:
      - description: keep 500 release images
        tagPatternList: ["v*.*.*"]
        maxImageCount: 500
      - description: archive main builds nobody pulled for 90 days
        tagPrefixList: [main-]
        maxTimeSinceLastPull: 90d
        action: archive
      - description: expire feature builds after 30 days
        tagPatternList: ["feature-*", "build-*"]
        maxImageAge: 30d
      - description: expire untagged images after 14 days
        tagStatus: untagged
        maxImageAge: 14d
      - description: keep 20000 images
        maxImageCount: 20000
      - description: delete archived images after a year
        storageClass: archive
        maxTimeInArchive: 365d
YAML
sed 's/maxImageCount: 20000/maxImageCount: 30000/; s/maxImageAge: 30d/maxImageAge: 60d/' "$out/spec.yaml" > "$out/before.yaml"

echo "images: $n ($(du -h "$out/images.json" | cut -f1) of describe-images JSON)"
measure() {
    local label=$1; shift
    /usr/bin/time -v "$bin" preview "$out/spec.yaml" --images "$out/images.json" --now 2024-06-01T00:00:00Z "$@" \
        > "$out/$label.out" 2> "$out/$label.time"
    local wall rss
    wall=$(grep 'Elapsed (wall clock)' "$out/$label.time" | sed 's/.*: //')
    rss=$(grep 'Maximum resident set size' "$out/$label.time" | sed 's/.*: //')
    printf '%-8s wall %s  max RSS %s MB  (%s)\n' "$label" "$wall" "$((rss / 1024))" "$(tail -1 "$out/$label.out" | cut -c1-90)"
}
measure text
measure json --format json
measure against --against "$out/before.yaml"
