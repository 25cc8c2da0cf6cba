"""Keeps docs/guarantees.md honest: every test it names as proof exists.

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


if __name__ == "__main__":
    unittest.main()
