"""Bad-input cases by area; see `tests/bad_input_registry.py`."""
