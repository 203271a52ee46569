"""Rebuild the translation catalogues.

zh_Hans is the catalogue translators edit (caseloop/locale/zh_Hans/LC_MESSAGES/django.po).
zh_Hant is derived from it with OpenCC (Simplified → Traditional, Taiwan phrasing), unless a
zh_Hant entry was translated by hand (marked with the translator comment "# manual"). English is the source
language and needs no catalogue. Then both are compiled to .mo (committed, so no gettext is
needed to run Caseloop).

Usage: make messages   (needs GNU gettext's xgettext for makemessages)
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import opencc
import polib

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "caseloop" / "locale"


def main() -> int:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    caseloop = [sys.executable, "-m", "caseloop"]
    subprocess.run([*caseloop, "makemessages", "-l", "zh_Hans", "-l", "zh_Hant", "--no-obsolete", "-i", "demo/*"],
                   cwd=ROOT / "caseloop", env=env, check=True)
    simplified = polib.pofile(str(LOCALE / "zh_Hans" / "LC_MESSAGES" / "django.po"))
    traditional_path = LOCALE / "zh_Hant" / "LC_MESSAGES" / "django.po"
    traditional = polib.pofile(str(traditional_path))
    to_traditional = opencc.OpenCC("s2twp")
    source = {entry.msgid: entry for entry in simplified}
    for entry in traditional:
        if "manual" in (entry.tcomment or "") or "manual" in (entry.comment or ""):
            continue
        original = source.get(entry.msgid)
        if original is None:
            continue
        entry.msgstr = to_traditional.convert(original.msgstr) if original.msgstr else ""
        if original.msgstr_plural:
            entry.msgstr_plural = {k: to_traditional.convert(v) for k, v in original.msgstr_plural.items()}
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
    traditional.save()
    missing = [e.msgid for e in simplified if not e.translated() and not e.obsolete]
    for po_path in (LOCALE / "zh_Hans" / "LC_MESSAGES" / "django.po", traditional_path):
        polib.pofile(str(po_path)).save_as_mofile(str(po_path.with_suffix(".mo")))
    if missing:
        print(f"{len(missing)} zh_Hans entries are untranslated:", *missing, sep="\n  ")
        return 1
    print("Catalogues rebuilt and compiled.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
