"""The data steps of archive/migrations.py, frozen: each is the code of its migration as it was
written, and imports nothing of the live archive (import-linter checks it).

A migration must do tomorrow exactly what it did the day it shipped: an archive three releases
old runs 004 before 008's columns exist, so 004 cannot call today's indexing code, and 005 must
fold URLs by 005's rules even after `archive.urls.canonical_url` learns new ones. A change of
behaviour is a NEW migration, with its own frozen step here.
"""
