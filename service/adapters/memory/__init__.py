"""In-memory adapters: a second, simple implementation of every storage port.

They keep the same contract as the SQL adapters (the contract tests run against both)
and serve the unit tests of the application layer, where a database would be noise. The
modules mirror `service.adapters.persistence`.
"""

from service.adapters.memory.actors import InMemoryActorDirectory
from service.adapters.memory.store import InMemoryStore
from service.adapters.memory.unit_of_work import InMemoryUnitOfWork

__all__ = ["InMemoryActorDirectory", "InMemoryStore", "InMemoryUnitOfWork"]
