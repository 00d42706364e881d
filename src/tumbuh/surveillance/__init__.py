"""surveillance."""
