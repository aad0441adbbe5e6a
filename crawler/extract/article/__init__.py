"""Article pages: the announcement's title, date, body, metadata and attachments.

- `core`        `extract()`: decode, parse, then the steps below in order
- `meta`        网页设计规范 meta tags, machine-readable dates, the 信息公开 block, the breadcrumb
- `containers`  where the text is: known CMS containers, text density, or the block after the heading
- `title`       title candidates (visible headings, meta, <title> parts, lines around the date line)
                -> one scorer -> ordered fallbacks
- `shown_dates` dates shown next to the heading (labelled, info lines, bylines, alone in an element)
- `published`   date candidates from every source (shown dates, 信息公开 block, machine-readable
                dates, URL, signature) -> one scorer weighing their agreement -> the date
- `cleanup`     noise blocks and edge lines (toolbars, info bars, related lists) out of the text
- `attachments` pdf/doc/xls/ofd/zip links, including document.write ones and embedded viewers
- `embedded`    article records embedded as JSON in a script (gkmlpt DETAIL)
"""
