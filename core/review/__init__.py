"""Log review for operators: queries, retention and charts over the conversation log.

Everything here sees users only through pseudonymous references; the CLI (``buddy logs``)
and the web dashboard (``/admin``) are thin views over these functions.
"""

from core.review.queries import LogFilter, parse_when

__all__ = ["LogFilter", "parse_when"]
