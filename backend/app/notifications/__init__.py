"""Notifications: each user's scheduled digests (daily, weekly) and their e-mail switches."""
