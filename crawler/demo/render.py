"""HTML for the demo site, shaped like pages of a TRS WCM government portal.

Article pages carry the 网页设计规范 meta tags, a breadcrumb, the 发布时间/来源/字号/打印/关闭
bar, a `TRS_Editor` body, a signature with a Chinese-numeral date, attachments (one kind written
by `document.write`), a 相关文章 sidebar with other dates and a footer; list pages use
`createPageHTML(n, cur, "index", "html")` plus static links.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from crawler.demo import text
from crawler.demo.model import Article, Column, cn_date

ROBOTS = "User-agent: *\nDisallow: /search/\nAllow: /\n"

_PAGER_JS = """<script type="text/javascript">
function createPageHTML(_nPageCount, _nCurrIndex, _sPageName, _sPageExt){
  if(_nPageCount == null || _nPageCount <= 1){ return; }
  var nCurrIndex = _nCurrIndex || 0;
  document.write("共" + _nPageCount + "页&nbsp;&nbsp;");
  if(nCurrIndex == 0) document.write("首页&nbsp;上一页&nbsp;");
  else {
    document.write("<a href=\\"" + _sPageName + "." + _sPageExt + "\\">首页</a>&nbsp;");
    var prev = nCurrIndex == 1 ? _sPageName + "." + _sPageExt : _sPageName + "_" + (nCurrIndex - 1) + "." + _sPageExt;
    document.write("<a href=\\"" + prev + "\\">上一页</a>&nbsp;");
  }
  if(nCurrIndex == _nPageCount - 1) document.write("下一页&nbsp;尾页");
  else {
    document.write("<a href=\\"" + _sPageName + "_" + (nCurrIndex + 1) + "." + _sPageExt + "\\">下一页</a>&nbsp;");
    document.write("<a href=\\"" + _sPageName + "_" + (_nPageCount - 1) + "." + _sPageExt + "\\">尾页</a>");
  }
}
</script>"""


def _head(title: str, encoding: str, metas: dict[str, str], extra: str = "") -> str:
    charset = ('<meta http-equiv="Content-Type" content="text/html; charset=gbk">'
               if encoding == "gbk" else '<meta charset="utf-8">')
    tags = "\n".join(f'<meta name="{k}" content="{escape(v)}">' for k, v in metas.items())
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
{charset}
<meta http-equiv="X-UA-Compatible" content="IE=edge">
<title>{escape(title)}</title>
<meta name="SiteName" content="{text.SITE_NAME}">
<meta name="SiteDomain" content="{text.SITE_DOMAIN}">
<meta name="SiteIDCode" content="{text.SITE_ID_CODE}">
{tags}
<link rel="stylesheet" href="/images/base.css">
{extra}
</head>"""


def _header(columns: Sequence[Column], prefix: str) -> str:
    nav = "".join(f'<li><a href="{prefix}{c.slug}/">{c.name}</a></li>' for c in columns)
    return f"""<body>
<div class="topbar"><div class="w1200"><span class="fl">欢迎访问示例市人民政府门户网站（演示站点，内容均为虚构）</span>
<span class="fr"><a href="javascript:void(0)">无障碍浏览</a> | <a href="javascript:void(0)">繁體</a> | <a href="javascript:void(0)">长者模式</a></span></div></div>
<div class="header"><div class="w1200"><a class="logo" href="{prefix}"><h1>{text.SITE_NAME}</h1></a>
<form class="search" action="/search/" method="get"><input name="q" placeholder="请输入关键词"><button>搜索</button></form></div></div>
<div class="nav"><ul class="w1200"><li><a href="{prefix}">首页</a></li>{nav}<li><a href="javascript:void(0)">政务服务</a></li><li><a href="javascript:void(0)">互动交流</a></li></ul></div>"""  # noqa: E501 — the served page's own lines (a break would change it)


def _footer() -> str:
    return f"""<div class="footer"><div class="w1200">
<p><a href="javascript:void(0)">网站地图</a> | <a href="javascript:void(0)">联系我们</a> | <a href="javascript:void(0)">网站声明</a></p>
<p>主办：示例市人民政府办公室　承办：示例市大数据中心　联系电话：{text.PHONE}</p>
<p>网站标识码：{text.SITE_ID_CODE}　<a href="javascript:void(0)">{text.ICP}</a>　示公网安备 00000000000000号</p>
<p>本站为 gov-archive 演示站点，单位、人名、文号均为虚构。</p>
<script id="_jiucuo_" sitecode="{text.SITE_ID_CODE}" src="/images/jiucuo.js"></script>
</div></div>
</body>
</html>
"""  # noqa: E501 — the served page's own lines (a break would change it)


def home_page(columns: Sequence[Column]) -> str:
    """The portal's home page: the five newest items of each column."""
    boxes = []
    for column in columns:
        items = "".join(
            f'<li><a href="./{a.path.lstrip("/")}" target="_blank" title="{escape(a.title)}">'
            f'{escape(a.title)}</a><span>{a.published:%m-%d}</span></li>'
            for a in column.articles[:5])
        boxes.append(f'<div class="box"><h2><a href="./{column.slug}/">{column.name}</a>'
                     f'<a class="more" href="./{column.slug}/">更多&gt;&gt;</a></h2><ul>{items}</ul></div>')
    metas = {"ColumnName": "首页", "ColumnType": "首页", "ColumnDescription": "示例市人民政府门户网站首页",
             "ColumnKeywords": "示例市,人民政府,政务公开"}
    return (_head(text.SITE_NAME, "utf-8", metas) + _header(columns, "./")
            + f'<div class="main w1200">{"".join(boxes)}</div>' + _footer())


def list_page(columns: Sequence[Column], column: Column, page: int) -> str:
    """List page `page` (0-based) of `column`; `columns` make the navigation bar."""
    items = "\n".join(
        f'<li><a href="./{a.path.split("/", 2)[2]}" target="_blank" title="{escape(a.title)}">'
        f'{escape(a.title)}</a><span class="date">{a.published:%Y-%m-%d}</span></li>'
        for a in column.page_items(page))
    count = column.page_count
    links = ['<a href="index.html">首页</a>']
    if page > 0:
        links.append(f'<a href="{_page_name(page - 1)}">上一页</a>')
    if page < count - 1:
        links.append(f'<a href="{_page_name(page + 1)}">下一页</a>')
    links.append(f'<a href="{_page_name(count - 1)}">尾页</a>')
    metas = {"ColumnName": column.name, "ColumnType": column.column_type,
             "ColumnDescription": column.description, "ColumnKeywords": column.name}
    return (_head(f"{column.name}_{text.SITE_NAME}", column.encoding, metas, _PAGER_JS)
            + _header(columns, "../")
            + f"""<div class="main w1200">
<div class="crumb">当前位置：<a href="../">首页</a> &gt; <a href="./">{column.name}</a></div>
<div class="list-box"><h2 class="list-title">{column.name}</h2>
<ul class="list">
{items}
</ul>
<div class="page">
<script type="text/javascript">
var currentPage = {page};//所在页从0开始
var countPage = {count}//共多少页
createPageHTML({count}, {page}, "index", "html");
</script>
</div>
<div class="page-static">{"&nbsp;".join(links)}&nbsp;共{count}页</div>
</div></div>""" + _footer())


def _page_name(page: int) -> str:
    return "index.html" if page == 0 else f"index_{page}.html"


def article_page(columns: Sequence[Column], column: Column, art: Article) -> str:
    """The page of `art` in `column`; `columns` make the navigation bar."""
    stamp = f"{art.published:%Y-%m-%d %H:%M}"
    metas = {"ColumnName": column.name, "ColumnType": column.column_type,
             "ArticleTitle": art.title, "PubDate": stamp, "ContentSource": art.source,
             "Keywords": column.name, "Description": art.title,
             "Url": f"./{art.path.rsplit('/', 1)[1]}"}
    return (_head(f"{art.title}_{text.SITE_NAME}", column.encoding, metas)
            + _header(columns, "../../")
            + f"""<div class="main w1200">
<div class="crumb">当前位置：<a href="../../">首页</a> &gt; <a href="../">{column.name}</a> &gt; 正文</div>
<div class="content-left">
{_xxgk(art)}<div class="article">
<h1 class="article-title">{escape(art.title)}</h1>
<div class="article-info"><span>发布时间：{stamp}</span><span>来源：{escape(art.source)}</span>
<span class="zh">字号：<a href="javascript:doZoom(18)">大</a> <a href="javascript:doZoom(16)">中</a> <a href="javascript:doZoom(14)">小</a></span>
<span><a href="javascript:window.print()">打印</a></span><span><a href="javascript:window.close()">关闭</a></span></div>
<div class="article-content" id="zoom"><div class="TRS_Editor">
{_blocks(art)}
<p style="text-align: right;">{escape(art.signature)}</p>
<p style="text-align: right;">{cn_date(art.published)}</p>
</div></div>
{_attachments(art)}
<div class="article-tools"><a href="javascript:window.print()">【打印本页】</a> <a href="javascript:window.close()">【关闭窗口】</a></div>
</div></div>
{_related(art)}
</div>""" + _footer())  # noqa: E501 — the served page's own lines (a break would change it)


def _xxgk(art: Article) -> str:
    if not art.xxgk:
        return ""
    cells = list(art.xxgk.items())
    rows = "".join(
        "<tr>" + "".join(f"<th>{k}：</th><td>{escape(v)}</td>" for k, v in cells[i:i + 2]) + "</tr>"
        for i in range(0, len(cells), 2))
    return f'<table class="xxgk-table">{rows}</table>\n'


def _blocks(art: Article) -> str:
    out = []
    for kind, value in art.blocks:
        if kind == "h":
            out.append(f"<p><strong>{escape(str(value))}</strong></p>")
        elif kind == "table":
            rows = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>"
                           for row in value)  # type: ignore[union-attr]
            out.append(f'<table border="1" cellspacing="0" cellpadding="4" width="100%">'
                       f"<tbody>{rows}</tbody></table>")
        else:
            out.append(f'<p style="text-indent: 2em;">{escape(str(value))}</p>')
    return "\n".join(out)


def _attachments(art: Article) -> str:
    parts = []
    for att in art.attachments:
        link = f'<a href="./{att.filename}">{escape(att.label)}</a>'
        if att.via_script:
            parts.append(f"""<script type="text/javascript">
var att = '{link}';
if (att != null && att.length > 0) {{ document.write('<div class="fj">附件：<br /><p>' + att + '</p></div>'); }}
</script>""")
        else:
            parts.append(f'<div class="fj">附件：<p>{link}</p></div>')
    return "\n".join(parts)


def _related(art: Article) -> str:
    items = "".join(
        f'<li><a href="../{path.split("/", 2)[2]}" title="{escape(title)}">{escape(title)}</a>'
        f"<span>{date}</span></li>"
        for path, title, date in art.related)
    return (f'<div class="content-right"><div class="related"><h3>相关文章</h3><ul>{items}</ul>'
            "</div></div>")


def not_found_page() -> str:
    return """<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>404 页面不存在</title></head>
<body><div class="error"><h1>404</h1><p>抱歉，您访问的页面不存在或已被删除。</p>
<p><a href="/">返回首页</a></p></div></body></html>
"""
