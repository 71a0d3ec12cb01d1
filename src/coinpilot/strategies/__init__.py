"""strategies layer (see DESIGN.md)."""
