// A report as a printable HTML page: one self-contained document (no script, no outside
// resource), every value escaped, A4 margins for the browser's print to PDF.

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

function esc(v: unknown): string {
  const s = typeof v === 'string' ? v : (JSON.stringify(v) ?? '');
  return s.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

const TITLES: Record<string, string> = {
  ppc_preliminary: '個人データの漏えい等の報告（速報） / Breach report to the PPC — preliminary',
  ppc_final: '個人データの漏えい等の報告（確報） / Breach report to the PPC — final',
  card_brand: 'Card brand and acquirer report / カードブランド・アクワイアラ向け報告',
  public_notice: 'Public notice draft / 公表文案',
};

function table(rows: ReadonlyArray<Record<string, unknown>>): string {
  const cols = Object.keys(rows[0] ?? {});
  if (cols.length === 0) return '<p>—</p>';
  const head = cols.map((c) => `<th>${esc(c)}</th>`).join('');
  const body = rows
    .map((r) => `<tr>${cols.map((c) => `<td>${esc(r[c] ?? '')}</td>`).join('')}</tr>`)
    .join('');
  return `<table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

/** The report's page; arrays become tables, PPC items a numbered list of label and text. */
export function reportHtml(report: Record<string, unknown>): string {
  const kind = String(report['kind']);
  const parts: string[] = [];
  for (const [key, value] of Object.entries(report)) {
    if (key === 'kind') continue;
    if (key === 'items' && Array.isArray(value)) {
      const items = value as Array<{ label_ja: string; label_en: string; text: string }>;
      parts.push(
        `<ol>${items
          .map(
            (i) => `<li><h3>${esc(i.label_ja)} / ${esc(i.label_en)}</h3><p>${esc(i.text)}</p></li>`,
          )
          .join('')}</ol>`,
      );
    } else if (Array.isArray(value)) {
      parts.push(`<h2>${esc(key)}</h2>${table(value as Array<Record<string, unknown>>)}`);
    } else if (typeof value === 'string' && value.includes('\n')) {
      parts.push(`<h2>${esc(key)}</h2><p class="text">${esc(value)}</p>`);
    } else {
      parts.push(`<p><b>${esc(key)}</b>: ${esc(value)}</p>`);
    }
  }
  return `<!doctype html><html lang="ja"><head><meta charset="utf-8">
<title>${esc(TITLES[kind] ?? kind)}</title>
<style>@page{size:A4;margin:18mm}body{font:11pt/1.5 system-ui,sans-serif;max-width:60em;margin:auto}
table{border-collapse:collapse;width:100%;font-size:9pt}td,th{border:1px solid #999;padding:2px 4px}
.text{white-space:pre-wrap}h3{font-size:11pt;margin:.8em 0 .2em}</style></head>
<body><h1>${esc(TITLES[kind] ?? kind)}</h1>${parts.join('\n')}</body></html>`;
}
