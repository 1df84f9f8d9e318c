"""The demo city that ``make demo`` brings up."""
