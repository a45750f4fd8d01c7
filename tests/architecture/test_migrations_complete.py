"""Every model change has its migration, whatever the hash seed: a constraint built from a
set's iteration order once made `makemigrations --check` pass or fail run by run."""

import os
import subprocess
import sys

import pytest


@pytest.mark.parametrize("hash_seed", ["0", "1", "2"])
def test_no_model_change_lacks_a_migration_under_any_hash_seed(hash_seed, tmp_path):
    env = {**os.environ, "PYTHONHASHSEED": hash_seed, "KETACARE_DATA_DIR": str(tmp_path)}
    env.pop("KETACARE_DATABASE_URL", None)  # the check reads models, not a database
    result = subprocess.run(
        [sys.executable, "-m", "ketacare.cli", "manage", "makemigrations", "--check", "--dry-run"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
