"""Keeps the layout as the README draws it: no two modules of a crate import each other,
directly or round a circle (issue 25), and the README's layout names every crate.

Run with the template checks (infra/check-templates.sh).
"""

import re
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def module_of(src: Path, file: Path) -> str:
    """`a::b` for src/a/b.rs and src/a/b/mod.rs; "" for lib.rs and main.rs."""
    parts = list(file.relative_to(src).with_suffix("").parts)
    if parts[-1] in ("mod", "lib", "main"):
        parts = parts[:-1]
    return "::".join(parts)


def code(file: Path) -> str:
    """The file without comments and without its unit tests (a test module may use
    anything)."""
    lines = [l for l in file.read_text().split("\n") if not l.strip().startswith("//")]
    text = "\n".join(lines)
    return re.split(r"#\[cfg\(test\)\]\s*mod tests\s*[{;]", text)[0]


def paths(text: str, root: str) -> list[str]:
    """Every `root::a::b` path in `text`, braces expanded one level."""
    found = re.findall(rf"\b{root}::((?:\w+::)*\w+)", text)
    for prefix, group in re.findall(rf"\b{root}::((?:\w+::)*)\{{([^{{}}]*)\}}", text):
        found += [prefix + item.strip() for item in group.split(",") if item.strip()]
    return found


def module_graph(src: Path) -> dict[str, set[str]]:
    """Each module's edges to the other modules of its crate it names (crate:: and
    super:: paths), a module's own ancestors left out: a child using what its parent
    declares is how Rust nests, not a circle."""
    files = [f for f in src.rglob("*.rs") if "tests" not in f.relative_to(src).parts[:-1]]
    files = [f for f in files if f.name != "tests.rs" and "bin" not in f.relative_to(src).parts]
    modules = {module_of(src, f): f for f in files}
    edges: dict[str, set[str]] = {m: set() for m in modules}
    for module, file in modules.items():
        text = code(file)
        own = module.split("::") if module else []
        parent = own[:-1]
        named = [p.split("::") for p in paths(text, "crate")]
        named += [parent + p.split("::") for p in paths(text, "super")]
        for parts in named:
            for k in range(len(parts), 0, -1):
                candidate = "::".join(parts[:k])
                if candidate in modules:
                    if candidate != module and not module.startswith(candidate + "::"):
                        edges[module].add(candidate)
                    break
    return edges


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in edges:
        if v not in index:
            visit(v)
    return found


class Layout(unittest.TestCase):
    def test_no_crate_has_an_import_circle(self):
        for src in sorted(ROOT.glob("crates/*/src")):
            with self.subTest(crate=src.parent.name):
                self.assertEqual(circles(module_graph(src)), [])

    def test_a_circle_is_found(self):
        self.assertEqual(circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}), [["a", "b", "c"]])
        self.assertEqual(circles({"a": {"b"}, "b": set()}), [])

    def test_the_readme_layout_names_every_crate(self):
        readme = (ROOT / "README.md").read_text()
        layout = readme[readme.index("## Layout") :]
        layout = layout[: layout.index("\n## ")]
        for crate in sorted(p.name for p in (ROOT / "crates").iterdir() if p.is_dir()):
            self.assertIn(f"crates/{crate}", layout, f"README's layout leaves out crates/{crate}")


if __name__ == "__main__":
    unittest.main()
