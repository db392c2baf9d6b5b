"""The score of the last `mutmut run`, and every survivor not listed as equivalent.

    .venv/bin/python tests/mutation/score.py    (make mutation runs it after mutmut)

Reads `mutmut results --all true`; a mutant counts as killed when a test failed on it (or it
timed out), as equivalent when tests/mutation/equivalent.md lists it with its reason. Exits 1
while a survivor is neither, so a new survivor gets a test or a reason.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
KILLED = {"killed", "timeout"}


def results() -> dict[str, str]:
    out = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "mutmut"), "results", "--all", "true"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found = (re.fullmatch(r"\s*(\S+): (.+)", line) for line in out.splitlines())
    return {m.group(1): m.group(2).strip() for m in found if m}


def equivalent() -> set[str]:
    text = (HERE / "equivalent.md").read_text(encoding="utf-8")
    return set(re.findall(r"`(vmcp_components\.[\w.]+__mutmut_\d+)`", text))


def main() -> int:
    status = results()
    counts = Counter(status.values())
    listed = equivalent()
    checked = {name: s for name, s in status.items() if s != "not checked"}
    killed = sum(1 for s in checked.values() if s in KILLED)
    alive = sorted(name for name, s in checked.items() if s not in KILLED and name not in listed)
    score = killed / max(1, len(checked) - len(listed & set(checked)))
    print(", ".join(f"{n} {s}" for s, n in sorted(counts.items())))
    print(
        f"score: {killed} killed of {len(checked)} checked, {len(listed)} listed equivalent: "
        f"{score:.1%} of the non-equivalent mutants killed"
    )
    for name in alive:
        print(f"alive, not listed as equivalent: {name} ({status[name]})")
    return 1 if alive else 0


if __name__ == "__main__":
    sys.exit(main())
