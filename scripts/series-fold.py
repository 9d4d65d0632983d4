#!/usr/bin/python3
"""Fold commits of base..series (build/linux) into earlier ones with
plumbing only, keeping the final tree byte for byte:

    series-fold.py SPEC.py     prints the new HEAD

SPEC.py defines GROUPS, a list of lists of subjects (prefixes): each list
becomes one commit, in the order given, with the message of its first
subject unless MESSAGES {first subject: message} says otherwise; every
commit of the series must be in exactly one group. A file's content after
a group is that of the last original commit in the groups so far that
touched it, with the diffs of the commits that touched it before that one
but come later in the new order taken out again (patch -R). A hunk that
does not come out cleanly stops the run, unless OVERRIDE/<n>/<path> holds
the content of that file after group n (1-based); OVERRIDE is a directory
given in the spec. ASSIGN {(subject, path): subject} moves one file's part
of a commit into the group of another commit."""
import os, subprocess, sys, tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from seriesgit import ENV, T, git, load, show  # noqa: E402

def unapply(text, diff):
    with tempfile.TemporaryDirectory() as d:
        f = os.path.join(d, "f")
        open(f, "w").write(text)
        r = subprocess.run(["patch", "-R", "-s", "-F0", "--no-backup-if-mismatch",
                            "-r", "-", f], input=diff, capture_output=True, text=True)
        if r.returncode:
            return None
        return open(f).read()

def main(spec_path):
    spec, olds, subj = load(spec_path)
    def idx(s):
        m = [i for i, x in enumerate(subj) if x.startswith(s)]
        assert len(m) == 1, s
        return m[0]
    groups = [[idx(s) for s in g] for g in spec["GROUPS"]]
    flat = sorted(i for g in groups for i in g)
    assert flat == list(range(len(olds))), "every commit in one group"
    touched = [git("show", "--format=", "--name-only", c).split() for c in olds]
    group_of = {i: n for n, g in enumerate(groups, 1) for i in g}
    where = {}      # (commit, path) -> group
    for i in range(len(olds)):
        for p in touched[i]:
            where[(i, p)] = group_of[i]
    for (s, p), t in spec.get("ASSIGN", {}).items():
        assert p in touched[idx(s)], (s, p)
        where[(idx(s), p)] = group_of[idx(t)]
    parent = git("rev-parse", "base").strip()
    failed = False
    for n, g in enumerate(groups, 1):
        paths = sorted(p for (i, p), m in where.items() if m == n)
        paths = sorted(set(paths))
        files = {}
        for p in paths:
            who = [i for i in range(len(olds)) if p in touched[i]]
            last = max(i for i in who if where[(i, p)] <= n)
            text = show(olds[last], p)
            for i in reversed([i for i in who if i < last and where[(i, p)] > n]):
                diff = git("diff", olds[i] + "^", olds[i], "--", p)
                out = unapply(text, diff) if text is not None else None
                if out is None:
                    text = None
                    break
                text = out
            ov = os.path.join(spec.get("OVERRIDE", "/nonexistent"), str(n), p)
            if os.path.exists(ov):
                text = open(ov).read()
            elif text is None:
                print("group %d (%s): %s does not come out clean" %
                      (n, subj[g[0]], p), file=sys.stderr)
                failed = True
                continue
            files[p] = text
        with tempfile.NamedTemporaryFile() as ix:
            env = dict(ENV, GIT_INDEX_FILE=ix.name)
            git("read-tree", parent + "^{tree}", env=env)
            for p, c in files.items():
                if c is None:
                    git("update-index", "--force-remove", p, env=env)
                    continue
                blob = git("hash-object", "-w", "--stdin", inp=c).strip()
                mode = "100755" if os.access(os.path.join(T, p), os.X_OK) else "100644"
                git("update-index", "--add", "--cacheinfo",
                    "%s,%s,%s" % (mode, blob, p), env=env)
            tree = git("write-tree", env=env).strip()
        first = subj[g[0]]
        msg = spec.get("MESSAGES", {}).get(first) or git("log", "-1", "--format=%B", olds[g[0]])
        date = git("log", "-1", "--format=%aD", olds[g[0]]).strip()
        parent = git("commit-tree", tree, "-p", parent, inp=msg,
                     env=dict(ENV, GIT_AUTHOR_DATE=date)).strip()
    if failed:
        raise SystemExit(1)
    assert git("rev-parse", parent + "^{tree}") == git("rev-parse", "series^{tree}")
    print(parent)

main(sys.argv[1])
