"""The zh_CN catalogue covers every message the code and templates use."""

import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

# Once per CI run (the SQLite pass): the catalogue and the source code.
pytestmark = pytest.mark.once

ROOT = Path(__file__).resolve().parent.parent
# Babel names Simplified Chinese for China "zh_Hans_CN"; the UI calls it zh_CN.
CATALOGUE = ROOT / "perfsite" / "translations" / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po"
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None, "lazy_ngettext": (1, 2)}
METHODS = [("perfsite/**.py", "python"), ("templates/**.html", "jinja2")]


def _every_folder(path: str) -> bool:
    """Babel's default skips folders whose name starts with "_" (templates/_macros): look in
    every folder but hidden ones and bytecode caches."""
    name = Path(path).name
    return not name.startswith(".") and name != "__pycache__"


def _extracted():
    return extract_from_dir(
        str(ROOT), METHODS, keywords=KEYWORDS, directory_filter=_every_folder,
        options_map={"templates/**.html": {"extensions": "jinja2.ext.do", "silent": "false"}})


def _used_messages() -> dict:
    found = {}
    for filename, lineno, message, _comments, context in _extracted():
        key = message if isinstance(message, str) else message[0]
        found.setdefault((key, context), f"{filename}:{lineno}")
    return found


def test_every_file_that_translates_is_extracted():
    """Every template and module that calls a translation function gives messages (a file
    in a skipped folder, or one Babel cannot parse, would silently give none)."""
    extracted = {filename for filename, *_rest in _extracted()}
    calls = re.compile(r"\b(_|_l|gettext|ngettext|pgettext|lazy_gettext)\(\s*['\"]")
    files = [*ROOT.glob("perfsite/**/*.py"), *ROOT.glob("templates/**/*.html")]
    translating = {str(f.relative_to(ROOT)) for f in files if calls.search(f.read_text())}
    assert "templates/_macros/people_picker.html" in translating
    assert translating - extracted == set()


def test_zh_cn_catalogue_has_no_untranslated_message():
    with CATALOGUE.open("rb") as handle:
        catalogue = read_po(handle, locale="zh_CN")
    missing, fuzzy = [], []
    for (msgid, context), where in _used_messages().items():
        entry = catalogue.get(msgid, context=context)
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


def test_each_sense_of_target_has_its_own_chinese_word(app):
    """"Target" is a strategy target (战略目标) in a list of targets and a target value
    (目标值) beside a KPI's actual: pgettext keeps the two apart."""
    from flask_babel import force_locale, pgettext

    with app.test_request_context(), force_locale("zh_CN"):
        assert pgettext("strategy target", "Target") == "战略目标"
        assert pgettext("target value", "Target") == "目标值"


# A count's variable that is a limit of the site (never 1): "at most %(max)d characters".
LIMITS = {"limit", "max", "high", "low", "seconds", "rows", "cell", "mb", "line", "n"}
COUNT_AND_NOUN = re.compile(r"%\((\w+)\)d (?:\w+ )?[A-Za-z-]+s\b")


def test_a_count_beside_a_noun_goes_through_ngettext():
    """"1 things to do": a message that puts a count before a plural noun is an ngettext
    (with its singular) unless the count is a fixed limit of the site."""
    single = [f"{filename}:{lineno}: {message!r}"
              for filename, lineno, message, _comments, _context in _extracted()
              if isinstance(message, str)
              and any(name not in LIMITS for name in COUNT_AND_NOUN.findall(message))]
    assert not single, "\n".join(single)
    assert COUNT_AND_NOUN.findall("%(num)d things to do") == ["num"]
