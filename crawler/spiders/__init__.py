"""Spiders: ``generic`` (any column URL) and one spider per site definition."""
