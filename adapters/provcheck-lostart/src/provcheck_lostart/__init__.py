"""provcheck plugin for the German Lost Art Database (`lostart`): its public CSV export,
mirrored, with a mock of the export service."""

from provcheck_lostart.client import LostArtRegistry, LostArtSettings
from provcheck_lostart.export import parse_export, record_from_row

__all__ = ["LostArtRegistry", "LostArtSettings", "parse_export", "record_from_row"]
