"""``voicebus models pull|list|rm|bundle|import`` against a local Hub speaking the real file
API: exactly the engine's files, resumed after a cut, checked, and refused when wrong."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from tests.hub.models.conftest import ModelsCli, listed
from tests.hub.models.fake_hub import FakeHub, FakeRepo

XTTS = "coqui/XTTS-v2"


def xtts_repo(**extra: bytes) -> FakeRepo:
    """A repository shaped like XTTS-v2: what the loader reads, plus files it never opens."""
    files = {
        "config.json": b'{"model": "xtts"}',
        "vocab.json": b'{"vocab": {}}',
        "model.pth": os.urandom(3 * 2**20),
        "speakers_xtts.pth": os.urandom(200 * 1024),
        "dvae.pth": os.urandom(100 * 1024),
        "samples/en_sample.wav": os.urandom(50 * 1024),
    }
    return FakeRepo({**files, **extra})


def snapshot_files(models_dir: Path, repo_id: str, commit: str) -> dict[str, bytes]:
    snap = models_dir / f"models--{repo_id.replace('/', '--')}" / "snapshots" / commit
    return {str(p.relative_to(snap)): p.read_bytes() for p in snap.rglob("*") if p.is_file()}


def test_pull_fetches_exactly_the_loaders_files_and_keeps_the_token_on_the_hub(
    fake_hub: FakeHub, models_cli: ModelsCli, models_dir: Path
) -> None:
    repo = fake_hub.repos[XTTS] = xtts_repo()
    assert listed(models_cli)["xtts"]["status"] == "missing"

    result = models_cli("pull", "xtts", token=fake_hub.token)

    assert result.exit_code == 0, result.output
    assert repo.commit[:12] in result.output
    wanted = ["config.json", "model.pth", "speakers_xtts.pth", "vocab.json"]
    pulled = snapshot_files(models_dir, XTTS, repo.commit)
    assert sorted(pulled) == wanted
    assert all(pulled[name] == repo.files[name] for name in wanted)
    ref = models_dir / "models--coqui--XTTS-v2" / "refs" / "main"
    assert ref.read_text() == repo.commit
    assert not fake_hub.requests("GET", "dvae.pth") and not fake_hub.requests("HEAD", "dvae.pth")
    # the token goes to the Hub, never to the CDN host it redirects large files to
    cdn = [s for s in fake_hub.seen if s.path.startswith("/cdn/")]
    hub = [s for s in fake_hub.seen if not s.path.startswith("/cdn/")]
    assert cdn and not any(s.token for s in cdn)
    assert hub and all(s.token for s in hub)

    row = listed(models_cli)["xtts"]
    assert row["status"] == "present" and row["commit"] == repo.commit
    assert row["bytes"] == sum(len(repo.files[name]) for name in wanted)

    again = len(fake_hub.requests("GET", "model.pth"))
    assert models_cli("pull", "xtts").exit_code == 0
    assert len(fake_hub.requests("GET", "model.pth")) == again, "a present file was fetched again"

    removed = models_cli("rm", "xtts")
    assert removed.exit_code == 0, removed.output
    assert listed(models_cli)["xtts"]["status"] == "missing"
    assert not (models_dir / "models--coqui--XTTS-v2").exists()


def test_pull_resumes_after_the_connection_is_cut(
    fake_hub: FakeHub, models_cli: ModelsCli, models_dir: Path
) -> None:
    repo = fake_hub.repos[XTTS] = xtts_repo()
    fake_hub.cut_once.add("model.pth")

    result = models_cli("pull", "xtts")

    assert result.exit_code == 0, result.output
    gets = fake_hub.requests("GET", "/cdn/coqui/XTTS-v2/model.pth")
    assert [g.range is not None for g in gets] == [False, True]
    resumed_at = int(gets[1].range.removeprefix("bytes=").rstrip("-"))  # type: ignore[union-attr]
    assert 0 < resumed_at < len(repo.files["model.pth"])
    assert snapshot_files(models_dir, XTTS, repo.commit)["model.pth"] == repo.files["model.pth"]


def test_a_corrupted_download_is_deleted_and_nothing_is_installed(
    fake_hub: FakeHub, models_cli: ModelsCli, models_dir: Path
) -> None:
    fake_hub.repos[XTTS] = xtts_repo()
    fake_hub.corrupt.add("model.pth")

    result = models_cli("pull", "xtts")

    assert result.exit_code == 1
    assert "model.pth is corrupted" in result.output and "Traceback" not in result.output
    repo_dir = models_dir / "models--coqui--XTTS-v2"
    assert not (repo_dir / "snapshots").exists() and not (repo_dir / "refs").exists()
    assert not list((repo_dir / "blobs").glob("*.incomplete"))
    assert listed(models_cli)["xtts"]["status"] == "missing"


def test_a_missing_file_fails_before_anything_is_downloaded(
    fake_hub: FakeHub, models_cli: ModelsCli
) -> None:
    repo = xtts_repo()
    del repo.files["vocab.json"]
    fake_hub.repos[XTTS] = repo

    result = models_cli("pull", "xtts")

    assert result.exit_code == 1
    assert "has no file vocab.json, which xtts needs" in result.output
    assert not [s for s in fake_hub.seen if s.method == "GET"]


def test_unknown_repository_and_revision_are_clear(
    fake_hub: FakeHub, models_cli: ModelsCli
) -> None:
    fake_hub.repos[XTTS] = xtts_repo()
    result = models_cli("pull", "xtts", "--revision", "v9")
    assert result.exit_code == 1 and "has no revision 'v9'" in result.output
    result = models_cli("pull", "chatterbox")
    assert result.exit_code == 1
    assert "repository ResembleAI/chatterbox not found" in result.output
    assert "HF_TOKEN" in result.output


def test_a_gated_repository_needs_hf_token(fake_hub: FakeHub, models_cli: ModelsCli) -> None:
    repo = fake_hub.repos[XTTS] = xtts_repo()
    repo.gated = True

    refused = models_cli("pull", "xtts")
    assert refused.exit_code == 1
    assert "gated" in refused.output and "HF_TOKEN" in refused.output
    assert "Traceback" not in refused.output

    wrong = models_cli("pull", "xtts", token="hf_someone_else")
    assert wrong.exit_code == 1 and "has no access" in wrong.output
    assert "hf_someone_else" not in wrong.output

    allowed = models_cli("pull", "xtts", token=fake_hub.token)
    assert allowed.exit_code == 0, allowed.output


def test_bundle_and_import_for_an_offline_machine(
    fake_hub: FakeHub, models_cli: ModelsCli, tmp_path: Path
) -> None:
    repo = fake_hub.repos[XTTS] = xtts_repo()
    assert models_cli("pull", "xtts").exit_code == 0
    bundle = tmp_path / "xtts.tar"
    made = models_cli("bundle", "xtts", "-o", str(bundle))
    assert made.exit_code == 0, made.output

    offline = tmp_path / "offline"
    done = models_cli("import", str(bundle), VOICEBUS_MODELS_DIR=str(offline))
    assert done.exit_code == 0, done.output
    row = listed(lambda *a, **e: models_cli(*a, VOICEBUS_MODELS_DIR=str(offline), **e))["xtts"]
    assert row["status"] == "present" and row["commit"] == repo.commit
    assert snapshot_files(offline, XTTS, repo.commit)["model.pth"] == repo.files["model.pth"]


def test_a_tampered_bundle_is_refused(
    fake_hub: FakeHub, models_cli: ModelsCli, tmp_path: Path
) -> None:
    fake_hub.repos[XTTS] = xtts_repo()
    assert models_cli("pull", "xtts").exit_code == 0
    bundle = tmp_path / "xtts.tar"
    assert models_cli("bundle", "xtts", "-o", str(bundle)).exit_code == 0
    unpacked = tmp_path / "unpacked"
    with tarfile.open(bundle) as tar:
        tar.extractall(unpacked, filter="data")
    biggest = max((unpacked / "blobs").iterdir(), key=lambda p: p.stat().st_size)
    data = bytearray(biggest.read_bytes())
    data[100] ^= 0xFF
    biggest.write_bytes(bytes(data))
    tampered = tmp_path / "tampered.tar"
    with tarfile.open(tampered, "w") as tar:
        for item in sorted(unpacked.rglob("*")):
            tar.add(item, arcname=str(item.relative_to(unpacked)), recursive=False)

    offline = tmp_path / "offline"
    refused = models_cli("import", str(tampered), VOICEBUS_MODELS_DIR=str(offline))
    assert refused.exit_code == 1 and "is corrupted" in refused.output
    assert not list(offline.glob("models--*"))


@pytest.mark.parametrize("spec", ["nope", "piper", "remote"])
def test_targets_without_weights_are_usage_errors(models_cli: ModelsCli, spec: str) -> None:
    result = models_cli("pull", spec)
    assert result.exit_code in (1, 2) and "Traceback" not in result.output
    assert result.output.strip().splitlines()[-1].startswith("Error:")


def test_two_pulls_at_once_share_one_download(
    fake_hub: FakeHub, models_dir: Path, tmp_path: Path
) -> None:
    """Two workers starting with auto_pull, or two terminals: one download, both succeed."""
    repo = fake_hub.repos[XTTS] = xtts_repo(**{"model.pth": os.urandom(40 * 2**20)})
    env = {
        **os.environ,
        "HF_ENDPOINT": fake_hub.endpoint,
        "HF_TOKEN": "",
        "HF_HOME": str(tmp_path / "hf-home"),
        "VOICEBUS_MODELS_DIR": str(models_dir),
    }
    command = [sys.executable, "-m", "hub.cli", "models", "pull", "xtts"]
    pulls = [subprocess.Popen(command, env=env, stderr=subprocess.PIPE) for _ in range(2)]
    errors = [pull.communicate(timeout=120)[1].decode() for pull in pulls]

    assert [pull.returncode for pull in pulls] == [0, 0], errors
    assert len(fake_hub.requests("GET", "/cdn/coqui/XTTS-v2/model.pth")) == 1
    assert snapshot_files(models_dir, XTTS, repo.commit)["model.pth"] == repo.files["model.pth"]


def test_hf_hub_offline_forbids_downloads(fake_hub: FakeHub, models_cli: ModelsCli) -> None:
    fake_hub.repos[XTTS] = xtts_repo()
    result = models_cli("pull", "xtts", HF_HUB_OFFLINE="1")
    assert result.exit_code == 1 and "HF_HUB_OFFLINE" in result.output
    assert not fake_hub.seen


def test_list_shows_a_checkpoint_directory_given_in_the_settings(
    models_cli: ModelsCli, tmp_path: Path
) -> None:
    given = tmp_path / "my-xtts"
    given.mkdir()
    row = listed(lambda *a, **e: models_cli(*a, VOICEBUS_XTTS_MODEL_DIR=str(given), **e))["xtts"]
    assert row["status"] == "missing" and "model.pth" in row["missing"]
    for name in ("config.json", "model.pth", "vocab.json"):
        (given / name).write_bytes(b"x")
    row = listed(lambda *a, **e: models_cli(*a, VOICEBUS_XTTS_MODEL_DIR=str(given), **e))["xtts"]
    assert (row["status"], row["path"]) == ("local", str(given))


def partial_file(models_dir: Path, fake_hub: FakeHub, name: str) -> Path:
    etag = fake_hub.sha256(XTTS, name)
    partial = models_dir / "models--coqui--XTTS-v2" / "blobs" / f"{etag}.incomplete"
    partial.parent.mkdir(parents=True)
    return partial


def test_a_download_finished_before_an_interruption_is_installed_without_refetching(
    fake_hub: FakeHub, models_cli: ModelsCli, models_dir: Path
) -> None:
    """Killed after the last byte but before installing: the server has nothing left (416)."""
    repo = fake_hub.repos[XTTS] = xtts_repo()
    partial_file(models_dir, fake_hub, "model.pth").write_bytes(repo.files["model.pth"])  # type: ignore[arg-type]

    result = models_cli("pull", "xtts")

    assert result.exit_code == 0, result.output
    (get,) = fake_hub.requests("GET", "/cdn/coqui/XTTS-v2/model.pth")
    assert get.range == f"bytes={len(repo.files['model.pth'])}-"
    assert snapshot_files(models_dir, XTTS, repo.commit)["model.pth"] == repo.files["model.pth"]


def test_a_server_ignoring_range_restarts_the_file_from_zero(
    fake_hub: FakeHub, models_cli: ModelsCli, models_dir: Path
) -> None:
    repo = fake_hub.repos[XTTS] = xtts_repo()
    fake_hub.ignore_range = True
    partial_file(models_dir, fake_hub, "model.pth").write_bytes(b"stale half of another try")

    result = models_cli("pull", "xtts")

    assert result.exit_code == 0, result.output
    assert snapshot_files(models_dir, XTTS, repo.commit)["model.pth"] == repo.files["model.pth"]
