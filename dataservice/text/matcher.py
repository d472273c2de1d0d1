"""A reusable fuzzy alias matcher: free text -> the keys whose aliases it mentions, scored 0..100.

Built once from (key, aliases) pairs; everything that can be is precomputed, so one query costs a
few hundred dictionary lookups plus a little RapidFuzz work for typos.

How a query is matched (all on normalised units, see `normalize`):
  1. exact alias occurrences (an alias inside a longer sentence counts: "我想办个身份证");
  2. Latin spacing variants and typed pinyin ("pu dong", "huzhao" for 护照);
  3. homophones via pinyin ("居住正" for 居住证, "护招" for 护照);
  4. Latin typos, by correcting words against the alias vocabulary ("pasport", "residense");
  5. Chinese near-misses (a character missing or extra: "居住积分" for 居住证积分).
An alias "a+b" is a compound: it matches only when every part occurs, in any order
("外国人+居住证" recognises "外国人的居住证怎么办").

Score of a key = 100 * (0.7 * quality of its best alias hit + 0.3 * coverage), where quality is 1 for
an exact hit and lower for pinyin/typo hits, and coverage is the share of the query's meaningful
units (fillers such as 请问/怎么/how do I excluded) that this key's hits cover. Longer alias hits
therefore win ("居住证积分" beats "居住证"), and a hit buried in unrelated text scores lower.
"""
from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Iterable

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from dataservice.text.normalize import (
    CJK, DEFAULT_FILLERS, LATIN, Fillers, filler_mask, pinyin_variants, primary_pinyin, secondary_mentions, units,
)

CONFIDENT_SCORE = 75.0
MIN_SCORE = 50.0

# Hit qualities by how the alias was found.
Q_EXACT = 1.0
Q_TYPED_PINYIN = 0.95
Q_HOMOPHONE = 0.9
Q_HOMOPHONE_SHORT = 0.8  # two characters: confident only when it is most of the query
Q_CJK_FUZZY = 0.9  # multiplied by the similarity ratio
Q_SHORT_TAIL = 0.9
SECONDARY_FACTOR = 0.85  # "带身份证": a document brought along, not the service wanted
LATIN_WEIGHT = 2.0  # one English word weighs about two Chinese characters
SEP = "\x1f"  # joins units into index keys
MAX_LATIN_JOIN = 6  # "pu dong xin qu" -> "pudongxinqu"
MAX_NEAR_POSITIONS = 16  # bounds near-miss work on long, repetitive input


@dataclass
class _Alias:
    key_index: int
    parts: int  # number of parts (compound aliases have more than one)


@dataclass
class _Hit:
    start: int
    end: int
    quality: float


@dataclass
class _Index:
    # Keys are units joined by SEP; *_prefixes hold every leading run of units of a key, so a scan
    # stops as soon as no alias can start this way.
    exact: dict[str, list[tuple[int, int]]] = field(default_factory=lambda: defaultdict(list))
    exact_prefixes: set[str] = field(default_factory=set)
    # Single short units (one CJK character, or a Latin word of <= 2 letters) would fire inside
    # every sentence: they count when they are the whole meaningful query, or (weaker) its last
    # meaningful unit, where Chinese puts the head noun ("过期的药").
    short: dict[str, list[tuple[int, int]]] = field(default_factory=lambda: defaultdict(list))
    compact: dict[str, list[tuple[int, int, float]]] = field(default_factory=lambda: defaultdict(list))
    homophone: dict[str, list[tuple[int, int]]] = field(default_factory=lambda: defaultdict(list))
    homophone_prefixes: set[str] = field(default_factory=set)
    # CJK parts of >= 3 characters, by character, for near-miss candidates.
    by_char: dict[str, set[tuple[int, int]]] = field(default_factory=lambda: defaultdict(set))
    part_text: dict[tuple[int, int], str] = field(default_factory=dict)
    vocab: list[str] = field(default_factory=list)
    vocab_set: frozenset[str] = frozenset()
    max_len: int = 1


class AliasMatcher:
    """Match free text against keyed aliases; `match` returns [(key, score)] best first."""

    def __init__(self, entries: Iterable[tuple[str, Iterable[str]]], *,
                 extra_fillers: Iterable[str] = ()):
        """`extra_fillers`: domain words that say nothing about which key is meant
        (e.g. "垃圾", "什么垃圾", "bin" for a garbage guide); they only lower no-one's coverage."""
        self._fillers = DEFAULT_FILLERS | Fillers.of(extra_fillers)
        self._keys: list[str] = []
        key_pos: dict[str, int] = {}
        self._aliases: list[_Alias] = []
        self._ix = _Index()
        vocab: set[str] = set()
        seen: set[tuple[int, tuple[tuple[str, ...], ...]]] = set()
        for key, aliases in entries:
            if key not in key_pos:
                key_pos[key] = len(self._keys)
                self._keys.append(key)
            k = key_pos[key]
            for alias in aliases:
                parts = []
                for raw in str(alias).split("+"):
                    us, kinds = units(raw)
                    if us:
                        parts.append((tuple(us), tuple(kinds)))
                sig = (k, tuple(sorted(p[0] for p in parts)))
                if not parts or sig in seen:
                    continue
                seen.add(sig)
                alias_id = len(self._aliases)
                self._aliases.append(_Alias(k, len(parts)))
                for part_no, (us, kinds) in enumerate(parts):
                    self._index_part((alias_id, part_no), us, kinds, vocab)
        self._ix.vocab = sorted(v for v in vocab if len(v) >= 5)
        self._ix.vocab_set = frozenset(vocab)
        # Words repeat across queries ("weather", "passport"); remember their corrections.
        self._nearest_word = lru_cache(maxsize=8192)(self._nearest_word_uncached)

    # -- building -------------------------------------------------------------------------------

    def _index_part(self, pid: tuple[int, int], us: tuple[str, ...], kinds: tuple[str, ...],
                    vocab: set[str]) -> None:
        ix = self._ix
        if len(us) == 1 and ((kinds[0] == CJK) or len(us[0]) <= 2):
            ix.short[us[0]].append(pid)
            return
        ix.exact[SEP.join(us)].append(pid)
        ix.exact_prefixes.update(SEP.join(us[:k]) for k in range(1, len(us) + 1))
        ix.max_len = max(ix.max_len, len(us))
        if all(k == LATIN for k in kinds):
            vocab.update(us)
            joined = "".join(us)
            vocab.add(joined)
            ix.compact[joined].append((*pid, Q_EXACT))
        elif all(k == CJK for k in kinds):
            text = "".join(us)
            ix.part_text[pid] = text
            for reading in pinyin_variants(text):
                ix.homophone[SEP.join(reading)].append(pid)
                ix.homophone_prefixes.update(SEP.join(reading[:k]) for k in range(1, len(reading) + 1))
                ix.compact["".join(reading)].append((*pid, Q_TYPED_PINYIN))
                vocab.add("".join(reading))
            if len(us) >= 3:
                for ch in set(us):
                    ix.by_char[ch].add(pid)
        else:
            vocab.update(u for u, k in zip(us, kinds) if k == LATIN)

    # -- matching -------------------------------------------------------------------------------

    def match(self, query: str, limit: int = 5) -> list[tuple[str, float]]:
        us, kinds = units(query)
        if not us or limit <= 0:
            return []
        us, kinds = us[:200], kinds[:200]
        fill = filler_mask(us, kinds, self._fillers)
        hits: dict[tuple[int, int], list[_Hit]] = defaultdict(list)
        self._exact_hits(us, kinds, fill, hits)
        corrected, cost = self._correct_latin(us, kinds, fill)
        if corrected is not None:
            self._latin_hits(corrected, kinds, hits, cost)
        self._homophone_hits(us, kinds, hits)
        self._cjk_near_hits(us, kinds, hits)
        return self._rank(us, kinds, fill, hits, limit)

    def _exact_hits(self, us, kinds, fill, hits) -> None:
        ix = self._ix
        n = len(us)
        for i in range(n):
            key = us[i]
            j = i + 1
            while key in ix.exact_prefixes:
                for pid in ix.exact.get(key, ()):
                    hits[pid].append(_Hit(i, j, Q_EXACT))
                if j == n:
                    break
                key += SEP + us[j]
                j += 1
        self._latin_hits(us, kinds, hits, None)
        core = [i for i in range(n) if not fill[i]] or list(range(n))
        for i in range(n):
            # A whole Latin word ("id") is safe anywhere; a single character only at the end.
            if kinds[i] == CJK and i != core[-1]:
                continue
            for pid in ix.short.get(us[i], ()):
                hits[pid].append(_Hit(i, i + 1, Q_EXACT if core == [i] else Q_SHORT_TAIL))

    def _latin_hits(self, us, kinds, hits, cost) -> None:
        """Runs of Latin words joined without spaces: spacing variants and typed pinyin."""
        ix = self._ix
        n = len(us)
        for i in range(n):
            if kinds[i] != LATIN:
                continue
            joined = ""
            for j in range(i, min(n, i + MAX_LATIN_JOIN)):
                if kinds[j] != LATIN:
                    break
                joined += us[j]
                found = ix.compact.get(joined)
                if not found:
                    continue
                penalty = 1.0
                if cost is not None:
                    edits = sum(cost[i:j + 1])
                    if not edits:
                        continue  # already found by the uncorrected pass
                    penalty = max(0.0, 1.0 - edits / max(len(joined), 1))
                for alias_id, part_no, quality in found:
                    hits[(alias_id, part_no)].append(_Hit(i, j + 1, quality * penalty))
        if cost is not None:
            for i in range(n):
                for j in range(i + 1, min(n, i + ix.max_len) + 1):
                    edits = sum(cost[i:j])
                    if not edits:
                        continue
                    found = ix.exact.get(SEP.join(us[i:j]))
                    if found:
                        size = sum(len(u) for u in us[i:j])
                        q = max(0.0, 1.0 - edits / size)
                        for pid in found:
                            hits[pid].append(_Hit(i, j, q))

    def _correct_latin(self, us, kinds, fill):
        """Replace misspelt Latin words by their nearest alias word (OSA: transpositions count 1)."""
        ix = self._ix
        corrected = list(us)
        cost = [0] * len(us)
        changed = False
        for i, (u, k) in enumerate(zip(us, kinds)):
            if k != LATIN or fill[i] or len(u) < 5 or u in ix.vocab_set or u.isdigit():
                continue
            best = self._nearest_word(u)
            if best is not None:
                corrected[i], cost[i] = best[0], int(best[1])
                changed = True
        return (corrected, cost) if changed else (None, None)

    def _nearest_word_uncached(self, word: str) -> tuple[str, int] | None:
        # One edit in short words, two in long ones (then the first letter must be right:
        # people rarely mistype it, and it keeps unrelated words from "correcting").
        vocab = self._ix.vocab
        max_edits = 1 if len(word) < 7 else 2
        best = process.extractOne(word, vocab, scorer=OSA.distance, score_cutoff=max_edits)
        if best is not None and best[1] > 1 and best[0][0] != word[0]:
            best = process.extractOne(word, vocab, scorer=OSA.distance, score_cutoff=1)
        return (best[0], int(best[1])) if best is not None else None

    def _homophone_hits(self, us, kinds, hits) -> None:
        ix = self._ix
        n = len(us)
        readings = [primary_pinyin(u) if k == CJK else None for u, k in zip(us, kinds)]
        for i in range(n):
            if readings[i] is None:
                continue
            key = readings[i]
            for j in range(i + 2, n + 1):
                if readings[j - 1] is None:
                    break
                key += SEP + readings[j - 1]
                if key not in ix.homophone_prefixes:
                    break
                found = ix.homophone.get(key)
                if not found:
                    continue
                # A typo changes a character or two; most must be right, or any two syllables
                # across a word boundary would do ("垃圾分类" contains ji-fen, not 积分).
                span = us[i:j]
                quality = Q_HOMOPHONE if j - i > 2 else Q_HOMOPHONE_SHORT
                for pid in found:
                    text = ix.part_text[pid]
                    if 2 * sum(a == b for a, b in zip(span, text)) >= len(text):
                        hits[pid].append(_Hit(i, j, quality))

    def _cjk_near_hits(self, us, kinds, hits) -> None:
        """Aliases of >= 3 characters with one character missing, extra or wrong."""
        ix = self._ix
        n = len(us)
        run = [-1] * n  # which run of consecutive CJK units each unit is in
        run_id = 0
        for i, k in enumerate(kinds):
            if k == CJK:
                run[i] = run_id
            elif i and kinds[i - 1] == CJK:
                run_id += 1
        # Keys already mentioned exactly need no near misses (they would only add coverage).
        found = {self._aliases[pid[0]].key_index for pid, hs in hits.items()
                 if self._aliases[pid[0]].parts == 1 and any(h.quality >= Q_EXACT for h in hs)}
        positions: dict[str, list[int]] = defaultdict(list)
        for i, u in enumerate(us):
            if run[i] >= 0:
                positions[u].append(i)
        shared: dict[tuple[int, int], list[str]] = defaultdict(list)
        for ch in positions:
            for pid in ix.by_char.get(ch, ()):
                shared[pid].append(ch)
        for pid, chars in shared.items():
            text = ix.part_text[pid]
            size = len(text)
            if len(chars) < max(2, len(set(text)) - 1) or self._aliases[pid[0]].key_index in found:
                continue
            pos = sorted(p for ch in chars for p in positions[ch])
            best, best_span, tried, seen = 0.0, None, set(), set()
            for p in pos[:MAX_NEAR_POSITIONS]:
                for s in (p - 1, p):
                    for w in (size - 1, size, size + 1):
                        e = s + w
                        if s < 0 or w < 2 or e > n or run[s] < 0 or run[s] != run[e - 1] or (s, e) in tried:
                            continue
                        tried.add((s, e))
                        # Indel ratio >= 80 needs at least 0.4 * (w + size) shared characters.
                        if (bisect_left(pos, e) - bisect_left(pos, s)) * 5 < 2 * (w + size):
                            continue
                        window = "".join(us[s:e])
                        if window in seen:
                            continue
                        seen.add(window)
                        r = fuzz.ratio(window, text, score_cutoff=80)
                        if r > best:
                            best, best_span = r, (s, e)
            if best_span:
                hits[pid].append(_Hit(best_span[0], best_span[1], Q_CJK_FUZZY * best / 100))

    # -- scoring --------------------------------------------------------------------------------

    def _rank(self, us, kinds, fill, hits, limit) -> list[tuple[str, float]]:
        weight = [LATIN_WEIGHT if k == LATIN else 1.0 for k in kinds]
        # Only demote "带身份证" when something else is mentioned as the goal.
        secondary = secondary_mentions(us)
        if any(not secondary[h.start] for hs in hits.values() for h in hs):
            for hs in hits.values():
                for h in hs:
                    if secondary[h.start]:
                        h.quality *= SECONDARY_FACTOR
        # Best hit per part, then complete aliases (all parts found) per key.
        by_alias: dict[int, dict[int, list[_Hit]]] = defaultdict(dict)
        for (alias_id, part_no), hs in hits.items():
            by_alias[alias_id][part_no] = hs
        # Per key: its complete aliases as (quality, length of the best occurrence, all occurrences).
        per_key: dict[int, list[tuple[float, float, list[_Hit]]]] = defaultdict(list)
        for alias_id, parts in by_alias.items():
            alias = self._aliases[alias_id]
            if len(parts) < alias.parts:
                continue
            best = [max(hs, key=lambda h: (h.quality, h.end - h.start)) for hs in parts.values()]
            length = sum(weight[i] for h in best for i in range(h.start, h.end))
            every = [h for hs in parts.values() for h in hs]
            per_key[alias.key_index].append((min(h.quality for h in best), length, every))
        results = []
        meaningful = [not f for f in fill]
        for key_index, alias_hits in per_key.items():
            cover = [0.0] * len(us)
            best_q = max(q for q, _length, _every in alias_hits)
            longest = max(length for _q, length, _every in alias_hits)
            for _q, _length, every in alias_hits:
                for h in every:
                    for i in range(h.start, h.end):
                        cover[i] = max(cover[i], h.quality)
            denominator = sum(w for w, c, m in zip(weight, cover, meaningful) if m or c > 0)
            covered = sum(w * c for w, c in zip(weight, cover))
            coverage = min(1.0, covered / denominator) if denominator else 0.0
            score = round(100 * (0.7 * best_q + 0.3 * coverage), 1)
            if score >= MIN_SCORE:
                results.append((score, longest, -key_index, self._keys[key_index]))
        results.sort(reverse=True)
        return [(key, score) for score, _longest, _k, key in results[:limit]]


__all__ = ["AliasMatcher", "CONFIDENT_SCORE", "MIN_SCORE"]
