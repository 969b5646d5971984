#!/usr/bin/env python3
"""`make bench-cdk`: time the CDK app (bench/cdk/app.py) and `ecrsynth synth` on the same specs.

Usage: bench/run_bench_cdk.py --bin BIN --python VENV_PYTHON [--sizes 1,100,131] [--min-runs N]

The specs are bench/out/specs/cdk-N.yaml from bench/gen_specs.py: the shape of the repos-N specs
restricted to what the CDK can express (onImageScanCompleted only, no archive rules). The CDK
refuses more than 500 resources in one stack; with this shape 131 repositories (500 CDK resources after app.py drops CDKMetadata)
is the largest spec it synthesizes, 132 gives 504. A size the CDK rejects is reported and skipped.

Both commands run in one hyperfine invocation per spec (--warmup 1, --min-runs N, each into a
directory removed by --prepare before every run). Prints one table with the CDK/ecrsynth ratio and
writes RESULTS/bench-cdk.md, RESULTS/bench-cdk.json and hyperfine-cdk-N.json.
"""

import argparse
import datetime
import json
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
APP = os.path.join(ROOT, "bench", "cdk", "app.py")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--python", required=True, help="python of the venv with aws-cdk-lib")
    ap.add_argument("--specs", default=os.path.join(ROOT, "bench", "out", "specs"))
    ap.add_argument("--results", default=os.path.join(ROOT, "bench", "out", "results"))
    ap.add_argument("--sizes", default="1,100,131")
    ap.add_argument("--min-runs", type=int, default=5)
    ap.add_argument("--hyperfine", default="hyperfine")
    a = ap.parse_args()

    os.makedirs(a.results, exist_ok=True)
    work = tempfile.mkdtemp(prefix="run-cdk-", dir=os.path.join(ROOT, "bench", "out"))
    cdk_dir, ecr_dir = os.path.join(work, "cdk"), os.path.join(work, "ecrsynth")
    rows, skipped = [], []
    try:
        for n in [x for x in a.sizes.split(",") if x]:
            spec = os.path.join(a.specs, f"cdk-{n}.yaml")
            if not os.path.exists(spec):
                sys.exit(f"run_bench_cdk: {spec} is missing; run bench/gen_specs.py --cdk-sizes {a.sizes}")
            # one plain run first: does the CDK take this spec at all?
            shutil.rmtree(cdk_dir, ignore_errors=True)
            p = subprocess.run([a.python, APP, spec, cdk_dir], capture_output=True, text=True)
            if p.returncode != 0:
                msg = (p.stderr.strip().splitlines() or ["?"])[-1][:200]
                print(f"\n== cdk-{n}: the CDK app exits {p.returncode}, skipped: {msg}", flush=True)
                skipped.append({"size": int(n), "exit": p.returncode, "message": msg})
                continue
            resources = len(json.load(open(os.path.join(cdk_dir, os.listdir(cdk_dir)[0])))["Resources"])
            export = os.path.join(a.results, f"hyperfine-cdk-{n}.json")
            cmd = [a.hyperfine, "-N", "--warmup", "1", "--min-runs", str(a.min_runs),
                   "--prepare", f"rm -rf {cdk_dir} {ecr_dir}",
                   "--export-json", export, "--style", "basic",
                   "-n", "cdk", f"{a.python} {APP} {spec} {cdk_dir}",
                   "-n", "ecrsynth", f"{a.bin} synth {spec} -o {ecr_dir}"]
            print(f"\n== cdk-{n}: {os.path.relpath(spec, ROOT)} ({resources} CDK resources)", flush=True)
            subprocess.run(cmd, check=True)
            res = {r["command"]: r for r in json.load(open(export))["results"]}
            rows.append({"size": int(n), "cdk_resources": resources,
                         "cdk_ms": res["cdk"]["median"] * 1000, "ecrsynth_ms": res["ecrsynth"]["median"] * 1000,
                         "runs": {k: len(v["times"]) for k, v in res.items()}})
    finally:
        shutil.rmtree(work, ignore_errors=True)

    lines = ["| repositories | CDK resources | CDK median ms | ecrsynth synth median ms | CDK / ecrsynth | runs (CDK, ecrsynth) |",
             "| ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in rows:
        lines.append(f"| {r['size']:,} | {r['cdk_resources']} | {r['cdk_ms']:,.0f} | {r['ecrsynth_ms']:.1f} "
                     f"| {r['cdk_ms'] / r['ecrsynth_ms']:,.0f}x | {r['runs']['cdk']}, {r['runs']['ecrsynth']} |")
    for s in skipped:
        lines.append(f"| {s['size']:,} | – | rejected (exit {s['exit']}) | – | – | – |")
    ok = all(r["cdk_ms"] / r["ecrsynth_ms"] >= 100 for r in rows) and rows
    lines += ["", f"Target: at least 100x faster than the CDK at every size it can do: "
                  f"{'met' if ok else '**not met**'}."]
    table = "\n".join(lines)
    print("\n" + table)
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    with open(os.path.join(a.results, "bench-cdk.md"), "w") as f:
        f.write(f"<!-- make bench-cdk, {stamp} -->\n{table}\n")
    with open(os.path.join(a.results, "bench-cdk.json"), "w") as f:
        json.dump({"date": stamp, "rows": rows, "skipped": skipped}, f, indent=1)


if __name__ == "__main__":
    main()
