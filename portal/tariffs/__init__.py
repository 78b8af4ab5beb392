"""Tariffs as the application keeps them: loading them into the rating engine, and changing them."""
