"""REST route handlers, one mixin per resource (each extends the previous one)."""
