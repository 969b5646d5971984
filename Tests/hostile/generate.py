#!/usr/bin/env python3
"""Writes the large hostile inputs (not committed) into OUT_DIR; the small ones live in Fixtures/hostile/.

    usage: Tests/hostile/generate.py OUT_DIR [NAME ...]

With NAMEs, only those cases are written. Every case is deterministic, so a test or Tests/hostile/measure.sh
can regenerate it at will. docs/hostile-input.md lists the outcome each case must have.
"""
import os
import sys

HEAD = "version: 1\nstack: {name: Hostile}\n"
REPO = "  - id: Repo\n    imageScanOnPush: true\n    imageTagMutability: IMMUTABLE\n"


def deep_flow(w):
    # 200,000 nested flow sequences as the value of 'repositories'.
    w(HEAD + "repositories: " + "[" * 200_000 + "]" * 200_000 + "\n")


def deep_block(w):
    # 100,000 nested block sequences written compactly ("- - - ... x"), so the file stays 200 KB.
    w(HEAD + "repositories:\n" + "- " * 100_000 + "x\n")


def deep_block_mapping(w):
    # Block mappings nested 2,000 deep, one space of indent more per level (2 MB): deep nesting that
    # still looks like ordinary YAML.
    lines = [HEAD, "repositories:\n  - id: Repo\n    tags:\n"]
    for i in range(2_000):
        lines.append(" " * (6 + i) + "k%d:\n" % i)
    lines.append(" " * (6 + 2_000) + "v\n")
    w("".join(lines))


def scalar_50mb(w):
    # A 50 MB plain scalar: over the 16 MiB limit, so it must be refused before it is parsed.
    w(HEAD + "repositories:\n" + REPO + "    description: ")
    chunk = "x" * (1 << 20)
    for _ in range(50):
        w(chunk)
    w("\n")


def scalar_15mb(w):
    # A 15 MiB scalar just under the limit: parsed, then refused by validation (an unknown key).
    w(HEAD + "repositories:\n" + REPO + "    note: ")
    chunk = "x" * (1 << 20)
    for _ in range(15):
        w(chunk)
    w("\n")


def million_repositories(w):
    # A million tiny repositories (13.9 MB, under the size limit).
    w(HEAD + "repositories:\n")
    buf = []
    for i in range(1_000_000):
        buf.append("- {id: R%d}\n" % i)
        if len(buf) == 10_000:
            w("".join(buf))
            buf = []
    w("".join(buf))


def duplicate_keys(w):
    # 10,000 copies of the same tag key in one mapping.
    w(HEAD + "repositories:\n" + REPO + "    tags:\n" + "      team: platform\n" * 10_000)


def key_1mb(w):
    # A 1 MiB tag key written as an explicit key ("? key"), so YAML accepts it and validation sees it.
    w(HEAD + "repositories:\n" + REPO + "    tags:\n      ? " + "k" * (1 << 20) + "\n      : v\n")


def key_1mb_implicit(w):
    # A 1 MiB implicit key: YAML limits implicit keys to 1024 characters, so libyaml refuses it.
    w(HEAD + "repositories:\n" + REPO + "    tags:\n      " + "k" * (1 << 20) + ": v\n")


def key_1mb_top(w):
    # A 1 MiB unknown key at the top level ("did you mean" suggestions compare it with every known key).
    w(HEAD + "k" * (1 << 20) + ": 1\nrepositories:\n" + REPO)


def many_anchors(w):
    # 50,000 distinct anchors, each used once: fine for the node budget, heavy on the anchor table.
    w(HEAD + "repositories:\n" + REPO + "    tags:\n")
    w("".join("      k%d: &a%d v\n" % (i, i) for i in range(50_000)))
    w("    description: x\n")


def repositories_100k(w):
    # 100,000 valid repositories (well under the node budget): the whole pipeline at scale, split into
    # many stacks. Accepted.
    w("version: 1\nstack: {name: Many}\ndefaults: {imageScanOnPush: true, imageTagMutability: IMMUTABLE}\nrepositories:\n")
    w("".join("- {id: R%d}\n" % i for i in range(100_000)))


def wide_flow(w):
    # One flow sequence with 1,000,000 items (2 MB).
    w(HEAD + "repositories:\n" + REPO + "    tags: {}\n    x: [" + "1," * 1_000_000 + "1]\n")


CASES = {
    "deep-flow-200k.yaml": deep_flow,
    "deep-block-100k.yaml": deep_block,
    "deep-block-mapping-2k.yaml": deep_block_mapping,
    "scalar-50mb.yaml": scalar_50mb,
    "scalar-15mb.yaml": scalar_15mb,
    "million-repositories.yaml": million_repositories,
    "duplicate-keys-10k.yaml": duplicate_keys,
    "key-1mb.yaml": key_1mb,
    "key-1mb-implicit.yaml": key_1mb_implicit,
    "repositories-100k.yaml": repositories_100k,
    "key-1mb-top-level.yaml": key_1mb_top,
    "anchors-50k.yaml": many_anchors,
    "wide-flow-1m.yaml": wide_flow,
}


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    names = sys.argv[2:] or list(CASES)
    os.makedirs(out, exist_ok=True)
    for name in names:
        path = os.path.join(out, name)
        with open(path + ".tmp", "w", encoding="utf-8", newline="\n") as f:
            CASES[name](f.write)
        os.replace(path + ".tmp", path)
    print("\n".join(os.path.join(out, n) for n in names))


if __name__ == "__main__":
    main()
