"""The pattern layer of the crisis check: the lexicon's rules over a message's views.

Most messages match no rule at all; one alternation of every rule per view (gated on the
characters a rule can begin with) answers that in one search, built once from the rules.
"""

from __future__ import annotations

import re

from core.safety.assessment import Match, Span
from core.safety.grading import grade_match
from core.safety.lexicon import CRISIS, DISTRESS, RULES, Rule
from core.safety.normalize import Views


def _rule_hits(rule: Rule, v: Views) -> tuple[list[tuple[int, int]], bool, bool]:
    """(spans of unguarded matches, whether a match was downgraded by its context guard,
    whether a match was vetoed by its ``before``/``after`` guard)."""
    text = v.spaced if rule.view == "spaced" else v.compact
    spans: list[tuple[int, int]] = []
    vetoed = False
    for m in rule.pattern.finditer(text):
        if rule.before is not None and rule.before.search(text[max(0, m.start() - 14) : m.start()]):
            vetoed = True
            continue
        if rule.after is not None and rule.after.match(text[m.end() : m.end() + 14]):
            vetoed = True
            continue
        if rule.context is not None and rule.context.search(text):
            return [], True, vetoed
        spans.append(m.span())
    return spans, False, vetoed


def _first_chars(items: list[tuple[object, object]]) -> set[str] | None:
    """Every character a match of the parsed regex ``items`` can begin with, or None when
    that is not known (a category like ``\\s``, a negated class, ``.``, an empty match).

    Zero-width items (lookarounds, anchors) are stepped over: they consume nothing.
    """
    from re import _constants as sre  # type: ignore[attr-defined]

    out: set[str] = set()
    for op, av in items:
        if op is sre.LITERAL:
            return out | {chr(av)}  # type: ignore[arg-type]
        if op is sre.IN:
            for kind, arg in av:  # type: ignore[attr-defined]
                if kind is sre.LITERAL:
                    out.add(chr(arg))
                elif kind is sre.RANGE:
                    out.update(chr(c) for c in range(arg[0], arg[1] + 1))
                else:
                    return None
            return out
        if op is sre.SUBPATTERN:
            sub = _first_chars(av[3])  # type: ignore[index]
            return None if sub is None else out | sub
        if op is sre.BRANCH:
            for alt in av[1]:  # type: ignore[index]
                sub = _first_chars(alt)
                if sub is None:
                    return None
                out |= sub
            return out
        if op in (sre.MAX_REPEAT, sre.MIN_REPEAT):
            low, _high, body = av  # type: ignore[misc]
            sub = _first_chars(body)
            if sub is None:
                return None
            out |= sub
            if low > 0:
                return out
            continue  # may repeat zero times: the next item can begin the match too
        if op in (sre.ASSERT, sre.ASSERT_NOT, sre.AT):
            continue
        return None
    return None  # the whole pattern can match the empty string


def _gate(patterns: list[re.Pattern[str]]) -> str:
    """A lookahead for the characters any of ``patterns`` can begin with, or "".

    Python's regex engine tries every alternative at every position; with the gate it tries
    them only where a rule could start (about half the positions of a Korean message), and
    the alternation does the same work in about half the time. Exact, not a heuristic: a
    pattern whose first characters are unknown leaves the view ungated.
    """
    try:
        from re import _parser  # type: ignore[attr-defined]

        chars: set[str] = set()
        for p in patterns:
            if p.flags & re.IGNORECASE:
                return ""
            first = _first_chars(list(_parser.parse(p.pattern)))
            if first is None:
                return ""
            chars |= first
    except Exception:  # a Python without re._parser: the plain alternation still works
        return ""
    return "(?=[" + "".join(re.escape(c) for c in sorted(chars)) + "])" if chars else ""


def _any_rule(rules: tuple[Rule, ...]) -> dict[str, re.Pattern[str]]:
    """One alternation of every rule's pattern per view: most messages match none, and one
    search over the text then replaces one search per rule (a rule fires only on a match).
    A gate on the characters a rule can begin with skips the positions where none can."""
    out: dict[str, re.Pattern[str]] = {}
    for view in {rule.view for rule in rules}:
        same = [rule.pattern for rule in rules if rule.view == view]
        if len({p.flags for p in same}) != 1:
            continue  # mixed flags cannot share one pattern: that view is not prefiltered
        alternation = "|".join(f"(?:{p.pattern})" for p in same)
        out[view] = re.compile(f"{_gate(same)}(?:{alternation})", same[0].flags)
    return out



def _build_prefilter(rules: tuple[Rule, ...]) -> dict[str, re.Pattern[str]] | None:
    """The alternations per view, or None when the rules cannot share them (then every rule
    is checked on its own: slower, same verdicts)."""
    try:
        built = _any_rule(rules)
    except re.error:  # a rule the alternation cannot hold: check rule by rule
        return None
    return built if set(built) == {rule.view for rule in rules} else None


# Built once: the rules are constants of the lexicon module.
_PREFILTER = _build_prefilter(RULES)


def no_rule_can_match(v: Views) -> bool:
    """True only when no rule's pattern occurs in its view, so no rule could fire."""
    if _PREFILTER is None:
        return False
    return not any(
        p.search(v.spaced if view == "spaced" else v.compact) for view, p in _PREFILTER.items()
    )


def pattern_signals(
    v: Views,
    explained: set[str] | None = None,
    found: list[Span] | None = None,
    vetoed: set[str] | None = None,
    matched: list[Match] | None = None,
) -> tuple[list[str], list[str]]:
    """Crisis signals and concern hints from the lexicon.

    Concern hints count once per distinct place in the message: ``옥상`` matched by two
    rules is one cue, ``옥상`` and ``난간`` are two (``hint:다리위``, ``hint:다리위#2``).
    Hints of crisis rules that their context explained (``졸업식에서 마지막 인사``) are also
    added to ``explained``, when given: they still pair with another hint, but not with the
    classifier, which cannot see that context either. ``found`` receives where each crisis
    rule matched, ``vetoed`` the crisis rules whose own idiom guard rejected a match, and
    ``matched`` every counted match with its graded level (distress rules only go there:
    they set a level, never a signal that pairs).
    """
    crisis: list[str] = []
    concern: list[str] = []
    taken: list[tuple[str, int, int]] = []
    if no_rule_can_match(v):
        return crisis, concern
    for rule in RULES:
        spans, downgraded, refused = _rule_hits(rule, v)
        if refused and rule.level == CRISIS and vetoed is not None:
            vetoed.add(rule.name)
        if spans and rule.level == CRISIS:
            crisis.append(f"phrase:{rule.name}")
            if found is not None:
                found.extend((rule.name, rule.view, start, end) for start, end in spans)
            if matched is not None:
                _note(matched, rule, v, spans, CRISIS)
            continue
        if downgraded and rule.level == CRISIS:
            concern.append(f"hint:{rule.name}")
            if explained is not None:
                explained.add(f"hint:{rule.name}")
            continue
        if rule.level == DISTRESS:
            if spans and matched is not None:
                _note(matched, rule, v, spans, DISTRESS)
            continue
        fresh = [
            (start, end)
            for start, end in spans
            if not any(view == rule.view and start < e and s < end for view, s, e in taken)
        ]
        taken.extend((rule.view, start, end) for start, end in spans)
        for n, _ in enumerate(fresh, start=1):
            concern.append(f"hint:{rule.name}" + (f"#{n}" if n > 1 else ""))
        if fresh and matched is not None:
            _note(matched, rule, v, fresh, rule.level)
    return crisis, concern


def _note(
    matched: list[Match], rule: Rule, v: Views, spans: list[tuple[int, int]], kind: str
) -> None:
    """Record ``rule``'s matches with the level each means where it stands."""
    text = v.spaced if rule.view == "spaced" else v.compact
    for start, end in spans:
        risk = rule.risk if kind == DISTRESS else grade_match(rule.risk, text, start, end)
        matched.append(Match(rule.name, rule.view, start, end, text[start:end], kind, risk))
