"""Console page areas: one module per area, each with a ``router`` and its nav entry."""
