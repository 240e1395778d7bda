"""A seedable stand-in for Square's API: its own ASGI app and CLI; imports nothing from app."""

from .app import ASGIApp, create_app
from .history import SimConfig
from .state import State
from .store import Simulator

__all__ = ["ASGIApp", "SimConfig", "Simulator", "State", "create_app"]
