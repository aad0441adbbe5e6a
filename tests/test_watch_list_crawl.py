"""The watch list end to end: `add` columns, `crawl --due` crawls exactly what is watched, a
new column is its own baseline for `backdated`, a mistyped column fails alone, `remove`.

Two generated sites on 127.0.0.1 (different ports, named with --name); crawls run in a
subprocess whose host-name lookups are logged (a `sitecustomize` wrapping the resolver), so
"no bundled site, no other host" is checked on the wire and on the resolver."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers_crawl import (
    ROOT,
    article_html,
    article_path,
    article_text,
    build_next_link_site,
    build_numbered_site,
    build_trs_site,
    html_page,
    list_html,
    run_crawl,
    serve,
    summary,
    trs_pager,
)

from archive import Archive
from crawler.cli import cli
from crawler.service.locks import site_lock

RESOLVER_LOG = '''
import ipaddress, os, socket

def _note(host):
    name = host.decode() if isinstance(host, bytes) else str(host)
    try:
        ipaddress.ip_address(name.strip("[]"))
    except ValueError:
        with open(os.environ["DNS_LOG"], "a") as log:
            log.write(name + "\\n")

def _wrap(lookup):
    def wrapped(host, *args, **kwargs):
        _note(host)
        return lookup(host, *args, **kwargs)
    return wrapped

for _name in ("getaddrinfo", "gethostbyname", "gethostbyname_ex"):
    setattr(socket, _name, _wrap(getattr(socket, _name)))
'''


@pytest.fixture(autouse=True)
def _no_own_sites(monkeypatch):
    monkeypatch.delenv("GOV_ARCHIVE_SITES", raising=False)


@pytest.fixture
def resolver_log(tmp_path):
    """``(env, log)``: the environment of a crawl whose host-name lookups go to `log`."""
    folder = tmp_path / "hook"
    folder.mkdir()
    (folder / "sitecustomize.py").write_text(RESOLVER_LOG, encoding="utf-8")
    log = tmp_path / "lookups.txt"
    log.touch()
    env = {"PYTHONPATH": f"{folder}{os.pathsep}{ROOT}", "DNS_LOG": str(log)}
    probe = subprocess.run([sys.executable, "-c", "import socket; socket.getaddrinfo('localhost', 80)"],
                           env={**os.environ, **env}, capture_output=True, text=True, timeout=60)
    assert probe.returncode == 0 and log.read_text() == "localhost\n", probe.stderr  # the hook works
    log.write_text("")
    return env, log


def cli_run(db: Path, *args: str):
    return CliRunner().invoke(cli, ["--db", str(db), *args])


def add(db: Path, *args: str) -> str:
    result = cli_run(db, "add", *args)
    assert result.exit_code == 0, result.output
    return result.output


def paths(server) -> set[str]:
    return {path for _method, path, _headers in server.log if path != "/robots.txt"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_due_crawls_exactly_the_watched_columns(tmp_path, resolver_log):
    env, lookups = resolver_log
    db = tmp_path / "gov.db"
    city_pages = {**build_trs_site(6, 3), **build_numbered_site(3, 2), **build_next_link_site(3, 2)}
    with serve(city_pages) as city, serve(build_trs_site(2, 2, folder="/xxgk")) as town:
        listed = add(db, city.url("/tzgg/index.html"), "--name", "city", "--title", "通知公告",
                     "--every", "1h")
        assert "list page, 3 announcement links, pagination: trs" in listed
        add(db, city.url("/gsgg/list_1.html"), "--name", "city")
        add(db, town.url("/xxgk/index.html"), "--name", "town", "--every", "1h")
        city.log.clear()
        town.log.clear()

        proc = run_crawl(db, "--due", env=env)
        assert proc.returncode == 0, proc.stderr[-2000:]
        assert {s["site"] for s in summary(proc)["sites"]} == {"city", "town"}
        assert summary(proc)["totals"]["archive/new"] == 6 + 3 + 2
        assert {p.split("/")[1] for p in paths(city)} == {"tzgg", "gsgg"}  # not /xwdt/
        assert {"/tzgg/index.html", "/tzgg/index_1.html", "/gsgg/list_1.html",
                "/gsgg/list_2.html"} <= paths(city)
        assert {p.split("/")[1] for p in paths(town)} == {"xxgk"}
        assert lookups.read_text() == ""  # no host name resolved: no bundled site, no other host

        city.log.clear()
        again = run_crawl(db, "--due", env=env)
        assert again.returncode == 0 and "No site is due" in again.stderr
        assert paths(city) == set() and lookups.read_text() == ""
        with site_lock(db, "city"):  # NU27: a crawl of city is running
            running = run_crawl(db, "--due", env=env)
        assert running.returncode == 0 and "(city: being crawled by another process)" in running.stderr
        assert "; next: " in running.stderr and " at 20" in running.stderr
        report = summary(running)
        assert report["running"] == ["city"] and report["next_due"]["site"] in {"city", "town"}
    with Archive(db) as archive:
        assert {c["url"].rsplit("/", 2)[1]: c["documents"] for c in archive.columns("city")} == {
            "tzgg": 6, "gsgg": 3}


def _publish(pages: dict, items: list[tuple[int, str]]) -> None:
    """Put new notices `(n, published)` at the top of the 通知公告 column's first page."""
    rows = [(article_path(n), f"关于第{n}项工作的通知", day) for n, day in items]
    rows += [(article_path(n), f"关于第{n}项工作的通知", "2024-01-01") for n in (6, 5, 4)]
    pages["/tzgg/index.html"] = html_page(list_html(rows, trs_pager(2, 0)))
    for n, day in items:
        pages[article_path(n)] = html_page(article_html(f"关于第{n}项工作的通知", day, article_text(n)))


def test_a_new_column_is_its_own_baseline(tmp_path):
    db = tmp_path / "gov.db"
    with serve({**build_trs_site(6, 3), **build_next_link_site(3, 2)}) as city:
        add(db, city.url("/tzgg/index.html"), "--name", "city", "--every", "1h")
        assert run_crawl(db, "--due").returncode == 0  # 通知公告's baseline

        today = (datetime.now(UTC) + timedelta(hours=8)).date().isoformat()
        _publish(city.pages, [(50, today), (51, "2023-06-01")])  # one new, one dated long ago
        add(db, city.url("/xwdt/list.jsp?page=1"), "--name", "city")  # 2024 items
        city.log.clear()
        only_new = run_crawl(db, "--due")  # 通知公告 was crawled a moment ago: not due
        assert only_new.returncode == 0, only_new.stderr[-2000:]
        assert {p.split("/")[1] for p in paths(city)} == {"xwdt"}
        assert run_crawl(db, "--all").returncode == 0  # every watched column now

    result = cli_run(db, "new", "--json")
    assert result.exit_code == 0, result.output
    flags = {e["url"].split("/")[-1]: e["backdated"] for e in json.loads(result.output)}
    assert flags.pop(article_path(51).split("/")[-1]) is True  # appeared late in a known column
    assert article_path(50).split("/")[-1] in flags  # today's notice: new, not back-dated
    assert len(flags) == 6 + 1 + 3 and not any(flags.values())  # nor the new column's old items


def test_a_mistyped_column_fails_alone(tmp_path):
    db = tmp_path / "gov.db"
    with serve(build_trs_site(3, 3)) as city:
        add(db, city.url("/tzgg/index.html"), "--name", "city", "--every", "1h")
        assert run_crawl(db, "--due").returncode == 0
        with Archive(db) as archive:
            (good_before,) = archive.columns("city")
            site_before = archive.site_state("city")

        refused = f"http://127.0.0.1:{free_port()}/tzgg/index.html"
        typo = city.url("/tzgg/indx.html")
        assert cli_run(db, "add", typo, "--name", "city").exit_code == 1  # checked: HTTP 404
        add(db, typo, "--name", "city", "--no-check")
        add(db, refused, "--name", "city", "--no-check")
        city.log.clear()
        proc = run_crawl(db, "--due")  # only the two new columns are due
        assert paths(city) == {"/tzgg/indx.html"}
        assert proc.returncode == 1  # nothing could be fetched ...
        assert f"column {typo}: HTTP 404" in proc.stderr  # ... and each column says why
        assert f"column {refused}: connection refused" in proc.stderr
        assert "no page could be fetched" not in proc.stderr

        with Archive(db) as archive:
            good, bad_typo, bad_refused = archive.columns("city")
            assert {k: v for k, v in good.items() if k != "documents"} == {
                k: v for k, v in good_before.items() if k != "documents"}
            assert archive.site_state("city")["failures"] == site_before["failures"] == 0
            assert archive.site_state("city")["backoff_until"] is None
            assert (bad_typo["failures"], bad_typo["last_outcome"]) == (1, "http_404")
            assert (bad_refused["failures"], bad_refused["last_outcome"]) == (1, "refused")
            assert bad_typo["backoff_until"]
            health = archive.events(kinds=["health"])
            assert sorted(e["detail"] for e in health) == sorted([
                f"column {refused}: connection refused", f"column {typo}: HTTP 404"])

        listing = {r["name"]: r for r in json.loads(cli_run(db, "sites", "--json").output)}["city"]
        assert listing["health"] == "2 of 3 columns failing"
        assert [c["health"] for c in listing["columns"]] == [
            "ok", "failing (HTTP 404)", "failing (connection refused)"]
        assert not listing["columns"][0]["due"]

        every = run_crawl(db, "--all")  # all three now: the site answers, the typo still fails
        assert every.returncode == 0, every.stderr[-2000:]
        with Archive(db) as archive:
            assert [c["failures"] for c in archive.columns("city")] == [0, 2, 2]
            assert len(archive.events(kinds=["health"])) == 2  # raised once, when it started


RUISHU_SHELL = ('<html><head><meta content="abc" r="m"><script r="m">$_ts=window["$_ts"];$_ts.nsd=1;'
                '$_ts.cd="qEkrr";</script><script src="/abc.js" r="m"></script></head><body></body></html>')


def test_an_antibot_shell_is_refused_and_a_blocked_column_shows_in_health(tmp_path):
    """NU16: `add` refuses an anti-bot shell with the reason and the --no-check hint; added
    anyway, its blocked column shows in the site's health."""
    db = tmp_path / "gov.db"
    with serve({**build_trs_site(3, 3), "/antibot/index.html": html_page(RUISHU_SHELL)}) as city:
        add(db, city.url("/tzgg/index.html"), "--name", "city")
        shell = city.url("/antibot/index.html")
        refused = cli_run(db, "add", shell, "--name", "city")
        assert refused.exit_code == 1 and "anti-bot challenge" in refused.output
        assert "--no-check adds it anyway" in refused.output
        add(db, shell, "--name", "city", "--no-check")
        assert run_crawl(db, "--due").returncode == 0
    listing = {r["name"]: r for r in json.loads(cli_run(db, "sites", "--json").output)}["city"]
    assert [c["health"] for c in listing["columns"]] == ["ok", "blocked"]
    assert listing["health"] == "1 of 2 columns blocked"


def test_remove_stops_watching_and_keeps_the_archive(tmp_path):
    db = tmp_path / "gov.db"
    with serve({**build_trs_site(3, 3), **build_numbered_site(3, 2)}) as city:
        add(db, city.url("/tzgg/index.html"), "--name", "city", "--every", "1s")
        add(db, city.url("/gsgg/list_1.html"), "--name", "city")
        assert run_crawl(db, "--due").returncode == 0
        result = cli_run(db, "remove", city.url("/gsgg/list_1.html"))
        assert result.exit_code == 0 and "Stopped watching" in result.output
        time.sleep(1.2)  # every column is due again
        city.log.clear()
        assert run_crawl(db, "--due").returncode == 0
        assert {p.split("/")[1] for p in paths(city)} == {"tzgg"}

        assert cli_run(db, "remove", "city").exit_code == 0
        city.log.clear()
        nothing = run_crawl(db, "--due")
        assert nothing.returncode == 0 and "Nothing is watched yet" in nothing.stderr
        assert paths(city) == set()
    with Archive(db) as archive:
        assert len(archive.known_documents("city")) == 6  # what was archived stays
    rows = json.loads(cli_run(db, "sites", "--json").output)
    assert [(r["name"], r["watched"]) for r in rows] == [("city", False)]
    assert cli_run(db, "remove", "city").exit_code == 1  # not watched any more


def test_an_article_given_as_a_column_is_one_document(tmp_path):
    db = tmp_path / "gov.db"
    with serve(build_trs_site(3, 3)) as city:
        url = city.url(article_path(2))
        output = add(db, url, "--name", "city")
        assert "article page" in output
        proc = run_crawl(db, "--due")
        assert proc.returncode == 0, proc.stderr[-2000:]
        assert f"column {url}: an article page, not a list: archived as one document" in proc.stderr
        assert "WARNING" not in proc.stderr  # said once, in the summary, not also as a log line
        assert paths(city) == {article_path(2)}  # not the pages its links lead to
        once = run_crawl(db, "--url", city.url(article_path(3)))
        assert "`gov-archive add URL` watches a column" in once.stderr
    with Archive(db) as archive:
        assert sorted(d["url"] for d in archive.known_documents("city")) == [url]
        assert archive.document(url)["title"] == "关于第2项工作的通知"


def test_a_named_site_being_crawled_elsewhere_exits_1_but_not_under_due(tmp_path):
    db = tmp_path / "gov.db"
    with serve(build_trs_site(3, 3)) as city:
        add(db, city.url("/tzgg/index.html"), "--name", "city")
        city.log.clear()
        with site_lock(db, "city"):
            named = run_crawl(db, "city")
            due = run_crawl(db, "--due")
        assert named.returncode == 1 and "city: skipped, another crawl" in named.stderr
        assert due.returncode == 0 and "city: skipped, another crawl" in due.stderr
        assert paths(city) == set()


def test_watch_once_crawls_the_watched_columns(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with serve(build_trs_site(3, 3)) as city:
        add(Path("gov.db"), city.url("/tzgg/index.html"), "--name", "city")
        result = cli_run(Path("gov.db"), "watch", "--once", "-s", "DOWNLOAD_DELAY=0",
                         "-s", "AUTOTHROTTLE_ENABLED=False")
        assert result.exit_code == 0, result.output
    with Archive(tmp_path / "gov.db") as archive:
        assert [c["outcome"] for c in archive.crawls(site="city")] == ["finished"]
        assert len(archive.known_documents("city")) == 3
