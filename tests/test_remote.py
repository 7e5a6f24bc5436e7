"""Sharing through DVC remotes, for real: one clone runs the pipeline and `dvc push`es; a teammate's
fresh clone `dvc pull`s only the fine-tuned model and the posts it was trained on, and reruns
`generate` onward without retraining; anyone fetches a tagged model version with `dvc artifacts get`.

Remotes: the default in .dvc/config (a local folder beside the clone), S3 (moto's server on
127.0.0.1) and SSH (OpenSSH's sshd on 127.0.0.1, key auth; skipped where openssh-server is not
installed). Every command runs with a scratch HOME, so no real ~/.ssh, ~/.aws or git config is read.
"""
from __future__ import annotations

import getpass
import hashlib
import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import boto3
import pytest
import yaml
from moto.server import ThreadedMotoServer

from stage_runner import DVC, ROOT, TINY, cli_env, sh, stages_run, tiny_project, write_params

DEFAULT_REMOTE = "storage"             # .dvc/config's default: ../elm-dvc-storage, beside the clone
PULLED_FOR_GENERATE = ["models/finetuned", "data/clean/posts.parquet"]   # generate's inputs made upstream
UPSTREAM_OF_GENERATE = {"scrape", "clean", "finetune"}
ARTIFACT = "elm-model"                 # dvc.yaml's name for models/finetuned
S3_KEYS = {"access_key_id": "elm-tests", "secret_access_key": "elm-tests-secret"}   # moto takes any


@dataclass
class Remote:
    name: str
    url: str = ""                                          # "": the one .dvc/config ships
    shared: dict[str, str] = field(default_factory=dict)   # committed in .dvc/config, for the team
    personal: dict[str, str] = field(default_factory=dict)  # each clone's .dvc/config.local (credentials)


@dataclass
class Team:
    """A bare git repo everyone pushes to, and alice's clone, which ran the pipeline on the tiny profile."""
    base: Path
    origin: Path
    alice: Path
    env: dict
    shared_remotes: set[str] = field(default_factory=set)

    def run(self, *args, cwd: Path, env: dict | None = None) -> str:
        return sh(*args, cwd=cwd, env=env or self.env)

    def clone(self, name: str) -> Path:
        self.run("git", "clone", "-q", self.origin, name, cwd=self.base)
        return self.base / name

    def commit_and_push(self, message: str) -> None:
        self.run("git", "add", "-A", cwd=self.alice)
        self.run("git", "commit", "-qm", message, cwd=self.alice)
        self.run("git", "push", "-q", "--tags", "origin", "main", cwd=self.alice)

    def share(self, remote: Remote) -> str:
        """Alice sets the remote up for the team (once: settings committed, her keys --local) and
        `dvc push`es everything to it."""
        if remote.url and remote.name not in self.shared_remotes:
            self.run(DVC, "remote", "add", remote.name, remote.url, cwd=self.alice)
            for option, value in remote.shared.items():
                self.run(DVC, "remote", "modify", remote.name, option, value, cwd=self.alice)
            self.add_credentials(self.alice, remote)
            self.commit_and_push(f"Share through the {remote.name} remote")
            self.shared_remotes.add(remote.name)
        return self.run(DVC, "push", *remote_flag(remote), cwd=self.alice)

    def add_credentials(self, clone: Path, remote: Remote) -> None:
        """Each person's own settings, in the clone's git-ignored .dvc/config.local."""
        for option, value in remote.personal.items():
            self.run(DVC, "remote", "modify", "--local", remote.name, option, value, cwd=clone)


def remote_flag(remote: Remote) -> list[str]:
    return [] if remote.name == DEFAULT_REMOTE else ["-r", remote.name]


def file_hashes(directory: Path) -> dict[str, str]:
    return {str(p.relative_to(directory)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(directory.rglob("*")) if p.is_file()}


def generated_posts_md5(repo: Path) -> str:
    """The md5 of data/generated/posts.jsonl as the repo's dvc.lock records it."""
    outs = yaml.safe_load((repo / "dvc.lock").read_text())["stages"]["generate"]["outs"]
    return next(out["md5"] for out in outs if out["path"] == "data/generated/posts.jsonl")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def team(tmp_path_factory) -> Team:
    base = tmp_path_factory.mktemp("team")
    home = base / "home"
    (home / ".ssh").mkdir(parents=True)
    env = {k: v for k, v in cli_env().items() if not k.startswith("AWS_")}
    # no instance-metadata lookups (a non-loopback address) when boto looks for a region or keys
    env |= {"HOME": str(home), "AWS_EC2_METADATA_DISABLED": "true"}
    team = Team(base, base / "origin.git", tiny_project(tmp_path_factory, base / "alice"), env)
    team.run("git", "init", "-q", "--bare", "-b", "main", team.origin, cwd=base)
    team.run("git", "remote", "add", "origin", team.origin, cwd=team.alice)
    team.commit_and_push("Tiny run")
    return team


@pytest.fixture(scope="module")
def local_remote() -> Remote:
    return Remote(DEFAULT_REMOTE)


@pytest.fixture(scope="module")
def s3_remote():
    """moto's S3 server on a free loopback port, with an empty bucket."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                     aws_access_key_id=S3_KEYS["access_key_id"],
                     aws_secret_access_key=S3_KEYS["secret_access_key"]).create_bucket(Bucket="elm-team")
        yield Remote("s3", "s3://elm-team/dvc", shared={"endpointurl": endpoint, "region": "us-east-1"},
                     personal=S3_KEYS)
    finally:
        server.stop()


@pytest.fixture(scope="module")
def ssh_remote(team, tmp_path_factory):
    """OpenSSH's sshd on a free loopback port: key auth only, SFTP, this user's own account."""
    sshd = shutil.which("sshd", path=f"/usr/sbin:/usr/local/sbin:{os.environ.get('PATH', '')}")
    if sshd is None:
        pytest.skip("sshd not found: install Debian's openssh-server to test the SSH remote")
    if os.geteuid() == 0 and not Path("/run/sshd").is_dir():
        pytest.skip("sshd run as root needs its privilege separation directory: mkdir -p -m 0755 /run/sshd")
    server_dir = tmp_path_factory.mktemp("sshd")
    user_key = Path(team.env["HOME"]) / ".ssh" / "id_ed25519"
    for key in (server_dir / "host_key", user_key):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key], check=True)
    shutil.copy(f"{user_key}.pub", server_dir / "authorized_keys")
    port = free_port()
    (server_dir / "sshd_config").write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {server_dir / 'host_key'}\n"
        f"AuthorizedKeysFile {server_dir / 'authorized_keys'}\nPidFile none\nUsePAM no\nStrictModes no\n"
        "PasswordAuthentication no\nKbdInteractiveAuthentication no\nSubsystem sftp internal-sftp\n")
    host_key = (server_dir / "host_key.pub").read_text().split()
    (user_key.parent / "known_hosts").write_text(f"[127.0.0.1]:{port} {host_key[0]} {host_key[1]}\n")
    log = (server_dir / "sshd.log").open("w")
    server = subprocess.Popen([sshd, "-D", "-e", "-f", server_dir / "sshd_config"], stdout=log, stderr=log)
    try:
        wait_for_port(port, server, server_dir / "sshd.log")
        yield Remote("ssh", f"ssh://127.0.0.1:{port}{server_dir / 'storage'}",
                     personal={"user": getpass.getuser(), "keyfile": str(user_key)})
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()


def wait_for_port(port: int, server: subprocess.Popen, log: Path, timeout_s: float = 15) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"sshd exited ({server.returncode}):\n{log.read_text()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"sshd did not listen on port {port} within {timeout_s}s:\n{log.read_text()}")


@pytest.mark.parametrize("kind", ["local", "s3", "ssh"])
def test_a_fresh_clone_pulls_the_model_and_generates_without_training(team, kind, request):
    remote = request.getfixturevalue(f"{kind}_remote")
    assert "pushed" in team.share(remote)

    bob = team.clone(f"bob-{kind}")
    team.add_credentials(bob, remote)
    team.run(DVC, "pull", *remote_flag(remote), *PULLED_FOR_GENERATE, cwd=bob)
    assert file_hashes(bob / "models/finetuned") == file_hashes(team.alice / "models/finetuned")
    assert not (bob / "data/raw").exists(), "pulled more than generate needs"
    assert not (bob / "data/generated/posts.jsonl").exists()

    rerun = team.run(DVC, "repro", "--downstream", "generate", cwd=bob)
    assert stages_run(rerun)[0] == "generate", rerun
    assert not UPSTREAM_OF_GENERATE & set(stages_run(rerun))
    assert generated_posts_md5(bob) == generated_posts_md5(team.alice), \
        "the pulled model did not regenerate the posts alice's commit records"


def test_the_default_remote_is_a_folder_beside_the_clone(team, local_remote):
    team.share(local_remote)
    assert (team.base / "elm-dvc-storage" / "files" / "md5").is_dir()


def test_dvc_yaml_declares_the_model_as_an_artifact():
    artifacts = yaml.safe_load((ROOT / "dvc.yaml").read_text()).get("artifacts", {})
    assert artifacts.get(ARTIFACT, {}).get("path") == "models/finetuned", \
        f"dvc.yaml should declare artifacts: {{{ARTIFACT}: {{path: models/finetuned, type: model}}}}"
    assert artifacts[ARTIFACT].get("type") == "model"


def test_a_pinned_model_version_comes_from_its_git_tag(team, s3_remote, tmp_path):
    """Tag two model versions, then fetch each from the shared git repo (which DVC clones) and S3."""
    team.share(s3_remote)   # the tagged commit must name the remote its files are on
    model = team.alice / "models/finetuned"
    first = file_hashes(model)
    team.run("git", "tag", "-a", f"{ARTIFACT}@v1.0.0", "-m", "tiny model, 20 steps", cwd=team.alice)

    params = yaml.safe_load((team.alice / "params.yaml").read_text())
    params["finetune"]["max_steps"] = TINY["finetune"]["max_steps"] // 4
    write_params(team.alice, params)
    assert stages_run(team.run(DVC, "repro", "finetune", cwd=team.alice)) == ["finetune"]
    second = file_hashes(model)
    assert second != first
    team.commit_and_push("Shorter training")
    team.run("git", "tag", "-a", f"{ARTIFACT}@v1.1.0", "-m", "tiny model, 5 steps", cwd=team.alice)
    team.run("git", "push", "-q", "--tags", "origin", cwd=team.alice)
    team.share(s3_remote)

    # carol has no clone: the remote's settings come from the tagged commit, her S3 keys from the environment
    carol = {**team.env, "AWS_ACCESS_KEY_ID": S3_KEYS["access_key_id"],
             "AWS_SECRET_ACCESS_KEY": S3_KEYS["secret_access_key"]}
    # a URL, as from a git server: DVC clones it and reads the remote's settings from the clone
    repo_url = team.origin.as_uri()
    get = [DVC, "artifacts", "get", repo_url, ARTIFACT, "--remote", s3_remote.name]
    team.run(*get, "--rev", "v1.0.0", "-o", "v1", cwd=tmp_path, env=carol)
    team.run(*get, "-o", "latest", cwd=tmp_path, env=carol)
    team.run(DVC, "get", repo_url, "models/finetuned", "--rev", f"{ARTIFACT}@v1.0.0",
             "--remote", s3_remote.name, "-o", "by-path", cwd=tmp_path, env=carol)
    assert file_hashes(tmp_path / "v1") == first
    assert file_hashes(tmp_path / "latest") == second
    assert file_hashes(tmp_path / "by-path") == first
