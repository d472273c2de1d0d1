"""The service resolver against a table of what citizens really type (data/resolver_cases.yaml).

`tuned` cases must put the right service first for >= 95% of them; `heldout` cases were written at
the same time but never looked at while tuning aliases and the matcher, so their accuracy is an honest
estimate (reported, with a lower bar). Nonsense must never produce a confident match.
"""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient

CASES = yaml.safe_load((Path(__file__).parent / "data" / "resolver_cases.yaml").read_text("utf-8"))


def _run(client: TestClient, cases: list[list[str]]) -> tuple[int, int, list[str]]:
    first = confident = 0
    failures = []
    for q, expected in cases:
        r = client.get("/v1/services/resolve", params={"q": q, "lang": "en"})
        assert r.status_code == 200, (q, r.text)
        matches = r.json()["matches"]
        top = matches[0] if matches else None
        if top and top["code"] == expected:
            first += 1
            confident += top["confident"]
        else:
            got = [(m["code"], m["score"]) for m in matches[:3]]
            failures.append(f"  {q!r}: expected {expected}, got {got}")
    return first, confident, failures


def test_table_is_big_and_valid(client: TestClient):
    codes = {i["code"] for i in client.get("/v1/services").json()["items"]}
    assert len(CASES["tuned"]) >= 150 and len(CASES["heldout"]) >= 30 and len(CASES["nonsense"]) >= 20
    for q, code in CASES["tuned"] + CASES["heldout"]:
        assert code in codes, (q, code)
    # Every service is exercised.
    assert {code for _q, code in CASES["tuned"]} == codes


@pytest.mark.parametrize("section,required", [("tuned", 0.95), ("heldout", 0.80)])
def test_right_service_comes_first(client: TestClient, backend, section, required):
    cases = CASES[section]
    first, confident, failures = _run(client, cases)
    rate = first / len(cases)
    print(f"\n[{backend}] {section}: {first}/{len(cases)} first ({rate:.1%}), "
          f"{confident} of them confident")
    if failures:
        print("failures:\n" + "\n".join(failures))
    assert rate >= required, "\n".join(failures)


def test_nonsense_is_never_confident(client: TestClient):
    bad = []
    for q in CASES["nonsense"]:
        r = client.get("/v1/services/resolve", params={"q": q})
        assert r.status_code == 200, (q, r.text)
        confident = [m for m in r.json()["matches"] if m["confident"]]
        if confident:
            bad.append((q, confident))
    assert not bad, bad
