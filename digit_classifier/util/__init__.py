"""Small helpers shared by several layers: atomic file writes, JSON-safe values, progress callbacks."""
