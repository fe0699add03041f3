"""Every message exists in every language, and every key the code uses exists."""
import re
from pathlib import Path

from locales import LANGUAGES, catalogue

ROOT = Path(__file__).resolve().parent.parent
KEY = re.compile(r'["\']((?:error|not-eligible|grab|price|notice)-[a-z0-9-]+)["\']')


def test_all_languages_have_the_same_keys():
    reference = catalogue("en").keys()
    for language in LANGUAGES:
        assert catalogue(language).keys() == reference, language


def test_every_key_used_in_the_code_is_in_the_catalogue():
    used = set()
    for folder in ("core", "handlers", "storage", "bot"):
        for path in (ROOT / folder).rglob("*.py"):
            used |= set(KEY.findall(path.read_text(encoding="utf-8")))
    missing = {k for k in used if not catalogue("en").has(k)}
    assert not missing, f"keys used in code but missing from the catalogue: {sorted(missing)}"
