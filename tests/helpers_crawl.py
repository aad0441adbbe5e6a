"""Local fixture sites for crawl tests: a `helpers_http.RouteServer` on 127.0.0.1 (port 0).

`FixtureServer.pages` maps a path (with its query string) to ``(status, headers, body)``;
tests mutate it between crawls (edit, withdraw, restore). Requests are logged in
`FixtureServer.log`. An ETag (Last-Modified) header on a page makes the server answer 304 to
a matching If-None-Match (If-Modified-Since). Crawls run in a subprocess (`run_crawl`), one Scrapy crawl per process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from helpers_http import Route, RouteServer
from scrapy.crawler import Crawler
from scrapy.utils.test import get_reactor_settings

from crawler.service.overrides import project_settings
from crawler.sites import ArticleRules, Column, Incremental, Politeness, SiteDef
from crawler.spiders.sites import spider_class

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "extract"
FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "RETRY_BACKOFF_BASE=0",
        "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8", "-s", "DOWNLOAD_TIMEOUT=10"]
ROBOTS = b"User-agent: *\nDisallow: /private/\n"

Page = Route


def html_page(body: bytes | str, *, status: int = 200, charset: str = "utf-8",
              headers: dict[str, str] | None = None) -> Page:
    data = body.encode(charset) if isinstance(body, str) else body
    return status, {"Content-Type": f"text/html; charset={charset}", **(headers or {})}, data


class FixtureServer(RouteServer):
    """A `RouteServer` with a robots.txt (`ROBOTS`), serving from construction until `close`."""

    def __init__(self, pages: dict[str, Page] | None = None) -> None:
        super().__init__(pages)
        self.pages.setdefault("/robots.txt", (200, {"Content-Type": "text/plain"}, ROBOTS))
        self.start()

    @property
    def base(self) -> str:
        return self.base_url

    def close(self) -> None:
        self.stop()

    def hits(self, path_prefix: str = "/") -> int:
        return sum(1 for _m, p, _h in self.log if p.startswith(path_prefix) and p != "/robots.txt")


@contextmanager
def serve(pages: dict[str, Page] | None = None) -> Iterator[FixtureServer]:
    server = FixtureServer(pages)
    try:
        yield server
    finally:
        server.close()


def crawl_cmd(db: Path, *args: str, fast: bool = True) -> list[str]:
    return [sys.executable, "-m", "crawler", "crawl", "--db", str(db), *(FAST if fast else []), *args]


def start_crawl(db: Path, *args: str, fast: bool = True) -> subprocess.Popen[str]:
    """`gov-archive crawl --db DB ARGS` started in its own session (`os.killpg` reaches its
    children: Ctrl-C as a terminal sends it); stdout and stderr piped."""
    env = {k: v for k, v in os.environ.items() if k != "GOV_ARCHIVE_SITES"}
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.Popen(crawl_cmd(db, *args, fast=fast), env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=db.parent, start_new_session=True)


def wait_for(condition: Callable[[], Any], what: str = "the condition", timeout: float = 40.0,
             poll: float = 0.02) -> Any:
    """Poll `condition` until it is truthy (its value is returned), failing after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(poll)
    raise AssertionError(f"timed out after {timeout:g}s waiting for {what}")


def run_crawl(db: Path, *args: str, timeout: float = 60, env: dict[str, str] | None = None,
              fast: bool = True) -> subprocess.CompletedProcess[str]:
    """`gov-archive crawl --db DB ARGS --json` in a subprocess; stdout is the JSON summary."""
    full_env = {k: v for k, v in os.environ.items() if k != "GOV_ARCHIVE_SITES"}
    full_env.update({"PYTHONPATH": str(ROOT), **(env or {})})
    return subprocess.run(crawl_cmd(db, *args, "--json", fast=fast), capture_output=True,
                          text=True, timeout=timeout, env=full_env,
                          cwd=str(db.parent) if db.parent.is_dir() else None)


def summary(proc: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert proc.stdout.strip(), f"no JSON summary; stderr:\n{proc.stderr[-3000:]}"
    return json.loads(proc.stdout)


def totals(proc: subprocess.CompletedProcess[str]) -> dict[str, int]:
    return summary(proc)["totals"]


# ---------------------------------------------------------------- synthetic pages


def article_html(title: str, date: str, paragraphs: Sequence[str], *, charset: str = "utf-8",
                 site: str = "示例市人民政府") -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f'<!DOCTYPE html><html><head><meta charset="{charset}"><title>{title}_{site}</title>'
        f'<meta name="ArticleTitle" content="{title}"><meta name="PubDate" content="{date} 09:00">'
        f'<meta name="SiteName" content="{site}"></head><body>'
        f'<div class="nav"><a href="/">首页</a> <a href="/tzgg/index.html">通知公告</a></div>'
        f'<div class="article"><h1>{title}</h1><div class="info">发布日期：{date} 来源：办公室</div>'
        f'<div class="TRS_Editor">{body}</div></div>'
        f'<div class="footer"><a href="/about.html">关于我们</a> 版权所有 {site}</div></body></html>'
    )


def article_text(n: int, extra: str = "") -> list[str]:
    return [
        "各区县人民政府，市政府各部门：",
        (f"现将第{n}号通知的有关事项通知如下。请各单位认真组织实施，确保各项工作落到实处，"
         f"并于规定时间内报送工作进展情况。{extra}"),
        "示例市人民政府办公室",
    ]


def list_html(items: Sequence[tuple[str, str, str]], pager: str = "", *, charset: str = "utf-8",
              title: str = "通知公告") -> str:
    lis = "".join(f'<li><a href="{href}" title="{t}">{t}</a><span>{d}</span></li>'
                  for href, t, d in items)
    return (
        f'<!DOCTYPE html><html><head><meta charset="{charset}"><title>{title}</title></head><body>'
        f'<div class="nav"><a href="/">首页</a><a href="/tzgg/index.html">{title}</a>'
        f'<a href="/zcwj/index.html">政策文件</a></div>'
        f'<div class="list"><ul>{lis}</ul></div><div class="page">{pager}</div>'
        f'<div class="footer"><a href="/about.html">关于我们</a></div></body></html>'
    )


def trs_pager(count: int, current: int) -> str:
    return (f'<script>var currentPage = {current};var countPage = {count};'
            f'createPageHTML(countPage, currentPage, "index", "html");</script>')


def article_path(n: int, folder: str = "/tzgg") -> str:
    return f"{folder}/202401/t202401{(n % 28) + 1:02d}_{1000 + n}.html"


def build_trs_site(n_articles: int = 9, per_page: int = 3, *, folder: str = "/tzgg",
                   charset: str = "utf-8") -> dict[str, Page]:
    """A TRS column: index.html, index_1.html ... and its articles (newest first)."""
    pages: dict[str, Page] = {}
    numbers = list(range(n_articles, 0, -1))
    count = (n_articles + per_page - 1) // per_page
    for page_no in range(count):
        chunk = numbers[page_no * per_page:(page_no + 1) * per_page]
        items = [(article_path(n, folder).replace(folder + "/", "./"), f"关于第{n}项工作的通知",
                  f"2024-01-{(n % 28) + 1:02d}") for n in chunk]
        name = "index.html" if page_no == 0 else f"index_{page_no}.html"
        pages[f"{folder}/{name}"] = html_page(list_html(items, trs_pager(count, page_no),
                                                        charset=charset), charset=charset)
    for n in numbers:
        pages[article_path(n, folder)] = html_page(
            article_html(f"关于第{n}项工作的通知", f"2024-01-{(n % 28) + 1:02d}", article_text(n),
                         charset=charset), charset=charset)
    pages["/"] = html_page("<html><body><h1>示例市人民政府</h1>"
                           '<a href="/tzgg/index.html">通知公告</a></body></html>')
    return pages


def _articles(pages: dict[str, Page], paths: Sequence[tuple[int, str]], charset: str = "utf-8") -> None:
    for n, path in paths:
        pages[path] = html_page(article_html(f"关于第{n}项工作的通知", f"2024-02-{(n % 28) + 1:02d}",
                                             article_text(n), charset=charset), charset=charset)


def build_next_link_site(n: int = 5, per_page: int = 2) -> dict[str, Page]:
    """A column paged by 下一页 links: /xwdt/list.jsp?page=N."""
    pages: dict[str, Page] = {}
    paths = [(k, f"/xwdt/content/post_{2000 + k}.html") for k in range(n, 0, -1)]
    chunks = [paths[i:i + per_page] for i in range(0, len(paths), per_page)]
    for i, chunk in enumerate(chunks, start=1):
        pager = '<a href="list.jsp?page=1">首页</a>'
        if i < len(chunks):
            pager += f'<a href="list.jsp?page={i + 1}">下一页</a>'
        items = [(p, f"关于第{k}项工作的通知", f"2024-02-{(k % 28) + 1:02d}") for k, p in chunk]
        pages[f"/xwdt/list.jsp?page={i}"] = html_page(list_html(items, pager))
    _articles(pages, paths)
    return pages


def build_numbered_site(n: int = 5, per_page: int = 2) -> dict[str, Page]:
    """A column paged by numbered links only: /gsgg/list_1.html, list_2.html ..."""
    pages: dict[str, Page] = {}
    paths = [(k, f"/gsgg/2024/0201/c{3000 + k}.html?id={3000 + k}") for k in range(n, 0, -1)]
    chunks = [paths[i:i + per_page] for i in range(0, len(paths), per_page)]
    for i, chunk in enumerate(chunks, start=1):
        pager = "".join(f'<span class="current">{j}</span>' if j == i
                        else f'<a href="/gsgg/list_{j}.html">{j}</a>'
                        for j in range(1, len(chunks) + 1))
        items = [(p, f"关于第{k}项工作的通知", f"{2024}年2月{(k % 28) + 1}日") for k, p in chunk]
        pages[f"/gsgg/list_{i}.html"] = html_page(list_html(items, pager))
    _articles(pages, paths)
    return pages


def build_hanweb_site(n: int = 5, per_page: int = 2) -> dict[str, Page]:
    """A Hanweb column: /col/col88/index.html embeds group 1; dataproxy.jsp?page=N serves XML."""
    pages: dict[str, Page] = {}
    paths = [(k, f"/art/2024/2/{k}/art_88_{4000 + k}.html") for k in range(n, 0, -1)]
    chunks = [paths[i:i + per_page] for i in range(0, len(paths), per_page)]

    def records(chunk: Sequence[tuple[int, str]]) -> str:
        return "".join(f'<record><![CDATA[<li><a href="{p}" title="关于第{k}项工作的通知">关于第{k}项工作'
                       f'的通知</a><span>[2024-02-{k:02d}]</span></li>]]></record>' for k, p in chunk)

    proxy = "/module/web/jpage/dataproxy.jsp"
    query = "appid=1&webid=1&path=%2F&columnid=88&unitid=9&permissiontype=0"
    pages["/col/col88/index.html"] = html_page(
        f'<html><body><div id="9"><script type="text/xml"><datastore><recordset>{records(chunks[0])}'
        f"</recordset></datastore></script></div><script>$('#9').jpage({{dataproxy: "
        f"'{proxy}?page=1&{query}', perPage: {per_page}}});</script></body></html>")
    for i, chunk in enumerate(chunks, start=1):
        xml = (f'<?xml version="1.0" encoding="UTF-8"?><datastore><totalrecord>{n}</totalrecord>'
               f"<totalpage>{len(chunks)}</totalpage><recordset>{records(chunk)}</recordset></datastore>")
        pages[f"{proxy}?page={i}&{query}"] = (200, {"Content-Type": "text/xml; charset=utf-8"},
                                              xml.encode())
    _articles(pages, paths)
    return pages


def build_hanweb_post_site(n: int = 5, per_page: int = 1) -> dict[str, Page]:
    """Newer Hanweb: the column page configures jpage; groups come from POST dataproxy.jsp."""
    pages: dict[str, Page] = {}
    paths = [(k, f"/art/2024/3/{k}/art_77_{5000 + k}.html") for k in range(n, 0, -1)]
    group = 3 * per_page

    def records(chunk: Sequence[tuple[int, str]]) -> str:
        return "".join(f'<record><![CDATA[<li><a href="{p}">关于第{k}项工作的通知</a>'
                       f"<span>2024-03-{k:02d}</span></li>]]></record>" for k, p in chunk)

    pages["/col/col77/index.html"] = html_page(
        f'<html><body><div id="55"><script type="text/xml"><datastore><recordset>'
        f"{records(paths[:group])}</recordset></datastore></script></div>"
        f"<script>$('#55').jpage({{url: '/module/web/jpage/dataproxy.jsp', perPage: {per_page}, "
        f"params: {{col: 1, appid: 1, webid: 1, path: '/', columnid: 77, unitid: 55, "
        f"webname: 'demo', permissiontype: 0}}}});</script></body></html>")
    for start in range(1, n + 1, group):
        chunk = paths[start - 1:start - 1 + group]
        xml = (f"<datastore><totalrecord>{n}</totalrecord><recordset>{records(chunk)}"
               f"</recordset></datastore>")
        query = f"startrecord={start}&endrecord={start + group - 1}&perpage={per_page}"
        pages[f"/module/web/jpage/dataproxy.jsp?{query}"] = (
            200, {"Content-Type": "text/xml; charset=utf-8"}, xml.encode())
    _articles(pages, paths)
    return pages


# ---------------------------------------------------------------- review regressions

RUISHU_SCRIPT = (b'<meta content="smwqIICc8EJXTaZztj79" r="m">'
                 b"<script type=\"text/javascript\" r='m'>$_ts=window['$_ts'];if(!$_ts)$_ts={};"
                 b'$_ts.nsd=20587;$_ts.cd="qxJDrrAlt19qxGEbqSAotAqbq13DmqQNqc3u";</script>'
                 b'<script type="text/javascript" charset="utf-8" src="/4QbVtADbnLVIc/c.FxJzG50F.js" r="m">'
                 b"</script>")


def with_ruishu(body: bytes) -> bytes:
    """A real page as a Ruishu-protected site serves it: its ``$_ts`` scripts in the head."""
    return body.replace(b"</head>", RUISHU_SCRIPT + b"</head>", 1)


def build_endless_site(n_pages: int = 60, folder: str = "/endless") -> dict[str, Page]:
    """A broken pager: list.jsp?page=N always shows the same two items and 下一页 to N+1."""
    paths = [(k, f"{folder}/content/post_{7000 + k}.html") for k in (2, 1)]
    items = [(p, f"关于第{k}项工作的通知", f"2024-02-{k + 1:02d}") for k, p in paths]
    pages: dict[str, Page] = {}
    for i in range(1, n_pages + 1):
        pager = f'<a href="list.jsp?page=1">首页</a><a href="list.jsp?page={i + 1}">下一页</a>'
        pages[f"{folder}/list.jsp?page={i}"] = html_page(list_html(items, pager))
    _articles(pages, paths)
    return pages


def make_spider(tmp_path: Path, overrides: dict[str, Any] | None = None, *,
                article: ArticleRules | None = None) -> tuple[Any, Any]:
    """A GovSpider for a fixed example site (with these `article` rules), wired to a Crawler
    but not crawling (callbacks by hand)."""
    site = SiteDef(name="city", columns=(Column("http://www.example.gov.cn/tzgg/index.html"),),
                   allowed_domains=("www.example.gov.cn",),
                   politeness=Politeness(download_delay=4.0, concurrency=2),
                   incremental=Incremental(stop_after_known_pages=1), max_pages=50,
                   article=article or ArticleRules())
    settings = project_settings({"ARCHIVE_DB_PATH": str(tmp_path / "a.db"),
                                 **get_reactor_settings(), **(overrides or {})})
    cls = spider_class(site)
    crawler = Crawler(cls, settings)
    spider = cls.from_crawler(crawler, site_def=site)
    crawler.spider = spider
    crawler._apply_settings()
    return spider, crawler
