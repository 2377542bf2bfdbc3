"""Queries by area. Views call these; no SQL lives in views."""
