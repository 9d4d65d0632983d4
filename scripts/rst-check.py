#!/usr/bin/env python3
"""Parse reStructuredText from stdin with docutils; print every error.

Sphinx' own roles and directives, which plain docutils does not know, are
stubbed: what is checked is the markup itself (tables, lists, sections).
Exit status 1 if anything at level ERROR or above was reported.
"""
import sys

from docutils import nodes
from docutils.core import publish_string
from docutils.parsers.rst import Directive, directives, roles


def stub_role(name, rawtext, text, lineno, inliner, options=None,
              content=None):
    return [nodes.literal(rawtext, text)], []


class StubDirective(Directive):
    has_content = True
    optional_arguments = 10
    final_argument_whitespace = True
    option_spec = None

    def run(self):
        return []


StubDirective.option_spec = type("AnyOption", (dict,), {
    "__missing__": lambda self, key: directives.unchanged,
    "__contains__": lambda self, key: True})()

for r in ("manpage", "c:func", "c:type", "c:macro", "c:member", "ref",
          "doc"):
    roles.register_local_role(r, stub_role)
for d in ("toctree", "kernel-doc", "c:function", "c:type", "c:macro"):
    directives.register_directive(d, StubDirective)

report = []


class Stream:
    def write(self, s):
        report.append(s)


publish_string(sys.stdin.read(), writer_name="null",
               settings_overrides={"report_level": 3, "halt_level": 5,
                                   "warning_stream": Stream()})
sys.stdout.write("".join(report))
sys.exit(1 if report else 0)
