"""provcheck plugin for the FBI National Stolen Art File (`fbi`), with a mock of its API."""

from provcheck_fbi.client import FbiRegistry, FbiSettings, record_from_item

__all__ = ["FbiRegistry", "FbiSettings", "record_from_item"]
