"""provcheck plugin for the French MNR ("Rose-Valland") works on the POP platform (`mnr`), with a
mock of its JSON and OAI-PMH services."""

from provcheck_mnr.client import MnrRegistry, MnrSettings, candidate_references
from provcheck_mnr.notice import record_from_notice

__all__ = ["MnrRegistry", "MnrSettings", "candidate_references", "record_from_notice"]
