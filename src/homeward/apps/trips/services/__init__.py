"""Writes for door to door: ``tickets`` (issue from the plan in force, revoke) and
``self_service`` (worker links, sign-in, confirm, decline, health declarations)."""
