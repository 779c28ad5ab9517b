"""REST handlers, one module per area, plus the middlewares they share."""
