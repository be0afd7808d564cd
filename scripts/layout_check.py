#!/usr/bin/env python3
"""layout_check.py BUILD_DIR — the tree's structural promises, checked.

1. No C file over 1,000 lines.
2. No include cycle: a module (a .c/.h pair) that includes another module's
   header is never included back by it, directly or around a loop.
3. No call cycle: a file that calls into another file is never called back by
   it, directly or around a loop.  Read from the object files of BUILD_DIR
   (nm): a symbol one object leaves undefined and another defines is a call
   (or a data reference) from the first file to the second.  Programs'
   main.c and test, bench and fuzz files call in but are never called.

Prints what it found; exits 1 when a promise is broken (ctest: layout.check).
Run by hand: python3 scripts/layout_check.py build [--graph].
"""
import collections
import os
import re
import subprocess
import sys

SRC = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCE_DIRS = ('shared', 'server', 'console', 'agent', 'kubesim', 'tests', 'bench', 'fuzz')
MAX_LINES = 1000
LEAF_DIRS = ('tests/', 'bench/', 'fuzz/', 'kubesim/unit/')


def sources():
    for top in SOURCE_DIRS:
        for root, _, files in os.walk(os.path.join(SRC, top)):
            for f in files:
                if f.endswith(('.c', '.h')):
                    yield os.path.relpath(os.path.join(root, f), SRC)


def module(path):
    return path[:-2]


def strongly_connected(edges):
    """Tarjan's algorithm, iterative; returns components of more than one node."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]
    nodes = set(edges) | {w for ws in edges.values() for w in ws}
    for root in sorted(nodes):
        if root in index:
            continue
        work = [(root, iter(sorted(edges.get(root, ()))))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            advanced = False
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(edges.get(w, ())))))
                    advanced = True
                    break
                if w in on:
                    low[v] = min(low[v], index[w])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))
    return out


def check_sizes(files):
    bad = []
    for f in files:
        if not f.endswith('.c'):
            continue
        with open(os.path.join(SRC, f), errors='replace') as fh:
            n = sum(1 for _ in fh)
        if n > MAX_LINES:
            bad.append((n, f))
    largest = max((sum(1 for _ in open(os.path.join(SRC, f), errors='replace')), f)
                  for f in files if f.endswith('.c'))
    return sorted(bad, reverse=True), largest


def include_graph(files):
    by_name = collections.defaultdict(list)
    for f in files:
        if f.endswith('.h'):
            by_name[os.path.basename(f)].append(f)
    edges = collections.defaultdict(set)
    inc = re.compile(r'^\s*#\s*include\s+"([^"]+)"')
    for f in files:
        here = os.path.dirname(f)
        program = f.split('/')[0]
        with open(os.path.join(SRC, f), errors='replace') as fh:
            for line in fh:
                m = inc.match(line)
                if not m:
                    continue
                name = os.path.basename(m.group(1))
                cands = by_name.get(name, [])
                # Prefer the header beside the includer, then one of the same program.
                pick = [c for c in cands if os.path.dirname(c) == here] or \
                       [c for c in cands if c.split('/')[0] == program] or cands
                if len(pick) != 1:
                    continue
                a, b = module(f), module(pick[0])
                if a != b:
                    edges[a].add(b)
    return edges


def call_graph(build):
    defs = collections.defaultdict(set)
    undefs = collections.defaultdict(set)
    seen = set()
    for root, _, names in os.walk(build):
        for n in names:
            if not n.endswith('.c.o') or '.dir' not in root:
                continue
            obj = os.path.join(root, n)
            src = object_source(build, obj)
            if not src or src in seen:
                continue
            seen.add(src)
            out = subprocess.run(['nm', obj], capture_output=True, text=True).stdout
            for line in out.splitlines():
                parts = line.split()
                if len(parts) == 3 and parts[1] in 'TDBRC':
                    defs[src].add(parts[2])
                elif len(parts) == 2 and parts[0] == 'U':
                    undefs[src].add(parts[1])
    owner = collections.defaultdict(set)
    for s, syms in defs.items():
        for y in syms:
            owner[y].add(s)
    edges = collections.defaultdict(set)
    for s, syms in undefs.items():
        for y in syms:
            for t in owner.get(y, ()):
                if t == s or os.path.basename(t) == 'main.c' or t.startswith(LEAF_DIRS):
                    continue
                edges[s].add(t)
    return edges, defs, undefs, len(seen)


def object_source(build, obj):
    """CMake puts SRCDIR/x/y.c of target T in BUILD/<dir>/CMakeFiles/T.dir/x/y.c.o."""
    pre, _, rest = obj.partition('/CMakeFiles/')
    rel_dir = os.path.relpath(pre, build)
    inner = rest.split('.dir/', 1)[1][:-2]
    inner = inner.replace('__/', '../')
    cand = os.path.normpath(os.path.join(rel_dir if rel_dir != '.' else '', inner))
    if os.path.exists(os.path.join(SRC, cand)):
        return cand
    return None  # generated sources (protobuf, migrations, scenario)


def main():
    if len(sys.argv) < 2:
        print(__doc__.strip().splitlines()[0])
        return 2
    build = os.path.abspath(sys.argv[1])
    show_graph = '--graph' in sys.argv
    files = sorted(sources())
    failed = False

    big, largest = check_sizes(files)
    print(f'largest C file: {largest[1]} ({largest[0]} lines)')
    for n, f in big:
        print(f'  over {MAX_LINES} lines: {f} ({n})')
        failed = True

    inc = include_graph(files)
    cyc = strongly_connected(inc)
    print(f'include cycles: {len(cyc)}')
    for c in cyc:
        print('  ' + ' -> '.join(c))
        failed = True

    calls, defs, undefs, nobj = call_graph(build)
    if nobj == 0:
        print(f'no object files under {build}: build first')
        return 1
    cyc = strongly_connected(calls)
    print(f'call cycles: {len(cyc)} (files read: {nobj})')
    for c in cyc:
        print('  ' + ' <-> '.join(c))
        for a in c:
            for b in c:
                if b in calls.get(a, ()):
                    syms = sorted(y for y in undefs[a] if y in defs[b])
                    print(f'    {a} calls {b}: {", ".join(syms[:5])}')
        failed = True
    if show_graph:
        for a in sorted(calls):
            print(f'{a} -> {" ".join(sorted(calls[a]))}')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
