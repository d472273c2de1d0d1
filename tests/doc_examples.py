"""Documentation examples, run as written: a doc cannot drift from what the service answers.

An example in a Markdown document is a fenced `bash` block with one `curl` command (or a `python`
block that sends its request with `requests` into `r`), followed by a fenced `http`, `json` or
`xml` block with the documented answer:

    ```http
    HTTP/1.1 201 Created          <- optional status line (default 200) and headers to expect
    Cache-Control: no-store

    {"booking_no": "AP261130LZ5BJ6TC", "slot": {…}, …}
    ```

The command runs in bash (with `curl -i` through a curlrc), or Python, its host and the variables
it uses (`$KEY`, `SECRET`, …) given by the test; a `<!-- as: NAME -->` comment before the command picks another set of
variables the test defines (e.g. the keys of an integrator that signs). An `xml` answer block is
compared as the XML's elements. The answer is compared with the documented one:

- the status, and each documented header;
- an answer that is not JSON (nor XML) as text, where `…` stands for any text;
- objects: the documented keys, exactly (a `…` entry allows more keys);
- lists: the documented items, in order (a final `…` allows more);
- strings: equal, where `…` inside a string stands for any text;
- every other value equal, except under the keys a `<!-- vary: key key -->` comment between the two
  blocks names (generated numbers, dates of the seeding day): there only the type must match, and
  the documented value stands for the real one in the examples that follow (a booking number
  documented once is then looked up, cancelled, … under the number really given).
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ELLIPSIS = "…"
_FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```", re.M | re.S)
_VARY = re.compile(r"<!--\s*vary:([^>]*)-->")
_AS = re.compile(r"<!--\s*as:\s*(\S+)\s*-->")
_STATUS = re.compile(r"^HTTP/[\d.]+ (\d{3})")


@dataclass
class Example:
    doc: str
    line: int
    command: str
    status: int
    headers: dict[str, str]
    body: Any
    vary: frozenset[str]
    role: str = ""
    xml: bool = False
    python: bool = False


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    text: str


def examples(path: Path) -> list[Example]:
    """Every curl example of a document, in order; a curl block without an answer is an error."""
    text = path.read_text(encoding="utf-8")
    blocks = [(m.group(1), m.group(2), m.start(), m.end()) for m in _FENCE.finditer(text)]
    found = []
    for i, (lang, body, start, end) in enumerate(blocks):
        if not (lang == "bash" and re.search(r"^\s*curl\b", body, re.M)
                or lang == "python" and "requests." in body):
            continue
        line = text.count("\n", 0, start) + 1
        nxt = blocks[i + 1] if i + 1 < len(blocks) else None
        if nxt is None or nxt[0] not in ("http", "json", "xml"):
            raise AssertionError(f"{path.name}:{line}: a curl example without its documented answer")
        between = text[end:nxt[2]]
        vary = frozenset(w for m in _VARY.finditer(between) for w in m.group(1).split())
        role = _AS.search(text[blocks[i - 1][3] if i else 0:start])
        xml = nxt[0] == "xml"
        status, headers, documented = parse_answer(nxt[1], xml)
        found.append(Example(path.name, line, body, status, headers, documented, vary,
                             role.group(1) if role else "", xml, lang == "python"))
    return found


def parse_answer(block: str, xml: bool = False) -> tuple[int, dict[str, str], Any]:
    status, headers = 200, {}
    head, _, rest = block.partition("\n")
    match = _STATUS.match(head)
    if match:
        status = int(match.group(1))
        lines = rest.split("\n")
        while lines and lines[0].strip():
            name, _, value = lines.pop(0).partition(":")
            headers[name.strip().lower()] = value.strip()
        rest = "\n".join(lines)
    else:
        rest = block
    rest = rest.strip()
    if not rest:
        return status, headers, None
    if xml:
        return status, headers, parse_xml(rest)
    try:
        return status, headers, lenient_json(rest)
    except ValueError:
        return status, headers, PlainText(rest)


class PlainText(str):
    """A documented answer that is not JSON (a plain-text error, an echo): compared as text."""


def parse_xml(text: str) -> Any:
    import xmltodict  # the Rasa environment's (WeChat's format); only documents with XML need it

    return {"xml": xmltodict.parse(text)}


def lenient_json(text: str) -> Any:
    """JSON where a bare `…` stands for "more items" (in a list) or "more keys" (in an object)."""
    out, stack, in_string, escaped = [], [], False, False
    for ch in text:
        if in_string:
            escaped = not escaped and ch == "\\"
            in_string = escaped or ch != '"'
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            stack.append(ch)
        elif ch in "]}":
            stack.pop()
        elif ch == ELLIPSIS:
            ch = f'"{ELLIPSIS}": "{ELLIPSIS}"' if stack and stack[-1] == "{" else f'"{ELLIPSIS}"'
        out.append(ch)
    return json.loads("".join(out))


def run(example: Example, env: dict[str, str], substitutions: dict[str, str],
        curlrc_home: Path) -> Answer:
    command = example.command
    for documented, real in substitutions.items():
        command = re.sub(rf"(?<![\w.-]){re.escape(documented)}(?![\w.-])", lambda _: real, command)
    argv = ([sys.executable, "-c", _PYTHON_VARIABLES + command + _PYTHON_ANSWER] if example.python
            else ["bash", "-euo", "pipefail", "-c", command])
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120,
                          env={**env, "CURL_HOME": str(curlrc_home)})
    assert done.returncode == 0, f"{example.doc}:{example.line}: {done.stderr[-2000:]}"
    return parse_http(done.stdout)


# A Python example reads the test's variables as names and leaves its answer in `r`.
_PYTHON_VARIABLES = ("import os\nglobals().update((k, v) for k, v in os.environ.items() "
                     "if k in ('KEY', 'SECRET'))\n")
_PYTHON_ANSWER = ("\nprint(f'HTTP/1.1 {r.status_code} {r.reason}')\n"
                  "print(''.join(f'{k}: {v}\\n' for k, v in r.headers.items()))\nprint(r.text)\n")


def curlrc(home: Path) -> Path:
    """A curlrc that makes every documented `curl` show the status line and headers."""
    (home / ".curlrc").write_text("include\nsilent\nshow-error\n", encoding="utf-8")
    return home


def parse_http(raw: str) -> Answer:
    # Skip interim answers (100 Continue) and keep the last status line's message.
    parts = re.split(r"(?m)^(?=HTTP/[\d.]+ \d{3})", raw.replace("\r\n", "\n"))
    message = [p for p in parts if p.startswith("HTTP/")][-1]
    head, _, text = message.partition("\n\n")
    lines = head.splitlines()
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return Answer(int(_STATUS.match(lines[0]).group(1)), headers, text)


@dataclass
class Comparison:
    vary: frozenset[str]
    substitutions: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def compare(self, documented: Any, real: Any, where: str = "$", key: str = "") -> None:
        if documented == ELLIPSIS:
            return
        if key in self.vary:
            return self._varies(documented, real, where)
        if isinstance(documented, dict):
            if not isinstance(real, dict):
                return self._differs(where, documented, real)
            keys = set(documented) - {ELLIPSIS}
            missing, extra = keys - set(real), set(real) - keys
            if missing or (extra and ELLIPSIS not in documented):
                self.problems.append(f"{where}: keys differ (missing {sorted(missing)}, "
                                     f"undocumented {sorted(extra)})")
            for k in keys & set(real):
                self.compare(documented[k], real[k], f"{where}.{k}", k)
        elif isinstance(documented, list):
            if not isinstance(real, list):
                return self._differs(where, documented, real)
            open_ended = bool(documented) and documented[-1] == ELLIPSIS
            items = documented[:-1] if open_ended else documented
            if len(real) < len(items) or (not open_ended and len(real) != len(items)):
                self.problems.append(f"{where}: {len(real)} items, documented {len(items)}"
                                     f"{' or more' if open_ended else ''}")
            for i, (d, r) in enumerate(zip(items, real)):
                self.compare(d, r, f"{where}[{i}]", key)
        elif isinstance(documented, str) and ELLIPSIS in documented:
            if not matches(documented, real):
                self._differs(where, documented, real)
        elif documented != real or type(documented) is not type(real) and not _both_numbers(
                documented, real):
            self._differs(where, documented, real)

    def _varies(self, documented: Any, real: Any, where: str) -> None:
        """Only the type must match; the real value stands for the documented one from now on."""
        if type(documented) is not type(real) and not _both_numbers(documented, real):
            self._differs(where, documented, real)
        elif documented != real and len(str(documented)) >= 4 and not isinstance(documented, bool):
            # Distinctive values only (ids, numbers, dates): a count like 5 stands for nothing.
            self.substitutions[str(documented)] = str(real)

    def _differs(self, where: str, documented: Any, real: Any) -> None:
        self.problems.append(f"{where}: documented {json.dumps(documented, ensure_ascii=False)[:200]}"
                             f", real {json.dumps(real, ensure_ascii=False)[:200]}")


def matches(documented: str, real: Any) -> bool:
    """A documented string, where `…` stands for any text."""
    pattern = ".*".join(re.escape(part) for part in documented.split(ELLIPSIS))
    return isinstance(real, str) and re.fullmatch(pattern, real, re.S) is not None


def _both_numbers(a: Any, b: Any) -> bool:
    return all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in (a, b))


def check(example: Example, answer: Answer, substitutions: dict[str, str]) -> list[str]:
    """What differs between the documented and the real answer; learns the varying values."""
    where = f"{example.doc}:{example.line}"
    problems = []
    if answer.status != example.status:
        problems.append(f"status {answer.status}, documented {example.status}: {answer.text[:300]}")
    for name, value in example.headers.items():
        if not matches(value, answer.headers.get(name)):
            problems.append(f"header {name}: {answer.headers.get(name)!r}, documented {value!r}")
    comparison = Comparison(example.vary)
    if isinstance(example.body, PlainText):
        if not matches(example.body, answer.text.strip()):
            problems.append(f"answer {answer.text[:300]!r}, documented {example.body!r}")
    elif example.body is not None:
        try:
            real = parse_xml(answer.text) if example.xml else json.loads(answer.text)
        except Exception:
            problems.append(f"not JSON: {answer.text[:300]!r}")
        else:
            comparison.compare(example.body, real)
    substitutions.update(comparison.substitutions)
    return [f"{where}: {p}" for p in problems + comparison.problems]


def run_document(path: Path, env: dict[str, str], curlrc_home: Path,
                 substitutions: dict[str, str] | None = None,
                 renamed: dict[str, str] | None = None,
                 roles: dict[str, dict[str, str]] | None = None,
                 answered: list[tuple[Example, Answer]] | None = None) -> tuple[int, list[str]]:
    """Run every example of `path` in order: (examples run, problems found).

    `substitutions` replace documented text in the commands; `renamed` too, and they are turned
    back in the answers (a documented sender id made unique for this run); `roles` are the extra
    variables of `<!-- as: NAME -->` examples; `answered` collects each example with its answer."""
    substitutions = dict(substitutions or {}, **(renamed or {}))
    problems: list[str] = []
    found = examples(path)
    for example in found:
        answer = run(example, {**env, **(roles or {}).get(example.role, {})}, substitutions,
                     curlrc_home)
        for documented, real in (renamed or {}).items():
            answer.text = answer.text.replace(real, documented)
        problems += check(example, answer, substitutions)
        if answered is not None:
            answered.append((example, answer))
    return len(found), problems
