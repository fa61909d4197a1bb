"""What the core needs from the world, as protocols, one module per feature. Adapters
implement them; the unit tests use the in-memory adapters (`service.adapters.memory`), a
second simple implementation of the same contracts."""
