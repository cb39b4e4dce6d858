"""Log review for operators: filters, views and charts over the conversation log.

Pure logic only: the queries that fill these views live in the storage layer
(``core.storage.review_reads``, ``review_writes``, ``retention``). Everything here sees
users only through pseudonymous references; the CLI (``buddy logs``) and the web
dashboard (``/admin``) are thin views over both.
"""

from core.review.filters import LogFilter, parse_when

__all__ = ["LogFilter", "parse_when"]
