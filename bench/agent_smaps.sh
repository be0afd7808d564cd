#!/usr/bin/env bash
# bench/agent_smaps.sh PID — where a process's resident memory goes, from
# /proc/PID/smaps and smaps_rollup, and which threads it has.  Written for
# rewind-agent (bench/agent_footprint.sh calls it on the agent it measures),
# but works on any process of the same user (or as root).
#
# Rows (kB; Rss = resident, Pss = proportional share, Priv = Private_Clean +
# Private_Dirty, i.e. pages no other process maps, Dirty = Private_Dirty):
#   lib text       r-x file mappings of shared libraries (code)
#   lib rodata     r-- file mappings of shared libraries (constants, ELF headers)
#   lib data       rw- file mappings of shared libraries (.data, .got, relro
#                  after relocation: copy-on-write, hence private dirty)
#   exe            the program's own file mappings (all permissions)
#   [heap]         the main malloc arena (brk)
#   thread stacks  anonymous rw- mappings that follow a one-page ---p guard
#                  (how glibc's pthread_create lays out a stack)
#   malloc arenas  anonymous rw- mappings at a 64 MiB-aligned address (glibc's
#                  per-thread arenas; their ---p reserve is not resident)
#   other anon     everything else anonymous (large malloc()s above
#                  M_MMAP_THRESHOLD, library mmaps)
#   [stack]        the main thread's stack
#   vdso/vvar, other
# then per-library totals (top 15 by Rss), smaps_rollup, and the threads by name.
set -euo pipefail
pid=${1:?usage: agent_smaps.sh PID}
[ -r "/proc/$pid/smaps" ] || { echo "agent_smaps: no /proc/$pid/smaps" >&2; exit 1; }
exe=$(readlink "/proc/$pid/exe")
# Copy first: the process keeps running while we read.
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
cat "/proc/$pid/smaps" >"$tmp"
python3 - "$tmp" "$exe" <<'PY'
import re, sys, os
path, exe = sys.argv[1], sys.argv[2]
maps = []
cur = None
hdr = re.compile(r'^([0-9a-f]+)-([0-9a-f]+) (\S{4}) \S+ \S+ \d+\s*(.*)$')
for line in open(path):
    m = hdr.match(line)
    if m:
        cur = dict(start=int(m.group(1), 16), end=int(m.group(2), 16), perm=m.group(3),
                   name=m.group(4).strip())
        maps.append(cur)
        continue
    k, _, v = line.partition(':')
    v = v.strip()
    if v.endswith(' kB'):
        cur[k] = int(v[:-3])
ARENA = 64 << 20
cats = {}
libs = {}
def add(d, key, mp):
    r = d.setdefault(key, [0, 0, 0, 0, 0])
    r[0] += mp.get('Rss', 0); r[1] += mp.get('Pss', 0)
    r[2] += mp.get('Private_Clean', 0) + mp.get('Private_Dirty', 0)
    r[3] += mp.get('Private_Dirty', 0); r[4] += 1
nstacks = 0
for i, mp in enumerate(maps):
    n, p = mp['name'], mp['perm']
    size = mp['end'] - mp['start']
    if n.startswith('/'):
        if os.path.realpath(n) == os.path.realpath(exe) or n == exe:
            c = 'exe'
        else:
            c = 'lib text' if 'x' in p else ('lib data' if 'w' in p else 'lib rodata')
            add(libs, os.path.basename(n), mp)
    elif n == '[heap]':
        c = '[heap]'
    elif n == '[stack]':
        c = '[stack]'
    elif n in ('[vdso]', '[vvar]', '[vsyscall]'):
        c = 'vdso/vvar'
    elif n == '':
        prev = maps[i - 1] if i else None
        if p.startswith('---'):
            c = 'guards/reserve'
        elif (prev and prev['name'] == '' and prev['perm'].startswith('---')
              and prev['end'] == mp['start'] and prev['end'] - prev['start'] == 4096):
            c = 'thread stacks'; nstacks += 1
        elif mp['start'] % ARENA == 0 and p.startswith('rw'):
            c = 'malloc arenas'
        else:
            c = 'other anon'
    else:
        c = 'other'
    add(cats, c, mp)
order = ['lib text', 'lib rodata', 'lib data', 'exe', '[heap]', 'thread stacks',
         'malloc arenas', 'other anon', '[stack]', 'vdso/vvar', 'guards/reserve', 'other']
tot = [0, 0, 0, 0]
print(f"{'mapping class':<16}{'n':>4}{'Rss':>8}{'Pss':>8}{'Priv':>8}{'Dirty':>8}  (kB)")
for c in order:
    if c not in cats: continue
    r = cats[c]
    print(f"{c:<16}{r[4]:>4}{r[0]:>8}{r[1]:>8}{r[2]:>8}{r[3]:>8}")
    for j in range(4): tot[j] += r[j]
print(f"{'total':<16}{'':>4}{tot[0]:>8}{tot[1]:>8}{tot[2]:>8}{tot[3]:>8}")
print(f"  thread stacks found: {nstacks}")
print()
print("shared libraries by Rss (kB, all their mappings):")
print(f"  {'library':<28}{'Rss':>7}{'Pss':>7}{'Priv':>7}{'Dirty':>7}")
for name, r in sorted(libs.items(), key=lambda kv: -kv[1][0])[:15]:
    print(f"  {name:<28}{r[0]:>7}{r[1]:>7}{r[2]:>7}{r[3]:>7}")
rest = sorted(libs.items(), key=lambda kv: -kv[1][0])[15:]
if rest:
    s = [sum(r[1][j] for r in rest) for j in range(4)]
    print(f"  {'(%d more)' % len(rest):<28}{s[0]:>7}{s[1]:>7}{s[2]:>7}{s[3]:>7}")
print(f"  {len(libs)} shared objects mapped")
PY
echo
echo "smaps_rollup:"
grep -E '^(Rss|Pss|Pss_Anon|Pss_File|Shared_Clean|Shared_Dirty|Private_Clean|Private_Dirty|Anonymous):' \
	"/proc/$pid/smaps_rollup" | sed 's/^/  /'
awk '/^(Private_Clean|Private_Dirty):/ {s += $2} END {print "  USS (Private_Clean+Private_Dirty): " s " kB"}' \
	"/proc/$pid/smaps_rollup"
echo
n=$(ls "/proc/$pid/task" | wc -l)
echo "threads: $n"
for t in /proc/$pid/task/*; do cat "$t/comm"; done | sort | uniq -c | sort -rn | sed 's/^/  /'
