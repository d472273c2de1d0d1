"""Every curl example of docs/dataservice.md, run with curl against the real data service (uvicorn,
on SQLite and on PostgreSQL) and compared with the answer the document shows
(tests/doc_examples.py says how). The facts the examples cannot show are checked below."""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Iterator

import httpx
import pytest
import yaml

from dataservice.main import create_app
from dataservice.settings import Settings
from tests import doc_examples

from .conftest import API_KEY
from .live import running_server

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "dataservice.md"
SEED = ROOT / "dataservice" / "partners" / "seed"


@pytest.fixture(scope="module")
def live_url(settings) -> Iterator[str]:
    with running_server(create_app(settings)) as url:
        yield url


def test_every_example_answers_as_documented(live_url, tmp_path):
    substitutions = {"http://127.0.0.1:8000": live_url, "dev-dataservice-key": API_KEY}
    answered: list = []
    count, problems = doc_examples.run_document(DOC, dict(os.environ), doc_examples.curlrc(tmp_path),
                                                substitutions, answered=answered)
    assert count >= 20, f"only {count} examples found in {DOC.name}"
    assert not problems, "\n".join(problems)
    # ... and each of those answers' status is one /openapi.json lists for its route.
    paths = create_app(Settings(database_url="sqlite://")).openapi()["paths"]
    for example, answer in answered:
        method, path = _route(example.command)
        operation = next(ops[method] for template, ops in sorted(paths.items(), key=_templated)
                         if re.fullmatch(re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)), path))
        assert str(answer.status) in operation["responses"], (example.line, method, path)


def _templated(item: tuple[str, dict]) -> bool:
    return "{" in item[0]  # /v1/centers/nearest before /v1/centers/{center_id}


def _route(command: str) -> tuple[str, str]:
    """(method, path) of a documented curl command."""
    method = re.search(r"-X ?([A-Z]+)", command)
    url = re.search(r"http://127\.0\.0\.1:8000(/[^?'\"\s]*)", command).group(1)
    return (method.group(1) if method else "GET").lower(), url


def test_every_status_the_code_returns_is_in_openapi_json():
    """Statuses raised anywhere in the service are documented (405 is for methods a path does not
    have, which OpenAPI cannot list)."""
    raised = set()
    for source in (ROOT / "dataservice").rglob("*.py"):
        raised |= {int(code) for code in re.findall(
            r"(?:ApiError|Rejected)\((\d{3})|status_code=(\d{3})", source.read_text(encoding="utf-8"))
            for code in code if code}
    paths = create_app(Settings(database_url="sqlite://")).openapi()["paths"]
    documented = {int(status) for ops in paths.values() for op in ops.values()
                  for status in op["responses"]}
    assert raised - {405} <= documented


def _sample_accounts() -> list[tuple[str, str, str, str]]:
    section = DOC.read_text(encoding="utf-8").split("**Sample accounts.**", 1)[1]
    return re.findall(r"^\| (water|electricity|gas) \| `(\d+)` \| `(\d{4})` \| ([^|]+?) \|$", section, re.M)


def test_the_sample_accounts_table_lists_every_seeded_account_with_its_digits(live_url):
    rows = _sample_accounts()
    seeded = {(kind, a["account_no"], a["phone"][-4:]) for kind in ("water", "electricity", "gas")
              for a in yaml.safe_load((SEED / f"{kind}.yaml").read_text(encoding="utf-8"))["accounts"]}
    assert {row[:3] for row in rows} == seeded
    for kind, account_no, digits, holder in rows:
        r = httpx.post(f"{live_url}/v1/utilities/bills/lookup", headers={"X-API-Key": API_KEY},
                       json={"kind": kind, "account_no": account_no, "verification": digits})
        assert r.status_code == 200, (account_no, r.text)
        assert r.json()["account"]["holder_masked"] == holder
