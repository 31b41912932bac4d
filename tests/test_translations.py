"""The zh_CN catalogue covers every message the code and templates use."""

from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
# Babel names Simplified Chinese for China "zh_Hans_CN"; the UI calls it zh_CN.
CATALOGUE = ROOT / "perfsite" / "translations" / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po"
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None, "lazy_ngettext": (1, 2)}
METHODS = [("perfsite/**.py", "python"), ("templates/**.html", "jinja2")]


def _used_messages() -> dict:
    found = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
            str(ROOT), METHODS, keywords=KEYWORDS,
            options_map={"templates/**.html": {"extensions": "jinja2.ext.do"}}):
        key = message if isinstance(message, str) else message[0]
        found.setdefault(key, f"{filename}:{lineno}")
    return found


def test_zh_cn_catalogue_has_no_untranslated_message():
    with CATALOGUE.open("rb") as handle:
        catalogue = read_po(handle, locale="zh_CN")
    missing, fuzzy = [], []
    for msgid, where in _used_messages().items():
        entry = catalogue.get(msgid)
        strings = entry.string if entry is not None else None
        if isinstance(strings, tuple | list):
            strings = "".join(strings)
        if entry is None or not strings:
            missing.append(f"{where}: {msgid!r}")
        elif entry.fuzzy:
            fuzzy.append(f"{where}: {msgid!r}")
    assert not missing, f"{len(missing)} messages lack a zh_CN translation:\n" + "\n".join(
        missing[:40])
    assert not fuzzy, "fuzzy (unchecked) translations:\n" + "\n".join(fuzzy[:40])


def test_translations_keep_their_placeholders():
    import re

    with CATALOGUE.open("rb") as handle:
        catalogue = read_po(handle, locale="zh_CN")
    placeholder = re.compile(r"%\((\w+)\)[sd]")
    for entry in catalogue:
        if not entry.id or not entry.string:
            continue
        ids = entry.id if isinstance(entry.id, tuple | list) else (entry.id,)
        strings = entry.string if isinstance(entry.string, tuple | list) else (entry.string,)
        wanted = set(placeholder.findall(ids[-1]))
        for s in strings:
            assert set(placeholder.findall(s)) <= wanted | set(placeholder.findall(ids[0])), (
                f"{entry.id!r} -> {s!r} changes placeholders")
            assert wanted - {"num"} <= set(placeholder.findall(s)), (
                f"{entry.id!r} -> {s!r} drops a placeholder")
