"""The domain core: plain, typed Python. Nothing under this package may import Django."""
