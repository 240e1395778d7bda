"""A seedable stand-in for Square's API: its own ASGI app and CLI; imports nothing from app."""

from .app import ASGIApp, State, create_app
from .store import SimConfig, Simulator

__all__ = ["ASGIApp", "SimConfig", "Simulator", "State", "create_app"]
