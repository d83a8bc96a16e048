#!/usr/bin/env python3
"""Checks the workspace's shape, as the README's "Layout" section promises it:

- no import cycle between the modules of a Rust crate (edges: `crate::a::b` and `super::x` paths
  in a module's non-test code);
- no non-test Rust source over 800 lines (code before a trailing `#[cfg(test)] mod tests`);
- no Solidity source under contracts/src over 600 lines.

Usage: tools/check-structure.py [crate_dir ...]   (default: every workspace member)
Exits 1 and names each problem when one is found.
"""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUST_LIMIT = 800
SOLIDITY_LIMIT = 600


def workspace_members():
    text = open(os.path.join(ROOT, "Cargo.toml")).read()
    block = re.search(r"members\s*=\s*\[(.*?)\]", text, re.S).group(1)
    return re.findall(r'"([^"]+)"', block)


def non_test_code(text):
    """The code before a test module: `#[cfg(test)]` followed by `mod tests`."""
    match = re.search(r"#\[cfg\(test\)\]\s*\n\s*mod \w+", text)
    return text[: match.start()] if match else text


def module_name(src, path):
    parts = os.path.relpath(path, src)[:-3].split(os.sep)
    if parts[-1] in ("mod", "lib", "main"):
        parts = parts[:-1]
    return "::".join(parts) or "crate"


def crate_problems(crate):
    src = os.path.join(ROOT, crate, "src")
    problems = []
    modules = {}
    for directory, _, files in os.walk(src):
        for name in files:
            if not name.endswith(".rs"):
                continue
            path = os.path.join(directory, name)
            code = non_test_code(open(path).read())
            lines = code.count("\n")
            if lines > RUST_LIMIT and not name == "tests.rs":
                problems.append(f"{os.path.relpath(path, ROOT)}: {lines} lines of non-test code (limit {RUST_LIMIT})")
            # Binaries under src/bin are crates of their own.
            if "bin" not in os.path.relpath(directory, src).split(os.sep):
                modules[module_name(src, path)] = code
    names = set(modules)
    edges = {m: set() for m in modules}
    for module, code in modules.items():
        refs = re.findall(r"crate::([a-z_][a-z0-9_]*(?:::[a-z_][a-z0-9_]*)*)", code)
        if "::" in module:
            parent = module.rsplit("::", 1)[0]
            refs += [f"{parent.replace('::', '::')}::{r}" for r in re.findall(r"super::([a-z_][a-z0-9_]*)", code)]
        for ref in refs:
            parts = ref.split("::")
            target = next(
                ("::".join(parts[:k]) for k in range(len(parts), 0, -1) if "::".join(parts[:k]) in names),
                None,
            )
            if target and target != module and not target.startswith(module + "::") and not module.startswith(target + "::"):
                edges[module].add(target)
    for cycle in strongly_connected(edges):
        detail = "; ".join(f"{a} -> {', '.join(sorted(b for b in edges[a] if b in cycle))}" for a in cycle)
        problems.append(f"{crate}: import cycle among {', '.join(cycle)} ({detail})")
    return problems


def strongly_connected(edges):
    index, low, stack, on_stack, found, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(10000)
    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def solidity_problems():
    problems = []
    src = os.path.join(ROOT, "contracts", "src")
    for directory, _, files in os.walk(src):
        for name in files:
            if name.endswith(".sol"):
                path = os.path.join(directory, name)
                lines = open(path).read().count("\n")
                if lines > SOLIDITY_LIMIT:
                    problems.append(f"{os.path.relpath(path, ROOT)}: {lines} lines (limit {SOLIDITY_LIMIT})")
    return problems


def main():
    crates = sys.argv[1:] or workspace_members()
    problems = [p for crate in crates for p in crate_problems(crate)]
    if len(sys.argv) == 1:
        problems += solidity_problems()
    for problem in problems:
        print(problem)
    print(f"{len(problems)} structure problem(s)" if problems else "structure: no import cycles, no oversized sources")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
