/* The grassroots dashboard: hash routes, a token, live figures and small SVG charts. */
(() => {
  "use strict";
  const TOKEN_KEY = "grassroots.token";
  const LANG_KEY = "grassroots.lang";
  const COUNTY_KEY = "grassroots.county";
  const DEFAULT_COUNTY = "东安县";
  const COUNTY_WIDE = ["county_admin", "department", "agency"];
  const STATUSES = ["open", "claimed", "resolved", "closed", "cancelled", "rejected", "merged"];
  const $ = (sel) => document.querySelector(sel);

  let lang = localStorage.getItem(LANG_KEY) === "en" ? "en" : "zh";
  let token = localStorage.getItem(TOKEN_KEY) || "";
  let route = null; // {kind: "county"} or {kind: "community", id, at}
  let seq = 0; // bumps on each route change: a stale answer is dropped
  let busy = false;
  let halted = false; // after a 401/403/404, until the route or the token changes
  let last = null; // the JSON text last drawn

  const t = (key) => (key in I18N[lang] ? I18N[lang][key] : key);
  /** A code's label (an area, a status), or the code itself when i18n.js has none. */
  const label = (prefix, code) => (`${prefix}${code}` in I18N[lang] ? t(`${prefix}${code}`) : code);
  const esc = (s) =>
    String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  const pct = (v) => (v == null ? "—" : `${(v * 100).toFixed(1)}%`);
  const num = (v, d = 1) => (v == null ? "—" : String(Number(v.toFixed(d))));

  // ------------------------------------------------------------------ token

  function claims() {
    try {
      const p = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
      const bin = atob(p + "===".slice((p.length + 3) % 4));
      return JSON.parse(new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0))));
    } catch {
      return null;
    }
  }

  /** The one community of a community-scoped token, else null. */
  function ownCommunity() {
    const c = claims();
    if (!c || (c.county && (c.roles || []).some((r) => COUNTY_WIDE.includes(r)))) return null;
    return c.communities && c.communities.length === 1 ? c.communities[0] : null;
  }

  function county() {
    const c = claims();
    return (c && c.county) || localStorage.getItem(COUNTY_KEY) || DEFAULT_COUNTY;
  }

  function setToken(value) {
    token = value.trim();
    if (token) localStorage.setItem(TOKEN_KEY, token);
    else localStorage.removeItem(TOKEN_KEY);
    halted = false;
    last = null;
    chrome();
    go();
  }

  // ------------------------------------------------------------------ page chrome

  function message(key, extra = "") {
    const el = $("#message");
    el.hidden = !key;
    el.textContent = key ? t(key) + extra : "";
    el.dataset.kind = key || "";
  }

  function chrome() {
    document.documentElement.lang = t("html_lang");
    document.title = t("title");
    document.querySelectorAll("[data-i18n]").forEach((el) => {
      el.textContent = t(el.dataset.i18n);
    });
    $("#lang").textContent = t("lang_button");
    $("#login").hidden = !!token;
    $("#logout").hidden = !token;
    $("#nav-county").hidden = !token || !!ownCommunity();
    if (!token) {
      $("#view").innerHTML = "";
      $("#updated").textContent = "";
      message("need_token");
    }
  }

  // ------------------------------------------------------------------ routing and polling

  function parseRoute() {
    const m = location.hash.match(/^#\/communities\/([^/?#]+)(?:\?at=([^&#]+))?/);
    if (!m) return { kind: "county" };
    return { kind: "community", id: decodeURIComponent(m[1]), at: m[2] ? decodeURIComponent(m[2]) : null };
  }

  function go() {
    if (!token) return;
    const own = ownCommunity();
    const r = parseRoute();
    if (own && r.kind !== "community") {
      location.replace(`#/communities/${encodeURIComponent(own)}`);
      return; // hashchange comes back here
    }
    route = r;
    seq += 1;
    halted = false;
    last = null;
    message("");
    $("#view").innerHTML = route.kind === "county" ? countySkeleton() : communitySkeleton();
    load();
  }

  async function load() {
    if (!token || !route) return;
    const mine = seq;
    const id = route.kind === "community" ? encodeURIComponent(route.id) : "";
    const url =
      route.kind === "county"
        ? `/dashboard/api/county?county=${encodeURIComponent(county())}`
        : route.at
          ? `/dashboard/api/communities/${id}/as-of?at=${encodeURIComponent(route.at)}`
          : `/dashboard/api/communities/${id}`;
    busy = true;
    try {
      const res = await fetch(url, {
        headers: { Authorization: `Bearer ${token}` },
        cache: "no-store",
      });
      if (mine !== seq) return;
      if (res.status === 401 || res.status === 403 || res.status === 404) {
        halted = true;
        message({ 401: "unauthorized", 403: "forbidden", 404: "not_found" }[res.status]);
        if (res.status === 401) $("#login").hidden = false;
        return;
      }
      if (res.status === 422) {
        halted = true;
        const problem = await res.json();
        message("bad_as_of", ` ${problem.detail}`);
        return;
      }
      if (res.status === 202) {
        replaying(await res.json());
        return;
      }
      if (res.status === 429) {
        message("replay_busy"); // another moment is replaying; the next tick asks again
        return;
      }
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const text = await res.text();
      message("");
      $("#updated").textContent = `${t("updated")} ${new Date().toLocaleTimeString("en-GB", { hour12: false })}`;
      if (text === last) return;
      last = text;
      const data = JSON.parse(text);
      if (route.kind === "county") drawCounty(data);
      else drawCommunity(data);
      // A past picture never changes: stop asking once it is drawn.
      if (route.at) halted = true;
    } catch (err) {
      if (mine === seq) message("failed", String(err.message || err));
    } finally {
      busy = false;
    }
  }

  function tick() {
    if (document.hidden || busy || halted || !token || !route) return;
    load();
  }

  // ------------------------------------------------------------------ county page

  const COUNTY_COLUMNS = [
    "rank", "name", "response_rate", "resolution_rate", "satisfaction_rate",
    "reporting_rate", "open_requests", "overdue", "hours_per_member", "rota_gaps",
  ];

  function countySkeleton() {
    const heads = COUNTY_COLUMNS.map((c) => `<th scope="col">${esc(t(c))}</th>`).join("");
    return `<section class="card wide">
      <h2 id="county-name"></h2><p class="sub" id="county-sub"></p>
      <div class="scroll"><table id="county-table">
        <thead><tr>${heads}</tr></thead><tbody></tbody></table></div>
    </section>`;
  }

  function drawCounty(d) {
    $("#county-name").textContent = d.county;
    $("#county-sub").textContent = `${t("month")} ${d.month} · ${t("weekend")} ${d.weekend}`;
    const rows = d.communities.map((c) => {
      const href = `#/communities/${encodeURIComponent(c.community_id)}`;
      const cell = {
        rank: c.rank,
        name: `<a href="${href}">${esc(c.name)}</a>`,
        response_rate: pct(c.rates.response_rate.value),
        resolution_rate: pct(c.rates.resolution_rate.value),
        satisfaction_rate: pct(c.rates.satisfaction_rate.value),
        reporting_rate: pct(c.reporting_rate),
        open_requests: c.open_requests,
        overdue: c.overdue,
        hours_per_member: num(c.volunteer_hours_per_member),
        rota_gaps: c.rota_gaps,
      };
      const tds = COUNTY_COLUMNS.map(
        (k) => `<td data-figure="${k}"${k === "overdue" && c.overdue ? ' class="bad"' : ""}>${cell[k]}</td>`,
      ).join("");
      return `<tr data-community-id="${esc(c.community_id)}" data-href="${href}">${tds}</tr>`;
    });
    $("#county-table tbody").innerHTML = rows.join("") ||
      `<tr><td colspan="${COUNTY_COLUMNS.length}">${esc(t("no_data"))}</td></tr>`;
  }

  // ------------------------------------------------------------------ community page

  const FIGURES = [
    "response_rate", "resolution_rate", "satisfaction_rate", "open_requests", "overdue",
    "respond_p50_minutes", "resolve_p50_minutes", "hours_this_month", "rota_gaps",
    "unit_reporting",
  ];
  const CHARTS = ["trend", "status", "overdue", "hours", "rota", "leaderboard", "coverage", "pledges"];

  /** A past picture is being replayed on the server: show how far it has got. */
  function replaying(p) {
    const share = p.events_total ? p.events_read / p.events_total : 0;
    const rate = p.events_per_s ? ` · ${Math.round(p.events_per_s)} ${t("events_per_s")}` : "";
    const eta = p.eta_s != null ? ` · ${t("eta")} ${Math.ceil(p.eta_s)} s` : "";
    message("replaying", ` ${(share * 100).toFixed(0)}%${rate}${eta}`);
    const bar = $("#replay-bar");
    if (bar) {
      bar.hidden = false;
      bar.value = share;
    }
  }

  function asOfControls() {
    const at = route && route.at ? route.at.slice(0, 16) : "";
    return `<form id="as-of" class="as-of"><label for="as-of-at">${esc(t("as_of_label"))}</label>
      <input id="as-of-at" type="datetime-local" value="${esc(at)}" required>
      <button type="submit">${esc(t("as_of_show"))}</button>
      <a id="as-of-live" href="#/communities/${encodeURIComponent(route.id)}" ${route.at ? "" : "hidden"}>${esc(t("as_of_live"))}</a>
      <progress id="replay-bar" max="1" value="0" hidden></progress></form>
      ${route.at ? `<p class="as-of-banner" data-as-of="${esc(route.at)}">${esc(t("as_of_banner"))} ${esc(route.at.replace("T", " "))}</p>` : ""}`;
  }

  function communitySkeleton() {
    const figs = FIGURES.map(
      (f) => `<div class="fig"><span>${esc(t(f))}</span><b data-figure="${f}">…</b></div>`,
    ).join("");
    const charts = CHARTS.map(
      (c) => `<section class="card" id="chart-${c}"><h3>${esc(t(`chart_${c}`))}</h3><div class="body"></div></section>`,
    ).join("");
    return `<section class="card wide"><h2 id="community-name"></h2><p class="sub" id="community-sub"></p>
      ${asOfControls()}<div class="figs">${figs}</div></section><div class="grid">${charts}</div>`;
  }

  function setFigure(name, text, raw) {
    const el = document.querySelector(`[data-figure="${name}"]`);
    el.textContent = text;
    el.dataset.value = raw == null ? "" : String(raw);
  }

  function setChart(name, html) {
    const el = document.querySelector(`#chart-${name} .body`);
    if (el.dataset.html !== html) {
      el.innerHTML = html;
      el.dataset.html = html;
    }
  }

  function drawCommunity(d) {
    localStorage.setItem(COUNTY_KEY, d.county);
    $("#community-name").textContent = d.name;
    $("#community-sub").textContent = `${d.town} · ${d.county} · ${t("today")} ${d.today}`;
    const thisMonth = d.today.slice(0, 7);
    const rates = [...d.rates].sort((a, b) => a.month.localeCompare(b.month));
    const now = rates.find((m) => m.month === thisMonth) || rates[rates.length - 1];
    for (const k of ["response_rate", "resolution_rate", "satisfaction_rate"]) {
      const v = now ? now[k].value : null;
      setFigure(k, pct(v), v);
    }
    const rq = d.requests;
    setFigure("open_requests", rq.open, rq.open);
    setFigure("overdue", rq.overdue, rq.overdue);
    setFigure("respond_p50_minutes", num(rq.minutes_to_respond.p50), rq.minutes_to_respond.p50);
    setFigure("resolve_p50_minutes", num(rq.minutes_to_resolve.p50), rq.minutes_to_resolve.p50);
    const hours = Object.fromEntries(d.volunteering.hours_by_month.map((h) => [h.month, h.hours]));
    const hoursNow = hours[thisMonth] || 0;
    setFigure("hours_this_month", num(hoursNow), hoursNow);
    setFigure("rota_gaps", d.volunteering.rota.gaps, d.volunteering.rota.gaps);

    const months = rates.map((m) => m.month);
    setChart("trend", lineChart(months, ["response_rate", "resolution_rate", "satisfaction_rate"]
      .map((k) => ({ name: t(k), values: rates.map((m) => m[k].value) }))));
    const statuses = [...STATUSES, ...Object.keys(rq.by_status).filter((s) => !STATUSES.includes(s))];
    setChart("status", barChart(statuses.map((s) => ({
      label: label("status_", s), value: rq.by_status[s] || 0, cls: s,
    }))));
    setChart("hours", barChart(months.map((m) => ({ label: m.slice(5), value: hours[m] || 0 }))));
    setChart("rota", rotaChart(d.volunteering.rota));
    setChart("leaderboard", leaderboard(d.points.leaderboard_month.leaders.slice(0, 10)));
    setChart("coverage", coverageChart(d.coverage));
    const u = d.unit_organisations;
    setFigure("unit_reporting", `${u.reported}/${u.paired}`, u.rate);
    setChart("pledges", pledgeList(d.pledges));
    setChart("overdue", overdueList(rq.overdue_list));
    const bar = $("#replay-bar");
    if (bar) bar.hidden = true;
  }

  /** The overdue requests, longest overdue first: which deadline each has missed. */
  function overdueList(items) {
    if (!items.length) return `<p class="empty">${esc(t("no_overdue"))}</p>`;
    const hhmm = (iso) => new Date(iso).toLocaleString("en-GB", { timeZone: "Asia/Shanghai", hour12: false }).slice(0, 17);
    const rows = items.map((o) => {
      const missed = o.answered ? `${t("resolve_by")} ${hhmm(o.resolve_by)}` : `${t("respond_by")} ${hhmm(o.respond_by)}`;
      return `<tr data-overdue="${esc(o.request_id)}"><td>${esc(label("cat_", o.category))}</td><td>${esc(label("status_", o.status))}</td><td>${esc(missed)}</td></tr>`;
    });
    return `<table class="overdue"><tbody>${rows.join("")}</tbody></table>`;
  }

  /** The year's pledged projects (认领项目) with where each stands. */
  function pledgeList(pledges) {
    if (!pledges.length) return `<p class="empty">${esc(t("no_pledges"))}</p>`;
    const items = pledges.map(
      (p) => `<li data-pledge="${esc(p.pledge_id)}" data-status="${esc(p.status)}"><span>${esc(p.title)}</span><b class="pledge ${esc(p.status)}">${esc(label("pledge_", p.status))}</b></li>`,
    );
    return `<ul class="pledges">${items.join("")}</ul>`;
  }

  // ------------------------------------------------------------------ charts (inline SVG)

  const svg = (w, h, body) =>
    `<svg viewBox="0 0 ${w} ${h}" role="img" preserveAspectRatio="xMidYMid meet">${body}</svg>`;
  const txt = (x, y, s, cls = "axis", anchor = "middle") =>
    `<text class="${cls}" x="${x}" y="${y}" text-anchor="${anchor}">${esc(s)}</text>`;

  /** Up to a few series of rates (0..1, null for no data) over the months. */
  function lineChart(months, series) {
    const W = 600, H = 220, L = 44, R = 12, T = 10, B = 26;
    const x = (i) => L + (months.length > 1 ? (i * (W - L - R)) / (months.length - 1) : 0);
    const y = (v) => T + (1 - v) * (H - T - B);
    let s = "";
    for (const g of [0, 0.25, 0.5, 0.75, 1]) {
      s += `<line class="grid" x1="${L}" x2="${W - R}" y1="${y(g)}" y2="${y(g)}"/>`;
      s += txt(L - 6, y(g) + 4, `${g * 100}%`, "axis", "end");
    }
    months.forEach((m, i) => { s += txt(x(i), H - 8, m.slice(5)); });
    series.forEach((se, k) => {
      let d = "", pen = "M";
      se.values.forEach((v, i) => {
        if (v == null) { pen = "M"; return; }
        d += `${pen}${x(i).toFixed(1)},${y(v).toFixed(1)}`;
        pen = "L";
      });
      s += `<path class="line s${k}" d="${d}"/>`;
      se.values.forEach((v, i) => {
        if (v != null) s += `<circle class="dot s${k}" cx="${x(i).toFixed(1)}" cy="${y(v).toFixed(1)}" r="3"><title>${esc(`${se.name} ${months[i]} ${pct(v)}`)}</title></circle>`;
      });
    });
    const legend = series.map((se, k) => `<span class="key s${k}">${esc(se.name)}</span>`).join("");
    return svg(W, H, s) + `<p class="legend">${legend}</p>`;
  }

  /** Vertical bars with their values on top. */
  function barChart(items) {
    const W = 600, H = 200, T = 18, B = 24, gap = 8;
    const max = Math.max(1, ...items.map((i) => i.value));
    const bw = (W - gap) / items.length - gap;
    let s = `<line class="grid" x1="0" x2="${W}" y1="${H - B}" y2="${H - B}"/>`;
    items.forEach((it, i) => {
      const h = ((H - T - B) * it.value) / max;
      const x = gap + i * (bw + gap);
      s += `<rect class="bar ${it.cls || ""}" x="${x.toFixed(1)}" y="${(H - B - h).toFixed(1)}" width="${bw.toFixed(1)}" height="${h.toFixed(1)}"><title>${esc(`${it.label} ${num(it.value)}`)}</title></rect>`;
      s += txt(x + bw / 2, H - B - h - 4, num(it.value), "val");
      s += txt(x + bw / 2, H - 8, it.label);
    });
    return svg(W, H, s);
  }

  /** The weekend's slots on a time line per day, one row per area; gaps in red. */
  function rotaChart(rota) {
    if (!rota.slots.length) return `<p class="empty">${esc(t("no_slots"))}</p>`;
    const CST = 8 * 3600e3;
    const slots = rota.slots.map((sl) => {
      const a = Date.parse(sl.starts_at) + CST, b = Date.parse(sl.ends_at) + CST;
      const day = new Date(a).toISOString().slice(0, 10);
      const h0 = (a - Date.parse(day)) / 3600e3;
      return { ...sl, day, h0, h1: h0 + (b - a) / 3600e3 };
    });
    const days = [...new Set(slots.map((s) => s.day))].sort();
    const areas = [...new Set(slots.map((s) => s.area))].sort();
    const lo = Math.floor(Math.min(...slots.map((s) => s.h0)));
    const hi = Math.ceil(Math.max(...slots.map((s) => s.h1)));
    const W = 600, L = 130, R = 8, row = 22, head = 22;
    const dayW = (W - L - R) / days.length;
    const H = head + areas.length * row + 20;
    const x = (di, h) => L + di * dayW + ((h - lo) / Math.max(1, hi - lo)) * (dayW - 6);
    let s = "";
    days.forEach((day, di) => {
      const wd = new Date(Date.parse(day)).getUTCDay();
      s += txt(L + di * dayW + dayW / 2, 14, `${wd === 6 ? t("sat") : wd === 0 ? t("sun") : ""} ${day.slice(5)}`, "axis strong");
      s += txt(x(di, lo), H - 6, `${lo}:00`, "axis", "start");
      s += txt(x(di, hi), H - 6, `${hi}:00`, "axis", "end");
    });
    areas.forEach((area, ai) => {
      s += txt(L - 6, head + ai * row + 15, label("area_", area), "axis", "end");
    });
    for (const sl of slots) {
      const di = days.indexOf(sl.day), ai = areas.indexOf(sl.area);
      const gap = sl.holder == null;
      const who = gap ? t("gap") : `${t("held_by")}${sl.holder}`;
      const tip = `${label("area_", sl.area)} ${sl.day} ${num(sl.h0)}–${num(sl.h1)} ${who}`;
      s += `<rect class="slot${gap ? " gap" : ""}" data-slot-id="${esc(sl.slot_id)}" x="${x(di, sl.h0).toFixed(1)}" y="${head + ai * row + 3}" width="${Math.max(2, x(di, sl.h1) - x(di, sl.h0) - 1).toFixed(1)}" height="${row - 6}" rx="3"><title>${esc(tip)}</title></rect>`;
    }
    return svg(W, H, s) + `<p class="legend"><span class="key filled">${esc(t("held_by").replace(/[：\s]+$/, ""))}</span><span class="key gapkey">${esc(t("gap"))} ${rota.gaps}</span></p>`;
  }

  function leaderboard(leaders) {
    if (!leaders.length) return `<p class="empty">${esc(t("no_data"))}</p>`;
    const rows = leaders.map(
      (l, i) => `<tr data-member-id="${esc(l.member_id)}"><td>${i + 1}</td><td>${esc(l.member_id)}</td><td class="num">${l.points}</td></tr>`,
    ).join("");
    return `<table id="leaderboard"><thead><tr><th>${esc(t("rank"))}</th><th>${esc(t("member"))}</th><th class="num">${esc(t("points"))}</th></tr></thead><tbody>${rows}</tbody></table>`;
  }

  /** One horizontal bar per coverage ratio. */
  function coverageChart(coverage) {
    const keys = Object.keys(coverage);
    const W = 600, row = 46;
    let s = "";
    keys.forEach((k, i) => {
      const c = coverage[k], y = i * row;
      s += txt(0, y + 14, t(`cov_${k}`), "axis strong", "start");
      s += txt(W, y + 14, `${pct(c.rate)}  (${c.covered}/${c.total})`, "axis", "end");
      s += `<rect class="track" x="0" y="${y + 20}" width="${W}" height="14" rx="4"/>`;
      s += `<rect class="bar" data-coverage="${esc(k)}" x="0" y="${y + 20}" width="${(W * (c.rate || 0)).toFixed(1)}" height="14" rx="4"/>`;
    });
    return svg(W, keys.length * row, s);
  }

  // ------------------------------------------------------------------ start

  function start() {
    const m = location.hash.match(/^#token=([^&]+)/);
    if (m) {
      token = decodeURIComponent(m[1]);
      localStorage.setItem(TOKEN_KEY, token);
      history.replaceState(null, "", `${location.pathname}${location.search}#/county`);
    }
    $("#login").addEventListener("submit", (e) => {
      e.preventDefault();
      setToken($("#token").value);
      $("#token").value = "";
    });
    $("#logout").addEventListener("click", () => setToken(""));
    $("#lang").addEventListener("click", () => {
      lang = lang === "zh" ? "en" : "zh";
      localStorage.setItem(LANG_KEY, lang);
      chrome();
      go();
    });
    $("#view").addEventListener("submit", (e) => {
      if (e.target.id !== "as-of") return;
      e.preventDefault();
      const at = $("#as-of-at").value;
      if (at && route && route.kind === "community") {
        location.hash = `#/communities/${encodeURIComponent(route.id)}?at=${encodeURIComponent(at)}`;
      }
    });
    $("#view").addEventListener("click", (e) => {
      const tr = e.target.closest("tr[data-href]");
      if (tr && !e.target.closest("a")) location.hash = tr.dataset.href;
    });
    window.addEventListener("hashchange", go);
    document.addEventListener("visibilitychange", tick);
    chrome();
    go();
    setInterval(tick, 1000);
  }

  start();
})();
