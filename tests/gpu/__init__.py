"""The prepared GPU check for IndexTTS2: ``python -m tests.gpu`` (see check.py)."""
