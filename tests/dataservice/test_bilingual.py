from types import SimpleNamespace

from dataservice.models import GarbageItem
from dataservice.text.bilingual import localized


def test_localized_picks_the_language_and_falls_back_to_english():
    row = SimpleNamespace(name_zh="护照", name_en="Passport")
    assert localized(row, "name", "zh") == "护照"
    assert localized(row, "name", "en") == "Passport"
    assert localized(row, "name", "fr") == "Passport"


def test_localized_works_on_mapped_columns():
    assert localized(GarbageItem, "name", "zh") is GarbageItem.name_zh
    assert localized(GarbageItem, "name", "en") is GarbageItem.name_en
