"""Write every htmx attribute as data-hx-* (issue 22): htmx reads data-hx-get exactly as
hx-get, and only the data- form is valid HTML (the W3C Nu checker refuses hx-*).

Run from the repository's root: `python tools/data_hx.py` (again after a merge brings
templates with hx-* attributes; it changes nothing twice). It rewrites
- templates/**/*.html: every attribute hx-NAME (and the comments that name one);
- static/js/*.js (the site's own, not static/vendor): attributes the scripts read;
- tests/**/*.py: the attributes the tests look for in pages (HX-Request and other headers
  are headers, not attributes, and stay).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# An attribute hx-NAME where HTML has one: not inside a longer name (data-hx-get, htmx-x),
# followed by its value, the end of the tag or the next attribute.
IN_TEMPLATES = re.compile(r"(?<![\w-])hx-([a-z][\w:.-]*)(?=[\s=>/\"']|$)", re.M)
# In Python and JavaScript: an attribute with its value (hx-get="/x"); headers (HX-Request)
# are not attributes and stay.
IN_CODE = re.compile(r"(?<![\w-])hx-([a-z][\w:.-]*)(?==)")
# Attribute names given on their own, as a string.
NAMES = {
    'getAttribute("hx-headers")': 'getAttribute("data-hx-headers")',
    'name.startswith("hx-on")': 'name.startswith(("hx-on", "data-hx-on"))',
}


def rewrite(path: Path, pattern: re.Pattern) -> bool:
    text = path.read_text(encoding="utf-8")

    def replace(match: re.Match) -> str:
        return "data-" + match.group(0)

    new = pattern.sub(replace, text)
    for name, data_name in NAMES.items():
        new = new.replace(name, data_name)
    if new != text:
        path.write_text(new, encoding="utf-8")
        return True
    return False


def main() -> int:
    changed = [p for p in sorted((ROOT / "templates").rglob("*.html"))
               if rewrite(p, IN_TEMPLATES)]
    changed += [p for p in sorted((ROOT / "static" / "js").glob("*.js")) if rewrite(p, IN_CODE)]
    changed += [p for p in sorted((ROOT / "tests").rglob("*.py"))
                if p.name != "test_nu_html_checker.py" and rewrite(p, IN_CODE)]
    for path in changed:
        print(path.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
