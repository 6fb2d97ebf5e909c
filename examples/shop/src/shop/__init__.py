"""shop: a small FastAPI service used as drainlab's example of a user's own app."""
