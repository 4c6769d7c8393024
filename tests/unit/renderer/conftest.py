from tests.unit.renderer.converter import unoserver  # noqa: F401  session fixture
