"""Per-site crawl locks: exclusive across processes, released when the holder dies."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from crawler.service.locks import (
    HELD_LOCKS_ENV,
    FileLock,
    SiteBusy,
    hold_sites,
    is_locked,
    lock_dir,
    lock_path,
    site_lock,
)

HOLD = textwrap.dedent("""
    import sys, time
    from crawler.service.locks import site_lock
    lock = site_lock(sys.argv[1], sys.argv[2])
    print("got" if lock.acquire() else "busy", flush=True)
    if sys.argv[3:] == ["wait"]:
        sys.stdin.readline()
""")


def holder(db, site, *extra, env=None, pass_fds=()):
    return subprocess.Popen(
        [sys.executable, "-c", HOLD, str(db), site, *extra],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env, pass_fds=pass_fds,
    )


def test_lock_files_live_next_to_the_db(tmp_path):
    db = tmp_path / "gov.db"
    assert lock_dir(db) == tmp_path / "gov.db.locks"
    assert lock_path(db, "www.example.gov.cn:8080").name == "www.example.gov.cn_8080.lock"


def test_second_holder_is_refused_until_the_first_dies(tmp_path):
    db = tmp_path / "gov.db"
    with holder(db, "site", "wait") as first:
        assert first.stdout.readline().strip() == "got"
        assert is_locked(db, "site") and not is_locked(db, "other")
        second = holder(db, "site")
        assert second.communicate(timeout=10)[0].strip() == "busy"
        first.kill()  # no clean-up code runs: the kernel drops the lock
        first.wait(timeout=10)
    assert not is_locked(db, "site")


def test_context_manager_and_hold_sites(tmp_path):
    db = tmp_path / "gov.db"
    with site_lock(db, "a"):
        try:
            with site_lock(db, "a"):
                raise AssertionError("locked twice")
        except SiteBusy:
            pass
        with hold_sites(db, ["a", "b", "b", "c"]) as (held, busy):
            assert (held, busy) == (["b", "c"], ["a"])
            assert is_locked(db, "b")
        assert not is_locked(db, "b")
    assert not is_locked(db, "a")


def test_blocking_acquire_times_out(tmp_path):
    db = tmp_path / "gov.db"
    with site_lock(db, "a"):
        assert not FileLock(lock_path(db, "a")).acquire(timeout=0.2, poll=0.02)


def test_parent_hands_its_lock_to_a_child(tmp_path):
    db = tmp_path / "gov.db"
    parent = site_lock(db, "a", environ={})
    assert parent.acquire()
    env = {**os.environ, HELD_LOCKS_ENV: f"a={parent.fd}"}
    with holder(db, "a", "wait", env=env, pass_fds=(parent.fd,)) as child:
        assert child.stdout.readline().strip() == "got"  # adopted, not refused
        parent.release()
        assert is_locked(db, "a")  # the child still holds it
        child.stdin.write("\n")
        child.stdin.flush()
        child.wait(timeout=10)
    assert not is_locked(db, "a")


def test_a_forged_inherited_fd_is_not_trusted(tmp_path):
    db = tmp_path / "gov.db"
    with site_lock(db, "a"):
        other = open(tmp_path / "unrelated", "w")  # noqa: SIM115
        lock = site_lock(db, "a", environ={HELD_LOCKS_ENV: f"a={other.fileno()}"})
        assert not lock.acquire()
        other.close()
