"""The ``huitong`` command line (Typer + Rich)."""
