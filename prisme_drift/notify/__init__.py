"""Notifications: alert texts (French by default, English selectable)."""
