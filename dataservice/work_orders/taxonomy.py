"""The work-order taxonomy as data, read once from `seed/data/work_order_taxonomy.yaml`.

The seed loader copies it into the database (for the API and the tickets' foreign key); the
classifier and the training command read it from here, so that a model can be built without a
database. Names are the stable keys of the training corpus; codes are the stable keys everywhere else.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from dataservice.text.bilingual import localized

TAXONOMY_FILE = Path(__file__).resolve().parent.parent / "seed" / "data" / "work_order_taxonomy.yaml"


@dataclass(frozen=True)
class Category:
    code: str
    level: int
    parent_code: str | None
    name_zh: str
    name_en: str
    department_zh: str
    department_en: str
    response_working_days: int
    position: int

    def name(self, lang: str) -> str:
        return localized(self, "name", lang)

    def department(self, lang: str) -> str:
        return localized(self, "department", lang)


@dataclass(frozen=True)
class MessageType:
    code: str
    name_zh: str
    name_en: str
    position: int

    def name(self, lang: str) -> str:
        return localized(self, "name", lang)


class Taxonomy:
    def __init__(self, categories: list[Category], types: list[MessageType]):
        self.categories = categories
        self.types = types
        self.by_code = {c.code: c for c in categories}
        self.type_by_code = {t.code: t for t in types}
        self.level1 = [c for c in categories if c.level == 1]
        self.children: dict[str, list[Category]] = {c.code: [] for c in self.level1}
        for c in categories:
            if c.level == 2:
                self.children[c.parent_code].append(c)
        self._level1_by_name: dict[str, str] = {}
        self._level2_by_name: dict[tuple[str, str], str] = {}
        for c in categories:
            for name in (c.name_zh, c.name_en.lower()):
                if c.level == 1:
                    self._level1_by_name[name] = c.code
                else:
                    self._level2_by_name[(c.parent_code, name)] = c.code

    def level1_code(self, label: str) -> str | None:
        """A first-level class given by code, Chinese name or English name."""
        label = label.strip()
        if label in self.by_code and self.by_code[label].level == 1:
            return label
        return self._level1_by_name.get(label) or self._level1_by_name.get(label.lower())

    def level2_code(self, level1: str, label: str) -> str | None:
        """A second-level class of `level1` given by code, Chinese or English name."""
        label = label.strip()
        found = self.by_code.get(label)
        if found is not None and found.level == 2 and found.parent_code == level1:
            return label
        return (self._level2_by_name.get((level1, label))
                or self._level2_by_name.get((level1, label.lower())))


@lru_cache(maxsize=1)
def load_taxonomy(path: Path = TAXONOMY_FILE) -> Taxonomy:
    with Path(path).open(encoding="utf-8") as fh:
        raw = yaml.safe_load(fh)
    departments = raw["departments"]
    categories: list[Category] = []
    position = 0
    for top in raw["categories"]:
        dept = departments[top["department"]]
        categories.append(Category(top["code"], 1, None, top["name_zh"], top["name_en"], dept["zh"],
                                   dept["en"], top["response_working_days"], position))
        position += 1
        for child in top["children"]:
            cdept = departments[child.get("department", top["department"])]
            categories.append(Category(
                child["code"], 2, top["code"], child["name_zh"], child["name_en"], cdept["zh"],
                cdept["en"], child.get("response_working_days", top["response_working_days"]),
                position))
            position += 1
    types = [MessageType(t["code"], t["name_zh"], t["name_en"], i) for i, t in enumerate(raw["types"])]
    return Taxonomy(categories, types)


TYPE_CODES = ("consultation", "help", "complaint", "report", "suggestion", "praise")
