"""The demo site: columns of TRS-style articles (`crawler.demo.model`), generated deterministically.

`demo_site()` builds the small site the `demo` command serves; `generate_site()` takes sizes so a
benchmark can build thousands of articles. The site lives in memory and can be changed while it
is being served (`publish`, `edit`, `withdraw`); `resolve(path)` answers one request with the
HTML of `crawler.demo.render`.
"""

from __future__ import annotations

import random
import re
import threading
from datetime import UTC, datetime, timedelta, timezone

from crawler.demo import files, render, text
from crawler.demo.model import Article, Attachment, Block, Column, Resource, cn_day

BEIJING = timezone(timedelta(hours=8))
NEWEST = datetime(2026, 11, 20, 9, 30, tzinfo=BEIJING)

_LIST_PATH = re.compile(r"^/(\w+)/(?:index(?:_([1-9]\d*))?\.html)?$")


class DemoSite:
    """The in-memory site: columns, articles and attachments, safe to change while served."""

    def __init__(self, columns: list[Column], *, generator: _Generator | None = None) -> None:
        self.columns = {c.slug: c for c in columns}
        self.generator = generator  # makes further articles in the same style (new_notice)
        self._lock = threading.RLock()
        self._articles: dict[str, Article] = {}
        self._attachments: dict[str, Attachment] = {}
        self._gone: set[str] = set()
        self._reindex()

    # -- queries -------------------------------------------------------------------------
    def column_paths(self) -> list[str]:
        return [c.page_path(0) for c in self.columns.values()]

    def articles(self) -> list[Article]:
        with self._lock:
            return [a for c in self.columns.values() for a in c.articles]

    def article(self, path: str) -> Article:
        return self._articles[path]

    def list_paths(self) -> list[str]:
        return [c.page_path(k) for c in self.columns.values() for k in range(c.page_count)]

    def resolve(self, path: str) -> Resource:
        """The answer to a GET of `path` (query string already removed)."""
        with self._lock:
            if path in ("/", "/index.html", "/index.htm"):
                return self._html(render.home_page(self._nav()), "utf-8", self._site_modified())
            if path == "/robots.txt":
                return Resource(200, render.ROBOTS.encode(), "text/plain; charset=utf-8")
            listing = self._list_page(path)
            if listing:
                column, page = listing
                html = render.list_page(self._nav(), column, page)
                return self._html(html, column.encoding, column.modified)
            if path in self._articles:
                art = self._articles[path]
                column = self.columns[art.column]
                return self._html(render.article_page(self._nav(), column, art), column.encoding,
                                  art.modified)
            if path in self._attachments:
                return _attachment_resource(self._attachments[path])
            return Resource(404, render.not_found_page().encode(), "text/html; charset=utf-8")

    # -- changes -------------------------------------------------------------------------
    def publish(self, article: Article, *, now: datetime | None = None) -> None:
        """Add `article` at the top of its column (page 1), as a CMS publish does."""
        now = now or datetime.now(UTC)
        with self._lock:
            article.modified = now
            column = self.columns[article.column]
            column.articles.insert(0, article)
            column.modified = now
            self._reindex()

    def edit(self, path: str, old: str, new: str, *, now: datetime | None = None) -> None:
        """Replace the sentence `old` by `new` in an article's body; its dates stay as they were."""
        with self._lock:
            art = self._articles[path]
            blocks = [(k, v.replace(old, new)) if k == "p" and isinstance(v, str) else (k, v)
                      for k, v in art.blocks]
            if blocks == art.blocks:
                raise ValueError(f"{old!r} is not in {path}")
            art.blocks = blocks
            art.modified = now or datetime.now(UTC)

    def edit_attachment(self, path: str, filename: str, old: str, new: str) -> None:
        """Replace the text `old` by `new` in a cell of an article's attachment (same link,
        other bytes: an attachment edited in place)."""
        with self._lock:
            att = next(a for a in self._articles[path].attachments if a.filename == filename)
            rows = [[cell.replace(old, new) for cell in row] for row in att.rows]
            if rows == att.rows:
                raise ValueError(f"{old!r} is not in {filename}")
            att.rows = rows

    def withdraw(self, path: str, *, now: datetime | None = None) -> None:
        """Take an article down: its page and attachments answer 404, lists drop it."""
        now = now or datetime.now(UTC)
        with self._lock:
            art = self._articles[path]
            column = self.columns[art.column]
            column.articles.remove(art)
            column.modified = now
            self._gone.add(path)
            self._reindex()

    # -- internals -----------------------------------------------------------------------
    def _reindex(self) -> None:
        self._articles = {a.path: a for c in self.columns.values() for a in c.articles}
        self._attachments = {a.directory + att.filename: att
                             for a in self._articles.values() for att in a.attachments}

    def _list_page(self, path: str) -> tuple[Column, int] | None:
        match = _LIST_PATH.match(path)
        column = self.columns.get(match.group(1)) if match else None
        if match is None or column is None:
            return None
        page = int(match.group(2) or 0)
        return (column, page) if page < column.page_count else None

    def _nav(self) -> list[Column]:
        return list(self.columns.values())

    def _site_modified(self) -> datetime | None:
        times = [c.modified for c in self.columns.values() if c.modified]
        return max(times) if times else None

    @staticmethod
    def _html(html: str, encoding: str, modified: datetime | None) -> Resource:
        if encoding == "gbk":
            # GBK is declared; encode with its superset GB18030 as real servers effectively do.
            return Resource(200, html.encode("gb18030"), "text/html; charset=gbk", modified)
        return Resource(200, html.encode("utf-8"), "text/html; charset=utf-8", modified)


def _attachment_resource(att: Attachment) -> Resource:
    """The attachment as a real file: the same rows always give the same bytes."""
    if att.extension == "xlsx":
        return Resource(200, files.xlsx(att.rows), files.XLSX_TYPE)
    lines = ["　".join(row) for row in att.rows]
    if att.extension == "docx":
        return Resource(200, files.docx(lines), files.DOCX_TYPE)
    return Resource(200, files.pdf(lines), "application/pdf")


def attachment_rows(art: Article, att: Attachment) -> list[list[str]]:
    """What an article's attachment holds, from the article itself (no randomness)."""
    name = att.label.split("：", 1)[-1].rsplit(".", 1)[0]
    if att.extension == "xlsx":
        header = ["序号", "事项", "责任单位", "办理时限"]
        rows = [[str(i), text.TABLE_ITEMS[(art.docid + i) % len(text.TABLE_ITEMS)],
                 text.DEPARTMENTS[(art.docid + 2 * i) % len(text.DEPARTMENTS)],
                 cn_day(art.published + timedelta(days=10 * i))] for i in range(1, 5)]
        return [header, *rows]
    paragraphs = [str(v) for k, v in art.blocks if k == "p"][:4]
    return [[name], [art.title], *([p] for p in paragraphs), [art.signature]]


# -- generation --------------------------------------------------------------------------
def deadline_sentence(article: Article) -> str | None:
    """The article's 报送 deadline sentence (what the scenario edits), if it has one."""
    for kind, value in article.blocks:
        if kind == "p" and isinstance(value, str) and value.startswith("请各有关单位于"):
            return value
    return None


class _Generator:
    """Deterministic article factory (one per site)."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.docid = 1_000_000 + seed * 10_000

    def next_docid(self) -> int:
        self.docid += self.rng.randint(3, 97)
        return self.docid

    def attachment_name(self, when: datetime, ext: str) -> str:
        return f"P0{when:%Y%m%d}{self.rng.randrange(10**11, 10**12)}.{ext}"

    def sentences(self, n: int) -> str:
        return "".join(self.rng.sample(text.SENTENCES, n))

    def table(self, kind: str, when: datetime) -> list[list[str]]:
        rows = [text.TABLE_HEADERS[kind]]
        for i in range(1, self.rng.randint(3, 5) + 1):
            if kind == "公示":
                rows.append([str(i), f"{self.rng.choice(text.TABLE_ITEMS)}项目", self.rng.choice(
                    text.DEPARTMENTS), self.rng.choice(text.COUNTIES)])
            else:
                due = when + timedelta(days=10 * i)
                rows.append([str(i), self.rng.choice(text.TABLE_ITEMS), cn_day(due)
                             if kind != "政策" else self.rng.choice(text.DEPARTMENTS),
                             self.rng.choice(text.DEPARTMENTS) if kind != "政策" else cn_day(due)])
        return rows

    def notice(self, column: str, n: int, when: datetime) -> Article:
        topic, kind = text.NOTICE_TOPICS[n % len(text.NOTICE_TOPICS)]
        if n >= len(text.NOTICE_TOPICS):
            topic += f"（第{n // len(text.NOTICE_TOPICS) + 1}批）"
        dept = text.DEPARTMENTS[n % len(text.DEPARTMENTS)]
        title = {"通知": f"{dept}关于{topic}的通知", "公告": f"关于{topic}的公告",
                 "公示": f"关于{topic}的公示"}[kind]
        blocks: list[Block] = [("p", text.OPENINGS[kind].format(topic=topic))]
        for heading in text.SECTION_HEADINGS[: self.rng.randint(2, 3)]:
            blocks += [("h", heading), ("p", self.sentences(2))]
        if kind == "公示":
            end = when + timedelta(days=6)
            blocks.append(("p", f"公示时间：{cn_day(when)}至{cn_day(end)}。"))
        if self.rng.random() < 0.6 or kind == "公示":
            blocks.append(("table", self.table(kind, when)))
        due = when + timedelta(days=10)
        blocks.append(("p", f"请各有关单位于{cn_day(due)}前将有关材料报送至{dept}，逾期不再受理。"))
        blocks.append(("p", text.CLOSINGS[kind].format(dept=dept)))
        blocks.append(("p", f"联系人：王女士　联系电话：{text.PHONE}"))
        art = Article(column, self.next_docid(), kind, title, when, dept, blocks, dept)
        art.attachments = self.attachments(n, when)
        if n % 7 == 0:  # a sheet of items, named after the notice's kind (公示 -> 名单)
            sheet = {"公示": "名单", "公告": "事项清单"}.get(kind, "任务分解表")
            art.attachments.append(Attachment(f"P0{when:%Y%m%d}{art.docid}.xlsx",
                                              f"附件{len(art.attachments) + 1}：{sheet}.xlsx"))
        _fill(art)
        return art

    def policy(self, column: str, n: int, when: datetime) -> Article:
        name, code = text.POLICY_TOPICS[n % len(text.POLICY_TOPICS)]
        if n >= len(text.POLICY_TOPICS):
            name = name.replace("示例市", f"示例市第{n // len(text.POLICY_TOPICS) + 1}批", 1)
        issuer = "示例市人民政府" if code == "示政发" else "示例市人民政府办公室"
        verb = "印发" if "办法" in name or "方案" in name or "计划" in name else "发布"
        title = f"{issuer}关于{verb}《{name}》的通知"
        written = when - timedelta(days=self.rng.randint(2, 6))
        number = n % 40 + 1
        blocks: list[Block] = [("p", text.OPENINGS["政策"].format(topic=name)), ("h", name)]
        for heading in text.SECTION_HEADINGS:
            blocks += [("h", heading), ("p", self.sentences(self.rng.randint(2, 3)))]
        blocks.append(("table", self.table("政策", when)))
        blocks.append(("p", text.CLOSINGS["政策"]))
        art = Article(column, self.next_docid(), "政策", title, when, issuer, blocks, issuer)
        art.xxgk = {
            "索引号": f"11379900MB00000{n % 100:02d}X/{when.year}-{n % 1000 + 1:05d}",
            "发文机关": issuer,
            "成文日期": cn_day(written),
            "发布日期": cn_day(when),
            "文号": f"{code}〔{when.year}〕{number}号",
            "主题分类": text.THEMES[n % len(text.THEMES)],
            "有效性": "有效",
        }
        art.attachments = self.attachments(n + 1, when)
        _fill(art)
        return art

    def attachments(self, n: int, when: datetime) -> list[Attachment]:
        label = text.ATTACHMENT_NAMES[n % len(text.ATTACHMENT_NAMES)]
        if n % 3 == 0:
            return [Attachment(self.attachment_name(when, "pdf"), f"附件1：{label}.pdf")]
        if n % 4 == 1:
            return [Attachment(self.attachment_name(when, "docx"), f"附件：{label}.docx",
                               via_script=True)]
        return []

    def dates(self, count: int, newest: datetime) -> list[datetime]:
        out, when = [], newest
        for _ in range(count):
            out.append(when)
            when = (when - timedelta(days=self.rng.randint(1, 4))).replace(
                hour=self.rng.randint(8, 17), minute=self.rng.randrange(0, 60, 5))
        return out


def _fill(art: Article) -> None:
    for att in art.attachments:
        att.rows = attachment_rows(art, att)


def _link_related(column: Column) -> None:
    """Give each article a 相关文章 sidebar: mostly newer items of its column, frozen now."""
    arts = column.articles
    for i, art in enumerate(arts):
        picks = [arts[j] for j in range(max(0, i - 5), i)] or arts[i + 1:i + 6]
        art.related = [(p.path, p.title, f"{p.published:%Y-%m-%d}") for p in picks]


def generate_site(*, notices: int = 15, policies: int = 12, notice_page_size: int = 6,
                  policy_page_size: int = 5, seed: int = 1) -> DemoSite:
    """Build a site: 通知公告 (UTF-8) and 政策文件 (GBK-encoded) with the given sizes."""
    gen = _Generator(seed)
    tzgg = Column("tzgg", "通知公告", "通知公告", "发布示例市人民政府及各部门的通知、公告和公示。",
                  "utf-8", notice_page_size)
    zcwj = Column("zcwj", "政策文件", "政策文件", "发布示例市人民政府及办公室制发的政策文件。",
                  "gbk", policy_page_size)
    tzgg.articles = [gen.notice("tzgg", n, when)
                     for n, when in enumerate(gen.dates(notices, NEWEST))]
    zcwj.articles = [gen.policy("zcwj", n, when) for n, when in
                     enumerate(gen.dates(policies, NEWEST - timedelta(days=1, hours=-6)))]
    for column in (tzgg, zcwj):
        for art in column.articles:
            art.modified = (art.published + timedelta(minutes=7)).astimezone(UTC)
        column.modified = max((a.modified for a in column.articles if a.modified),
                              default=NEWEST.astimezone(UTC))
        _link_related(column)
    return DemoSite([tzgg, zcwj], generator=gen)


def demo_site() -> DemoSite:
    """The bundled demo site: 15 notices + 12 policy documents, three list pages per column."""
    return generate_site()


def new_notice(site: DemoSite, when: datetime | None = None) -> Article:
    """A fresh notice for `site`'s 通知公告 column (not yet published)."""
    gen = site.generator or _Generator(seed=99)
    when = when or datetime(2026, 11, 24, 16, 30, tzinfo=BEIJING)
    column = site.columns["tzgg"]
    art = gen.notice("tzgg", len(text.NOTICE_TOPICS) - 1, when)
    art.attachments = [Attachment(gen.attachment_name(when, "pdf"), "附件1：项目名单.pdf")]
    _fill(art)
    newest = column.articles[:5]
    art.related = [(p.path, p.title, f"{p.published:%Y-%m-%d}") for p in newest]
    return art
