#!/usr/bin/python3
"""Rewrite the history base..series of build/linux with plumbing only (the
work tree is not touched), keeping the final tree byte for byte:

    series-rewrite.py SPEC.py     prints the new HEAD; then, in build/linux,
                                  git reset --soft NEW && make export

SPEC.py defines MOVES, a list of dicts: "files" {path: f(text) -> text}
(a hunk, as a function that adds it to a file lacking it), "before" (the
subject of the commit the hunk goes before, or into with "into": True),
"introduced_in" (the subject of the commit that has the hunk now; per
file in "intro"), and "msg" (the new commit's message); and MESSAGES,
{subject: new message} for existing commits; and optionally TREE, a
function f(read) -> {path: content} that rewrites every commit's tree
(read(path) gives the file in that tree, or None), in which case the final
tree is that of the series rewritten by TREE. Every commit from "before"
up to "introduced_in" gets the hunk; later trees stay as they are. A
commit left with no change of its own is dropped."""
import os, subprocess, sys, tempfile

from seriesgit import ENV, T, git, load, show  # noqa: E402

def new_tree(base_tree, files):
    """base_tree with files {path: content} replaced."""
    with tempfile.NamedTemporaryFile() as idx:
        env = dict(ENV, GIT_INDEX_FILE=idx.name)
        git("read-tree", base_tree, env=env)
        for p, c in files.items():
            blob = git("hash-object", "-w", "--stdin", inp=c).strip()
            git("update-index", "--add", "--cacheinfo", "100644,%s,%s" % (blob, p), env=env)
        return git("write-tree", env=env).strip()

def retree(tree, f):
    """@tree with the files that f(read) rewrites."""
    def read(p):
        r = subprocess.run(["git", "-C", T, "show", "%s:%s" % (tree, p)],
                           capture_output=True, text=True, env=ENV)
        return r.stdout if r.returncode == 0 else None
    files = f(read)
    return new_tree(tree, files) if files else tree

def commit(tree, parent, msg, date):
    env = dict(ENV, GIT_AUTHOR_DATE=date)
    return git("commit-tree", tree, "-p", parent, inp=msg, env=env).strip()

def main(spec_path):
    spec, olds, subj = load(spec_path)
    def idx(s):
        return [i for i, x in enumerate(subj) if x.startswith(s)][0]
    moves = []
    for m in spec["MOVES"]:
        m = dict(m)
        m["k"] = idx(m["before"])        # new commit goes before this one
        # the original commit that has the hunk, per file
        m["j"] = {p: idx(m.get("intro", {}).get(p, m["introduced_in"]))
                  for p in m["files"]}
        assert all(m["k"] <= j for j in m["j"].values())
        moves.append(m)
    parent = git("rev-parse", "base").strip()
    prev_tree = git("rev-parse", "base^{tree}").strip()
    for i, c in enumerate(olds):
        for m in moves:
            if m["k"] == i and not m.get("into"):
                files = {p: t(show(parent, p)) for p, t in m["files"].items()}
                prev_tree = new_tree(prev_tree, files)
                parent = commit(prev_tree, parent, m["msg"], "Wed, 25 Nov 2026 01:00:00 +0000")
        files = {}
        for m in moves:
            for p, t in m["files"].items():
                if m["k"] <= i < m["j"][p]:
                    files[p] = t(files.get(p, show(c, p)))
        tree = git("rev-parse", c + "^{tree}").strip()
        if files:
            tree = new_tree(tree, files)
        if "TREE" in spec:
            tree = retree(tree, spec["TREE"])
        if tree == git("rev-parse", parent + "^{tree}").strip():
            # all of it moved into earlier commits: the commit goes
            print("dropped, now empty: " + subj[i], file=sys.stderr)
            prev_tree = tree
            continue
        msg = git("log", "-1", "--format=%B", c)
        msg = spec.get("MESSAGES", {}).get(subj[i], msg)
        date = git("log", "-1", "--format=%aD", c).strip()
        parent = commit(tree, parent, msg, date)
        prev_tree = tree
    want = git("rev-parse", "series^{tree}").strip()
    if "TREE" in spec:
        want = retree(want, spec["TREE"])
    assert git("rev-parse", parent + "^{tree}").strip() == want
    print(parent)

main(sys.argv[1])
