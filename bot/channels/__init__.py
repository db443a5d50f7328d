"""Channel adapters: they translate between a messenger and the engine, nothing more."""
