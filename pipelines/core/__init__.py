"""Shared machinery of every recipe."""
