"""The store: the Store interface and its SQLite implementation, importing, mirroring, and the local register."""
