"""Suite-wide configuration. Server fixtures live in tests/servers/ and are imported by the
test modules that need them."""
