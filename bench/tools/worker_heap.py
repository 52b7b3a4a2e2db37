#!/usr/bin/env python3
"""Groups a DumpTrackedHeap file (src/js/allocator.h) by what made each block.

  worker_heap.py BINARY DUMP

BINARY must keep its symbol table (nm); return addresses are matched to the
function that contains them. Each block counts its usable bytes plus the 8
bytes of its size word (the arena's and glibc's alike).
"""
import bisect
import collections
import subprocess
import sys

# The first of these on a block's stack names its part (most specific first).
PARTS = [
    ("JS_ReadObject", "reading bytecode (functions, atoms, module records)"),
    ("js_closure", "closures made by evaluating code"),
    ("JS_NewCFunction3", "C functions"),
    ("JS_SetPropertyFunctionList", "C function lists (names, properties)"),
    ("js_create_module", "module records and variables"),
    ("js_inner_module_linking", "module linking"),
    ("JS_NewContext", "the context's intrinsics"),
    ("JS_NewRuntime2", "the runtime (classes, hashes)"),
    ("JS_NewAtom", "atoms made by name"),
]
# Frames that only pass an allocation on.
PLUMBING = ("js_malloc", "js_mallocz", "js_realloc", "js_def_", "js_free", "js_resize_array",
            "js_realloc_array", "hbf::js::internal::", "backtrace")


def symbols(binary):
    out = subprocess.run(["nm", "-C", binary], capture_output=True, text=True, check=True).stdout
    syms = []
    for line in out.splitlines():
        parts = line.split(" ", 2)
        if len(parts) == 3 and parts[0] and parts[1] in "tTwW":
            syms.append((int(parts[0], 16), parts[2]))
    syms.sort()
    return syms


def short(name):
    """The function's name without its parameter list."""
    if not name.endswith(")"):
        return name
    depth = 0
    for i in range(len(name) - 1, -1, -1):
        depth += {")": 1, "(": -1}.get(name[i], 0)
        if depth == 0:
            return name[:i]
    return name


def main():
    binary, dump = sys.argv[1], sys.argv[2]
    syms = symbols(binary)
    addrs = [a for a, _ in syms]
    anchor = next(a for a, n in syms if n == "hbf::js::internal::DumpTrackedHeap(_IO_FILE*)")

    def name(addr):
        i = bisect.bisect_right(addrs, addr) - 1
        return syms[i][1] if i >= 0 else "?"

    lines = open(dump).read().splitlines()
    offset = int(lines[0].split()[1], 16) - anchor
    by_part = collections.Counter()
    by_site = collections.Counter()
    blocks = 0
    total = 0
    for line in lines[1:]:
        fields = line.split()
        size = int(fields[0]) + 8
        frames = [name(int(x, 16) - offset) for x in fields[1:]]
        frames = [f for f in frames if not f.startswith(PLUMBING)]
        part = "other (properties grown, objects made by code, ...)"
        for f in frames:
            hit = next((label for prefix, label in PARTS if f.startswith(prefix)), None)
            if hit:
                part = hit
                break
        by_part[part] += size
        by_site[" < ".join(short(f) for f in frames[:3])] += size
        blocks += 1
        total += size
    print(f"{total:,} bytes in {blocks:,} blocks (usable bytes + 8 each)\n")
    print("by part:")
    for part, size in by_part.most_common():
        print(f"  {size:>9,}  {part}")
    print("\nby call site (the allocating function < its callers):")
    for site, size in by_site.most_common(25):
        print(f"  {size:>9,}  {site[:140]}")


if __name__ == "__main__":
    main()
