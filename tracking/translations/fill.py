"""Fill a catalogue from a Python dict of translations: ``python tracking/translations/fill.py ja FILE.py``.

FILE.py defines ``JA = {msgid: msgstr}``; FILE may also be another .po file. Entries already translated are kept unless the dict
names them. Used by developers when adding strings; tests check the catalogues are complete.
"""

import runpy
import sys

from babel.messages.pofile import read_po, write_po

locale, source = sys.argv[1], sys.argv[2]
if source.endswith(".po"):  # another branch's catalogue: take its translations
    with open(source, "rb") as fh:
        table = {
            (m.id if isinstance(m.id, str) else m.id[0]): m.string
            for m in read_po(fh, locale=locale)
            if m.id and m.string
        }
else:
    table = runpy.run_path(source)[locale.upper()]
path = f"tracking/translations/{locale}/LC_MESSAGES/messages.po"
with open(path, "rb") as fh:
    catalog = read_po(fh, locale=locale)
missing = []
for message in catalog:
    if not message.id:
        continue
    key = message.id if isinstance(message.id, str) else message.id[0]
    if key in table:
        message.string = table[key]
    elif not message.string:
        missing.append(key)
with open(path, "wb") as fh:
    write_po(fh, catalog, width=100, omit_header=False)
for key in missing:
    print("untranslated:", key)
