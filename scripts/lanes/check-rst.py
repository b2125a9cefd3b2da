#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Check that an rst document parses cleanly, as the kernel's Sphinx would.

Usage: check-rst.py KERNEL_DOC_SCRIPT FILE.rst

Plain docutils does not know the kernel's ``kernel-doc`` directive nor
Sphinx's C domain.  Here ``kernel-doc`` runs the kernel's scripts/kernel-doc
on the named source, as Documentation/sphinx/kerneldoc.py does, and the C
domain directives it emits are parsed as plain containers.  Any docutils
warning or error fails the check.
"""
import os
import subprocess
import sys

from docutils import nodes
from docutils.core import publish_doctree
from docutils.parsers.rst import Directive, directives
from docutils.statemachine import ViewList
from docutils.utils import SystemMessage


class KernelDoc(Directive):
    required_arguments = 1
    option_spec = {"export": directives.unchanged,
                   "internal": directives.unchanged,
                   "functions": directives.unchanged}
    script = None
    srcdir = "."

    def run(self):
        path = os.path.join(self.srcdir, self.arguments[0])
        cmd = [self.script, "-rst", "-sphinx-version", "3.4.3"]
        for opt in ("export", "internal"):
            if opt in self.options:
                cmd.append("-" + opt)
        out = subprocess.run(cmd + [path], capture_output=True, text=True,
                             check=True)
        if out.stderr.strip():
            raise self.error("kernel-doc: " + out.stderr.strip())
        lines = ViewList()
        for n, line in enumerate(out.stdout.splitlines()):
            lines.append(line, path, n)
        node = nodes.section()
        self.state.nested_parse(lines, self.content_offset, node)
        return node.children


class CDomain(Directive):
    """Sphinx's c:function and friends: keep the body, check its markup."""
    required_arguments = 1
    final_argument_whitespace = True
    has_content = True

    def run(self):
        node = nodes.container()
        self.state.nested_parse(self.content, self.content_offset, node)
        return [node]


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    KernelDoc.script = sys.argv[1]
    KernelDoc.srcdir = os.path.dirname(os.path.abspath(sys.argv[2])) + "/.."
    directives.register_directive("kernel-doc", KernelDoc)
    for name in ("c:function", "c:type", "c:macro", "c:struct", "c:union",
                 "c:enum", "c:var"):
        directives.register_directive(name, CDomain)
    with open(sys.argv[2], encoding="utf-8") as f:
        text = f.read()
    try:
        publish_doctree(text, source_path=sys.argv[2],
                        settings_overrides={"halt_level": 2,
                                            "report_level": 2,
                                            "traceback": False})
    except SystemMessage as e:
        sys.exit(f"check-rst: {e}")
    print(f"{sys.argv[2]}: valid reStructuredText")


if __name__ == "__main__":
    main()
