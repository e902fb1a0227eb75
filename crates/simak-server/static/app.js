// Simak web UI: one page, routed by the URL hash, reading the JSON API under /api.
// Every text from the API is put into the page as text (textContent), never as HTML; the one
// exception, search snippets, is rebuilt from the server's escaped form into text and <mark>.
"use strict";

const SENT = { negative: "negatif", neutral: "netral", positive: "positif" };
const HOAX = { known_hoax: "hoaks dikenal", suspected: "diduga hoaks", none: "bukan hoaks" };
const STATE = { new: "baru", in_review: "ditinjau", confirmed: "terkonfirmasi hoaks", not_hoax: "bukan hoaks", clarified: "sudah diklarifikasi" };
const SRC_STATE = { starting: "belum mengambil", ok: "normal", failing: "gagal, dicoba lagi", rate_limited: "dibatasi platform", needs_attention: "perlu ditangani operator" };
const ROLE = { admin: "admin", officer: "petugas", viewer: "pemantau" };
const FACET_NAMES = { source: "Sumber", lang: "Bahasa", sentiment: "Sentimen", profile: "Profil", hoax: "Hoaks" };
const ACTIONS = [
  ["take", "Ambil untuk ditinjau"],
  ["confirm", "Konfirmasi hoaks"],
  ["not_hoax", "Bukan hoaks"],
  ["clarify", "Sudah diklarifikasi (dengan URL)"],
  ["reopen", "Buka kembali"],
];

const CSTATUS = { open: "terbuka", answered: "sudah dijawab", resolved: "selesai", not_ours: "bukan wewenang kami" };
const CKIND = { complaint: "aduan", request: "permintaan", question: "pertanyaan" };
const CCAT = { roads: "jalan dan jembatan", water: "air bersih", waste: "sampah", health: "kesehatan", education: "pendidikan", population_records: "administrasi kependudukan", permits: "perizinan", disaster: "bencana", security: "ketertiban dan keamanan", other: "lainnya" };
const CACTION = { opened: "dibuka", routed: "diarahkan", answer: "dijawab", resolve: "diselesaikan", not_ours: "bukan wewenang kami", reroute: "dialihkan", reopen: "dibuka kembali" };

let me = null;
let csrf = null;

// ---- small helpers -------------------------------------------------------------------------

function h(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") e.className = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? "" : v);
  }
  for (const k of kids.flat(Infinity)) {
    if (k === null || k === undefined || k === false) continue;
    e.append(k instanceof Node ? k : document.createTextNode(String(k)));
  }
  return e;
}

function safeUrl(u) {
  return typeof u === "string" && /^https?:\/\//i.test(u) ? u : null;
}

function ext(u, label) {
  const s = safeUrl(u);
  return s ? h("a", { href: s, rel: "noopener noreferrer", target: "_blank" }, label || s) : null;
}

function when(t) {
  if (!t) return "";
  const d = new Date(t);
  return isNaN(d) ? String(t) : d.toLocaleString("id-ID", { timeZone: "Asia/Jakarta", dateStyle: "medium", timeStyle: "short" }) + " WIB";
}

function num(n) {
  return typeof n === "number" ? n.toLocaleString("id-ID") : "–";
}

function pct(x) {
  return typeof x === "number" ? Math.round(x * 100) + "%" : "–";
}

function wibDate(d) {
  return new Date(d.getTime() + 7 * 3600e3).toISOString().slice(0, 10);
}

// The server's snippet is escaped HTML with <b> around matches: rebuild it as text and <mark>.
function snippet(html) {
  const out = document.createDocumentFragment();
  const unescape = (s) => s.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&#x27;/g, "'").replace(/&amp;/g, "&");
  const parts = String(html).split(/(<b>|<\/b>)/);
  let bold = false;
  for (const p of parts) {
    if (p === "<b>") bold = true;
    else if (p === "</b>") bold = false;
    else if (p) out.append(bold ? h("mark", {}, unescape(p)) : document.createTextNode(unescape(p)));
  }
  return out;
}

class ApiError extends Error {
  constructor(status, code, message) { super(message); this.status = status; this.code = code; }
}

async function api(path, opts = {}) {
  const o = { method: opts.method || "GET", headers: { accept: "application/json" }, credentials: "same-origin" };
  if (opts.body !== undefined) {
    o.headers["content-type"] = "application/json";
    o.body = JSON.stringify(opts.body);
  }
  if (o.method !== "GET" && csrf) o.headers["x-csrf-token"] = csrf;
  const r = await fetch(path, o);
  if (r.status === 401) { location.href = "/login"; throw new ApiError(401, "unauthorized", "Sesi berakhir; silakan masuk lagi."); }
  const body = await r.json().catch(() => ({}));
  if (!r.ok) {
    const e = body.error || {};
    throw new ApiError(r.status, e.code || "error", e.message || "Permintaan gagal (" + r.status + ")");
  }
  return body;
}

// The API's messages are English (for scripts); officers read what happened in Indonesian, with
// the server's detail after it.
function errorBox(e) {
  const what = {
    400: "Permintaan tidak valid, periksa kueri atau isian.",
    401: "Sesi berakhir; silakan masuk lagi.",
    403: "Akses ditolak: data ini di luar profil akun Anda.",
    404: "Tidak ditemukan.",
    429: "Terlalu banyak percobaan; coba lagi nanti.",
  }[e.status] || "Gagal memuat; coba lagi atau hubungi operator.";
  return h("p", { class: "err", role: "alert" }, what, " ", h("span", { class: "muted" }, "(" + e.message + ")"));
}

function setMain(...kids) {
  const m = document.getElementById("main");
  m.replaceChildren(...kids);
}

function params() {
  const i = location.hash.indexOf("?");
  return new URLSearchParams(i < 0 ? "" : location.hash.slice(i + 1));
}

function go(page, p) {
  const qs = p ? new URLSearchParams([...p].filter(([, v]) => v !== "")).toString() : "";
  location.hash = "#/" + page + (qs ? "?" + qs : "");
}

function canAct(profile) {
  return me && (me.role === "admin" || (me.role === "officer" && me.profiles.includes(profile)));
}

// A stacked bar chart of buckets {start,total,negative,neutral,positive}, as SVG.
function timelineChart(buckets, hourly) {
  const NS = "http://www.w3.org/2000/svg";
  const W = 720, H = 160, L = 36, B = 22;
  const svg = document.createElementNS(NS, "svg");
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  svg.setAttribute("class", "chart");
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", "Grafik volume dan sentimen");
  const el = (name, a, text) => {
    const e = document.createElementNS(NS, name);
    for (const [k, v] of Object.entries(a)) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    svg.append(e);
    return e;
  };
  const max = Math.max(1, ...buckets.map((b) => b.total));
  const n = Math.max(1, buckets.length);
  const bw = (W - L - 4) / n;
  el("text", { x: 2, y: 12, "font-size": 10, fill: "#555" }, num(max));
  el("line", { x1: L, y1: H - B, x2: W, y2: H - B, stroke: "#bbb" });
  buckets.forEach((b, i) => {
    let y = H - B;
    const x = L + i * bw;
    const other = b.total - b.negative - b.neutral - b.positive;
    for (const [k, v] of [["negative", b.negative], ["neutral", b.neutral + Math.max(0, other)], ["positive", b.positive]]) {
      if (!v) continue;
      const hh = ((H - B - 16) * v) / max;
      y -= hh;
      const r = el("rect", { x: x + 0.5, y, width: Math.max(1, bw - 1), height: hh, fill: `var(--${k.slice(0, 3)})` });
      const t = document.createElementNS(NS, "title");
      t.textContent = `${when(b.start)}: ${num(b.total)} sebutan (negatif ${num(b.negative)}, netral ${num(b.neutral)}, positif ${num(b.positive)})`;
      r.append(t);
    }
    const every = Math.ceil(n / 8);
    if (i % every === 0) {
      const d = new Date(new Date(b.start).getTime() + 7 * 3600e3).toISOString();
      el("text", { x, y: H - 6, "font-size": 10, fill: "#555" }, hourly ? d.slice(5, 10) + " " + d.slice(11, 16) : d.slice(5, 10));
    }
  });
  const legend = h("div", { class: "legend" },
    h("span", {}, h("i", { style: "background:var(--neg)" }), "negatif"),
    h("span", {}, h("i", { style: "background:var(--neu)" }), "netral"),
    h("span", {}, h("i", { style: "background:var(--pos)" }), "positif"));
  return h("div", {}, svg, legend);
}

function badge(kind, value, label) {
  return h("span", { class: `badge b-${value}`, "data-kind": kind }, label);
}

function mentionMeta(m) {
  const a = m.author || {};
  return h("div", { class: "meta" },
    [m.source, m.lang, a.handle || a.name, when(m.published_at)].filter(Boolean).join(" · "),
    m.sentiment ? badge("sentiment", m.sentiment.label, SENT[m.sentiment.label] || m.sentiment.label) : null,
    m.hoax && m.hoax.label !== "none" ? badge("hoax", m.hoax.label, HOAX[m.hoax.label] || m.hoax.label) : null);
}

// ---- pages ---------------------------------------------------------------------------------

const SEARCH_KEYS = ["q", "since", "until", "source", "lang", "sentiment", "profile", "hoax", "sort", "offset"];
const PAGE = 20;

async function searchPage() {
  const p = params();
  const field = (name, label, input) => h("label", {}, label, input);
  const sel = (name, label, options) => {
    const s = h("select", { name, "aria-label": label }, h("option", { value: "" }, "semua"));
    for (const [v, t] of options) s.append(h("option", { value: v }, t));
    s.value = p.get(name) || "";
    if (s.value !== (p.get(name) || "")) { s.append(h("option", { value: p.get(name) }, p.get(name))); s.value = p.get(name); }
    return field(name, label, s);
  };
  const q = h("input", { type: "search", name: "q", value: p.get("q") || "", placeholder: "Kata kunci, \"frasa\", banjir AND sukamaju", "aria-label": "Kata kunci" });
  const profiles = (await api("/api/profiles").catch(() => ({ profiles: [] }))).profiles;
  const form = h("form", { class: "bar", id: "search-form" },
    field("q", "Kueri", q),
    field("since", "Sejak", h("input", { type: "date", name: "since", value: (p.get("since") || "").slice(0, 10) })),
    field("until", "Sampai (tidak termasuk)", h("input", { type: "date", name: "until", value: (p.get("until") || "").slice(0, 10) })),
    sel("source", "Sumber", ["rss", "googlenews", "bluesky", "mastodon", "reddit", "x", "youtube", "telegram", "import"].map((s) => [s, s])),
    sel("lang", "Bahasa", [["id", "Indonesia"], ["jv", "Jawa"], ["su", "Sunda"], ["en", "Inggris"], ["other", "lainnya"]]),
    sel("sentiment", "Sentimen", Object.entries(SENT)),
    sel("profile", "Profil", profiles.map((x) => [x.id, x.name])),
    sel("hoax", "Label hoaks", Object.entries(HOAX)),
    field("sort", "Urutan", (() => {
      const s = h("select", { name: "sort" }, h("option", { value: "newest" }, "Terbaru"), h("option", { value: "relevance" }, "Paling relevan"), h("option", { value: "reach" }, "Jangkauan terbesar"));
      s.value = p.get("sort") || "newest";
      return s;
    })()),
    h("button", { type: "submit" }, "Cari"));
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const np = new URLSearchParams();
    for (const [k, v] of new FormData(form)) if (v) np.set(k, v);
    go("cari", np);
  });
  const help = h("details", { class: "help" }, h("summary", {}, "Bantuan sintaks kueri"),
    h("ul", {},
      h("li", {}, h("code", {}, "banjir sukamaju"), " — semua kata harus ada (AND)"),
      h("li", {}, h("code", {}, "banjir OR longsor"), " — salah satu"),
      h("li", {}, h("code", {}, "\"jalan rusak\""), " — frasa persis"),
      h("li", {}, h("code", {}, "\"bupati banjir\"~3"), " — kata berdekatan (paling jauh 3 kata)"),
      h("li", {}, h("code", {}, "bansos -hoaks"), " atau ", h("code", {}, "NOT"), " — kecualikan kata"),
      h("li", {}, h("code", {}, "source:telegram"), ", ", h("code", {}, "lang:jv"), ", ", h("code", {}, "author:humas_sukamaju"), ", ", h("code", {}, "title:"), " — filter per kolom"),
      h("li", {}, "Ejaan gaul (", h("code", {}, "gak"), ", ", h("code", {}, "nggak"), ") dan imbuhan ditemukan otomatis.")));
  const out = h("div", { id: "results" }, h("p", { class: "muted" }, "Mencari…"));
  setMain(h("h1", {}, "Pencarian sebutan"), form, help, out);

  const ap = new URLSearchParams();
  for (const k of SEARCH_KEYS) if (p.get(k)) ap.set(k, p.get(k));
  ap.set("limit", String(PAGE));
  const since = p.get("since"), until = p.get("until");
  const span = since ? ((until ? new Date(until) : new Date()) - new Date(since)) / 864e5 : 99;
  const hourly = span <= 3;
  ap.set("timeline", hourly ? "hour" : "day");
  let r;
  try {
    r = await api("/api/search?" + ap);
  } catch (e) {
    out.replaceChildren(errorBox(e));
    return;
  }
  const offset = Number(p.get("offset") || 0);
  const exp = new URLSearchParams(ap);
  exp.delete("limit"); exp.delete("offset"); exp.delete("timeline");
  const exportLinks = ["csv", "jsonl"].map((f) => { const e = new URLSearchParams(exp); e.set("format", f); return h("a", { href: "/api/export?" + e, download: "" }, "Unduh semua (" + f.toUpperCase() + ")"); });
  const facets = h("aside", { class: "facets", id: "facets" });
  for (const [kind, counts] of Object.entries(r.facets)) {
    const entries = Object.entries(counts).sort((a, b) => b[1] - a[1]);
    if (!entries.length) continue;
    facets.append(h("h3", {}, FACET_NAMES[kind] || kind));
    const ul = h("ul", {});
    for (const [v, n] of entries) {
      const label = kind === "sentiment" ? SENT[v] || v : kind === "hoax" ? HOAX[v] || v : kind === "profile" ? (profiles.find((x) => x.id === v) || {}).name || v : v;
      const on = p.get(kind) === v;
      ul.append(h("li", { class: on ? "on" : "" }, h("a", {
        href: "#", "data-facet": kind, "data-value": v,
        onclick: (ev) => { ev.preventDefault(); const np = new URLSearchParams(p); np.delete("offset"); if (on) np.delete(kind); else np.set(kind, v); go("cari", np); },
      }, label), h("span", { class: "muted" }, num(n))));
    }
    facets.append(ul);
  }
  const hits = h("div", { id: "hits" });
  for (const hit of r.hits) {
    hits.append(h("div", { class: "hit", "data-id": hit.id },
      mentionMeta(hit),
      hit.title ? h("div", {}, h("strong", {}, hit.title)) : null,
      h("div", { class: "text" }, snippet(hit.highlight)),
      h("div", { class: "meta" },
        h("a", { href: "#/sebutan/" + encodeURIComponent(hit.id) }, "Detail"),
        " · jangkauan ", num(reach(hit)), " ",
        ext(hit.url, "Buka sumber"))));
  }
  if (!r.hits.length) hits.append(h("p", { class: "muted" }, "Tidak ada sebutan yang cocok."));
  const pages = Math.max(1, Math.ceil(r.total / PAGE));
  const cur = Math.floor(offset / PAGE) + 1;
  const pageTo = (o) => { const np = new URLSearchParams(p); np.set("offset", String(o)); go("cari", np); };
  const pager = h("div", { class: "pager" },
    h("button", { type: "button", class: "plain", disabled: offset <= 0, onclick: () => pageTo(Math.max(0, offset - PAGE)) }, "‹ Sebelumnya"),
    h("span", { id: "page-info" }, `Halaman ${num(cur)} dari ${num(pages)}`),
    h("button", { type: "button", class: "plain", disabled: offset + PAGE >= r.total, onclick: () => pageTo(offset + PAGE) }, "Berikutnya ›"));
  out.dataset.q = p.get("q") || "";
  out.replaceChildren(
    h("p", {}, h("strong", { id: "total" }, num(r.total)), " sebutan · ", exportLinks[0], " · ", exportLinks[1]),
    r.timeline && r.timeline.length ? timelineChart(r.timeline, hourly) : null,
    h("div", { class: "layout" }, facets, h("div", {}, hits, pager)));
}

// As the index sorts by it: views if known, else the engagement sum.
function reach(m) {
  const x = m.metrics || {};
  return x.views != null ? x.views : (x.likes || 0) + (x.shares || 0) + (x.replies || 0);
}

async function mentionPage(id) {
  let r;
  try { r = await api("/api/mentions/" + encodeURIComponent(id)); } catch (e) { setMain(h("h1", {}, "Sebutan"), errorBox(e)); return; }
  const m = r.mention, a = m.author || {}, x = m.metrics || {}, hx = m.hoax;
  const kv = (pairs) => h("dl", { class: "kv" }, pairs.filter(([, v]) => v !== null && v !== undefined && v !== "").map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
  const parts = [
    h("h1", {}, "Sebutan"),
    h("div", { class: "card" }, mentionMeta(m), m.title ? h("h2", {}, m.title) : null, h("blockquote", { id: "mention-text" }, m.text), ext(m.url, "Buka di sumber aslinya")),
    h("h2", {}, "Penulis dan metrik"),
    kv([["Nama", a.name], ["Akun", a.handle], ["Pengikut", a.followers != null ? num(a.followers) : null], ["Suka", num(x.likes)], ["Dibagikan", num(x.shares)], ["Balasan", num(x.replies)], ["Dilihat", num(x.views)], ["Jangkauan", num(reach(m))]]),
    h("h2", {}, "Pengayaan"),
    kv([["Id", m.id], ["Sumber", m.source], ["Bahasa", m.lang], ["Terbit", when(m.published_at)], ["Diambil", when(m.fetched_at)],
      ["Sentimen", m.sentiment ? `${SENT[m.sentiment.label] || m.sentiment.label} (negatif ${pct(m.sentiment.scores.negative)}, netral ${pct(m.sentiment.scores.neutral)}, positif ${pct(m.sentiment.scores.positive)})` : null],
      ["Profil", (m.profiles || []).join(", ")], ["Membalas", m.in_reply_to]]),
  ];
  if (hx) {
    parts.push(h("h2", {}, "Penilaian hoaks"),
      h("p", {}, badge("hoax", hx.label, HOAX[hx.label] || hx.label), " skor ", pct(hx.score)),
      h("h3", {}, "Alasan"), h("ul", { id: "reasons" }, (hx.reasons || []).map((t) => h("li", {}, t))),
      h("h3", {}, "Cek fakta yang cocok"),
      (hx.matches || []).length ? h("ul", {}, hx.matches.map((c) => h("li", {}, ext(c.url, c.claim) || c.claim, ` — ${c.verdict || ""} (keyakinan pencocokan ${pct(c.similarity)})`))) : h("p", { class: "muted" }, "Tidak ada."));
  }
  if (r.cases.length) {
    parts.push(h("h2", {}, "Kasus tinjauan"), h("ul", {}, r.cases.map((c) => h("li", {}, h("a", { href: "#/kasus/" + encodeURIComponent(c.id) }, c.profile + ": " + (STATE[c.state] || c.state)), ` · ${num(c.mentions)} unggahan`))));
  }
  if (r.cluster) {
    parts.push(h("h2", {}, "Gugus unggahan serupa"),
      h("p", {}, `${num(r.cluster.total)} unggahan hampir sama (gugus ${r.cluster.id}), per jam:`),
      r.cluster.timeline.length ? timelineChart(r.cluster.timeline, true) : null,
      h("div", { id: "cluster" }, r.cluster.posts.map((p) => h("div", { class: "hit" }, mentionMeta(p), h("div", {}, p.text), h("a", { href: "#/sebutan/" + encodeURIComponent(p.id) }, "Detail")))));
  }
  setMain(...parts);
}

async function reviewPage() {
  const p = params();
  const profiles = (await api("/api/profiles")).profiles;
  const sel = (name, label, opts) => { const s = h("select", { name }, h("option", { value: "" }, "semua"), opts.map(([v, t]) => h("option", { value: v }, t))); s.value = p.get(name) || ""; return h("label", {}, label, s); };
  const form = h("form", { class: "bar" },
    sel("profile", "Profil", profiles.map((x) => [x.id, x.name])),
    sel("state", "Status", Object.entries(STATE)),
    h("label", {}, "Skor minimal", h("input", { type: "number", name: "min_score", min: 0, max: 1, step: 0.05, value: p.get("min_score") || "" })),
    h("button", { type: "submit" }, "Saring"));
  form.addEventListener("submit", (ev) => { ev.preventDefault(); go("tinjauan", new URLSearchParams(new FormData(form))); });
  const out = h("div", {}, h("p", { class: "muted" }, "Memuat…"));
  setMain(h("h1", {}, "Antrean tinjauan hoaks"), form, out);
  let r;
  try { r = await api("/api/review?" + new URLSearchParams([...p].filter(([, v]) => v))); } catch (e) { out.replaceChildren(errorBox(e)); return; }
  if (!r.cases.length) { out.replaceChildren(h("p", { class: "muted" }, "Tidak ada kasus.")); return; }
  out.replaceChildren(h("table", { id: "cases" },
    h("tr", {}, ["Skor", "Status", "Label", "Profil", "Unggahan", "Teks", "Petugas", "Terakhir terlihat"].map((t) => h("th", {}, t))),
    r.cases.map((c) => h("tr", { "data-case": c.id },
      h("td", {}, pct(c.score)), h("td", { class: "s-" + c.state }, STATE[c.state] || c.state), h("td", {}, HOAX[c.label] || c.label),
      h("td", {}, c.profile), h("td", {}, num(c.mentions)),
      h("td", {}, h("a", { href: "#/kasus/" + encodeURIComponent(c.id) }, c.text.length > 140 ? c.text.slice(0, 140) + "…" : c.text)),
      h("td", {}, c.assignee || "–"), h("td", {}, when(c.last_seen_at))))));
}

async function casePage(id) {
  let r;
  try { r = await api("/api/review/" + encodeURIComponent(id)); } catch (e) { setMain(h("h1", {}, "Kasus"), errorBox(e)); return; }
  const c = r.case;
  const parts = [
    h("h1", {}, "Kasus hoaks"),
    h("p", {}, "Status: ", h("strong", { id: "case-state", class: "s-" + c.state, "data-state": c.state }, STATE[c.state] || c.state),
      ` · ${HOAX[c.label] || c.label} · skor ${pct(c.score)} · profil ${c.profile} · ${num(c.mentions)} unggahan · petugas ${c.assignee || "–"}`),
    h("blockquote", { id: "case-text" }, c.text),
    c.clarification_url ? h("p", {}, "Klarifikasi: ", ext(c.clarification_url)) : null,
    h("h2", {}, "Mengapa ditandai"), h("ul", {}, (c.reasons || []).map((t) => h("li", {}, t))),
    h("h2", {}, "Cek fakta yang cocok"),
    (c.matches || []).length ? h("ul", {}, c.matches.map((m) => h("li", {}, ext(m.url, m.claim) || m.claim, ` (keyakinan pencocokan ${pct(m.similarity)})`))) : h("p", { class: "muted" }, "Tidak ada."),
  ];
  if (canAct(c.profile)) {
    const action = h("select", { name: "action", id: "action" }, ACTIONS.map(([v, t]) => h("option", { value: v }, t)));
    const url = h("input", { type: "url", name: "url", id: "clarify-url", placeholder: "https://… (untuk klarifikasi)" });
    const note = h("textarea", { name: "note", id: "note", rows: 2, cols: 50, placeholder: "Catatan" });
    const msg = h("div", { role: "status" });
    const form = h("form", { class: "bar card", id: "act-form" },
      h("label", {}, "Tindakan", action), h("label", {}, "URL klarifikasi", url), h("label", {}, "Catatan", note), h("button", { type: "submit" }, "Simpan"), msg);
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      msg.className = ""; msg.textContent = "Menyimpan…";
      try {
        await api(`/api/review/${encodeURIComponent(c.id)}/actions`, { method: "POST", body: { action: action.value, url: url.value || undefined, note: note.value || undefined } });
        await casePage(id);
        const m = document.querySelector("#act-form [role=status]");
        if (m) { m.className = "ok"; m.textContent = "Tersimpan."; }
      } catch (e) { msg.className = ""; msg.replaceChildren(errorBox(e)); }
    });
    parts.push(h("h2", {}, "Tindakan"), form);
  }
  parts.push(h("h2", {}, "Unggahan"), h("ol", {}, r.mentions.map((m) => h("li", {}, when(m.published_at), " · ", h("a", { href: "#/sebutan/" + encodeURIComponent(m.id) }, m.text), " ", ext(m.url, "sumber")))),
    h("h2", {}, "Riwayat"), h("table", { id: "history" }, h("tr", {}, ["Waktu", "Oleh", "Tindakan", "Dari", "Ke", "Catatan"].map((t) => h("th", {}, t))),
      r.history.map((e) => h("tr", {}, h("td", {}, when(e.at)), h("td", {}, e.actor), h("td", {}, e.action), h("td", {}, STATE[e.from] || e.from), h("td", {}, STATE[e.to] || e.to), h("td", {}, [e.note, e.url].filter(Boolean).join(" · "))))));
  setMain(...parts);
}

async function complaintsPage() {
  const p = params();
  const profiles = (await api("/api/profiles")).profiles;
  const sel = (name, label, opts) => { const s = h("select", { name }, h("option", { value: "" }, "semua"), opts.map(([v, t]) => h("option", { value: v }, t))); s.value = p.get(name) || ""; return h("label", {}, label, s); };
  const form = h("form", { class: "bar", id: "complaint-filter" },
    sel("opd", "OPD", profiles.map((x) => [x.id, x.name])),
    sel("status", "Status", Object.entries(CSTATUS)),
    sel("category", "Kategori", Object.entries(CCAT)),
    sel("overdue", "Lewat target", [["true", "ya"], ["false", "tidak"]]),
    h("label", {}, "Sejak", h("input", { type: "date", name: "since", value: p.get("since") || "" })),
    h("label", {}, "Sampai", h("input", { type: "date", name: "until", value: p.get("until") || "" })),
    h("button", { type: "submit" }, "Saring"));
  form.addEventListener("submit", (ev) => { ev.preventDefault(); go("aduan", new URLSearchParams(new FormData(form))); });
  const out = h("div", {}, h("p", { class: "muted" }, "Memuat…"));
  setMain(h("h1", {}, "Aduan warga"), form, out);
  let r;
  try { r = await api("/api/complaints?" + new URLSearchParams([...p].filter(([, v]) => v))); } catch (e) { out.replaceChildren(errorBox(e)); return; }
  if (!r.complaints.length) { out.replaceChildren(h("p", { class: "muted" }, "Tidak ada aduan.")); return; }
  out.replaceChildren(h("table", { id: "complaints" },
    h("tr", {}, ["No.", "Status", "OPD", "Jenis", "Kategori", "Wilayah", "Teks", "Diunggah", "Tenggat", "Dijawab"].map((t) => h("th", {}, t))),
    r.complaints.map((c) => h("tr", { "data-complaint": String(c.id), class: c.overdue ? "overdue" : null },
      h("td", {}, String(c.id)),
      h("td", { class: "c-" + c.status }, (CSTATUS[c.status] || c.status) + (c.overdue ? " · lewat target" : "")),
      h("td", {}, c.opd), h("td", {}, CKIND[c.kind] || c.kind), h("td", {}, CCAT[c.category] || c.category || "–"), h("td", {}, c.place || "–"),
      h("td", {}, h("a", { href: "#/aduan/" + encodeURIComponent(c.id) }, c.text.length > 140 ? c.text.slice(0, 140) + "…" : c.text)),
      h("td", {}, when(c.posted_at)), h("td", {}, when(c.due_at)), h("td", {}, c.first_response_at ? when(c.first_response_at) : "–")))));
}

async function complaintPage(id) {
  let r;
  try { r = await api("/api/complaints/" + encodeURIComponent(id)); } catch (e) { setMain(h("h1", {}, "Aduan"), errorBox(e)); return; }
  const c = r.complaint;
  const parts = [
    h("h1", {}, "Aduan no. " + c.id),
    h("p", {}, "Status: ", h("strong", { id: "complaint-status", "data-status": c.status, class: "c-" + c.status }, CSTATUS[c.status] || c.status),
      c.overdue ? h("strong", { class: "err" }, " · lewat target") : null,
      ` · OPD ${c.opd} · ${CKIND[c.kind] || c.kind} · kategori ${CCAT[c.category] || c.category || "–"} · wilayah ${c.place || "–"}`),
    h("blockquote", { id: "complaint-text" }, c.text),
    h("p", {}, "Oleh ", c.author || "–", " di ", c.source, " · ", when(c.posted_at), " ", ext(c.url, "buka unggahan")),
    h("p", {}, "Tenggat jawaban: ", when(c.due_at), " · jawaban pertama: ", c.first_response_at ? when(c.first_response_at) : "belum"),
  ];
  if (c.answer_text) parts.push(h("h2", {}, "Jawaban"), h("blockquote", { id: "complaint-answer" }, c.answer_text), c.answer_url ? h("p", {}, "Balasan publik: ", ext(c.answer_url)) : null);
  if (canAct(c.opd)) {
    const msg = h("div", { role: "status" });
    const send = async (body) => {
      msg.className = ""; msg.textContent = "Menyimpan…";
      try {
        await api(`/api/complaints/${encodeURIComponent(c.id)}/actions`, { method: "POST", body });
        await complaintPage(id);
        const m = document.querySelector("#answer-form [role=status]") || document.querySelector("#complaint-actions [role=status]");
        if (m) { m.className = "ok"; m.textContent = "Tersimpan."; }
      } catch (e) { msg.className = ""; msg.replaceChildren(errorBox(e)); }
    };
    if (c.status === "open" || c.status === "answered") {
      const text = h("textarea", { name: "text", id: "answer-text", rows: 3, cols: 60, required: true, placeholder: "Jawaban kantor" });
      const url = h("input", { type: "url", name: "url", id: "answer-url", placeholder: "https://… (tautan balasan publik)" });
      const answer = h("form", { class: "card", id: "answer-form" }, h("label", {}, "Jawaban", text), h("label", {}, "Tautan balasan publik", url), h("button", { type: "submit" }, "Simpan jawaban"), msg);
      answer.addEventListener("submit", (ev) => { ev.preventDefault(); send({ action: "answer", text: text.value, url: url.value || undefined }); });
      const opd = h("select", { name: "opd", id: "reroute-opd" }, r.opds.filter((o) => o.id !== c.opd).map((o) => h("option", { value: o.id }, o.name)));
      const why = h("input", { type: "text", name: "note", id: "reroute-note", placeholder: "Alasan" });
      const reroute = h("form", { class: "bar card", id: "reroute-form" }, h("label", {}, "Alihkan ke", opd), h("label", {}, "Alasan", why), h("button", { type: "submit" }, "Alihkan"));
      reroute.addEventListener("submit", (ev) => { ev.preventDefault(); send({ action: "reroute", opd: opd.value, note: why.value || undefined }); });
      const note = h("input", { type: "text", name: "note", id: "close-note", placeholder: "Catatan" });
      const close = h("div", { class: "bar card", id: "complaint-actions" }, h("label", {}, "Catatan", note),
        h("button", { type: "button", id: "resolve", onclick: () => send({ action: "resolve", note: note.value || undefined }) }, "Selesai"),
        h("button", { type: "button", id: "not-ours", onclick: () => send({ action: "not_ours", note: note.value || undefined }) }, "Bukan wewenang kami"));
      parts.push(h("h2", {}, "Tindakan"), answer, reroute, close);
    } else {
      parts.push(h("h2", {}, "Tindakan"), h("div", { class: "bar card", id: "complaint-actions" },
        h("button", { type: "button", id: "reopen", onclick: () => send({ action: "reopen" }) }, "Buka kembali"), msg));
    }
  }
  parts.push(h("h2", {}, "Riwayat"), h("table", { id: "complaint-history" }, h("tr", {}, ["Waktu", "Oleh", "Tindakan", "Status", "OPD", "Catatan"].map((t) => h("th", {}, t))),
    r.history.map((e) => h("tr", {}, h("td", {}, when(e.at)), h("td", {}, e.actor), h("td", {}, CACTION[e.action] || e.action),
      h("td", {}, CSTATUS[e.to] || e.to), h("td", {}, e.from_opd ? e.from_opd + " → " + e.opd : e.opd),
      h("td", {}, e.note || "", " ", ext(e.url, "balasan publik"))))));
  setMain(...parts.filter(Boolean));
}

// The OPDs ranked by their own accounts and their answers to complaints (GET /api/accounts/ranking).
async function rankingPage() {
  const p = params();
  const today = wibDate(new Date());
  const since = p.get("since") || wibDate(new Date(Date.now() - 30 * 864e5));
  const until = p.get("until") || "";
  const form = h("form", { class: "bar", id: "ranking-period" },
    h("label", {}, "Sejak", h("input", { type: "date", name: "since", value: since })),
    h("label", {}, "Sampai (tidak termasuk)", h("input", { type: "date", name: "until", value: until, max: today })),
    h("button", { type: "submit" }, "Tampilkan"));
  form.addEventListener("submit", (ev) => { ev.preventDefault(); go("peringkat", new URLSearchParams(new FormData(form))); });
  const out = h("div", {}, h("p", { class: "muted" }, "Menghitung…"));
  setMain(h("h1", {}, "Peringkat Akun OPD"), form, out);
  let r;
  try { r = await api("/api/accounts/ranking?" + new URLSearchParams([["since", since], ["until", until]].filter(([, v]) => v))); } catch (e) { out.replaceChildren(errorBox(e)); return; }
  const w = r.weights;
  const opt = (x, f) => (x === null || x === undefined ? "–" : f(x));
  out.replaceChildren(
    h("p", { class: "muted" }, `Periode ${when(r.since)} – ${when(r.until)}. Skor 0–100: ${w.answered} untuk bagian aduan yang dijawab, ${w.on_time} untuk yang dijawab dalam target OPD, ${w.activity} untuk keaktifan akun resmi (penuh bila rata-rata satu unggahan sehari). Bagian tanpa data tidak dihitung; jangkauan ditampilkan tetapi tidak dinilai karena tiap platform menghitungnya berbeda. Aduan yang bukan wewenang OPD tidak dihitung.`),
    h("table", { id: "ranking" },
      h("tr", {}, ["Peringkat", "OPD", "Akun resmi", "Unggahan", "Balasan", "Jangkauan", "Komentar", "Aduan masuk", "Dijawab", "Tepat waktu", "Median waktu jawab", "Lewat target", "Skor"].map((t) => h("th", {}, t))),
      r.opds.map((o) => h("tr", { "data-opd": o.opd },
        h("td", { class: "rank" }, o.rank ? String(o.rank) : "–"),
        h("td", {}, o.name, " ", h("code", {}, o.opd)),
        h("td", {}, o.accounts.length ? o.accounts.join(", ") : "–"),
        h("td", { class: "posts" }, num(o.posts)),
        h("td", {}, num(o.replies)),
        h("td", {}, opt(o.reach, num)),
        h("td", {}, opt(o.comments, num)),
        h("td", { class: "complaints" }, h("a", { href: "#/aduan?opd=" + encodeURIComponent(o.opd) }, num(o.complaints))),
        h("td", { class: "answered" }, `${num(o.answered)} (${opt(o.share_answered, pct)})`),
        h("td", {}, opt(o.share_on_time, pct)),
        h("td", {}, minutes(o.median_response_minutes)),
        h("td", {}, num(o.overdue)),
        h("td", { class: "score" }, opt(o.score, (s) => s.toLocaleString("id-ID", { maximumFractionDigits: 1 })))))));
}

async function summaryPage() {
  const p = params();
  const profiles = (await api("/api/profiles")).profiles;
  if (!profiles.length) { setMain(h("h1", {}, "Ringkasan harian"), h("p", { class: "muted" }, "Akun ini tidak memantau profil apa pun.")); return; }
  const profile = p.get("profile") || profiles[0].id;
  const date = p.get("date") || wibDate(new Date(Date.now() - 864e5));
  const ps = h("select", { name: "profile" }, profiles.map((x) => h("option", { value: x.id }, x.name)));
  ps.value = profile;
  const form = h("form", { class: "bar" }, h("label", {}, "Profil", ps), h("label", {}, "Tanggal (WIB)", h("input", { type: "date", name: "date", value: date })), h("button", { type: "submit" }, "Tampilkan"));
  form.addEventListener("submit", (ev) => { ev.preventDefault(); go("ringkasan", new URLSearchParams(new FormData(form))); });
  const out = h("div", {}, h("p", { class: "muted" }, "Menyusun…"));
  setMain(h("h1", {}, "Ringkasan harian"), form, out);
  let s;
  try { s = await api(`/api/summary/${encodeURIComponent(profile)}/${date}`); } catch (e) { out.replaceChildren(errorBox(e)); return; }
  const d = s.days[s.days.length - 1] || {};
  out.replaceChildren(
    h("p", {}, h("strong", { id: "summary-total" }, num(s.total)), ` sebutan tentang ${s.profile_name} pada ${s.date}: negatif ${num(d.negative)}, netral ${num(d.neutral)}, positif ${num(d.positive)}. `,
      h("a", { href: `/summary/${encodeURIComponent(profile)}/${date}` }, "Halaman ringkasan lengkap (untuk dicetak)")),
    timelineChart(s.days.map((x) => ({ ...x, start: x.date + "T00:00:00+07:00" })), false),
    h("h2", {}, "Per sumber"), h("table", {}, h("tr", {}, ["Sumber", "Hari itu", "Sehari sebelumnya", "Rata-rata 7 hari"].map((t) => h("th", {}, t))),
      s.by_source.map((x) => h("tr", {}, h("td", {}, x.source), h("td", {}, num(x.total)), h("td", {}, num(x.day_before)), h("td", {}, x.mean_7_days.toFixed(1))))),
    h("h2", {}, "Kata teratas"), h("p", {}, s.top_terms.map(([t, n]) => `${t} (${n})`).join(", ") || "–"),
    h("h2", {}, "Tagar teratas"), h("p", {}, s.top_hashtags.map(([t, n]) => `${t} (${n})`).join(", ") || "–"),
    h("h2", {}, "Unggahan dengan jangkauan terbesar"), h("div", {}, s.top_posts.map((m) => h("div", { class: "hit" }, mentionMeta(m), h("div", {}, m.text), h("a", { href: "#/sebutan/" + encodeURIComponent(m.id) }, "Detail")))),
    h("h2", {}, "Kasus hoaks"), s.cases.length ? h("ul", {}, s.cases.map((c) => h("li", {}, h("a", { href: "#/kasus/" + encodeURIComponent(c.id) }, c.text), ` · ${STATE[c.state] || c.state} · ${num(c.mentions)} unggahan`))) : h("p", { class: "muted" }, "Tidak ada."),
    h("div", {}, s.complaints ? [h("h2", {}, "Aduan warga"), h("p", { id: "summary-complaints" },
      `${num(s.complaints.opened)} masuk · ${num(s.complaints.answered)} sudah dijawab · ${num(s.complaints.overdue)} lewat target saat ini · median waktu jawab ${minutes(s.complaints.median_response_minutes)} · `,
      h("a", { href: "#/aduan?opd=" + encodeURIComponent(s.profile) }, "lihat aduan"))] : null));
}

function minutes(m) {
  if (typeof m !== "number") return "–";
  return m < 60 ? `${m} menit` : `${Math.floor(m / 60)} jam ${m % 60} menit`;
}

async function alertsPage() {
  const out = h("div", {}, h("p", { class: "muted" }, "Memuat…"));
  setMain(h("h1", {}, "Peringatan e-mail"), h("p", { class: "muted" }, "Peringatan hoaks dan lonjakan yang dikirim (atau disimpan di kotak keluar bila SMTP tidak diatur)."), out);
  let r;
  try { r = await api("/api/alerts"); } catch (e) { out.replaceChildren(errorBox(e)); return; }
  if (!r.alerts.length) { out.replaceChildren(h("p", { class: "muted" }, "Belum ada peringatan.")); return; }
  out.replaceChildren(h("table", { id: "alerts" }, h("tr", {}, ["Dibuat", "Status", "Penerima", "Subjek", ""].map((t) => h("th", {}, t))),
    r.alerts.map((a) => h("tr", {}, h("td", {}, when(a.created_at)),
      h("td", {}, a.state === "sent" ? (a.file ? "disimpan di kotak keluar" : "terkirim") : "menunggu" + (a.error ? " (" + a.error + ")" : "")),
      h("td", {}, a.recipient || "–"), h("td", {}, a.subject),
      h("td", {}, a.file && /^[0-9]{8}\.eml$/.test(a.file) && me.role === "admin" ? h("a", { href: "/outbox/" + a.file }, "unduh .eml") : "")))));
}

async function sourcesPage() {
  const out = h("div", {}, h("p", { class: "muted" }, "Memuat…"));
  setMain(h("h1", {}, "Kesehatan pengumpulan"), out);
  let r;
  try { r = await api("/api/sources"); } catch (e) { out.replaceChildren(errorBox(e)); return; }
  if (!r.sources.length) { out.replaceChildren(h("p", { class: "muted" }, "Belum ada sumber yang berjalan.")); return; }
  const span = (g) => `${when(g.from)} – ${when(g.to)}: ${g.reason}`;
  out.replaceChildren(h("p", { class: "muted" }, "Diperbarui " + when(r.generated_at)), ...r.sources.map((s) => h("div", { class: "card", "data-source": s.name },
    h("h2", {}, s.name, " ", h("span", { class: "muted" }, s.platform), " ", h("span", { class: "st-" + s.state }, SRC_STATE[s.state] || s.state)),
    h("dl", { class: "kv" },
      h("dt", {}, "Berhasil terakhir"), h("dd", {}, when(s.last_success) || "–"),
      h("dt", {}, "Galat terakhir"), h("dd", {}, s.last_error ? when(s.last_error) + ": " + (s.last_error_message || "") : "–"),
      h("dt", {}, "Item"), h("dd", {}, `${num(s.items_total)} total · ${s.items_per_min.toFixed(1)}/menit (15 menit terakhir)`),
      h("dt", {}, "Pengambilan"), h("dd", {}, `${num(s.fetches_total)} · galat ${num(s.errors_total)} · dibatasi ${num(s.rate_limited_total)}`),
      h("dt", {}, "Jeda"), h("dd", {}, s.lag_secs != null ? `${num(Math.round(s.lag_secs / 60))} menit` : "–"),
      s.rate_limited_until ? [h("dt", {}, "Dibatasi sampai"), h("dd", {}, when(s.rate_limited_until))] : null,
      h("dt", {}, "Berikutnya"), h("dd", {}, when(s.next_fetch_at) || "–")),
    h("h3", {}, "Celah (data yang tidak terjangkau)"),
    s.gaps.length ? h("ul", { class: "gaps" }, s.gaps.map((g) => h("li", {}, span(g)))) : h("p", { class: "muted" }, "Tidak ada celah."),
    s.outages.length ? [h("h3", {}, "Gangguan"), h("ul", {}, s.outages.map((g) => h("li", {}, span(g))))] : null)));
}

// A profile's complaint routing as officers read it.
function routingText(c) {
  if (!c) return "–";
  const cats = c.categories.length ? c.categories.map((k) => CCAT[k] || k).join(", ") : "tidak ada";
  const places = c.places.length ? c.places.join(", ") : "semua wilayah";
  return `kategori: ${cats} · wilayah: ${places} · target jawab ${c.target_hours} jam` + (c.fallback ? " · cadangan (aduan yang tidak dipegang OPD lain)" : "");
}

// The admin's form changing a profile's complaint routing (PUT /api/profiles/{id}/complaints).
function routingForm(x) {
  const c = x.complaints || { categories: [], places: [], target_hours: 24, fallback: false };
  const msg = h("div", { role: "status" });
  const f = h("form", { class: "routing-form", "data-routing": x.id },
    h("h3", {}, "Ubah rute aduan"),
    h("fieldset", {}, h("legend", {}, "Kategori"),
      Object.entries(CCAT).map(([k, label]) => h("label", {}, h("input", { type: "checkbox", name: "categories", value: k, checked: c.categories.includes(k) }), " ", label, " "))),
    h("p", {}, h("label", {}, "Wilayah (kecamatan atau desa dari gazetir, pisahkan dengan koma; kosong: semua wilayah) ",
      h("input", { name: "places", size: 50, value: c.places.join(", ") }))),
    h("p", { class: "bar" },
      h("label", {}, "Target jawab (jam) ", h("input", { type: "number", name: "target_hours", min: 1, required: true, value: String(c.target_hours) })),
      h("label", {}, h("input", { type: "checkbox", name: "fallback", checked: c.fallback }), " Cadangan (aduan yang tidak dipegang OPD lain)")),
    h("button", { type: "submit" }, "Simpan rute aduan"), msg);
  f.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const fd = new FormData(f);
    const body = {
      categories: fd.getAll("categories"),
      places: String(fd.get("places") || "").split(",").map((s) => s.trim()).filter((s) => s),
      target_hours: Number(fd.get("target_hours")),
      fallback: fd.get("fallback") !== null,
    };
    try {
      const r = await api(`/api/profiles/${encodeURIComponent(x.id)}/complaints`, { method: "PUT", body });
      msg.className = "ok"; msg.textContent = "Rute aduan disimpan; berlaku untuk aduan baru.";
      const dd = f.parentElement && f.parentElement.querySelector("dd.routing");
      if (dd) dd.textContent = routingText(r.complaints);
    } catch (e) { msg.className = ""; msg.replaceChildren(errorBox(e)); }
  });
  return f;
}

async function settingsPage() {
  const out = h("div", {});
  setMain(h("h1", {}, "Pengaturan"), out);
  let profiles;
  try { profiles = (await api("/api/profiles")).profiles; } catch (e) { out.replaceChildren(errorBox(e)); return; }
  const list = (xs) => (xs && xs.length ? xs.join(", ") : "–");
  const fcList = h("div", { id: "factchecks" });
  const fq = h("input", { type: "search", placeholder: "Cari klaim…", "aria-label": "Cari klaim" });
  const loadFc = async () => {
    try {
      const r = await api("/api/factchecks?limit=50&q=" + encodeURIComponent(fq.value));
      fcList.replaceChildren(h("p", { class: "muted" }, `${num(r.total)} entri`), h("table", {}, h("tr", {}, ["Klaim", "Putusan", "Oleh", "Terbit"].map((t) => h("th", {}, t))),
        r.factchecks.map((f) => h("tr", {}, h("td", {}, ext(f.url, f.claim) || f.claim, f.explanation ? h("div", { class: "muted" }, f.explanation) : null), h("td", {}, f.verdict), h("td", {}, f.source), h("td", {}, when(f.published_at))))));
    } catch (e) { fcList.replaceChildren(errorBox(e)); }
  };
  fq.addEventListener("input", () => { clearTimeout(fq._t); fq._t = setTimeout(loadFc, 250); });
  const mine = profiles.filter((x) => canAct(x.id));
  let addForm = null;
  if (mine.length) {
    const msg = h("div", { role: "status" });
    addForm = h("form", { class: "card", id: "add-factcheck" },
      h("h3", {}, "Tambah klarifikasi instansi"),
      h("p", { class: "muted" }, "Unggahan berikutnya yang menyebarkan klaim ini akan dicocokkan dengan klarifikasi Anda."),
      h("p", { class: "bar" },
        h("label", {}, "Profil", h("select", { name: "profile" }, mine.map((x) => h("option", { value: x.id }, x.name)))),
        h("label", {}, "Putusan", h("input", { name: "verdict", value: "hoaks" }))),
      h("p", {}, h("label", {}, "Klaim yang beredar", h("textarea", { name: "claim", rows: 2, cols: 70, required: true }))),
      h("p", {}, h("label", {}, "Penjelasan", h("textarea", { name: "explanation", rows: 3, cols: 70 }))),
      h("p", {}, h("label", {}, "URL klarifikasi", h("input", { type: "url", name: "url", size: 60 }))),
      h("button", { type: "submit" }, "Terbitkan klarifikasi"), msg);
    addForm.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const b = Object.fromEntries(new FormData(addForm));
      if (!b.url) delete b.url;
      try { await api("/api/factchecks", { method: "POST", body: b }); msg.className = "ok"; msg.textContent = "Klarifikasi diterbitkan."; addForm.reset(); setTimeout(loadFc, 1500); }
      catch (e) { msg.className = ""; msg.replaceChildren(errorBox(e)); }
    });
  }
  out.replaceChildren(
    h("h2", {}, "Profil pantauan dan penerima peringatan"),
    h("p", { class: "muted" }, "Profil diatur operator di berkas config/profiles/<id>.toml dan dibaca saat layanan dimulai; rute aduan dapat diubah admin di sini dan berlaku untuk aduan baru."),
    ...profiles.map((x) => h("div", { class: "card", "data-profile": x.id }, h("strong", {}, x.name), " ", h("code", {}, x.id),
      h("dl", { class: "kv" },
        h("dt", {}, "Nama lain"), h("dd", {}, list(x.aliases.concat(x.acronyms))),
        h("dt", {}, "Akun resmi"), h("dd", {}, list(x.accounts)),
        h("dt", {}, "Tokoh"), h("dd", {}, list(x.people)),
        h("dt", {}, "Kueri tambahan"), h("dd", {}, list(x.include)),
        h("dt", {}, "Pengecualian"), h("dd", {}, list(x.exclude)),
        h("dt", {}, "Penerima peringatan"), h("dd", { class: "recipients" }, list(x.recipients)),
        h("dt", {}, "Rute aduan"), h("dd", { class: "routing" }, routingText(x.complaints))),
      me && me.role === "admin" ? routingForm(x) : null)),
    h("h2", {}, "Cek fakta"), addForm, h("p", {}, fq), fcList);
  loadFc();
}

// ---- shell -----------------------------------------------------------------------------------

async function route() {
  const path = location.hash.replace(/^#\/?/, "").split("?")[0];
  const [page, ...rest] = path.split("/");
  const arg = decodeURIComponent(rest.join("/"));
  for (const a of document.querySelectorAll("nav a")) a.classList.toggle("on", a.dataset.page === (page === "kasus" ? "tinjauan" : page || "cari"));
  try {
    switch (page) {
      case "": case "cari": return await searchPage();
      case "sebutan": return await mentionPage(arg);
      case "tinjauan": return await reviewPage();
      case "kasus": return await casePage(arg);
      case "aduan": return arg ? await complaintPage(arg) : await complaintsPage();
      case "peringkat": return await rankingPage();
      case "ringkasan": return await summaryPage();
      case "peringatan": return await alertsPage();
      case "sumber": return await sourcesPage();
      case "pengaturan": return await settingsPage();
      default: setMain(h("h1", {}, "Halaman tidak ditemukan"));
    }
  } catch (e) {
    setMain(errorBox(e));
  }
}

async function start() {
  try {
    const r = await api("/api/me");
    me = r.account; csrf = r.csrf;
  } catch (e) { return; }
  document.getElementById("who").textContent = `${me.display_name || me.username} (${ROLE[me.role] || me.role})`;
  document.getElementById("logout").addEventListener("click", async () => {
    try { await api("/api/logout", { method: "POST" }); } finally { location.href = "/login"; }
  });
  window.addEventListener("hashchange", route);
  route();
}

start();
