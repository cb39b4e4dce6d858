"""Every crisis rule proves itself on the sentences written beside it (core/safety/rules/).

Each rule's ``examples`` must fire it (a crisis rule's examples must also get the crisis
reply from the whole check) and its ``counter`` sentences must not fire it, whether no
pattern matches or one of its own guards sets the match aside.
"""

from __future__ import annotations

import pytest

from core.safety import assess
from core.safety.lexicon import CRISIS, FAMILIES, RULES, Rule
from core.safety.normalize import views
from core.safety.patterns import _rule_hits


def _cases() -> list[object]:
    cases: list[object] = []
    for family, rules in FAMILIES.items():
        for rule in rules:
            for text in rule.examples:
                cases.append(pytest.param(rule, text, True, id=f"{family}:{rule.name}:+{text}"))
            for text in rule.counter:
                cases.append(pytest.param(rule, text, False, id=f"{family}:{rule.name}:-{text}"))
    return cases


@pytest.mark.parametrize(("rule", "text", "fires"), _cases())
def test_rule_on_its_own_sentences(rule: Rule, text: str, fires: bool) -> None:
    spans, _downgraded, _vetoed = _rule_hits(rule, views(text))
    assert bool(spans) is fires, f"{rule.name} {'missed' if fires else 'fired on'} {text!r}"
    if fires and rule.level == CRISIS:
        assert assess(text).crisis, f"{text!r} fires {rule.name} but gets no crisis reply"


def test_every_rule_has_a_positive_and_a_negative_example_and_a_unique_name() -> None:
    assert all(rule.examples and rule.counter for rule in RULES)
    names = [rule.name for rule in RULES]
    assert len(names) == len(set(names))
    assert sum(len(rules) for rules in FAMILIES.values()) == len(RULES)
