import pytest

from service.adapters.reference_catalogue import packaged_catalogue
from service.domain.reference import ReferenceCatalogue


@pytest.fixture(scope="session")
def catalogue() -> ReferenceCatalogue:
    return packaged_catalogue()
