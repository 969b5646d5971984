#!/usr/bin/env python3
"""CDK oracle for ecrsynth: the real AWS CDK app that an ecrsynth spec stands for.

Usage: python app.py SPEC.yaml OUTDIR

Builds the CDK app a spec stands for (the spec-to-CDK mapping in docs/spec.md) with aws-cdk-lib
(2.275.0, run from .venv-cdk) and the feature flags a `cdk init` project gets
(cdk.json next to this file, copied from aws-cdk-lib's recommended-feature-flags.json),
synthesizes it and writes OUTDIR/<stackName>.template.json with the CDK's own noise
(CDKMetadata, aws:cdk:path metadata, BootstrapVersion parameter/rule) removed. The rest is the
CDK's output unchanged: same key order, 1-space indentation, no trailing newline.

This is a test tool, not a validator: it assumes a valid spec and lets the CDK raise where the
CDK raises. Exit status: 0 written; 2 the CDK rejected the app (e.g. KMS_DSSE, a cross-account
event target in a stack with env); 3 a feature the CDK cannot express (onImagePushed, archive
lifecycle rules); 64 usage.
"""

import json
import os
import re
import sys
import tempfile

import yaml

# jsii prints a large banner for Node 20 (end of life, still works); keep stderr for real messages.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION", "1")
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")

import aws_cdk as cdk
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs

HERE = os.path.dirname(os.path.abspath(__file__))


class Unsupported(Exception):
    """A spec feature the CDK cannot express."""


def feature_flags():
    with open(os.path.join(HERE, "cdk.json")) as f:
        return json.load(f)["context"]


# ---------------------------------------------------------------- spec helpers

_DURATION = re.compile(r"^\s*(\d+)\s*(d|day|days)\s*$")


def days(value, where):
    """`30d`, `30 day`, `30 days` or `{days: 30}` -> Duration.days(30)."""
    if isinstance(value, dict) and set(value) == {"days"} and isinstance(value["days"], int):
        return cdk.Duration.days(value["days"])
    if isinstance(value, str):
        m = _DURATION.match(value)
        if m:
            return cdk.Duration.days(int(m.group(1)))
    raise ValueError(f"{where}: not a duration in whole days: {value!r}")


def pascal_case(name):
    parts = [p for p in re.split(r"[^A-Za-z0-9]+", name) if p]
    return "".join(p[0].upper() + p[1:] for p in parts)


def merged(defaults, repo):
    """`defaults` under a repository: the repository's value wins, lists are replaced,
    tags are merged (repository's tag wins)."""
    out = dict(defaults or {})
    for k, v in repo.items():
        if k == "tags" and isinstance(out.get("tags"), dict):
            t = dict(out["tags"])
            t.update(v or {})
            out["tags"] = t
        else:
            out[k] = v
    return out


def s(v):
    """YAML 1.1 may turn an unquoted account id into an int; the CDK wants strings."""
    return v if isinstance(v, str) else str(v)


# ---------------------------------------------------------------- builder


class Builder:
    def __init__(self, app, spec):
        self.spec = spec
        st = spec["stack"]
        env = None
        if st.get("env"):
            e = st["env"]
            env = cdk.Environment(
                account=s(e["account"]) if e.get("account") is not None else None,
                region=e.get("region"),
            )
            # `partition` has no CDK prop: the CDK derives it from the region.
        self.stack = cdk.Stack(app, st["name"], description=st.get("description"), env=env)
        for k, v in (st.get("tags") or {}).items():
            cdk.Tags.of(self.stack).add(str(k), s(v))
        self.roles = {}
        self.users = {}

    # principals: imported roles/users are created on first use, once per name
    def principal(self, p):
        if "role" in p:
            n = p["role"]
            if n not in self.roles:
                self.roles[n] = iam.Role.from_role_name(self.stack, f"ImportedRole-{n}", n)
            return self.roles[n]
        if "user" in p:
            n = p["user"]
            if n not in self.users:
                self.users[n] = iam.User.from_user_name(self.stack, f"ImportedUser-{n}", n)
            return self.users[n]
        if "arn" in p:
            return iam.ArnPrincipal(p["arn"])
        if "account" in p:
            return iam.AccountPrincipal(s(p["account"]))
        if "service" in p:
            return iam.ServicePrincipal(p["service"])
        raise ValueError(f"unknown principal {p!r}")

    def target(self, import_id, arn):
        service = arn.split(":")[2] if arn.count(":") >= 5 else ""
        if service == "sns":
            return targets.SnsTopic(sns.Topic.from_topic_arn(self.stack, import_id, arn))
        if service == "lambda":
            return targets.LambdaFunction(lambda_.Function.from_function_arn(self.stack, import_id, arn))
        if service == "sqs":
            return targets.SqsQueue(sqs.Queue.from_queue_arn(self.stack, import_id, arn))
        if service == "events" and ":event-bus/" in arn:
            return targets.EventBus(events.EventBus.from_event_bus_arn(self.stack, import_id, arn))
        raise ValueError(f"unsupported target ARN {arn!r}")

    def lifecycle_rule(self, r, where):
        """The spec rule as keyword arguments of addLifecycleRule (jsii expands the struct)."""
        for key in ("storageClass", "action", "maxTimeSinceLastPull", "maxTimeInArchive"):
            if key in r and not (key == "storageClass" and r[key] == "standard") \
                    and not (key == "action" and r[key] == "expire"):
                raise Unsupported(f"{where}: `{key}: {r[key]}` (archive lifecycle rules) has no CDK equivalent")
        kw = {}
        if "description" in r:
            kw["description"] = r["description"]
        if "rulePriority" in r:
            kw["rule_priority"] = r["rulePriority"]
        if "tagStatus" in r:
            kw["tag_status"] = {"tagged": ecr.TagStatus.TAGGED, "untagged": ecr.TagStatus.UNTAGGED,
                                "any": ecr.TagStatus.ANY}[r["tagStatus"]]
        if "tagPrefixList" in r:
            kw["tag_prefix_list"] = [s(x) for x in r["tagPrefixList"]]
        if "tagPatternList" in r:
            kw["tag_pattern_list"] = [s(x) for x in r["tagPatternList"]]
        if "maxImageCount" in r:
            kw["max_image_count"] = r["maxImageCount"]
        if "maxImageAge" in r:
            kw["max_image_age"] = days(r["maxImageAge"], f"{where}.maxImageAge")
        return kw

    def repository(self, index, raw):
        r = merged(self.spec.get("defaults"), raw)
        where = f"repositories[{index}]"
        if r.get("onImagePushed"):
            raise Unsupported(f"{where}.onImagePushed: the CDK has no 'ECR Image Action' event method")
        rid = r.get("id") or pascal_case(r["repositoryName"])

        props = {}
        if "repositoryName" in r:
            props["repository_name"] = r["repositoryName"]
        if "imageScanOnPush" in r:
            props["image_scan_on_push"] = r["imageScanOnPush"]
        if "imageTagMutability" in r:
            props["image_tag_mutability"] = getattr(ecr.TagMutability, r["imageTagMutability"])
        if "imageTagMutabilityExclusionFilters" in r:
            props["image_tag_mutability_exclusion_filters"] = [
                ecr.ImageTagMutabilityExclusionFilter.wildcard(p) for p in r["imageTagMutabilityExclusionFilters"]]
        if "encryption" in r:
            props["encryption"] = {"AES256": ecr.RepositoryEncryption.AES_256,
                                   "KMS": ecr.RepositoryEncryption.KMS,
                                   "KMS_DSSE": ecr.RepositoryEncryption.KMS_DSSE}[r["encryption"]]
        if "encryptionKey" in r:
            props["encryption_key"] = kms.Key.from_key_arn(self.stack, f"{rid}EncryptionKey", r["encryptionKey"])
        if "removalPolicy" in r:
            props["removal_policy"] = {"retain": cdk.RemovalPolicy.RETAIN,
                                       "destroy": cdk.RemovalPolicy.DESTROY}[r["removalPolicy"]]
        if "emptyOnDelete" in r:
            props["empty_on_delete"] = r["emptyOnDelete"]
        if "lifecycleRegistryId" in r:
            props["lifecycle_registry_id"] = s(r["lifecycleRegistryId"])

        repo = ecr.Repository(self.stack, rid, **props)
        for k, v in (r.get("tags") or {}).items():
            cdk.Tags.of(repo).add(str(k), s(v))
        for i, rule in enumerate(r.get("lifecycleRules") or []):
            repo.add_lifecycle_rule(**self.lifecycle_rule(rule, f"{where}.lifecycleRules[{i}]"))

        for j, ev in enumerate(r.get("onImageScanCompleted") or []):
            eid = ev.get("id") or f"ImageScanCompleted{j}"
            tgts = [self.target(f"{rid}{eid}Target{k}", arn) for k, arn in enumerate(ev.get("targets") or [])]
            kw = {}
            if "imageTags" in ev:
                kw["image_tags"] = [s(t) for t in ev["imageTags"]]
            if tgts:
                kw["target"] = tgts[0]
            rule = repo.on_image_scan_completed(eid, **kw)
            for t in tgts[1:]:
                rule.add_target(t)

        for g in r.get("grants") or []:
            p = self.principal(g["principal"])
            a = g["access"]
            if isinstance(a, list):
                repo.grant(p, *a)
            elif a == "pull":
                repo.grant_pull(p)
            elif a == "push":
                repo.grant_push(p)
            elif a == "pullPush":
                repo.grant_pull_push(p)
            elif a == "read":
                repo.grant_read(p)
            else:
                raise ValueError(f"{where}: unknown access {a!r}")

        for stmt in r.get("resourcePolicy") or []:
            repo.add_to_resource_policy(iam.PolicyStatement.from_json(stmt))

    def build(self):
        for i, r in enumerate(self.spec["repositories"]):
            self.repository(i, r)
        for p in ((self.spec.get("authorizationToken") or {}).get("grantRead") or []):
            ecr.AuthorizationToken.grant_read(self.principal(p))


# ---------------------------------------------------------------- output


def clean(template):
    """Drop the CDK's own noise; leave everything else (and its key order) alone."""
    res = template.get("Resources", {})
    for lid in [k for k, v in res.items() if v.get("Type") == "AWS::CDK::Metadata"]:
        del res[lid]
    for v in res.values():
        md = v.get("Metadata")
        if isinstance(md, dict):
            md.pop("aws:cdk:path", None)
            if not md:
                del v["Metadata"]
    for section, key in (("Parameters", "BootstrapVersion"), ("Rules", "CheckBootstrapVersion"),
                         ("Conditions", "CDKMetadataAvailable")):
        if section in template:
            template[section].pop(key, None)
            if not template[section]:
                del template[section]
    return template


def main(argv):
    if len(argv) != 3:
        print("usage: python app.py SPEC.yaml OUTDIR", file=sys.stderr)
        return 64
    spec_path, outdir = argv[1], argv[2]
    with open(spec_path, encoding="utf-8") as f:
        spec = yaml.safe_load(f)
    with tempfile.TemporaryDirectory(prefix="ecrsynth-cdk-") as cdk_out:
        app = cdk.App(outdir=cdk_out, context=feature_flags())
        try:
            b = Builder(app, spec)
            b.build()
            assembly = app.synth()
        except Unsupported as e:
            print(f"app.py: unsupported by the CDK: {e}", file=sys.stderr)
            return 3
        except RuntimeError as e:  # what jsii raises for a CDK error
            print(f"app.py: the CDK rejects this spec: {e}", file=sys.stderr)
            return 2
        stack = assembly.get_stack_by_name(b.stack.stack_name)
        with open(os.path.join(cdk_out, stack.template_file), encoding="utf-8") as f:
            template = json.load(f)
    template = clean(template)
    os.makedirs(outdir, exist_ok=True)
    out = os.path.join(outdir, f"{spec['stack']['name']}.template.json")
    with open(out, "w", encoding="utf-8") as f:
        json.dump(template, f, indent=1, ensure_ascii=False)
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
