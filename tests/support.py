"""Constants and helpers shared by test modules (importable: tests/ is on sys.path via conftest)."""
PASSWORD = "Passw0rd!"
