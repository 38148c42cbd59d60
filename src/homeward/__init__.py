"""Homeward: bring a city's migrant workforce back to its factories, door to door, within a deadline."""

__version__ = "0.1.0"
