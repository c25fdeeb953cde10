"""Outputs people use: calendars, charts and printable reports built from core results.

Core packages do no file I/O; the writers live here.
"""
