"""git on build/linux for the series scripts (series-fold.py and
series-rewrite.py): commits made with the project's identity and a fixed
committer date, so that rewriting the same history twice gives the same
commits."""
import os
import subprocess

T = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "build", "linux")
ENV = dict(os.environ, GIT_AUTHOR_NAME="FS-DAX RDMA project",
           GIT_AUTHOR_EMAIL="fsdax-rdma@example.org",
           GIT_COMMITTER_NAME="FS-DAX RDMA project",
           GIT_COMMITTER_EMAIL="fsdax-rdma@example.org",
           GIT_COMMITTER_DATE="2026-01-01T00:00:00Z")


def git(*a, inp=None, env=None, check=True):
    """Run git in build/linux; its output, or SystemExit if it fails."""
    r = subprocess.run(["git", "-C", T] + list(a), input=inp, capture_output=True,
                       text=True, env=env or ENV)
    if check and r.returncode:
        raise SystemExit("git %s: %s" % (" ".join(a), r.stderr))
    return r.stdout


def show(rev, path):
    """The content of path at rev, or None if rev has no such file."""
    r = subprocess.run(["git", "-C", T, "show", "%s:%s" % (rev, path)],
                       capture_output=True, text=True)
    return r.stdout if r.returncode == 0 else None


def load(spec_path):
    """The spec file's names, and the commits base..series with their
    subjects, in order."""
    spec = {}
    exec(open(spec_path).read(), spec)
    olds = git("rev-list", "--reverse", "base..series").split()
    subj = [git("log", "-1", "--format=%s", c).strip() for c in olds]
    return spec, olds, subj
