"""What can be checked of the container files on a machine with no Docker engine: compose's
settings start production as config.py reads them, and every file the Dockerfile copies exists.
(The units' and Procfile's commands are run for real by tests/test_two_machines.py.)"""

import re

import yaml

import config
from tests.conftest import ROOT


def test_compose_gives_each_app_service_a_production_configuration_that_starts():
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    apps = [s for s in compose["services"].values() if s.get("build")]
    assert len(apps) == 4  # two web, the worker, the sweep
    for service in apps:
        env = {
            k: re.sub(
                r"\$\{(\w+):[-?][^}]*\}",
                lambda m: {"SECRET_KEY": "s" * 40}.get(
                    m[1], "https://review.localhost" if m[1] == "PUBLIC_BASE_URL" else "0"
                ),
                str(v),
            )
            for k, v in service["environment"].items()
        }
        assert env["APP_ENV"] == "production"
        config.settings(environ=env)  # raises ConfigError naming any problem


def test_the_dockerfile_is_multi_stage_non_root_and_installs_the_lock():
    text = (ROOT / "Dockerfile").read_text()
    assert len(re.findall(r"^FROM ", text, re.M)) == 2
    assert re.search(r"^USER reimagine$", text, re.M)
    assert "--require-hashes" in text and "requirements.txt" in text and "pip check" in text
    for source in re.findall(r"^COPY (?:--chown=\S+ )?(?!--from)(.+) \S+$", text, re.M):
        for path in source.split():
            assert (ROOT / path).exists(), path
