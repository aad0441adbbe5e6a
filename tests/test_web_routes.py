"""Every route of `gov-archive serve`, through Datasette's test client, on a small archive."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import quote
from xml.etree import ElementTree as ET

import pytest
from click.testing import CliRunner
from helpers_web import (
    NEW_SENTENCE,
    OLD_SENTENCE,
    OTHER,
    OTHER_PROBLEM,
    RECORDS,
    SITE,
    SITE_TITLE,
    Client,
    at,
    build_archive,
    file_digest,
    text_of,
)

from archive import Archive
from crawler.cli import cli
from crawler.web import pages, views
from crawler.web.text import local_time

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(scope="module")
def archive_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("web") / "archive.db"


@pytest.fixture(scope="module")
def ids(archive_path: Path) -> dict[str, int]:
    return build_archive(archive_path)


@pytest.fixture(scope="module")
def client(archive_path: Path, ids: dict[str, int]) -> Client:
    return Client(archive_path)


def sites_health(db: Path, site: str) -> dict[str, object]:
    """The row `gov-archive sites --health --json` gives `site`."""
    rows = json.loads(CliRunner().invoke(cli, ["--db", str(db), "sites", "--health", "--json"]).stdout)
    return next(row for row in rows if row["site"] == site)


def test_pages_are_html_with_security_headers(client: Client) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in response.headers["content-security-policy"]
    assert "<script" not in response.text  # usable without JavaScript: none is shipped


# --- / ----------------------------------------------------------------------------------------


def test_home_lists_events_newest_first_with_site_titles(client: Client, ids: dict[str, int]) -> None:
    html = client.get("/").text
    order = [int(i) for i in re.findall(r'class="doc-title" lang="zh-CN" href="/documents/(\d+)"', html)]
    assert order[:4] == [ids["restored"], ids["restored"], ids["withdrawn"], ids["edited"]]
    text = text_of(html)
    assert "Restored" in text and "Withdrawn" in text and "Changed" in text and "New" in text
    assert SITE_TITLE in text  # the definition's title, not the name
    assert f'/documents/{ids["edited"]}/diff?from=1&amp;to=2' in html


def test_home_filters_by_kind_and_site(client: Client, ids: dict[str, int]) -> None:
    gone = client.get("/?kind=gone").text
    found = {int(i) for i in re.findall(r'href="/documents/(\d+)"', gone)}
    assert found == {ids["withdrawn"], ids["restored"]}
    other = client.get(f"/?site={OTHER}").text
    assert {int(i) for i in re.findall(r'href="/documents/(\d+)"', other)} == {ids["other"]}


def test_home_pages_older_events(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pages, "EVENTS_PER_PAGE", 3)
    first = client.get("/").text
    older = re.search(r'<a rel="next" href="([^"]+)"', first)
    assert older
    second = client.get(older.group(1).replace("&amp;", "&")).text
    shown = lambda html: re.findall(r'class="badge (\w+)"', html)  # noqa: E731
    assert len(shown(first)) == 3 and shown(second)
    assert shown(second)[0] == "changed"  # the 4th newest event


def test_home_shows_site_counts_and_open_health_problems(client: Client) -> None:
    html = client.get("/").text
    sites = html.split('<table class="sites">')[1].split("</table>")[0]
    assert f"/sites/{SITE}" in sites and f"/sites/{OTHER}" in sites
    assert re.search(r">6</td><td class=\"num\">1</td>", sites)  # example-gov: 6 live, 1 gone
    problems = html.split('<ul class="problems">')[1].split("</ul>")[0]
    assert "anti-bot pages on 5 of 5 requests" in problems


def test_a_removed_site_leaves_the_health_box(tmp_path: Path) -> None:
    """NU19: a site taken off the watch list keeps its archive, not a health problem."""
    db = tmp_path / "gov.db"
    with Archive(db, create=True) as archive:
        archive.watch_column("city", "http://127.0.0.1:9/tzgg/index.html")
        crawl = archive.start_crawl("city", now=at(0))
        archive.finish_crawl(crawl, "blocked", {"pages/antibot": 5}, now=at(1))
        archive.record_site_outcome("city", {"last_crawl_id": crawl}, now=at(1), health=[
            ("blocked", "anti-bot pages on 5 of 5 requests", crawl)])
    assert "anti-bot pages on 5 of 5" in Client(db).get("/").text
    assert "Status: warning" in text_of(Client(db).get("/sites/city").text)
    assert sites_health(db, "city")["health"] == "warning"
    with Archive(db) as archive:
        archive.unwatch_site("city")
    assert "anti-bot pages on 5 of 5" not in Client(db).get("/").text
    page = text_of(Client(db).get("/sites/city").text)  # as `sites --health` says
    assert sites_health(db, "city")["health"] == "not watched"
    assert "Status: not watched" in page and "Not watched: no crawl is scheduled" in page
    assert "anti-bot pages on 5 of 5" in page  # its history stays


def test_home_rejects_an_unknown_kind_with_a_page(client: Client) -> None:
    response = client.get("/?kind=deleted")
    assert response.status_code == 400
    assert "kind must be one of" in response.text and "Traceback" not in response.text


def test_home_names_an_unknown_site_on_the_page(client: Client) -> None:
    response = client.get("/?site=nosuch")
    assert response.status_code == 404  # as /feed.atom?site=nosuch
    text = text_of(response.text)
    assert "no site named 'nosuch' in this archive" in text and "Nothing recorded" not in text
    assert '<form class="filters"' in response.text  # to choose a site that exists


# --- /search -----------------------------------------------------------------------------------


def test_search_one_character(client: Client, ids: dict[str, int]) -> None:
    html = client.get("/search?q=" + quote("税")).text
    assert re.findall(r'href="/documents/(\d+)"', html.split('<ol class="hits"')[1]) == [str(ids["tax"])]
    assert "<mark>税</mark>" in html
    assert "1 result" in text_of(html)


def test_search_two_characters(client: Client, ids: dict[str, int]) -> None:
    html = client.get("/search?q=" + quote("法治")).text
    hits = re.findall(r'href="/documents/(\d+)"', html.split('<ol class="hits"')[1])
    assert hits == [str(ids["law"])]
    assert "<mark>法治</mark>政府建设" in html  # in the title and the snippet


def test_search_every_word_must_match(client: Client, ids: dict[str, int]) -> None:
    html = client.get("/search?q=" + quote("营商环境 通告")).text
    assert re.findall(r'href="/documents/(\d+)"', html.split('<ol class="hits"')[1]) == [str(ids["other"])]


@pytest.mark.parametrize("query", ['"法治政府"', "“法治政府”", "「法治政府」", "『法治政府』"])
def test_search_quoted_phrase(client: Client, ids: dict[str, int], query: str) -> None:
    html = client.get("/search?q=" + quote(query)).text
    assert re.findall(r'href="/documents/(\d+)"', html.split('<ol class="hits"')[1]) == [str(ids["law"])]
    assert "<mark>法治政府</mark>建设" in html


def test_search_filters_site_dates_and_status(client: Client, ids: dict[str, int]) -> None:
    def hits(url: str) -> list[str]:
        html = client.get(url).text
        return re.findall(r'href="/documents/(\d+)"', html.split('<ol class="hits"')[1]) \
            if '<ol class="hits"' in html else []

    q = quote("示例市") + "+" + quote("清单")
    assert hits("/search?q=" + quote("清单")) == [str(ids["restored"])]
    assert hits("/search?q=" + quote("清单") + f"&site={OTHER}") == []
    assert hits("/search?q=" + quote("清单") + "&from=2026-10-20") == []
    assert hits("/search?q=" + quote("清单") + "&to=2026-10-19") == [str(ids["restored"])]
    assert hits("/search?q=" + quote("决定") + "&status=gone") == [str(ids["withdrawn"])]
    assert hits("/search?q=" + quote("决定") + "&status=live") == []
    assert hits("/search?q=" + q) == [str(ids["restored"])]


def test_search_counts_and_pages(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pages, "HITS_PER_PAGE", 1)
    html = client.get("/search?q=" + quote("示例市") + "&page=2").text
    total = int(re.search(r"(\d+) results", text_of(html)).group(1))
    # every document matches: 示例市 is in its 发文机关 (metadata is searched, issue 9)
    assert total > 2 and f"{total} results · page 2 of {total}" in text_of(html)
    with Archive(client.datasette.plugin_config("gov-archive")["db"], read_only=True) as archive:
        assert total == len(archive.search("示例市", limit=100))
    assert '<a rel="prev" href="/search?q=' in html


def test_search_escapes_archived_markup(client: Client) -> None:
    html = client.get("/search?q=" + quote("加粗")).text
    assert "<b>" not in html and "<img" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "&lt;b&gt;<mark>加粗</mark>&lt;/b&gt;" in html


def test_search_without_words_shows_the_form_and_tips(client: Client) -> None:
    html = client.get("/search").text
    assert 'name="q"' in html and "one- and two-character words" in html


def test_search_rejects_a_bad_date_with_a_page(client: Client) -> None:
    response = client.get("/search?q=x&from=2026-13-01")
    assert response.status_code == 400
    assert "from must be a date" in response.text
    assert '<form class="search"' in response.text


def test_search_rejects_from_after_to_on_the_form(client: Client) -> None:
    response = client.get("/search?q=" + quote("法治") + "&from=2024-01-01&to=2023-01-01")
    assert response.status_code == 400  # the CLI's usage error, not silently no results
    assert "from 2024-01-01 is after to 2023-01-01" in text_of(response.text)
    assert '<form class="search"' in response.text and 'value="法治"' in response.text
    assert '<ol class="hits"' not in response.text and "No announcement contains" not in response.text


def test_search_names_an_unknown_site_on_the_form(client: Client) -> None:
    response = client.get("/search?q=" + quote("法治") + "&site=nosuch")
    assert response.status_code == 404
    assert "no site named 'nosuch' in this archive" in text_of(response.text)
    assert '<form class="search"' in response.text


def test_search_tips_name_everything_searched(client: Client) -> None:
    tips = text_of(client.get("/search").text.split('<div class="tips">')[1].split("</div>")[0])
    for place in ("title", "text", "文号", "发文机关", "索引号", "attachment", "file"):
        assert place in tips


# --- /documents/{id} -----------------------------------------------------------------------------


def test_document_page_shows_what_a_reader_needs(client: Client, ids: dict[str, int]) -> None:
    html = client.get(f"/documents/{ids['edited']}").text
    text = text_of(html)
    assert f"<title>{RECORDS['edited']['title']} · {SITE_TITLE} · gov-archive</title>" in html
    for fact in ("2026-10-15 09:30", SITE_TITLE, "通知公告", "Live", "2 of 2"):
        assert fact in text
    assert "<th scope=\"row\" lang=\"zh-CN\" title=\"index_no\">索引号</th>" in html
    assert "示政办发〔2026〕99号" in text  # current metadata
    assert '<a href="http://www.example.gov.cn/files/form.docx"' in html
    assert f"<p>{NEW_SENTENCE}</p>" in html  # the body as paragraphs
    assert f'href="{RECORDS["edited"]["url"]}"' in html  # the original
    assert f'/documents/{ids["edited"]}/diff?from=1&amp;to=2' in html  # versions


def test_document_links_the_archived_capture(client: Client, ids: dict[str, int]) -> None:
    html = client.get(f"/documents/{ids['edited']}?version=1").text
    sha = re.search(r'href="/captures/([0-9a-f]{64})"', html).group(1)
    response = client.get(f"/captures/{sha}")
    assert response.status_code == 200
    assert response.headers["content-security-policy"] == "sandbox"  # its scripts never run here
    assert b"archived page" in response.content


def test_document_old_version(client: Client, ids: dict[str, int]) -> None:
    html = client.get(f"/documents/{ids['edited']}?version=1").text
    assert f"<p>{OLD_SENTENCE}</p>" in html and NEW_SENTENCE not in html
    assert "You are reading <strong>version 1</strong> of 2" in html


def test_withdrawn_document(client: Client, ids: dict[str, int]) -> None:
    response = client.get(f"/documents/{ids['withdrawn']}")
    assert response.status_code == 200
    text = text_of(response.text)
    assert "Withdrawn. The page disappeared from the site 2026-11-02 10:02" in text
    assert "经研究，决定停止执行下列文件。" in text  # the last archived text stays readable


def test_restored_document(client: Client, ids: dict[str, int]) -> None:
    text = text_of(client.get(f"/documents/{ids['restored']}").text)
    assert "Restored 2026-11-02 11:01 after having been withdrawn" in text
    assert "Withdrawn" in text  # in the timeline


def test_document_escapes_markup_and_refuses_javascript_links(client: Client, ids: dict[str, int]) -> None:
    html = client.get(f"/documents/{ids['hostile']}").text
    assert "<script>alert" not in html and "<b>加粗</b>" not in html
    assert "&lt;script&gt;" in html
    assert 'href="javascript:' not in html


@pytest.mark.parametrize("url", ["/documents/999999", "/documents/abc", "/documents/99999999999999999999",
                                 "/documents/1?version=9", "/documents/999999/diff"])
def test_missing_document_is_a_404_page(client: Client, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 404
    assert "<h1>Not found</h1>" in response.text
    assert "Traceback" not in response.text


@pytest.mark.parametrize("url", ["/site/x", "/document/1/version/99", "/nowhere", "/a/b/c/d",
                                 "/documents/1/nothing"])
def test_an_unknown_address_is_our_404_page(client: Client, url: str) -> None:
    response = client.get(url)  # Datasette's own handler fails here when rich is installed
    assert response.status_code == 404
    assert "<h1>Not found</h1>" in response.text and 'class="brand"' in response.text
    assert "default-src 'none'" in response.headers["content-security-policy"]
    assert "Traceback" not in response.text


def test_datasette_errors_keep_their_status_and_json(client: Client) -> None:
    missing = client.get("/archive/nosuchtable.json")
    assert missing.status_code == 404 and missing.json()["ok"] is False
    assert client.get("/archive/nosuchtable").status_code == 404


def test_an_unexpected_error_is_our_500_page(client: Client, monkeypatch: pytest.MonkeyPatch,
                                             caplog: pytest.LogCaptureFixture) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the disk said no")

    monkeypatch.setattr(pages, "home_page", broken)
    response = client.get("/")
    assert response.status_code == 500
    assert "<h1>Something went wrong</h1>" in response.text
    assert "the disk said no" not in response.text and "Traceback" not in response.text
    assert "the disk said no" in caplog.text  # the traceback goes to the server's log


# --- /documents/{id}/diff --------------------------------------------------------------------------


def test_diff_marks_the_changed_characters(client: Client, ids: dict[str, int]) -> None:
    html = client.get(f"/documents/{ids['edited']}/diff").text
    assert "Changed: <strong>Body, Metadata, Attachments</strong>" in html
    assert "11月<del>5</del>日" in html and "11月<ins>12</ins>日" in html
    assert "〔2026〕<del>6</del>号" in html and "〔2026〕<ins>99</ins>号" in html  # 文号
    assert "附件：报送表" in html and ">added<" in html


def test_diff_side_by_side(client: Client, ids: dict[str, int]) -> None:
    html = client.get(f"/documents/{ids['edited']}/diff?from=1&to=2&view=side").text
    row = re.search(r'<tr class="change"><td class="old">(.*?)</td><td class="new">(.*?)</td>', html)
    assert row and "<del>5</del>" in row.group(1) and "<ins>12</ins>" in row.group(2)


def test_diff_against_nothing_and_reversed(client: Client, ids: dict[str, int]) -> None:
    first = client.get(f"/documents/{ids['law']}/diff").text
    assert "Nothing (first version)" in first
    back = client.get(f"/documents/{ids['edited']}/diff?from=2&to=1").text
    assert "11月<del>12</del>日" in back


def test_diff_rejects_bad_parameters(client: Client, ids: dict[str, int]) -> None:
    assert client.get(f"/documents/{ids['edited']}/diff?view=split").status_code == 400
    assert client.get(f"/documents/{ids['edited']}/diff?from=0").status_code == 400
    assert client.get(f"/documents/{ids['edited']}/diff?to=7").status_code == 404


# --- /sites/{name} ---------------------------------------------------------------------------------


def test_site_page_with_a_definition(client: Client, ids: dict[str, int]) -> None:
    html = client.get(f"/sites/{SITE}").text
    text = text_of(html)
    assert SITE_TITLE in text
    assert 'href="http://www.example.gov.cn/zcwj/"' in html  # a defined column
    assert "anti-bot pages on 5 of 5 requests" in text
    assert "blocked" in text and "1 changed, 2 gone" in text  # crawls with their counts
    assert f'href="/documents/{ids["hostile"]}"' in html  # newest documents


def test_site_page_schedule_agrees_with_the_sites_command(client: Client, archive_path: Path) -> None:
    listed = CliRunner().invoke(cli, ["--db", str(archive_path), "sites", "--json"])
    row = next(r for r in json.loads(listed.stdout) if r["name"] == SITE)
    assert row["every"] == "1h" and row["next_due"] == "2026-11-02T04:05:00+00:00"
    health = text_of(client.get(f"/sites/{SITE}").text.split("<h2>Health</h2>")[1].split("<h2>")[0])
    assert "every 1h" in health
    assert f"{local_time(row['next_due'])}" in health  # 12:05 Beijing time, not 17:05 (every 6h)
    assert ("Next crawl: due now" if row["due"] else "Next crawl due") in health


def test_site_page_shows_each_columns_health(client: Client) -> None:
    html = client.get(f"/sites/{SITE}").text
    columns = text_of(html.split('<ul class="site-columns">')[1].split("</ul>")[0])
    assert "通知公告 · ok" in columns
    assert "政策文件 · failing (HTTP 404), next try after 2026-11-02 12:05" in columns


def test_a_site_no_longer_watched_keeps_its_page_but_leaves_the_health_box(client: Client,
                                                                           archive_path: Path) -> None:
    problems = client.get("/").text.split('<ul class="problems">')[1].split("</ul>")[0]
    assert SITE in problems and OTHER not in problems and OTHER_PROBLEM not in problems
    page = text_of(client.get(f"/sites/{OTHER}").text)
    # Its record stays (the event, the failed crawls); its health is the word `sites --health`
    # gives a site not watched (NU19), not "failing (failed)".
    assert sites_health(archive_path, OTHER)["health"] == "not watched"
    assert OTHER_PROBLEM in page and "Status: not watched · 2 failed crawls in a row" in page
    assert "failing" not in page and "next try" not in page
    assert "Not watched: no crawl is scheduled" in page


def test_site_page_without_a_definition_names_the_columns_seen(client: Client) -> None:
    text = text_of(client.get(f"/sites/{OTHER}").text)
    assert "政务公开 (1)" in text


def test_unknown_site_is_a_404_page(client: Client) -> None:
    response = client.get("/sites/nowhere")
    assert response.status_code == 404 and "no site named" in response.text


# --- /feed.atom ------------------------------------------------------------------------------------


def test_feed_is_atom_newest_first(client: Client, ids: dict[str, int]) -> None:
    response = client.get("/feed.atom")
    assert response.headers["content-type"] == "application/atom+xml; charset=utf-8"
    feed = ET.fromstring(response.content)
    entries = feed.findall(f"{ATOM}entry")
    assert [e.find(f"{ATOM}category").get("term") for e in entries][:4] == \
        ["restored", "gone", "gone", "changed"]
    assert feed.find(f"{ATOM}id").text == "tag:gov-archive,2026:feed/all/new+changed+gone+restored"


def test_feed_filters_by_site_and_kind(client: Client) -> None:
    feed = ET.fromstring(client.get(f"/feed.atom?site={SITE}&kind=gone&kind=restored").content)
    kinds = {e.find(f"{ATOM}category").get("term") for e in feed.findall(f"{ATOM}entry")}
    assert kinds == {"gone", "restored"}
    other = ET.fromstring(client.get(f"/feed.atom?site={OTHER}").content)
    assert len(other.findall(f"{ATOM}entry")) == 1


def test_feed_matches_the_cli_feed(client: Client, archive_path: Path) -> None:
    written = CliRunner().invoke(cli, ["--db", str(archive_path), "feed", "--out", "-"]).stdout_bytes
    served = client.get("/feed.atom").content
    strip = lambda xml: re.sub(rb"<updated>[^<]*</updated>", b"", xml)  # noqa: E731
    assert strip(served) == strip(written[: written.rindex(b"</feed>") + 7] + b"\n")


def test_feed_errors(client: Client) -> None:
    assert client.get("/feed.atom?kind=health").status_code == 400
    assert client.get("/feed.atom?site=nowhere").status_code == 404


# --- read-only, Datasette underneath -----------------------------------------------------------


def test_no_route_writes_to_the_archive(tmp_path: Path) -> None:
    path = tmp_path / "ro.db"
    ids = build_archive(path)
    before = file_digest(path)
    client = Client(path)
    for url in ("/", "/?kind=gone", "/search?q=%E7%A8%8E", f"/documents/{ids['edited']}",
                f"/documents/{ids['edited']}/diff", f"/sites/{SITE}", "/feed.atom",
                f"/documents/{ids['files']}/attachments/1", f"/documents/{ids['files']}/diff",
                "/archive", "/archive/documents", "/archive/documents.json", "/archive/events.csv"):
        assert client.get(url).status_code == 200, url
    assert file_digest(path) == before


def test_every_request_opens_the_archive_read_only(client: Client, ids: dict[str, int],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[Archive] = []

    def spy(*args: object, **kwargs: object) -> Archive:
        opened.append(Archive(*args, **kwargs))
        return opened[-1]

    monkeypatch.setattr(views, "Archive", spy)
    for url in ("/", "/search?q=%E7%A8%8E", f"/documents/{ids['edited']}",
                f"/documents/{ids['edited']}/diff", f"/sites/{SITE}", "/feed.atom",
                f"/documents/{ids['files']}/attachments/1"):
        client.get(url)
    assert len(opened) >= 7 and all(archive.read_only for archive in opened)


def test_datasette_tables_json_and_csv_stay_available(client: Client) -> None:
    rows = client.get("/archive/documents.json?_shape=array&_size=2").json()
    assert len(rows) == 2 and "title" in rows[0]
    assert client.get("/archive/events.csv").text.startswith("id,kind,time")


def test_arbitrary_sql_is_off_unless_allowed(archive_path: Path, client: Client) -> None:
    assert client.get("/archive.json?sql=select+1").status_code == 403
    allowed = Client(archive_path, allow_sql=True)
    assert allowed.get("/archive.json?sql=select+count(*)+as+n+from+documents&_shape=array").json() \
        == [{"n": len(RECORDS) + 2}]  # and files, other


def test_pages_read_while_a_crawl_holds_the_write_lock(tmp_path: Path) -> None:
    path = tmp_path / "busy.db"
    build_archive(path)
    client = Client(path)
    with Archive(path) as writer:
        writer.conn.execute("BEGIN IMMEDIATE")  # a crawl in the middle of saving an item
        try:
            assert client.get("/").status_code == 200
            assert client.get("/search?q=%E7%A8%8E").status_code == 200
        finally:
            writer.conn.execute("ROLLBACK")
        writer.save(SITE, {"url": "http://www.example.gov.cn/new.html", "title": "新发布的通知",
                           "body": "正文。"}, crawl_id=None)
        assert "新发布的通知" in client.get("/").text  # committed: seen by the next request


def test_sites_sharing_their_pages_name_are_told_apart(tmp_path: Path) -> None:
    db = tmp_path / "twins.db"
    with Archive(db, create=True) as archive:
        for host in ("www.a.gov.cn", "www.b.gov.cn"):
            crawl = archive.start_crawl(host, now=at(0))
            archive.save(host, {"url": f"http://{host}/tzgg/1.html", "title": f"{host}的通知",
                                "published": "2026-10-20", "body": "正文。", "attachments": [],
                                "metadata": {"site_name": "示例市人民政府"}}, crawl_id=crawl, now=at(1))
            archive.finish_crawl(crawl, "finished", {"archive/new": 1}, now=at(2))
    home = text_of(Client(db).get("/").text)
    assert "示例市人民政府 (www.a.gov.cn)" in home and "示例市人民政府 (www.b.gov.cn)" in home
    page = text_of(Client(db).get("/sites/www.a.gov.cn").text)
    assert "示例市人民政府 (www.a.gov.cn)" in page and "(www.a.gov.cn) (www.a.gov.cn)" not in page
