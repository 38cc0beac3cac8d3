"""Constants the `fernet` check's Check class and rules share; no imports, since `doctor list` loads it."""

from __future__ import annotations

CURRENT = "ENCRYPTION_KEY"
NEW = "ENCRYPTION_KEY_NEW"  # set only while a key rotation is under way
# python3, not python: see checks/secret_key/const.py.
GENERATOR = 'python3 -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
