"""indicators layer (see DESIGN.md)."""
