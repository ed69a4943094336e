"""Helpers shared by the test folders and bench/ (images, models, apps, servers); fixtures stay in conftest.py."""
