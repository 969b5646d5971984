#!/usr/bin/env python3
"""End-to-end deployment test of ecrsynth against moto_server.

For every spec: `ecrsynth synth` into a temporary folder, create the IAM roles/users/groups and Lambda
functions the template refers to but does not own, deploy every template with CloudFormation
create_stack, require CREATE_COMPLETE, read back what moto stores and compare it with the template,
then apply each LifecyclePolicyText and RepositoryPolicyText through the ECR API (moto validates those
there, not during the deploy). Finally one stack is updated (a lifecycle rule changed in its spec) and
another one is deleted.

Prints one line per check and closes with `N passed, M failed`; exits 1 on any failure.
Run it through `make e2e` (which builds ecrsynth and the pinned virtual environment), or directly:

    .venv-e2e/bin/python e2e/run.py [--ecrsynth PATH] [SPEC ...]
"""

import argparse
import atexit
import copy
import glob
import io
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zipfile

try:
    import boto3
    import botocore.config
    import botocore.exceptions
    import botocore.parsers
    import yaml
except ImportError as exc:  # pragma: no cover - depends on the environment
    sys.stderr.write(f"e2e: {exc}; run `make e2e-deps` and use .venv-e2e/bin/python\n")
    sys.exit(2)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_ACCOUNT = "123456789012"  # moto's default account, used when a spec has no stack.env
DEFAULT_REGION = "us-east-1"
STARTUP_TIMEOUT = 20.0  # seconds for moto_server to answer
STACK_TIMEOUT = 10.0  # seconds for one stack operation to settle (moto works synchronously)
CLIENT_CONFIG = botocore.config.Config(
    connect_timeout=5, read_timeout=30, retries={"total_max_attempts": 1}
)

SCOPE = """\
What this test verifies, through moto_server 5.2.1 (an emulator, not AWS):
  - CloudFormation (moto's) accepts each template: CREATE_COMPLETE, and for one stack UPDATE_COMPLETE
    after a changed lifecycle rule, for another DELETE_COMPLETE; Ref/Fn::GetAtt between resources;
  - read back and compared with the template: ECR repository names, ImageTagMutability (and exclusion
    filters) and tags; EventBridge rules (EventPattern - moto validates its syntax -, State, targets,
    tags); the IAM inline policies on the imported roles/users and the policies/ files for them;
    Lambda permissions; stack outputs; after the delete, which repositories DeletionPolicy keeps;
  - through the ECR API after the deploy: each LifecyclePolicyText (moto checks JSON, keys,
    tagStatus/countType/countUnit/action values, countNumber >= 1) and each RepositoryPolicyText;
    through IAM: the policies/cross-account files (moto checks policy-document structure only).
What it does NOT verify (moto limits):
  - a read-back that equals the template shows the value went through CloudFormation intact, not
    that AWS accepts it: moto stores enum values such as ImageTagMutability unchecked (cfn-lint does);
  - during a CloudFormation deploy or update moto drops LifecyclePolicy, RepositoryPolicyText and
    EmptyOnDelete: they are checked only when applied through the ECR API afterwards;
  - ImageScanningConfiguration and EncryptionConfiguration (moto reads them back as {});
  - lifecycle semantics: there is no lifecycle preview and push dates cannot be set, so no rule is
    ever evaluated; rule priorities and order are not checked by moto;
  - archive syntax (transition, sinceImagePulled, sinceImageTransitioned, storageClass), which AWS
    accepts but moto rejects: such lifecycle policies are skipped (SKIP lines);
  - a repository without RepositoryName fails in moto (it invents an upper-case name): such templates
    are deployed as a copy with a generated lower-case RepositoryName (note lines say which);
  - IAM permissions are never evaluated, event rules never fire, the SNS/SQS/Lambda target policies
    in policies/targets/ are not applied; moto does not roll back a failed stack.
"""


# --------------------------------------------------------------------------------------------
# reporting

class Report:
    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.skipped = 0
        self.failures = []

    def ok(self, what):
        self.passed += 1
        print(f"PASS  {what}", flush=True)

    def fail(self, what, detail):
        self.failed += 1
        self.failures.append(what)
        detail = str(detail).strip().replace("\n", "\n        ")
        print(f"FAIL  {what}\n        {detail}", flush=True)

    def skip(self, what, why):
        self.skipped += 1
        print(f"SKIP  {what}: {why}", flush=True)

    def note(self, text):
        print(f"note  {text}", flush=True)

    def check(self, what, expected, actual):
        if expected == actual:
            self.ok(what)
        else:
            self.fail(what, f"expected {json.dumps(expected, sort_keys=True, default=str)}\n"
                            f"got      {json.dumps(actual, sort_keys=True, default=str)}")
        return expected == actual


R = Report()


def err_text(exc):
    if isinstance(exc, botocore.exceptions.ClientError):
        e = exc.response.get("Error", {})
        return f"{e.get('Code')}: {e.get('Message')}"
    # moto answers some CloudFormation errors in JSON where botocore expects XML
    m = re.search(r"b'(\{.*\})'", str(exc), re.S)
    if isinstance(exc, botocore.parsers.ResponseParserError) and m:
        try:
            body = json.loads(m.group(1).encode().decode("unicode_escape"))
            return f"{body.get('__type')}: {body.get('message')}"
        except ValueError:
            pass
    return f"{type(exc).__name__}: {exc}"


# --------------------------------------------------------------------------------------------
# moto_server

class Moto:
    def __init__(self, logdir):
        self.proc = None
        self.port = None
        self.log_path = os.path.join(logdir, "moto_server.log")
        self.endpoint = None

    def command(self):
        exe = os.path.join(os.path.dirname(sys.executable), "moto_server")
        if os.path.exists(exe):
            return [exe]
        return [sys.executable, "-m", "moto.server"]

    def start(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith("MOTO_")}
        for _ in range(3):  # another process may take the free port between probe and bind
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
                s.bind(("127.0.0.1", 0))
                self.port = s.getsockname()[1]
            self.endpoint = f"http://127.0.0.1:{self.port}"
            log = open(self.log_path, "ab")
            self.proc = subprocess.Popen(
                self.command() + ["-H", "127.0.0.1", "-p", str(self.port)],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                env=env, start_new_session=True)
            log.close()
            deadline = time.monotonic() + STARTUP_TIMEOUT
            while time.monotonic() < deadline and self.proc.poll() is None:
                try:
                    urllib.request.urlopen(self.endpoint + "/moto-api/", timeout=1).read()
                    return
                except (urllib.error.URLError, OSError):
                    time.sleep(0.1)
            self.stop()
        with open(self.log_path, errors="replace") as f:
            tail = f.read()[-2000:]
        raise RuntimeError(f"moto_server did not answer within {STARTUP_TIMEOUT:.0f} s:\n{tail}")

    def reset(self):
        req = urllib.request.Request(self.endpoint + "/moto-api/reset", method="POST")
        urllib.request.urlopen(req, timeout=10).read()

    def stop(self):
        p, self.proc = self.proc, None
        if p is None or p.poll() is not None:
            return
        try:
            os.killpg(p.pid, signal.SIGTERM)
            p.wait(timeout=5)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait(timeout=5)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass


class Aws:
    """boto3 clients for one account and region of moto (account chosen by moto's header)."""

    def __init__(self, endpoint, account, region):
        self.endpoint, self.account, self.region = endpoint, account, region
        self._clients = {}

    def __call__(self, service, region=None, account=None):
        key = (service, region or self.region, account or self.account)
        if key not in self._clients:
            c = boto3.client(service, region_name=key[1], endpoint_url=self.endpoint,
                             config=CLIENT_CONFIG)
            acct = key[2]

            def add_header(request, **_):
                request.headers["x-moto-account-id"] = acct
            c.meta.events.register("before-sign.*.*", add_header)
            self._clients[key] = c
        return self._clients[key]


# --------------------------------------------------------------------------------------------
# templates

PARTITIONS = {"cn-": "aws-cn", "us-gov-": "aws-us-gov"}


def partition_of(region):
    for prefix, part in PARTITIONS.items():
        if region.startswith(prefix):
            return part
    return "aws"


class Unresolvable(Exception):
    pass


class Resolver:
    """Evaluates the intrinsics ecrsynth may emit against what the deployed stack reports."""

    def __init__(self, aws, stack_name, stack_id):
        self.refs = {
            "AWS::AccountId": aws.account, "AWS::Region": aws.region,
            "AWS::Partition": partition_of(aws.region), "AWS::StackName": stack_name,
            "AWS::StackId": stack_id, "AWS::URLSuffix": "amazonaws.com.cn"
            if aws.region.startswith("cn-") else "amazonaws.com",
            "AWS::NoValue": None,
        }
        self.atts = {}

    def value(self, v):
        if isinstance(v, list):
            return [self.value(x) for x in v]
        if not isinstance(v, dict):
            return v
        if len(v) == 1:
            (k, a), = v.items()
            if k == "Ref":
                if a not in self.refs:
                    raise Unresolvable(f"Ref {a}")
                return self.refs[a]
            if k == "Fn::GetAtt":
                logical, att = a if isinstance(a, list) else a.split(".", 1)
                if (logical, att) not in self.atts:
                    raise Unresolvable(f"Fn::GetAtt {logical}.{att}")
                return self.atts[(logical, att)]
            if k == "Fn::Join":
                sep, items = a
                return sep.join(str(x) for x in self.value(items))
            if k == "Fn::Select":
                i, items = a
                return self.value(items)[int(self.value(i))]
            if k == "Fn::Sub":
                text, extra = (a, {}) if isinstance(a, str) else (a[0], self.value(a[1]))
                return self.sub(text, extra)
            if k.startswith("Fn::"):
                raise Unresolvable(k)
        return {k: self.value(x) for k, x in v.items()}

    def sub(self, text, extra=None):
        extra = extra or {}

        def one(m):
            name = m.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in extra:
                return str(extra[name])
            if name in self.refs:
                return str(self.refs[name])
            if "." in name:
                logical, att = name.split(".", 1)
                if (logical, att) in self.atts:
                    return str(self.atts[(logical, att)])
            raise Unresolvable("${" + name + "}")
        return re.sub(r"\$\{([^}]+)\}", one, text)


def resources_of(template, rtype):
    return {k: r for k, r in template.get("Resources", {}).items() if r.get("Type") == rtype}


def tags_dict(tags):
    out = {}
    for t in tags or []:
        out[t.get("Key", t.get("key"))] = t.get("Value", t.get("value"))
    return out


def is_archive_syntax(text):
    try:
        rules = json.loads(text).get("rules", [])
    except (ValueError, AttributeError):
        return False
    for r in rules:
        sel, act = r.get("selection", {}), r.get("action", {})
        if act.get("type") == "transition" or "storageClass" in sel or \
                sel.get("countType") in ("sinceImagePulled", "sinceImageTransitioned"):
            return True
    return False


def generated_name(stack, logical):
    """What CloudFormation would roughly generate, lower-cased so that moto accepts it."""
    base = f"{stack}-{logical}".lower()
    base = re.sub(r"[^a-z0-9._/-]+", "-", base).strip("-._/")
    return base[:200] or "repository"


def patch_unnamed(template, stack, names=None):
    """Give each repository without RepositoryName a generated one; returns {logical: name}."""
    names = dict(names or {})
    for logical, res in resources_of(template, "AWS::ECR::Repository").items():
        props = res.setdefault("Properties", {})
        if "RepositoryName" not in props:
            names.setdefault(logical, generated_name(stack, logical))
            props["RepositoryName"] = names[logical]
    return names


# --------------------------------------------------------------------------------------------
# one spec

def load_spec_env(spec_path):
    try:
        with open(spec_path) as f:
            doc = yaml.safe_load(f) or {}
        env = (doc.get("stack") or {}).get("env") or {}
        return str(env.get("account") or DEFAULT_ACCOUNT), str(env.get("region") or DEFAULT_REGION)
    except Exception as exc:  # a spec PyYAML cannot read still goes through ecrsynth
        R.note(f"{spec_path}: PyYAML cannot read it ({exc}); using account {DEFAULT_ACCOUNT}, "
               f"region {DEFAULT_REGION}")
        return DEFAULT_ACCOUNT, DEFAULT_REGION


def synth(ecrsynth, spec_path, out_dir, label):
    p = subprocess.run([ecrsynth, "synth", spec_path, "-o", out_dir],
                       capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        R.fail(f"{label}: ecrsynth synth", f"exit {p.returncode}\n{p.stderr.strip()}")
        return None
    with open(os.path.join(out_dir, "manifest.json")) as f:
        manifest = json.load(f)
    R.ok(f"{label}: ecrsynth synth ({len(manifest.get('stacks', []))} stack(s), "
         f"{len(manifest.get('files', []))} files)")
    return manifest


def create_prerequisites(aws, template, label):
    """IAM principals and Lambda functions the template attaches to but does not own."""
    iam = aws("iam")
    trust = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
        "Action": "sts:AssumeRole"}]})
    made = {"roles": set(), "users": set(), "groups": set(), "functions": set()}
    for res in resources_of(template, "AWS::IAM::Policy").values():
        props = res.get("Properties", {})
        for name in props.get("Roles", []):
            if isinstance(name, str) and name not in made["roles"]:
                iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust)
                made["roles"].add(name)
        for name in props.get("Users", []):
            if isinstance(name, str) and name not in made["users"]:
                iam.create_user(UserName=name)
                made["users"].add(name)
        for name in props.get("Groups", []):
            if isinstance(name, str) and name not in made["groups"]:
                iam.create_group(GroupName=name)
                made["groups"].add(name)
    for res in resources_of(template, "AWS::Lambda::Permission").values():
        fn = res.get("Properties", {}).get("FunctionName")
        if not isinstance(fn, str) or fn in made["functions"]:
            continue
        m = re.match(r"arn:[^:]+:lambda:([^:]+):(\d{12}):function:([^:]+)(?::(.+))?$", fn)
        region, account, name, qualifier = (m.groups() if m else
                                            (aws.region, aws.account, fn, None))
        lam = aws("lambda", region=region, account=account)
        role = aws("iam", account=account)
        role_name = "ecrsynth-e2e-lambda"
        try:
            role_arn = role.get_role(RoleName=role_name)["Role"]["Arn"]
        except botocore.exceptions.ClientError:
            role_arn = role.create_role(RoleName=role_name, AssumeRolePolicyDocument=trust)["Role"]["Arn"]
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("index.py", "def handler(event, context):\n    return None\n")
        try:
            lam.create_function(FunctionName=name, Runtime="python3.12", Role=role_arn,
                                Handler="index.handler", Code={"ZipFile": buf.getvalue()})
        except botocore.exceptions.ClientError as exc:
            if "Conflict" not in err_text(exc) and "exist" not in err_text(exc):
                raise
        if qualifier and qualifier != "$LATEST":
            if qualifier.isdigit():
                for _ in range(int(qualifier)):
                    lam.publish_version(FunctionName=name)
            else:
                lam.create_alias(FunctionName=name, Name=qualifier, FunctionVersion="$LATEST")
        made["functions"].add(fn)
    parts = [f"{len(v)} {k}" for k, v in made.items() if v]
    R.note(f"{label}: created outside the stack first: {', '.join(parts) or 'nothing'}"
           + (f" ({', '.join(sorted(made['roles'] | made['users'] | made['groups']))})"
              if made["roles"] | made["users"] | made["groups"] else ""))
    return made


def wait_stack(cf, stack_id, want, label, what):
    deadline = time.monotonic() + STACK_TIMEOUT
    status = None
    while time.monotonic() < deadline:
        try:
            status = cf.describe_stacks(StackName=stack_id)["Stacks"][0]["StackStatus"]
        except botocore.exceptions.ClientError as exc:
            if want == "DELETE_COMPLETE" and "does not exist" in err_text(exc):
                status = want
            else:
                raise
        if status == want:
            R.ok(f"{label}: {what} -> {want}")
            return True
        if not status.endswith("_IN_PROGRESS"):
            break
        time.sleep(0.2)
    R.fail(f"{label}: {what} -> {want}", f"stack status {status}; events:\n"
           + stack_events(cf, stack_id))
    return False


def stack_events(cf, stack):
    events = []
    try:
        for e in cf.describe_stack_events(StackName=stack)["StackEvents"]:
            events.append(f"{e.get('LogicalResourceId')} {e.get('ResourceType')} "
                          f"{e.get('ResourceStatus')} {e.get('ResourceStatusReason') or ''}".strip())
    except Exception as exc:  # noqa: BLE001 - the events are only a diagnostic
        events.append(f"(no events: {err_text(exc)})")
    return "\n".join(events[:30])


def resolver_for(aws, cf, stack_id, stack_name, template):
    """Maps each logical ID to its Ref value and attributes, from what moto reports."""
    rv = Resolver(aws, stack_name, stack_id)
    ecr, events = aws("ecr"), aws("events")
    phys = {r["LogicalResourceId"]: r for r in
            cf.describe_stack_resources(StackName=stack_id)["StackResources"]}
    for logical, res in template.get("Resources", {}).items():
        pid = phys.get(logical, {}).get("PhysicalResourceId")
        rtype = res.get("Type")
        if rtype == "AWS::ECR::Repository" and pid:
            repo = ecr.describe_repositories(repositoryNames=[pid])["repositories"][0]
            rv.refs[logical] = repo["repositoryName"]
            rv.atts[(logical, "Arn")] = repo["repositoryArn"]
            rv.atts[(logical, "RepositoryUri")] = repo["repositoryUri"]
        elif rtype == "AWS::Events::Rule" and pid:
            rule = events.describe_rule(Name=pid)
            rv.refs[logical] = pid
            rv.atts[(logical, "Arn")] = rule["Arn"]
        elif rtype == "AWS::IAM::Role" and pid:
            role = aws("iam").get_role(RoleName=pid)["Role"]
            rv.refs[logical] = role["RoleName"]
            rv.atts[(logical, "Arn")] = role["Arn"]
        elif pid:
            rv.refs[logical] = pid
    return rv, phys


def compare_stack(aws, cf, stack_id, stack_name, template, out_dir, label, phase):
    """Reads back the deployed stack and compares it with the template. Returns the resolver."""
    tag = f"{label} [{phase}]"
    try:
        rv, phys = resolver_for(aws, cf, stack_id, stack_name, template)
    except Exception as exc:  # noqa: BLE001
        R.fail(f"{tag}: read back stack resources", err_text(exc))
        return None
    want_res = {k: r["Type"] for k, r in template.get("Resources", {}).items()}
    got_res = {k: r["ResourceType"] for k, r in phys.items()}
    R.check(f"{tag}: stack resources (logical IDs and types, {len(want_res)})", want_res, got_res)
    bad = {k: r["ResourceStatus"] for k, r in phys.items()
           if not r["ResourceStatus"].endswith("_COMPLETE") or "DELETE" in r["ResourceStatus"]}
    R.check(f"{tag}: every resource *_COMPLETE", {}, bad)

    ecr, events, iam = aws("ecr"), aws("events"), aws("iam")
    unchecked = set()
    for logical, res in resources_of(template, "AWS::ECR::Repository").items():
        props = res.get("Properties", {})
        what = f"{tag}: repository {logical}"
        try:
            repo = ecr.describe_repositories(repositoryNames=[rv.refs[logical]])["repositories"][0]
            tags = ecr.list_tags_for_resource(resourceArn=repo["repositoryArn"])["tags"]
        except Exception as exc:  # noqa: BLE001
            R.fail(f"{what} read back", err_text(exc))
            continue
        R.check(f"{what} name", props.get("RepositoryName"), repo["repositoryName"])
        R.check(f"{what} ImageTagMutability", props.get("ImageTagMutability", "MUTABLE"),
                repo["imageTagMutability"])
        if "ImageTagMutabilityExclusionFilters" in props:
            want = [{"filterType": f["ImageTagMutabilityExclusionFilterType"],
                     "filter": f["ImageTagMutabilityExclusionFilterValue"]}
                    for f in props["ImageTagMutabilityExclusionFilters"]]
            R.check(f"{what} ImageTagMutabilityExclusionFilters", want,
                    repo.get("imageTagMutabilityExclusionFilters"))
        R.check(f"{what} tags", tags_dict(rv.value(props.get("Tags"))), tags_dict(tags))
        unchecked |= {p for p in ("ImageScanningConfiguration", "EncryptionConfiguration",
                                  "EmptyOnDelete") if p in props}

    for logical, res in resources_of(template, "AWS::Events::Rule").items():
        props = res.get("Properties", {})
        what = f"{tag}: rule {logical}"
        try:
            name = rv.refs[logical]
            rule = events.describe_rule(Name=name)
            targets = events.list_targets_by_rule(Rule=name)["Targets"]
            rtags = events.list_tags_for_resource(ResourceARN=rule["Arn"])["Tags"]
            want_pattern = rv.value(props.get("EventPattern"))
            want_targets = rv.value(props.get("Targets", []))
        except Exception as exc:  # noqa: BLE001
            R.fail(f"{what} read back", err_text(exc))
            continue
        if isinstance(want_pattern, str):
            want_pattern = json.loads(want_pattern)
        R.check(f"{what} EventPattern", want_pattern, json.loads(rule.get("EventPattern", "null")))
        R.check(f"{what} State", props.get("State", "ENABLED"), rule.get("State"))
        if "Description" in props:
            R.check(f"{what} Description", props["Description"], rule.get("Description"))
        if "ScheduleExpression" in props:
            R.check(f"{what} ScheduleExpression", props["ScheduleExpression"],
                    rule.get("ScheduleExpression"))
        keys = sorted({k for t in want_targets for k in t})
        R.check(f"{what} targets ({', '.join(keys)})",
                sorted(want_targets, key=lambda t: t.get("Id", "")),
                sorted(({k: t.get(k) for k in keys if k in t} for t in targets),
                       key=lambda t: t.get("Id", "")))
        if "Tags" in props:
            R.check(f"{what} tags", tags_dict(rv.value(props["Tags"])), tags_dict(rtags))

    for logical, res in resources_of(template, "AWS::IAM::Policy").items():
        props = res.get("Properties", {})
        pname = props.get("PolicyName")
        try:
            want = rv.value(props.get("PolicyDocument"))
        except Unresolvable as exc:
            R.fail(f"{tag}: policy {logical} resolve", f"cannot resolve {exc}")
            continue
        holders = [("role", rv.value(n), lambda n: iam.get_role_policy(RoleName=n, PolicyName=pname))
                   for n in props.get("Roles", [])]
        holders += [("user", n, lambda n: iam.get_user_policy(UserName=n, PolicyName=pname))
                    for n in props.get("Users", [])]
        holders += [("group", n, lambda n: iam.get_group_policy(GroupName=n, PolicyName=pname))
                    for n in props.get("Groups", [])]
        for kind, name, get in holders:
            what = f"{tag}: policy {pname} on {kind} {name}"
            try:
                got = get(name)["PolicyDocument"]
            except Exception as exc:  # noqa: BLE001
                R.fail(what, err_text(exc))
                continue
            if isinstance(got, str):
                got = json.loads(urllib.request.unquote(got))
            R.check(f"{what} = template PolicyDocument", want, got)
            fpath = os.path.join(out_dir, "policies", f"{kind}-{name}.json")
            if os.path.exists(fpath):
                check_policy_file(rv, fpath, got, f"{tag}: policies/{kind}-{name}.json")

    for logical, res in resources_of(template, "AWS::Lambda::Permission").items():
        props = res.get("Properties", {})
        what = f"{tag}: lambda permission {logical}"
        try:
            fn = props["FunctionName"]
            m = re.match(r"arn:[^:]+:lambda:([^:]+):(\d{12}):function:([^:]+)(?::(.+))?$", fn)
            lam = aws("lambda", region=m.group(1), account=m.group(2)) if m else aws("lambda")
            kw = {"FunctionName": m.group(3) if m else fn}
            if m and m.group(4):
                kw["Qualifier"] = m.group(4)
            stmts = json.loads(lam.get_policy(**kw)["Policy"])["Statement"]
            source = rv.value(props.get("SourceArn"))
        except Exception as exc:  # noqa: BLE001
            R.fail(f"{what} read back", err_text(exc))
            continue
        found = [{"Action": s.get("Action"), "Principal": s.get("Principal"),
                  "SourceArn": (s.get("Condition") or {}).get("ArnLike", {}).get("AWS:SourceArn")}
                 for s in stmts]
        want = {"Action": props.get("Action"), "Principal": {"Service": props.get("Principal")},
                "SourceArn": source}
        R.check(f"{what} (action, principal, source rule ARN)", True, want in found) or \
            print(f"        statements: {json.dumps(found)}")

    try:
        stack = cf.describe_stacks(StackName=stack_id)["Stacks"][0]
        got = {o["OutputKey"]: {"Value": o["OutputValue"], "Description": o.get("Description"),
                                **({"Export": o["ExportName"]} if o.get("ExportName") else {})}
               for o in stack.get("Outputs", [])}
        want = {}
        for k, o in template.get("Outputs", {}).items():
            want[k] = {"Value": rv.value(o["Value"]), "Description": o.get("Description")}
            if "Export" in o:
                want[k]["Export"] = rv.value(o["Export"]["Name"])
        R.check(f"{tag}: outputs ({len(want)})", want, got)
    except Exception as exc:  # noqa: BLE001
        R.fail(f"{tag}: outputs", err_text(exc))
    if unchecked:
        R.note(f"{tag}: not verifiable in moto, present in the template: {', '.join(sorted(unchecked))}")
    return rv


def check_policy_file(rv, fpath, deployed, what):
    """A policies/ file must equal what IAM holds for the same principal (placeholders resolved)."""
    with open(fpath) as f:
        text = f.read()
    try:
        doc = json.loads(rv.sub(text))
    except Unresolvable as exc:
        R.skip(what, f"placeholder {exc} has no value in moto")
        return
    R.check(f"{what} = deployed policy", doc, deployed)


def apply_repository_policies(aws, template, rv, out_dir, label, phase):
    """Puts each LifecyclePolicyText and RepositoryPolicyText through the ECR API (moto checks them)."""
    ecr = aws("ecr")
    tag = f"{label} [{phase}]"
    for logical, res in resources_of(template, "AWS::ECR::Repository").items():
        props = res.get("Properties", {})
        name = rv.refs.get(logical)
        lp = props.get("LifecyclePolicy") or {}
        text = lp.get("LifecyclePolicyText")
        if text is not None:
            what = f"{tag}: put_lifecycle_policy {logical}"
            try:
                kept = json.loads(ecr.get_lifecycle_policy(repositoryName=name)["lifecyclePolicyText"])
            except botocore.exceptions.ClientError as exc:
                if "LifecyclePolicyNotFound" not in err_text(exc):
                    R.fail(f"{tag}: get_lifecycle_policy {logical}", err_text(exc))
                kept = None
            if kept == json.loads(text) and phase == "create":
                R.ok(f"{tag}: lifecycle policy of {logical} as deployed")
            elif kept != json.loads(text):
                R.note(f"{tag}: moto did not apply LifecyclePolicy of {logical} during the "
                       f"{phase} (known moto limit)" + ("; it still holds the one put through the "
                                                        "API before" if kept else "")
                       + "; applying it through the ECR API")
            if is_archive_syntax(text):
                R.skip(what, "archive syntax (transition/sinceImagePulled/sinceImageTransitioned/"
                             "storageClass) that AWS accepts but moto 5.2.1 rejects")
            else:
                try:
                    kw = {"repositoryName": name, "lifecyclePolicyText": text}
                    if lp.get("RegistryId"):
                        kw["registryId"] = lp["RegistryId"]
                    ecr.put_lifecycle_policy(**kw)
                    back = ecr.get_lifecycle_policy(repositoryName=name)["lifecyclePolicyText"]
                    R.check(f"{what} accepted, read back equal", json.loads(text), json.loads(back))
                except Exception as exc:  # noqa: BLE001
                    R.fail(what, err_text(exc))
        if "RepositoryPolicyText" in props:
            what = f"{tag}: set_repository_policy {logical}"
            try:
                doc = rv.value(props["RepositoryPolicyText"])
                if isinstance(doc, str):
                    doc = json.loads(doc)
                ecr.set_repository_policy(repositoryName=name, policyText=json.dumps(doc))
                back = json.loads(ecr.get_repository_policy(repositoryName=name)["policyText"])
                R.check(f"{what} accepted, read back equal", doc, back)
            except Exception as exc:  # noqa: BLE001
                R.fail(what, err_text(exc))
                continue
            for fpath in glob.glob(os.path.join(out_dir, "policies", "repository-*.json")):
                rid = os.path.basename(fpath)[len("repository-"):-len(".json")]
                if re.fullmatch(re.escape(rid) + r"[0-9A-F]{8}", logical):
                    check_policy_file(rv, fpath, back,
                                      f"{tag}: policies/{os.path.basename(fpath)}")


def apply_cross_account_files(aws, out_dir, rv, label):
    """policies/cross-account/ACCOUNT-*.json are identity policies for another account: moto's IAM
    checks their structure when they are created as managed policies in that account."""
    for fpath in sorted(glob.glob(os.path.join(out_dir, "policies", "cross-account", "*.json"))):
        base = os.path.basename(fpath)
        account = base.split("-", 1)[0]
        what = f"{label}: policies/cross-account/{base} accepted by IAM in account {account}"
        try:
            with open(fpath) as f:
                text = rv.sub(f.read())
            iam = aws("iam", account=account if re.fullmatch(r"\d{12}", account) else None)
            iam.create_policy(PolicyName="ecrsynth-e2e-" + re.sub(r"[^\w+=,.@-]", "-", base[:-5]),
                              PolicyDocument=text)
            R.ok(what)
        except Unresolvable as exc:
            R.skip(what, f"placeholder {exc} has no value in moto")
        except Exception as exc:  # noqa: BLE001
            R.fail(what, err_text(exc))


# --------------------------------------------------------------------------------------------
# update: change one lifecycle rule in the spec text

def change_a_lifecycle_rule(spec_text):
    """Returns (new_text, description) with one maxImageCount / maxImageAge changed, or None.
    Edits the scalar in place (by its position) so the rest of the spec stays byte for byte."""
    try:
        root = yaml.compose(spec_text)
    except yaml.YAMLError:
        return None

    def get(node, key):
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if isinstance(k, yaml.ScalarNode) and k.value == key:
                    return v
        return None

    repos = get(root, "repositories")
    holders = list(repos.value) if isinstance(repos, yaml.SequenceNode) else []
    if get(root, "defaults") is not None:
        holders.append(get(root, "defaults"))
    for repo in holders:
        rules = get(repo, "lifecycleRules")
        if not isinstance(rules, yaml.SequenceNode):
            continue
        for rule in rules.value:
            if get(rule, "action") is not None or get(rule, "storageClass") is not None:
                continue
            for key in ("maxImageCount", "maxImageAge"):
                node = get(rule, key)
                if isinstance(node, yaml.MappingNode):
                    node = get(node, "days")
                if not isinstance(node, yaml.ScalarNode):
                    continue
                m = re.match(r"\s*(\d+)", node.value)
                if not m:
                    continue
                old = int(m.group(1))
                new = old - 1 if old > 1 else old + 1
                new_value = re.sub(r"\d+", str(new), node.value, count=1)
                s, e = node.start_mark.index, node.end_mark.index
                raw = spec_text[s:e]
                replaced = re.sub(r"\d+", str(new), raw, count=1)
                name = get(repo, "id") or get(repo, "repositoryName")
                where = name.value if isinstance(name, yaml.ScalarNode) else "defaults"
                return (spec_text[:s] + replaced + spec_text[e:],
                        f"{where}: {key} {node.value} -> {new_value} (line {node.start_mark.line + 1})",
                        new)
    return None


def only_lifecycle_changed(old, new):
    a, b = copy.deepcopy(old), copy.deepcopy(new)
    changed = []
    for logical, res in resources_of(a, "AWS::ECR::Repository").items():
        lp_a = res.get("Properties", {}).get("LifecyclePolicy", {})
        lp_b = b.get("Resources", {}).get(logical, {}).get("Properties", {}).get("LifecyclePolicy", {})
        if lp_a.get("LifecyclePolicyText") != lp_b.get("LifecyclePolicyText"):
            changed.append(logical)
        lp_a.pop("LifecyclePolicyText", None)
        lp_b.pop("LifecyclePolicyText", None)
    return a == b, changed


# --------------------------------------------------------------------------------------------

class Stack:
    def __init__(self, label, spec, name, template, out_dir, names, aws):
        self.label, self.spec, self.name = label, spec, name
        self.template, self.out_dir, self.names, self.aws = template, out_dir, names, aws
        self.stack_id = None
        self.rv = None


def prepare(ecrsynth, spec, work, index):
    m = re.search(r"Fixtures/synth/([^/]+)/spec\.yaml$", spec)
    label = m.group(1) if m else (os.path.relpath(spec, ROOT) if spec.startswith(ROOT + "/")
                                  else spec)
    out_dir = os.path.join(work, f"spec{index}")
    manifest = synth(ecrsynth, spec, out_dir, label)
    if manifest is None:
        return []
    account, region = load_spec_env(spec)
    stacks = []
    for name in manifest.get("stacks", []):
        with open(os.path.join(out_dir, f"{name}.template.json")) as f:
            template = json.load(f)
        names = patch_unnamed(template, name)
        if names:
            R.note(f"{label}: {len(names)} repositories have no RepositoryName, which moto cannot "
                   f"deploy (validators.md); deploying a copy of {name}.template.json with generated "
                   f"names: " + ", ".join(f"{k}={v}" for k, v in names.items()))
        stacks.append(Stack(label, spec, name, template, out_dir, names, (account, region)))
    return stacks


def deploy(moto, st):
    account, region = st.aws
    st.aws = Aws(moto.endpoint, account, region)
    label = st.label = f"{st.label} {st.name}"
    R.note(f"{label}: deploying into account {account}, region {region}")
    try:
        create_prerequisites(st.aws, st.template, label)
    except Exception as exc:  # noqa: BLE001
        R.fail(f"{label}: create imported roles/users/functions", err_text(exc))
        return False
    cf = st.aws("cloudformation")
    try:
        st.stack_id = cf.create_stack(StackName=st.name, TemplateBody=json.dumps(st.template))["StackId"]
    except Exception as exc:  # noqa: BLE001
        R.fail(f"{label}: create_stack", err_text(exc) + "\nstack events:\n"
               + stack_events(cf, st.name))
        return False
    if not wait_stack(cf, st.stack_id, "CREATE_COMPLETE", label, "create_stack"):
        return False
    st.rv = compare_stack(st.aws, cf, st.stack_id, st.name, st.template, st.out_dir, label, "create")
    if st.rv is None:
        return False
    apply_repository_policies(st.aws, st.template, st.rv, st.out_dir, label, "create")
    apply_cross_account_files(st.aws, st.out_dir, st.rv, label)
    return True


def update(ecrsynth, st, work):
    label = st.label
    with open(st.spec) as f:
        text = f.read()
    change = change_a_lifecycle_rule(text)
    if change is None:
        R.fail(f"{label}: update", "no maxImageCount/maxImageAge rule to change")
        return
    new_text, desc, new_number = change
    R.note(f"{label}: update: changed {desc}")
    spec2 = os.path.join(work, "update-spec.yaml")
    with open(spec2, "w") as f:
        f.write(new_text)
    out2 = os.path.join(work, "update-out")
    if synth(ecrsynth, spec2, out2, f"{label} [update]") is None:
        return
    with open(os.path.join(out2, f"{st.name}.template.json")) as f:
        new_t = json.load(f)
    patch_unnamed(new_t, st.name, st.names)
    same, changed = only_lifecycle_changed(st.template, new_t)
    R.check(f"{label} [update]: the template changes only in LifecyclePolicyText "
            f"(changed: {', '.join(changed) or 'none'})", True, same and len(changed) >= 1)
    for logical in changed:
        rules = json.loads(new_t["Resources"][logical]["Properties"]["LifecyclePolicy"]
                           ["LifecyclePolicyText"])["rules"]
        R.check(f"{label} [update]: new LifecyclePolicyText of {logical} holds countNumber "
                f"{new_number}", True,
                any(r.get("selection", {}).get("countNumber") == new_number for r in rules))
    cf = st.aws("cloudformation")
    ecr = st.aws("ecr")
    before = {k: ecr.describe_repositories(repositoryNames=[st.rv.refs[k]])["repositories"][0]
              for k in resources_of(st.template, "AWS::ECR::Repository")}
    try:
        cf.update_stack(StackName=st.stack_id, TemplateBody=json.dumps(new_t))
    except Exception as exc:  # noqa: BLE001
        R.fail(f"{label}: update_stack", err_text(exc) + "\nstack events:\n"
               + stack_events(cf, st.stack_id))
        return
    if not wait_stack(cf, st.stack_id, "UPDATE_COMPLETE", label, "update_stack"):
        return
    try:
        stored = cf.get_template(StackName=st.stack_id)["TemplateBody"]
        stored = json.loads(stored) if isinstance(stored, str) else stored
        R.check(f"{label} [update]: CloudFormation holds the new template", new_t, stored)
    except Exception as exc:  # noqa: BLE001
        R.fail(f"{label} [update]: get_template", err_text(exc))
    for k, repo in before.items():
        try:
            now = ecr.describe_repositories(repositoryNames=[repo["repositoryName"]])["repositories"][0]
            if now["createdAt"] != repo["createdAt"]:
                R.note(f"{label} [update]: moto replaced repository {k} (it recreates a repository "
                       "whose EncryptionConfiguration it cannot compare); AWS updates it in place")
        except Exception as exc:  # noqa: BLE001
            R.fail(f"{label} [update]: repository {k} still exists", err_text(exc))
    st.template = new_t
    st.out_dir = out2
    rv = compare_stack(st.aws, cf, st.stack_id, st.name, new_t, out2, label, "update")
    if rv is not None:
        st.rv = rv
        apply_repository_policies(st.aws, new_t, rv, out2, label, "update")


def delete(st):
    label = st.label
    cf, ecr, events, iam = st.aws("cloudformation"), st.aws("ecr"), st.aws("events"), st.aws("iam")
    try:
        cf.delete_stack(StackName=st.stack_id)
    except Exception as exc:  # noqa: BLE001
        R.fail(f"{label}: delete_stack", err_text(exc))
        return
    if not wait_stack(cf, st.stack_id, "DELETE_COMPLETE", label, "delete_stack"):
        return
    for logical, res in resources_of(st.template, "AWS::ECR::Repository").items():
        name = st.rv.refs[logical]
        policy = res.get("DeletionPolicy", "Delete")
        try:
            ecr.describe_repositories(repositoryNames=[name])
            exists = True
        except botocore.exceptions.ClientError:
            exists = False
        R.check(f"{label} [delete]: repository {logical} (DeletionPolicy {policy}) "
                f"{'kept' if policy == 'Retain' else 'removed'}", policy == "Retain", exists)
    for logical in resources_of(st.template, "AWS::Events::Rule"):
        try:
            events.describe_rule(Name=st.rv.refs[logical])
            gone = False
        except botocore.exceptions.ClientError:
            gone = True
        R.check(f"{label} [delete]: rule {logical} removed", True, gone)
    for logical, res in resources_of(st.template, "AWS::IAM::Policy").items():
        props = res.get("Properties", {})
        pname = props.get("PolicyName")
        # Roles the stack made itself ({"Ref": ...}) are deleted with it; imported ones stay.
        left = [f"role {n}" for n in props.get("Roles", [])
                if isinstance(n, str) and pname in iam.list_role_policies(RoleName=n)["PolicyNames"]]
        left += [f"user {n}" for n in props.get("Users", [])
                 if pname in iam.list_user_policies(UserName=n)["PolicyNames"]]
        left += [f"group {n}" for n in props.get("Groups", [])
                 if pname in iam.list_group_policies(GroupName=n)["PolicyNames"]]
        R.check(f"{label} [delete]: policy {pname} detached (imported principals kept)", [], left)


def default_specs():
    specs = sorted(glob.glob(os.path.join(ROOT, "Fixtures", "synth", "*", "spec.yaml")))
    example = os.path.join(ROOT, "Fixtures", "example", "ecrsynth.yaml")
    if os.path.exists(example):
        specs.append(example)
    return specs


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("specs", nargs="*", help="spec files (default: Fixtures/synth/*/spec.yaml "
                                             "and Fixtures/example/ecrsynth.yaml)")
    ap.add_argument("--ecrsynth", default=os.path.join(ROOT, ".build", "debug", "ecrsynth"))
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = ap.parse_args()

    started = time.monotonic()
    print(SCOPE, flush=True)
    specs = [os.path.abspath(s) for s in args.specs] or default_specs()
    if not specs:
        R.fail("find specs", "no Fixtures/synth/*/spec.yaml and no Fixtures/example/ecrsynth.yaml")
    ecrsynth = os.path.abspath(args.ecrsynth)
    if not os.access(ecrsynth, os.X_OK):
        R.fail("find ecrsynth", f"{ecrsynth} is not an executable; build it first")
        specs = []

    for k in list(os.environ):
        if k.startswith("AWS_"):
            del os.environ[k]
    os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                      AWS_DEFAULT_REGION=DEFAULT_REGION, AWS_CONFIG_FILE=os.devnull,
                      AWS_SHARED_CREDENTIALS_FILE=os.devnull, AWS_EC2_METADATA_DISABLED="true")

    work = tempfile.mkdtemp(prefix="ecrsynth-e2e-")
    moto = Moto(work)
    atexit.register(moto.stop)

    def on_signal(signum, _frame):
        moto.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        sys.stderr.write(f"e2e: stopped by signal {signum}\n")
        os._exit(128 + signum)
    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(s, on_signal)

    try:
        if specs:
            moto.start()
            import moto as moto_pkg
            R.note(f"moto_server {moto_pkg.__version__} on {moto.endpoint}, boto3 {boto3.__version__}, "
                   f"ecrsynth {ecrsynth}")
        stacks = []
        for i, spec in enumerate(specs):
            stacks.extend(prepare(ecrsynth, spec, work, i))
        # the stack to update: the first whose spec has a count or age rule to change;
        # the stack to delete: the other one with the most resources (the same one when alone)
        upd = next((s for s in stacks if s.template and any(
            "LifecyclePolicy" in r.get("Properties", {})
            for r in resources_of(s.template, "AWS::ECR::Repository").values())
            and change_a_lifecycle_rule(open(s.spec).read()) is not None), None)
        others = [s for s in stacks if s is not upd]
        dele = max(others, key=lambda s: len(s.template.get("Resources", {}))) if others else upd
        if upd is None:
            R.fail("choose a stack to update", "no spec has a maxImageCount or maxImageAge rule")
        for st in stacks:
            moto.reset()  # every spec in an empty account: specs reuse stack and role names
            work_st = tempfile.mkdtemp(dir=work)
            if not deploy(moto, st):
                continue
            if st is upd:
                update(ecrsynth, st, work_st)
            if st is dele:
                delete(st)
    except Exception as exc:  # noqa: BLE001 - reported as a failure, never hidden
        R.fail("e2e run", err_text(exc))
    finally:
        moto.stop()
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)

    print(f"\ne2e: {len(specs)} spec(s) in {time.monotonic() - started:.1f} s; "
          f"{R.skipped} skipped (listed above)")
    if R.failures:
        print("failed:\n  " + "\n  ".join(R.failures))
    print(f"{R.passed} passed, {R.failed} failed")
    return 1 if R.failed else 0


if __name__ == "__main__":
    sys.exit(main())
