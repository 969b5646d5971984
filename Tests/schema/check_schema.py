#!/usr/bin/env python3
"""Validates the spec fixtures against the JSON Schema that `ecrsynth schema` prints.

Every valid spec must pass; every invalid spec listed in MUST_FAIL (defects a schema can see:
unknown keys, wrong types, values outside an enum or a pattern) must fail. Ends with the plain
closing line 'N passed, M failed'.
"""
import glob
import json
import subprocess
import sys

import jsonschema
import yaml

MUST_FAIL = [
    "14-missing-version", "16-version-quoted", "17-unknown-top-level-key", "18-missing-stack",
    "19-missing-repositories", "20-empty-repositories", "21-repositories-not-a-list", "22-stack-name-underscore",
    "25-env-account-11-digits", "26-env-account-missing", "28-env-bad-partition", "44-repository-unknown-key",
    "46-mutability-lowercase", "56-removal-policy-snapshot", "109-authorization-token-unknown-key",
]


def load(path):
    with open(path, "rb") as f:
        return yaml.safe_load(f)


def main():
    binary = sys.argv[1]
    schema = json.loads(subprocess.run([binary, "schema"], check=True, capture_output=True).stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    passed = failed = 0
    valid = sorted(glob.glob("Fixtures/synth/*/spec.yaml") + glob.glob("Fixtures/cdk/*/spec.yaml")
                   + ["Fixtures/example/ecrsynth.yaml"])
    for path in valid:
        errors = list(validator.iter_errors(load(path)))
        if errors:
            failed += 1
            print(f"FAIL {path}: valid spec rejected by the schema: {errors[0].message} at {list(errors[0].absolute_path)}")
        else:
            passed += 1
    for name in MUST_FAIL:
        matches = glob.glob(f"Fixtures/validate/{name}.yaml")
        if not matches:
            failed += 1
            print(f"FAIL {name}: fixture missing")
            continue
        try:
            doc = load(matches[0])
        except yaml.YAMLError:
            doc = None
        if doc is not None and validator.is_valid(doc):
            failed += 1
            print(f"FAIL {name}: invalid spec accepted by the schema")
        else:
            passed += 1
    print(f"schema: {len(valid)} valid specs, {len(MUST_FAIL)} invalid specs")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
