"""sportbot's tests (a package, so tests.standins imports from any test)."""
