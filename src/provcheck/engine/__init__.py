"""The check as a workflow: `checking.py` fans a query out to the registers and writes the report;
`search.py` is one register's part in it; `photographs.py` verifies the query's photographs
against the candidates'."""

from provcheck.engine import checking as _checking
from provcheck.engine.checking import *  # noqa: F403 -- the workflow API is checking.py's

__all__ = _checking.__all__
