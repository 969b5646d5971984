#!/usr/bin/env python3
"""Generate ecrsynth specs for `make bench` and `make bench-cdk`.

Usage: bench/gen_specs.py [--out DIR] [--sizes 1,100,1000,10000] [--cdk-sizes 1,100,131]

Writes into DIR (default bench/out/specs, git-ignored):

  repos-N.yaml   N repositories, each with 2-4 lifecycle rules (some archive rules), one grant, one
                 event rule (mostly onImageScanCompleted, some onImagePushed) and scan on push
                 (from `defaults`). The stack has an `env`; event targets are mostly event buses
                 and Lambda functions in the stack's account, a few SQS queues and SNS topics.
                 Role grants are spread over enough roles that no role's identity policy comes
                 near IAM's 10,240-character inline policy limit; a few grants go to another
                 account (the repository policy plus a cross-account policy file).
  rules-50.yaml  one repository with 50 lifecycle rules.
  cdk-N.yaml     the same shape restricted to what bench/cdk/app.py can express: only
                 onImageScanCompleted, no archive rules (see bench/cdk/README.md). 131 is the
                 largest size the CDK takes (500 resources; it refuses more than 500 per stack).

The output is deterministic: the same arguments write the same bytes.
"""

import argparse
import os

ACCOUNT = "123456789012"
OTHER_ACCOUNT = "210987654321"
REGION = "eu-west-1"

TEAMS = ["payments", "search", "checkout", "identity", "catalog", "billing", "data", "ml",
         "platform", "mobile", "web", "ads", "growth", "infra", "security", "support",
         "logistics", "pricing", "media", "messaging"]
SERVICES = ["api", "worker", "web", "batch", "gateway", "indexer", "scheduler", "exporter",
            "consumer", "frontend", "backend", "cron"]
ACCESS = ["pull", "pullPush", "pull", "push", "read", "pull"]

# At most this many repositories grant to one role. A pullPush grant adds about 110 characters of
# policy per repository (its ARN in two statements), so 40 repositories stay far below 10,240.
REPOS_PER_ROLE = 40


def q(s):
    """A YAML double-quoted scalar."""
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def duration(days, form):
    return [f"{days}d", f"{days} days", f"{{days: {days}}}"][form % 3]


def lifecycle_rules(i, cdk):
    """2-4 rules for repository i; every 7th (not in CDK specs) archives instead of expiring."""
    n = 2 + (i % 3)
    archive = not cdk and i % 7 == 3
    rules = []
    rules.append([f"description: keep {['prod', 'release', 'stable'][i % 3]} images",
                  f"tagPrefixList: [{['prod', 'release', 'v'][i % 3]}]",
                  f"maxImageCount: {10 + (i * 7) % 90}"])
    if n >= 3:
        rules.append(["description: untagged images",
                      "tagStatus: untagged",
                      f"maxImageAge: {duration(1 + i % 14, i)}"])
    if n >= 4:
        if archive:
            rules.append(["description: archive old builds",
                          "tagPrefixList: [build]",
                          f"maxTimeSinceLastPull: {duration(60 + i % 30, i + 1)}",
                          "action: archive"])
        else:
            rules.append(["description: release candidates",
                          'tagPatternList: ["rc-*", "*-candidate"]',
                          f"maxImageCount: {3 + i % 5}"])
    rules.append([f"maxImageAge: {duration(30 + (i * 11) % 335, i + 2)}"])
    if archive and n >= 4:
        rules.append(["storageClass: archive", f"maxTimeInArchive: {duration(180 + i % 90, i)}"])
        rules.pop(1)  # keep 4 rules: drop the untagged one
    return rules


def target(i, team):
    k = i % 100
    if k < 60:
        return f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/ecr-{team}"
    if k < 96:
        return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:scan-handler-{team}"
    if k < 98:
        return f"arn:aws:sqs:{REGION}:{ACCOUNT}:ecr-events-{team}"
    return f"arn:aws:sns:{REGION}:{ACCOUNT}:ecr-alerts"


def repository(i, n_roles, cdk):
    team = TEAMS[i % len(TEAMS)]
    svc = SERVICES[(i // len(TEAMS)) % len(SERVICES)]
    out = [f"  - repositoryName: {team}/{svc}-{i:05d}"]
    if i % 10 == 1:  # a few teams retag (latest, main) and accept the warning
        out.append("    imageTagMutability: MUTABLE")
    if i % 5 == 0:
        out.append(f"    tags: {{service: {svc}, tier: {['gold', 'silver', 'bronze'][i % 3]}}}")
    out.append("    lifecycleRules:")
    for rule in lifecycle_rules(i, cdk):
        out.append("      - " + rule[0])
        out.extend("        " + line for line in rule[1:])
    event = "onImagePushed" if (not cdk and i % 5 == 4) else "onImageScanCompleted"
    out.append(f"    {event}:")
    out.append(f"      - id: {'Pushed' if event == 'onImagePushed' else 'ScanCompleted'}")
    if i % 4 == 0:
        out.append("        imageTags: [prod]")
    out.append(f"        targets: [{target(i, team)}]")
    out.append("    grants:")
    if i % 25 == 24:
        out.append(f'      - principal: {{account: "{OTHER_ACCOUNT}"}}')
    else:
        out.append(f"      - principal: {{role: ci-{team}-{(i // len(TEAMS)) % n_roles_per_team(n_roles):03d}}}")
    out.append(f"        access: {ACCESS[i % len(ACCESS)]}")
    return out


def n_roles_per_team(n_roles):
    return max(1, -(-n_roles // len(TEAMS)))


def spec(n, cdk=False):
    n_roles = max(1, -(-n // REPOS_PER_ROLE))
    name = f"{'Cdk' if cdk else ''}Registry{n}"
    lines = [
        f"# generated by bench/gen_specs.py: {n} repositories{' (CDK-compatible)' if cdk else ''}",
        "version: 1",
        "stack:",
        f"  name: {name}",
        f"  description: {n} ECR repositories for the benchmark",
        f"  env: {{account: {q(ACCOUNT)}, region: {REGION}}}",
        "  tags: {owner: platform, cost-center: \"4711\"}",
        "defaults:",
        "  imageScanOnPush: true",
        "  imageTagMutability: IMMUTABLE",
        "repositories:",
    ]
    for i in range(n):
        lines.extend(repository(i, n_roles, cdk))
    lines.append("authorizationToken:")
    lines.append("  grantRead:")
    for team in TEAMS[:min(len(TEAMS), n_roles)]:
        lines.append(f"    - {{role: ci-{team}-000}}")
    return "\n".join(lines) + "\n"


def rules50():
    lines = [
        "# generated by bench/gen_specs.py: one repository with 50 lifecycle rules",
        "version: 1",
        "stack:",
        "  name: Rules50",
        f"  env: {{account: {q(ACCOUNT)}, region: {REGION}}}",
        "repositories:",
        "  - repositoryName: platform/many-rules",
        "    imageScanOnPush: true",
        "    lifecycleRules:",
    ]
    for k in range(48):
        lines += [f"      - description: keep branch {k:02d}",
                  f"        tagPrefixList: [branch-{k:02d}-]",
                  f"        maxImageCount: {5 + k}"]
    lines += ["      - description: untagged", "        tagStatus: untagged", "        maxImageAge: 3d",
              "      - maxImageAge: 90 days"]
    lines += ["    onImageScanCompleted:",
              f"      - targets: [arn:aws:events:{REGION}:{ACCOUNT}:event-bus/default]",
              "    grants:", "      - principal: {role: ci-platform}", "        access: pullPush"]
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "out", "specs"))
    ap.add_argument("--sizes", default="1,100,1000,10000")
    ap.add_argument("--cdk-sizes", default="1,100,131")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)

    def write(name, text):
        path = os.path.join(a.out, name)
        old = None
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                old = f.read()
        if old != text:
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
        print(path)

    for n in [int(x) for x in a.sizes.split(",") if x]:
        write(f"repos-{n}.yaml", spec(n))
    write("rules-50.yaml", rules50())
    for n in [int(x) for x in a.cdk_sizes.split(",") if x]:
        write(f"cdk-{n}.yaml", spec(n, cdk=True))


if __name__ == "__main__":
    main()
