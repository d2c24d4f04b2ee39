"""Photographs: loading them safely, their fingerprints, local features and geometric verification, and the descriptor index."""
