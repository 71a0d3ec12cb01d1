"""exchanges layer (see DESIGN.md)."""
