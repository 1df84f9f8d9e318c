"""汇聚 (aggregation): bring department data in, exactly as written, and normalise its values.

``sources`` are the connectors (delimited text, Excel, JSON, HTTP APIs, SQL) behind one
``open_source(kind, **config)`` call; ``normalise`` turns the values departments write into the
typed values the rest of the platform compares and stores.  Mapping onto catalog data items,
validation against the standards and loading into the store build on these.
"""
