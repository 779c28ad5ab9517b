"""Print what moved between two copies of requirements/: one line per package whose pin was
added, removed or changed, for the commit message of a lock change.

    python scripts/lock_changes.py OLD_DIR NEW_DIR
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

# `name==version ; marker \` at the start of a line; hashes and comments are other lines.
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)\s*(?:;\s*([^\\]+?))?\s*\\?$")


def pins(lock: Path) -> dict[str, str]:
    """Package (with its marker, when it has one) → pinned version."""
    found: dict[str, str] = {}
    if not lock.exists():
        return found
    for line in lock.read_text(encoding="utf-8").splitlines():
        match = PIN.match(line.strip())
        if match:
            name, version, marker = match.groups()
            key = name.lower().replace("_", "-") + (f" ; {marker}" if marker else "")
            found[key] = version
    return found


def changes(old: dict[str, str], new: dict[str, str]) -> list[str]:
    lines = []
    for name in sorted(old.keys() | new.keys()):
        before, after = old.get(name), new.get(name)
        if before == after:
            continue
        if before is None:
            lines.append(f"  + {name} {after}")
        elif after is None:
            lines.append(f"  - {name} {before}")
        else:
            lines.append(f"    {name} {before} -> {after}")
    return lines


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    old_dir, new_dir = (Path(arg) for arg in argv)
    moved = False
    for lock in sorted(new_dir.glob("*.txt")):
        lines = changes(pins(old_dir / lock.name), pins(lock))
        if lines:
            moved = True
            print(f"{lock.name}:")
            print("\n".join(lines))
    if not moved:
        print("no pin moved")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
