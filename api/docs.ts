/**
 * /docs: a self-contained interactive reference (no CDN: the servers have no internet). The
 * OpenAPI document is embedded; each operation has a form that sends the request with the token
 * typed at the top (kept in sessionStorage only) and shows the response.
 */
export function docsPage(spec: unknown): string {
  const json = JSON.stringify(spec).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>打非云 Dafei API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:14px/1.5 system-ui,"PingFang SC","Microsoft YaHei",sans-serif;margin:0;color:#1d2433;background:#f6f7f9}
header{background:#8b1a1a;color:#fff;padding:12px 24px;display:flex;gap:16px;align-items:center;position:sticky;top:0}
header h1{font-size:18px;margin:0;flex:1}header input{width:360px;padding:4px 8px}
main{max-width:1100px;margin:0 auto;padding:16px 24px}
.tag{font-size:16px;margin:24px 0 8px;text-transform:capitalize}
details{background:#fff;border:1px solid #d8dce3;border-radius:6px;margin:6px 0}
summary{cursor:pointer;padding:8px 12px;display:flex;gap:12px;align-items:center}
.m{font-weight:700;width:48px;text-transform:uppercase}.get{color:#1f6f43}.post{color:#8a4b00}
.p{font-family:ui-monospace,monospace}.s{color:#5b6472}.roles{margin-left:auto;font-size:12px;color:#5b6472}
.body{padding:8px 16px 16px;border-top:1px solid #eceff3}
label{display:block;margin:4px 0}label span{display:inline-block;width:140px;font-family:ui-monospace,monospace}
input.f{width:420px;padding:3px 6px}textarea{width:100%;height:110px;font-family:ui-monospace,monospace}
pre{background:#0f1420;color:#d7e0ee;padding:10px;border-radius:4px;overflow:auto;max-height:420px;white-space:pre-wrap}
button{padding:4px 14px;margin-top:6px}
</style></head><body>
<header><h1>打非云 Dafei API <small id="ver"></small></h1>
<label style="margin:0">Token <input id="tok" type="password" placeholder="dfk_…" autocomplete="off"></label></header>
<main id="root"><p>OpenAPI document: <a href="/openapi.json">/openapi.json</a> (needs a token).</p></main>
<script type="application/json" id="spec">${json}</script>
<script>
const spec = JSON.parse(document.getElementById('spec').textContent);
document.getElementById('ver').textContent = 'v' + spec.info.version;
const tok = document.getElementById('tok');
tok.value = sessionStorage.getItem('dafei-token') || '';
tok.addEventListener('change', () => sessionStorage.setItem('dafei-token', tok.value));
const root = document.getElementById('root');
const el = (t, a = {}, ...kids) => { const e = document.createElement(t); Object.assign(e, a); for (const k of kids) e.append(k); return e; };
const byTag = {};
for (const [path, ops] of Object.entries(spec.paths)) for (const [method, op] of Object.entries(ops)) (byTag[op.tags[0]] ||= []).push({ path, method, op });
for (const [tag, ops] of Object.entries(byTag)) {
  root.append(el('h2', { className: 'tag', textContent: tag }));
  for (const { path, method, op } of ops) {
    const d = el('details');
    const roles = op['x-roles'].length ? op['x-roles'].join(' · ') : 'public';
    d.append(el('summary', {}, el('span', { className: 'm ' + method, textContent: method }), el('span', { className: 'p', textContent: path }),
      el('span', { className: 's', textContent: op.summary }), el('span', { className: 'roles', textContent: roles })));
    const b = el('div', { className: 'body' });
    if (op.description) b.append(el('p', { textContent: op.description }));
    const inputs = {};
    for (const p of op.parameters) {
      const i = el('input', { className: 'f', placeholder: (p.schema.enum ? p.schema.enum.join(' | ') : p.schema.type || '') + (p.required ? ' (required)' : '') });
      inputs[p.in + ':' + p.name] = i;
      b.append(el('label', {}, el('span', { textContent: p.name + (p.in === 'path' ? ' (path)' : '') }), i, el('small', { className: 's', textContent: ' ' + (p.description || '') })));
    }
    let body;
    if (op.requestBody) { body = el('textarea', { value: '{}' }); b.append(el('div', { textContent: 'JSON body' }), body,
      el('pre', { textContent: JSON.stringify(op.requestBody.content['application/json'].schema, null, 2) })); }
    const out = el('pre', { textContent: '' });
    const btn = el('button', { textContent: 'Send' });
    btn.onclick = async () => {
      let url = path; const qs = new URLSearchParams();
      for (const p of op.parameters) { const v = inputs[p.in + ':' + p.name].value; if (!v) continue;
        if (p.in === 'path') url = url.replace('{' + p.name + '}', encodeURIComponent(v)); else qs.set(p.name, v); }
      if ([...qs].length) url += '?' + qs;
      const headers = {}; if (tok.value) headers.authorization = 'Bearer ' + tok.value;
      if (body) headers['content-type'] = 'application/json';
      const t0 = performance.now();
      try {
        const r = await fetch(url, { method: method.toUpperCase(), headers, body: body ? body.value : undefined });
        const ct = r.headers.get('content-type') || '';
        let text;
        if (/json/.test(ct)) { const t = await r.text(); try { text = JSON.stringify(JSON.parse(t), null, 2); } catch { text = t; } }
        else if (/^text\\//.test(ct)) text = (await r.text()).slice(0, 20000);
        else { const blob = await r.blob(); text = blob.size + ' bytes of ' + ct; const a = el('a', { href: URL.createObjectURL(blob), download: url.split('/').pop().split('?')[0], textContent: ' download' }); out.after(a); }
        out.textContent = r.status + ' ' + r.statusText + ' · ' + (performance.now() - t0).toFixed(0) + ' ms\\n' + text;
      } catch (e) { out.textContent = String(e); }
    };
    b.append(btn, out);
    d.append(b);
    root.append(d);
  }
}
</script></body></html>`;
}
