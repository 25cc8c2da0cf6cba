"""Keeps the docs honest: every test docs/guarantees.md names as proof exists, and
docs/configuration.md's stack-parameter table is template.yaml's.

Run with the template checks (infra/check-templates.sh).
"""

import re
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


class Guarantees(unittest.TestCase):
    def test_every_test_named_as_proof_exists(self):
        text = (ROOT / "docs/guarantees.md").read_text()
        named = re.findall(r"`([\w./-]+\.(?:rs|py))::(\w+)`", text)
        self.assertGreater(len(named), 20, "guarantees.md names its proofs as path::test")
        for path, test in named:
            source = ROOT / path
            self.assertTrue(source.exists(), f"{path} (named in guarantees.md) does not exist")
            definition = rf"\b(fn|def) {test}\b"
            found = re.search(definition, source.read_text())
            self.assertTrue(found, f"{path} has no test {test} (named in guarantees.md)")


class StackParameters(unittest.TestCase):
    def test_the_parameter_table_is_the_templates(self):
        """docs/configuration.md lists every parameter of template.yaml, and only those,
        each with the template's default ("required" when it has none)."""
        template = (ROOT / "template.yaml").read_text()
        block = template[template.index("\nParameters:") : template.index("\nConditions:")]
        declared = {}
        for match in re.finditer(r"^  (\w+):\n((?:    .*\n|\s*\n)*)", block, re.M):
            default = re.search(r"^    Default: *(.*)$", match.group(2), re.M)
            declared[match.group(1)] = default.group(1).strip().strip('"') if default else None
        docs = (ROOT / "docs/configuration.md").read_text()
        table = docs[docs.index("## Stack parameters (template.yaml)") :]
        rows = dict(re.findall(r"^\| `(\w+)` \| ([^|]*) \|", table, re.M))
        self.assertEqual(sorted(rows), sorted(declared), "the table's parameters are the template's")
        for name, default in declared.items():
            shown = rows[name].strip().strip("`")
            if default is None:
                self.assertEqual(shown, "required", name)
            elif default == "":
                self.assertEqual(shown, "empty", name)
            else:
                self.assertEqual(shown, default, name)


if __name__ == "__main__":
    unittest.main()
