import pytest

from handlers.context import Services
from tests.factories import CIPHER
from tests.handlers.harness import Chat


@pytest.fixture
def services(db, campus, clock):
    return Services(db=db, campuses={campus.id: campus}, cipher=CIPHER, clock=clock, channels=("console",))


@pytest.fixture
def chat(services):
    return Chat(services)
