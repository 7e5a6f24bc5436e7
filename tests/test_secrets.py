"""API tokens never leak: not into data, metrics, params, dvc.lock, logs or error messages."""
from __future__ import annotations

import pytest

from elm.errors import ElmError
from stages import clean, scrape
from tests.fake_api import FakeApi, XWorld

from helpers import configure

PLANTED = "elm-planted-secret-7f3a9c2e"


class PlantedWorld(XWorld):
    token = PLANTED


def files_holding(root, secret: str) -> list[str]:
    return [str(p.relative_to(root)) for p in root.rglob("*")
            if p.is_file() and p.name != ".env" and secret.encode() in p.read_bytes()]


@pytest.mark.parametrize("from_dotenv", [False, True], ids=["environment", "dotenv"])
def test_a_planted_token_appears_in_no_output_and_no_log(workdir, default_params, monkeypatch, capfd, from_dotenv):
    world = PlantedWorld()
    world.add(12)
    if from_dotenv:
        monkeypatch.delenv("X_BEARER_TOKEN", raising=False)
        (workdir / ".env").write_text(f"X_BEARER_TOKEN={PLANTED}\n")
    else:
        monkeypatch.setenv("X_BEARER_TOKEN", PLANTED)
    with FakeApi(world) as api:
        configure(workdir, default_params, [(world, api)])
        scrape.main()
        clean.main()
        assert api.requests, "the fake X server was never asked: the test would prove nothing"
    out, err = capfd.readouterr()
    assert PLANTED not in out + err
    assert files_holding(workdir, PLANTED) == []


def test_a_refused_token_is_not_echoed_in_the_error(workdir, default_params, monkeypatch, capfd):
    world = PlantedWorld()
    world.add(3)
    monkeypatch.setenv("X_BEARER_TOKEN", PLANTED + "-wrong")
    with FakeApi(world) as api:
        configure(workdir, default_params, [(world, api)])
        with pytest.raises(ElmError) as refused:
            scrape.main()
    out, err = capfd.readouterr()
    assert PLANTED not in str(refused.value) + out + err
    assert files_holding(workdir, PLANTED) == []
