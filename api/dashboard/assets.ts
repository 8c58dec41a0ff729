/** The dashboard's only stylesheet and script, inlined into every page (no build step, no CDN). */

export const CSS = `
*{box-sizing:border-box}
html{font-size:13px}
body{margin:0;font-family:"PingFang SC","Microsoft YaHei","WenQuanYi Micro Hei","Noto Sans CJK SC","Source Han Sans SC",system-ui,sans-serif;color:#1f2933;background:#f3f5f8;line-height:1.5}
a{color:#1d5fbf;text-decoration:none}a:hover{text-decoration:underline}
header.top{display:flex;align-items:center;gap:18px;height:46px;padding:0 18px;background:#14325c;color:#fff}
header.top .brand{font-weight:700;font-size:15px;letter-spacing:1px;color:#fff;white-space:nowrap}
header.top nav{display:flex;gap:2px;flex:1}
header.top nav a{color:#cfdaeb;padding:12px 12px;display:block}
header.top nav a.on{color:#fff;background:#1f4a84;box-shadow:inset 0 -3px 0 #f5b301}
header.top nav a:hover{text-decoration:none;color:#fff}
header.top nav a .unread{display:inline-block;min-width:18px;margin-left:4px;padding:0 5px;border-radius:9px;background:#d92d20;color:#fff;font-size:11px;line-height:18px;text-align:center;font-weight:700}
header.top .who{color:#cfdaeb;white-space:nowrap;display:flex;gap:10px;align-items:center}
header.top .who form{margin:0}
header.top .who button{background:none;border:1px solid #5f7fab;color:#e8eef7;border-radius:3px;padding:2px 8px;cursor:pointer;font:inherit}
main{padding:12px 18px 40px;max-width:1366px;margin:0 auto}
h1{font-size:18px;margin:4px 0 10px}h2{font-size:15px;margin:0 0 8px}h3{font-size:13px;margin:10px 0 6px}
.card{background:#fff;border:1px solid #dde3ea;border-radius:4px;padding:10px 12px;margin-bottom:12px}
.grid2{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:12px}
.grid-detail{display:grid;grid-template-columns:minmax(0,1.45fr) minmax(0,1fr);gap:12px;align-items:start}
.row{display:flex;gap:8px;align-items:center;flex-wrap:wrap}
.muted{color:#6b7785}.small{font-size:12px}.mono{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px}
.right{text-align:right}.nowrap{white-space:nowrap}
table{border-collapse:collapse;width:100%}
th,td{padding:5px 7px;border-bottom:1px solid #e8ecf1;text-align:left;vertical-align:top}
th{background:#f7f9fb;color:#4a5664;font-weight:600;white-space:nowrap;position:sticky;top:0}
tbody tr:hover{background:#f6f9ff}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.badge{display:inline-block;min-width:22px;padding:0 6px;border-radius:3px;font-size:12px;line-height:20px;text-align:center;font-weight:600;white-space:nowrap}
.lv-red{background:#d92d20;color:#fff}.lv-orange{background:#f38a1c;color:#fff}.lv-yellow{background:#f5c518;color:#3b2f00}
.ch-new{background:#e6f0ff;color:#1d5fbf}.ch-level_up{background:#fde8e7;color:#b42318}.ch-level_down{background:#e7f6ec;color:#1b7a3d}.ch-dropped{background:#eef0f3;color:#555}
.st{background:#eef0f3;color:#333;font-weight:500}.st-核查中{background:#fff4d6;color:#8a5a00}.st-移交{background:#e6f0ff;color:#1d5fbf}.st-认定{background:#fde8e7;color:#b42318}.st-排除{background:#e7f6ec;color:#1b7a3d}
.ok{background:#e7f6ec;color:#1b7a3d}.fail{background:#fde8e7;color:#b42318}.run{background:#fff4d6;color:#8a5a00}
.active-badge{background:#1b7a3d;color:#fff}
.scorebar{display:inline-block;width:54px;height:6px;background:#e8ecf1;border-radius:3px;vertical-align:middle;margin-left:6px;overflow:hidden}
.scorebar i{display:block;height:100%;background:#d92d20}
form.filters{display:flex;gap:8px;align-items:flex-end;flex-wrap:wrap}
form.filters label,form.stack label{display:flex;flex-direction:column;font-size:12px;color:#4a5664;gap:2px}
input,select,textarea,button{font:inherit}
input[type=text],input[type=search],input[type=date],input[type=password],select,textarea{border:1px solid #c5ced9;border-radius:3px;padding:4px 6px;background:#fff;min-height:28px}
textarea{width:100%;min-height:54px;resize:vertical}
button,.btn{display:inline-block;border:1px solid #1d5fbf;background:#1d5fbf;color:#fff;border-radius:3px;padding:4px 12px;cursor:pointer;min-height:28px;line-height:18px;white-space:nowrap}
.btn:hover{text-decoration:none}
button.ghost,.btn.ghost{background:#fff;color:#1d5fbf}
button.danger{background:#b42318;border-color:#b42318}
button:disabled{opacity:.5;cursor:not-allowed}
.chips{display:flex;gap:8px;flex-wrap:wrap;margin:8px 0}
.chip{background:#fff;border:1px solid #dde3ea;border-radius:14px;padding:2px 10px}
.pager{display:flex;justify-content:space-between;align-items:center;margin-top:8px}
.flash{padding:7px 10px;border-radius:3px;margin-bottom:10px}
.flash.ok{background:#e7f6ec;border:1px solid #b7e1c4}.flash.err{background:#fde8e7;border:1px solid #f5c2bd;color:#8a1c13}
mark{background:#ffe58f;padding:0 1px;border-radius:2px;color:inherit}
mark.rf{background:#ffd6d2;box-shadow:inset 0 -2px 0 #d92d20}
mark.yield{background:#d6e8ff;box-shadow:inset 0 -2px 0 #1d5fbf}
.ev{border-top:1px solid #eef1f4;padding:7px 0}.ev:first-child{border-top:0}
.ev .meta{font-size:12px;color:#6b7785;display:flex;gap:10px;flex-wrap:wrap}
.ev .text{margin-top:2px}
.yieldcmp{display:inline-block;margin-top:3px;font-size:12px;background:#f0f6ff;border:1px solid #cfe0f7;border-radius:3px;padding:1px 6px}
.yieldcmp b{color:#b42318}
.reasons{margin:0;padding-left:0;list-style:none}
.reasons li{display:grid;grid-template-columns:1fr 90px;gap:8px;padding:3px 0;border-bottom:1px dashed #eef1f4}
.contrib{height:8px;background:#e8ecf1;border-radius:4px;margin-top:6px;overflow:hidden}.contrib i{display:block;height:100%;background:#f38a1c}
.timeline{list-style:none;margin:0;padding:0}
.timeline li{display:grid;grid-template-columns:120px 64px 1fr;gap:8px;padding:5px 0;border-bottom:1px solid #eef1f4}
.tk{font-size:12px;border-radius:3px;padding:0 5px;text-align:center;height:20px;line-height:20px}
.tk-ad{background:#fff4d6}.tk-complaint{background:#fde8e7}.tk-score{background:#eef0f3}.tk-disposition{background:#e6f0ff}.tk-change{background:#efe9fb}.tk-outcome{background:#ffd6d2}.tk-established{background:#e7f6ec}
dl.kv{display:grid;grid-template-columns:104px 1fr;gap:3px 10px;margin:0}dl.kv dt{color:#6b7785}dl.kv dd{margin:0;word-break:break-all}
.login{max-width:400px;margin:70px auto}
.login .tabs{display:flex;gap:0;margin-bottom:10px}
.login .tabs a{flex:1;text-align:center;padding:6px;border:1px solid #dde3ea;background:#f7f9fb;color:#4a5664}
.login .tabs a.on{background:#fff;border-bottom-color:#fff;color:#14325c;font-weight:600}
form.stack{display:flex;flex-direction:column;gap:10px}
form.stack input{width:100%}
.scroll{max-height:560px;overflow:auto}
svg text{font-family:inherit}
.legend{display:flex;gap:14px;font-size:12px;color:#4a5664}.legend i{display:inline-block;width:12px;height:8px;margin-right:4px;vertical-align:middle}
.empty{padding:24px;text-align:center;color:#6b7785}
details summary{cursor:pointer;color:#1d5fbf}
pre.raw{white-space:pre-wrap;word-break:break-all;margin:0;max-width:520px;font-size:12px}
`;

/** Filters submit themselves; buttons that change state ask first. */
export const JS = `
document.addEventListener('change',function(e){var t=e.target;if(t&&t.matches&&t.matches('[data-autosubmit]')&&t.form)t.form.submit();});
document.addEventListener('submit',function(e){var f=e.target;var q=f.getAttribute('data-confirm');if(q&&!window.confirm(q)){e.preventDefault();}});
`;
