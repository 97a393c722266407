"""The package type-checks with zero mypy errors (the engine interface included)."""
from tests.typecheck import run_mypy


def test_mypy_reports_no_errors():
    result = run_mypy()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success: no issues found" in result.stdout
