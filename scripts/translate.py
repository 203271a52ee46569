"""Set zh_Hans translations from the command line: `python scripts/translate.py "msgid=译文" …`.

Then run `make messages` to derive zh_Hant and compile.
"""

from __future__ import annotations

import sys
from pathlib import Path

import polib

PO = Path(__file__).resolve().parent.parent / "caseloop" / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def main(pairs: list[str]) -> int:
    catalogue = polib.pofile(str(PO))
    wanted = dict(pair.split("=", 1) for pair in pairs)
    for entry in catalogue:
        if entry.msgid in wanted:
            entry.msgstr = wanted.pop(entry.msgid)
            if "fuzzy" in entry.flags:
                entry.flags.remove("fuzzy")
    catalogue.save()
    for msgid in wanted:
        print(f"not in the catalogue (run makemessages first): {msgid}", file=sys.stderr)
    return 1 if wanted else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
