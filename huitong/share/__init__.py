"""转 share: applications, decisions within working-day deadlines, grants, and delivery of the
granted, masked view, every step recorded in the ledger."""
