"""risk layer (see DESIGN.md)."""
