"""The store: the Store interface and its SQLite implementation, importing, mirroring, and the local register."""

from provcheck.store.interface import ImportLog, MirrorState, Store, StoredCase, StoreStats
from provcheck.store.sqlite import LocalStore

__all__ = ["ImportLog", "LocalStore", "MirrorState", "Store", "StoreStats", "StoredCase"]
