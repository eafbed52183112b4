"""plantrack: track an annual work plan through the year."""

__version__ = "0.1.0"
