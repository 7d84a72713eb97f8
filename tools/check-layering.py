#!/usr/bin/env python3
"""Check vigil's include layering (DESIGN.md, "Layout and dependency direction").

Every #include in our own sources must be allowed for the folder it is in:

  boot/        -> hv/include, gnu-efi (boot/ is the only folder that sees UEFI)
  hv/          -> hv/include only, plus libfdt; never drivers, debug, boot, lwIP
  arch/arm64/  -> hv/include and its own headers
  drivers/     -> hv/include (+ arch interfaces), libfdt, lwIP
  debug/       -> hv/include (+ arch interfaces), lwIP

<arch/...> (an architecture's own types) may only be reached through
hv/include/arch_types.h. Quoted includes must name a file in the same folder.
Prints one line per violation and "lint: N passed, N failed" (N = files).
"""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')

# The C library and compiler headers every folder may use.
STD = {
    "stdint.h", "stddef.h", "stdbool.h", "stdarg.h", "string.h", "stdio.h",
    "stdlib.h", "ctype.h", "errno.h", "limits.h", "sys/stat.h", "malloc.h",
}
CORE = re.compile(r"^(vigil/[a-z0-9_]+\.h|arch_[a-z0-9_]+\.h)$")
EFI = re.compile(r"^(efi|efilib)\.h$")
FDT = re.compile(r"^libfdt(_env)?\.h$|^fdt\.h$")
LWIP = re.compile(r"^(lwip|netif|arch)/.+\.h$")

RULES = {
    # folder: (allowed system-include patterns)
    "boot": [CORE, EFI],
    "hv": [CORE, FDT],
    "arch/arm64": [CORE, re.compile(r"^arch/[a-z0-9_]+\.h$"),
                   re.compile(r"^generated/asm-offsets\.h$")],
    "drivers": [CORE, FDT, LWIP],
    "debug": [CORE, LWIP],
}


def folder_of(rel):
    for folder in sorted(RULES, key=len, reverse=True):
        if rel == folder or rel.startswith(folder + "/"):
            return folder
    return None


def check_file(rel, folder):
    problems = []
    path = os.path.join(ROOT, rel)
    with open(path, encoding="utf-8", errors="replace") as f:
        for lineno, line in enumerate(f, 1):
            m = INCLUDE.match(line)
            if not m:
                continue
            kind, name = m.groups()
            where = f"{rel}:{lineno}"
            if kind == '"':
                if "/" in name or not os.path.exists(
                        os.path.join(os.path.dirname(path), name)):
                    problems.append(f"{where}: \"{name}\" is not a header of this folder")
                continue
            if name in STD:
                continue
            if name == "arch/types.h" and rel == "hv/include/arch_types.h":
                continue
            if folder == "hv" and name.startswith("arch/"):
                problems.append(f"{where}: <{name}>: the core reaches arch types only through arch_types.h")
                continue
            if not any(p.match(name) for p in RULES[folder]):
                problems.append(f"{where}: <{name}> is not allowed in {folder}/")
    return problems


def main():
    checked = failed = 0
    for folder in RULES:
        base = os.path.join(ROOT, folder)
        for dirpath, _, files in os.walk(base):
            for fn in sorted(files):
                if not fn.endswith((".c", ".h", ".S")):
                    continue
                rel = os.path.relpath(os.path.join(dirpath, fn), ROOT)
                problems = check_file(rel, folder_of(rel))
                checked += 1
                if problems:
                    failed += 1
                    for p in problems:
                        print(f"FAIL {p}")
    print(f"lint: {checked - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
