"""Door to door 家门→车门→厂门: the worker's e-tickets from the plan in force, the worker's own
self-service page (one-time link or short code), confirmations, declines and health declarations."""
