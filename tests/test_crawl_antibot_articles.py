"""Ruishu sites put ``$_ts`` scripts on real articles: those are archived; challenge shells are not."""

from __future__ import annotations

from pathlib import Path

from helpers_crawl import FIXTURES, html_page, list_html, run_crawl, serve, summary, with_ruishu

from archive import Archive

SHELLS = Path(__file__).parent / "fixtures" / "extract" / "other"
REAL = "/tzgg/202302/t20230228_1.html"


def test_real_article_with_ruishu_script_is_archived_and_shells_are_not(tmp_path: Path) -> None:
    real = with_ruishu((FIXTURES / "corpus/002.html").read_bytes())
    assert b"$_ts" in real
    paths = {REAL: real,
             "/tzgg/202302/t20230227_2.html": (SHELLS / "C01.html").read_bytes(),
             "/tzgg/202302/t20230226_3.html": (SHELLS / "C02.html").read_bytes()}
    items = [(p, f"关于第{i}项重点工作的通知", "2023-02-28") for i, p in enumerate(paths, 1)]
    pages = {p: html_page(body) for p, body in paths.items()}
    pages["/tzgg/index.html"] = html_page(list_html(items))
    db = tmp_path / "a.db"
    with serve(pages) as srv:
        proc = run_crawl(db, "--url", srv.url("/tzgg/index.html"))
    stats = summary(proc)["sites"][0]["stats"]
    assert stats.get("archive/new") == 1, proc.stderr[-2000:]
    assert stats["pages/antibot"] == 2  # C01 ($_ss) and C02 ($_ts): shells, counted only
    with Archive(db) as a:
        docs = a.known_documents("127.0.0.1")
        assert [d["url"] for d in docs] == [srv.url(REAL)]
        assert a.document(docs[0]["id"])["title"] == "山西品牌丝路行（南美站）正式启动"


def test_challenge_status_and_challenge_body_on_an_error_are_not_withdrawals(tmp_path: Path) -> None:
    """412 is a challenge by status; a 404 whose body is a challenge shell is no withdrawal."""
    db = tmp_path / "a.db"
    real = with_ruishu((FIXTURES / "corpus/004.html").read_bytes())
    other = "/tzgg/202302/t20230227_2.html"
    pages = {REAL: html_page(real), other: html_page(real.replace(b"2022", b"2021")),
             "/tzgg/index.html": html_page(list_html([(REAL, "关于第一项工作的通知", "2023-02-28"),
                                                      (other, "关于第二项工作的通知", "2023-02-27")]))}
    with serve(pages) as srv:
        assert run_crawl(db, "--url", srv.url("/tzgg/index.html")).returncode == 0
        shell = (SHELLS / "C02.html").read_bytes()
        srv.pages[REAL] = (412, {"Content-Type": "text/html"}, shell)
        srv.pages[other] = (404, {"Content-Type": "text/html"}, shell)
        proc = run_crawl(db, "--url", srv.url("/tzgg/index.html"), "--full")
    stats = summary(proc)["sites"][0]["stats"]
    assert stats["pages/antibot"] >= 2 and not stats.get("archive/gone")
    with Archive(db) as a:
        assert {d["status"] for d in a.known_documents("127.0.0.1")} == {"live"}
