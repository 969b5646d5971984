#!/usr/bin/env python3
"""Compare checkov's ECR checks with `ecrsynth validate` warnings, per repository.

For every Fixtures/synth/*/spec.yaml and its expected/*.template.json:
  checkov --skip-download --quiet --compact -o json --framework cloudformation -f TEMPLATE ...
  ecrsynth validate --diagnostics json SPEC
checkov runs once over all templates (one `-f` per template; its start-up is ~3 s, so one process
per template would cost over a minute). Each checkov ECR check is mapped to the ecrsynth warning that
means the same, per repository (spec id <-> template logical ID). A difference is "explained" when
one of the reasons in EXPLAINED applies to that repository; any other difference fails (exit 1).
Run it with the Python of .venv-checkov (it needs PyYAML, which checkov brings). See e2e/README.md.
"""
import argparse
import glob
import json
import os
import re
import subprocess
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# checkov check -> (what it means, regex on ecrsynth warnings naming the repository, or None when
# the warning does not name it and is placed by its line inside the repository's block).
CHECKS = {
    "CKV_AWS_51": ("image tags immutable", re.compile(r"^tags of repository '([^']+)' are mutable")),
    "CKV_AWS_163": ("scan on push", re.compile(r"^repository '([^']+)' does not scan images on push")),
    "CKV_AWS_136": ("KMS encryption", None),  # ecrsynth has no such warning
    "CKV_AWS_32": ("public repository policy", re.compile(r"allows every AWS principal \('\*'\)")),
}
# ecrsynth warnings that checkov has no ECR check for (its CKV_AWS_32 looks at principals only).
ECRSYNTH_ONLY = {
    "wildcard-actions": ("ECR actions '*' (ecrsynth only)",
                         re.compile(r"allows every ECR action|grants \d+ repository actions")),
}

# Known, explained differences. Each key is (check, who flagged it alone); `applies` gets the
# repository's CloudFormation properties and says whether the reason covers this repository.
EXPLAINED = {
    "kms-default-aes256": dict(
        check="CKV_AWS_136", only="checkov",
        reason="ecrsynth has no 'KMS required' warning: AES256 is ECR's default encryption and the "
               "spec has no stack-level requirement that a repository use KMS",
        applies=lambda p: (p.get("EncryptionConfiguration") or {}).get("EncryptionType", "AES256") == "AES256"),
    "kms-dsse": dict(
        check="CKV_AWS_136", only="checkov",
        reason="checkov accepts only EncryptionType KMS; KMS_DSSE (dual-layer, also KMS) is legal and stronger",
        applies=lambda p: (p.get("EncryptionConfiguration") or {}).get("EncryptionType") == "KMS_DSSE"),
    "tag-mutability-with-exclusion": dict(
        check="CKV_AWS_51", only="checkov",
        reason="checkov accepts only IMMUTABLE; IMMUTABLE_WITH_EXCLUSION / MUTABLE_WITH_EXCLUSION are legal, "
               "deliberate choices with explicit exclusion filters, so ecrsynth does not warn",
        applies=lambda p: str(p.get("ImageTagMutability", "")).endswith("_WITH_EXCLUSION")),
    "star-principal-limited": dict(
        check="CKV_AWS_32", only="checkov",
        reason="a '*' principal limited by a Condition (checkov counts only StringEquals ones) or in a Deny "
               "statement is not public",
        applies=lambda p: any(s.get("Effect") == "Deny" or s.get("Condition")
                              for s in _statements(p) if _star(s.get("Principal")))),
    "wildcard-actions": dict(
        check="wildcard-actions", only="ecrsynth",
        reason="checkov has no ECR check for 'ecr:*' or broad action wildcards in a repository policy",
        applies=lambda p: True),
}


def _statements(props):
    text = props.get("RepositoryPolicyText") or {}
    if isinstance(text, str):
        try:
            text = json.loads(text)
        except ValueError:
            return []
    st = text.get("Statement", []) if isinstance(text, dict) else []
    return [s for s in (st if isinstance(st, list) else [st]) if isinstance(s, dict)]


def _star(principal):
    if principal == "*":
        return True
    if isinstance(principal, dict):
        aws = principal.get("AWS")
        return aws == "*" or (isinstance(aws, list) and "*" in aws)
    return False


def repo_blocks(spec_path):
    """(id or None, repositoryName or None, first line, last line) of each repository in the spec, 1-based."""
    with open(spec_path) as f:
        root = yaml.compose(f)
    out = []
    for key, value in (root.value if isinstance(root, yaml.MappingNode) else []):
        if key.value == "repositories" and isinstance(value, yaml.SequenceNode):
            for item in value.value:
                if not isinstance(item, yaml.MappingNode):
                    continue
                field = {k.value: v.value for k, v in item.value if isinstance(v, yaml.ScalarNode)}
                out.append((field.get("id"), field.get("repositoryName"),
                            item.start_mark.line + 1, item.end_mark.line + 1))
    return out


def ecrsynth_flags(ecrsynth, spec, id_by_name):
    """{row: set(repository id)} from `ecrsynth validate --diagnostics json SPEC`."""
    p = subprocess.run([ecrsynth, "validate", "--diagnostics", "json", spec], capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"ecrsynth validate {spec} exited {p.returncode}: {p.stderr.strip()}")
    blocks = repo_blocks(spec)
    flags = {row: set() for row in list(CHECKS) + list(ECRSYNTH_ONLY)}
    for f in json.loads(p.stdout)["files"]:
        for d in f["diagnostics"]:
            if d["severity"] != "warning":
                continue
            for row, (_, rx) in list(CHECKS.items()) + list(ECRSYNTH_ONLY.items()):
                m = rx.search(d["message"]) if rx else None
                if not m:
                    continue
                if m.groups():
                    flags[row].add(m.group(1))
                else:  # placed by line: the innermost repository block holding it
                    owner = [b for b in blocks if b[2] <= d["line"] <= b[3]]
                    rid = owner and (owner[-1][0] or id_by_name.get(owner[-1][1]))
                    if not rid:
                        raise RuntimeError(f"{spec}:{d['line']}: no repository holds warning '{d['message']}'")
                    flags[row].add(rid)
    return flags


def repository_ids(template):
    """{logical ID: spec id} from the outputs ecrsynth writes ("Name of repository ID", Ref logical ID)."""
    ids = {}
    for out in template.get("Outputs", {}).values():
        desc, value = out.get("Description", ""), out.get("Value")
        if desc.startswith("Name of repository ") and isinstance(value, dict) and "Ref" in value:
            ids[value["Ref"]] = desc[len("Name of repository "):]
    return ids


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ecrsynth", default=os.path.join(ROOT, ".build/debug/ecrsynth"))
    ap.add_argument("--checkov", default=os.path.join(ROOT, ".venv-checkov/bin/checkov"))
    ap.add_argument("-v", "--verbose", action="store_true", help="print every repository, not only differences")
    args = ap.parse_args()
    os.chdir(ROOT)
    for exe in (args.ecrsynth, args.checkov):
        if not os.access(exe, os.X_OK):
            print(f"FAIL {exe} not found or not executable (make checkov-deps; swift build --product ecrsynth)")
            print("0 passed, 1 failed")
            return 1

    specs = sorted(glob.glob("Fixtures/synth/*/spec.yaml"))
    templates = {s: sorted(glob.glob(os.path.join(os.path.dirname(s), "expected", "*.template.json"))) for s in specs}
    all_templates = [t for s in specs for t in templates[s]]
    if not all_templates:
        print("FAIL no fixture templates found\n0 passed, 1 failed")
        return 1

    cmd = [args.checkov, "--skip-download", "--quiet", "--compact", "-o", "json", "--framework", "cloudformation"]
    for t in all_templates:
        cmd += ["-f", t]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode not in (0, 1):
        print(f"FAIL checkov exited {p.returncode}: {p.stderr.strip()[-2000:]}\n0 passed, 1 failed")
        return 1
    out = json.loads(p.stdout) if p.stdout.strip() else []
    reports = out if isinstance(out, list) else [out]
    failed_by_file = {}  # template -> {check: set(logical ID)}
    other = set()
    for r in reports:
        for c in r.get("results", {}).get("failed_checks", []):
            rtype, _, logical = c["resource"].partition(".")
            path = os.path.relpath(os.path.abspath(c.get("file_abs_path") or c["file_path"].lstrip("/")), ROOT)
            if not rtype.startswith("AWS::ECR::"):
                other.add(f"{c['check_id']} on {rtype}")
                continue
            if c["check_id"] not in CHECKS:  # an ECR check this script does not know yet: never silent
                CHECKS[c["check_id"]] = (c["check_name"], None)
            failed_by_file.setdefault(path, {}).setdefault(c["check_id"], set()).add(logical)

    rows = list(CHECKS) + list(ECRSYNTH_ONLY)
    stats = {row: dict(checkov=0, ecrsynth=0, agree=0, explained=0, unexplained=0) for row in rows}
    explained_seen, problems, passed = {}, [], 0
    for spec in specs:
        fixture = os.path.basename(os.path.dirname(spec))
        loaded = []
        for t in templates[spec]:
            with open(t) as f:
                loaded.append((t, json.load(f)))
        id_of, id_by_name = {}, {}
        for _, doc in loaded:
            ids = repository_ids(doc)
            id_of.update(ids)
            for lid, r in doc.get("Resources", {}).items():
                name = (r.get("Properties") or {}).get("RepositoryName")
                if r.get("Type") == "AWS::ECR::Repository" and isinstance(name, str):
                    id_by_name[name] = ids.get(lid, lid)
        try:
            eflags = ecrsynth_flags(args.ecrsynth, spec, id_by_name)
        except RuntimeError as e:
            problems.append(f"FAIL {fixture}: {e}")
            continue
        for t, doc in loaded:
            resources = doc.get("Resources", {})
            repos = {id_of.get(lid, lid): (lid, r.get("Properties") or {})
                     for lid, r in resources.items() if r.get("Type") == "AWS::ECR::Repository"}
            cflags = {chk: {id_of.get(l, l) for l in ls} for chk, ls in failed_by_file.get(t, {}).items()}
            for rid, (lid, props) in sorted(repos.items()):
                for row in rows:
                    by_c = rid in cflags.get(row, set())
                    by_e = rid in eflags.get(row, set())
                    s = stats[row]
                    s["checkov"] += by_c
                    s["ecrsynth"] += by_e
                    if by_c == by_e:
                        s["agree"] += 1
                        passed += 1
                        continue
                    only = "checkov" if by_c else "ecrsynth"
                    key = next((k for k, e in EXPLAINED.items()
                                if e["check"] == row and e["only"] == only and e["applies"](props)), None)
                    where = f"{fixture}/{rid} ({lid})"
                    if key:
                        s["explained"] += 1
                        passed += 1
                        explained_seen.setdefault(key, []).append(where)
                    else:
                        s["unexplained"] += 1
                        problems.append(f"FAIL {row}: {where} flagged by {only} only")

    print(f"checkov {len(all_templates)} templates, ecrsynth validate {len(specs)} specs; "
          f"repositories flagged per check")
    hdr = ("check", "meaning", "checkov", "ecrsynth", "agree", "explained", "unexplained")
    print("{:<17} {:<32} {:>7} {:>8} {:>5} {:>9} {:>11}".format(*hdr))
    for row in rows:
        s = stats[row]
        meaning = (CHECKS.get(row) or ECRSYNTH_ONLY[row])[0]
        print("{:<17} {:<32} {:>7} {:>8} {:>5} {:>9} {:>11}".format(
            row, meaning[:32], s["checkov"], s["ecrsynth"], s["agree"], s["explained"], s["unexplained"]))
    for key, where in explained_seen.items():
        e = EXPLAINED[key]
        print(f"explained {e['check']} ({e['only']} only, {len(where)}): {e['reason']}")
        print("  " + ", ".join(where) if args.verbose else "  e.g. " + ", ".join(where[:3])
              + (f" and {len(where) - 3} more" if len(where) > 3 else ""))
    if other:
        print("note: not ECR checks, not compared: " + ", ".join(sorted(other)))
    for line in problems:
        print(line)
    print(f"{passed} passed, {len(problems)} failed")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
