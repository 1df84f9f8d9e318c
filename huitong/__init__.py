"""huitong 汇通: aggregate, govern, share and open government data.

The package layout follows the data's path: ``aggregate`` → ``store`` → ``govern``
(``catalog`` first) → ``share`` → ``open``; ``org``, ``access`` and ``ledger`` run across.
"""

__version__ = "0.1.0"
