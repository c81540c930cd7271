"""``automator backup`` and ``automator restore`` on the embedded store: a consistent copy
made while events keep coming in, checked, and restored into another data dir; refusals say
what to do."""

import asyncio
import sqlite3
from pathlib import Path

import httpx
import pytest

from app.backup import BackupError, backup, restore
from app.clock import SystemClock
from app.settings import Settings
from app.sqlite_file import Kind, connect, kind
from app.store.sqlite import SQLiteStore
from tests.conftest import send
from tests.processes import fleet
from tests.store.conftest import STORE_KEY
from tests.test_sqlite_file import OTHER_KEY, a_store, automator

WORKFLOW = {
    "workflow_id": "kept",
    "name": "Kept",
    "trigger": {"type": "ping"},
    "actions": [{"id": "note", "type": "log", "data": {"message": "x"}}],
}


async def test_a_backup_taken_while_events_arrive_restores_elsewhere(
    client: httpx.AsyncClient, settings: Settings, tmp_path: Path
) -> None:
    assert (await client.post("/api/workflows", json=WORKFLOW)).status_code == 201
    out = tmp_path / "backups" / "store.db"
    sending = True

    async def keep_sending() -> int:
        sent = 0
        while sending:
            await send(client, {"type": "ping", "data": {"n": sent}})
            sent += 1
        return sent

    writer = asyncio.create_task(keep_sending())
    taken = await asyncio.to_thread(automator, settings.data_dir, "backup", "--out", str(out))
    sending = False
    sent = await writer
    assert taken.returncode == 0, taken.stderr
    assert "1 workflows" in taken.stdout
    assert "secrets.key" in taken.stdout
    copy = sqlite3.connect(out)
    events, runs = (
        copy.execute("SELECT count(*) FROM events").fetchone()[0],
        copy.execute("SELECT count(*) FROM runs").fetchone()[0],
    )
    copy.close()
    assert events == runs <= sent  # each event's run is in the copy with it: one moment's state
    assert (out.stat().st_mode & 0o777) == 0o600

    with pytest.raises(BackupError, match="exists; choose a new file"):
        backup(settings.sqlite_path, out)

    elsewhere = tmp_path / "restored"
    restored = automator(elsewhere, "restore", "--from", str(out))
    assert restored.returncode == 0, restored.stderr
    db = sqlite3.connect(elsewhere / "automator.db")
    assert db.execute("SELECT workflow_id FROM workflows").fetchall() == [("kept",)]
    assert db.execute("SELECT count(*) FROM runs").fetchone()[0] == runs
    db.close()
    over = automator(elsewhere, "restore", "--from", str(out))
    assert (over.returncode, "add --force to replace it" in over.stderr) == (1, True)


def test_a_file_that_is_no_store_is_refused(tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    with pytest.raises(BackupError, match="is not an SQLite database"):
        restore(junk, tmp_path / "dir" / "automator.db")
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    with pytest.raises(BackupError, match="not a sound Automator store: no events, runs, tenants"):
        restore(other, tmp_path / "dir" / "automator.db")
    assert not (tmp_path / "dir" / "automator.db").exists()
    with pytest.raises(BackupError, match="no embedded store"):
        backup(tmp_path / "none.db", tmp_path / "b.db")


async def test_an_encrypted_store_is_copied_encrypted_and_restores_with_its_key(
    tmp_path: Path,
) -> None:
    db = tmp_path / "store" / "automator.db"
    store = await SQLiteStore.open(db, SystemClock(), keys=[STORE_KEY])
    await store.ensure_tenant("acme", "Acme Confidential 7731")
    await store.close()
    out = tmp_path / "copy.db"
    with pytest.raises(BackupError, match="no key in AUTOMATOR_STORE_KEY opens"):
        backup(db, out, [OTHER_KEY])
    assert not out.exists()  # a failed copy leaves nothing to refuse the next one
    assert backup(db, out, [STORE_KEY]).path == out
    assert b"Acme Confidential 7731" not in out.read_bytes()

    elsewhere = tmp_path / "restored" / "automator.db"
    with pytest.raises(BackupError, match="or an encrypted one: set AUTOMATOR_STORE_KEY"):
        restore(out, elsewhere)
    with pytest.raises(BackupError, match="no key in AUTOMATOR_STORE_KEY opens"):
        restore(out, elsewhere, [OTHER_KEY])
    with pytest.raises(BackupError, match="is not encrypted and AUTOMATOR_STORE_KEY is set"):
        restore(await a_store(tmp_path / "plain", []), elsewhere, [STORE_KEY])
    assert not elsewhere.exists()
    # Over a store of another key too: the copy is moved into place, not copied into it.
    await a_store(elsewhere.parent, [OTHER_KEY])
    restore(out, elsewhere, [OTHER_KEY, STORE_KEY])
    restored = connect(elsewhere, [STORE_KEY])
    assert restored.execute("SELECT name FROM tenants").fetchall() == [("Acme Confidential 7731",)]
    restored.close()


def test_restore_and_encrypt_refuse_while_a_service_has_the_store_open(
    tmp_path: Path, redis_url: str
) -> None:
    """The file is replaced, not rewritten: a service left running would go on writing to
    the old one, and lose what it wrote."""
    store = tmp_path / "automator.db"
    copy = tmp_path / "copy.db"
    with fleet(tmp_path, redis_url) as started:
        api = started.start("api")
        api.wait_ready()
        assert automator(tmp_path, "backup", "--out", str(copy)).returncode == 0
        inode = store.stat().st_ino
        restored = automator(tmp_path, "restore", "--from", str(copy), "--force")
        encrypted = automator(tmp_path, "store", "encrypt", AUTOMATOR_STORE_KEY=STORE_KEY)
        for refused in (restored, encrypted):
            assert refused.returncode == 1, refused.stdout
            said = refused.stderr.splitlines()[-1]
            assert said.startswith(f"{store} is open in PID {api.popen.pid}: "), refused.stderr
            assert "automator api: stop it, and every other process using the store" in said
            assert said.endswith("(--even-if-open goes on regardless).")
        assert (store.stat().st_ino, kind(store)) == (inode, Kind.PLAIN)
        assert sorted(path.name for path in tmp_path.glob("automator.db*")) == [
            "automator.db",
            "automator.db-shm",
            "automator.db-wal",
        ]
        assert httpx.get(f"{api.url}/ready").status_code == 200
        forced = automator(tmp_path, "restore", "--from", str(copy), "--force", "--even-if-open")
        assert forced.returncode == 0, forced.stderr
        assert store.stat().st_ino != inode
        api.stop()
    done = automator(tmp_path, "store", "encrypt", AUTOMATOR_STORE_KEY=STORE_KEY)
    assert done.returncode == 0, done.stderr
    assert kind(store) is Kind.OTHER
