"""The build step that makes the wheel a whole site (pyproject.toml holds everything else).

The checkout keeps templates/, static/ and migrations/ at its top level; a wheel carries
them inside the package, as perfsite/bundled/, where create_app looks when it is installed
(perfsite.FILES). The zh_CN catalogue is compiled into the wheel here, from the .po file,
so an installed site is translated without pybabel. An editable install (`make install`)
needs none of it: it runs from the checkout, and `make` compiles the catalogue in place.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
SITE_FOLDERS = ("templates", "static", "migrations")
SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", ".*")


class BuildSite(build_py):
    def run(self):
        super().run()
        if self.editable_mode:
            return
        package = Path(self.build_lib) / "perfsite"
        bundled = package / "bundled"
        shutil.rmtree(bundled, ignore_errors=True)
        for folder in SITE_FOLDERS:
            shutil.copytree(HERE / folder, bundled / folder, ignore=SKIP)
        self._compile_catalogues(HERE / "perfsite" / "translations",
                                 package / "translations")

    @staticmethod
    def _compile_catalogues(source: Path, target: Path) -> None:
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        for po in sorted(source.glob("*/LC_MESSAGES/*.po")):
            mo = target / po.relative_to(source).with_suffix(".mo")
            mo.parent.mkdir(parents=True, exist_ok=True)
            with po.open("rb") as infile:
                catalogue = read_po(infile, locale=po.parent.parent.name)
            with mo.open("wb") as outfile:
                write_mo(outfile, catalogue)


setup(cmdclass={"build_py": BuildSite})
