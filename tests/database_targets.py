"""Helpers for tests that run against both backends (the `db_target` fixture)."""

from __future__ import annotations


def is_server(target: str) -> bool:
    return str(target).startswith("postgresql://")


def tracker_kwargs(target: str) -> dict:
    """`with_tracker` arguments that record into a database target."""
    if is_server(target):
        return {"tracker": "postgresql", "params": {"db_url": target}}
    return {"tracker": "sqlite", "params": {"db_path": str(target)}}
