// The harness shared by the conformance scenarios (core-flow.mjs, account-flow.mjs,
// email-flow.mjs): simulated browsers around the OFFICIAL Better Auth client
// (createAuthClient from "better-auth/client", pinned in package.json), the step runner and
// the result printing the pytest driver (tests/support/live_servers.py run_scenario) parses.
//
// BASE_URL (default http://127.0.0.1:3000) is the server under test. Each step prints
// "PASS <step>" or "FAIL <step>: <reason>"; finish() then prints "N passed, N failed", one line
// "RESULT <json>" ({"passed": [...], "failed": {step: reason}}) and exits 0 only when every
// step passed. Things a single scenario needs (OUTBOX, DELETE_USER, ...) stay in its script.
import { createAuthClient } from "better-auth/client";

export const BASE_URL = (process.env.BASE_URL || "http://127.0.0.1:3000").replace(/\/+$/, "");
const ORIGIN = new URL(BASE_URL).origin;
export const SESSION_COOKIE = "better-auth.session_token";
// Makes this run's addresses unique, so a scenario can run again against the same database.
export const RUN = Date.now().toString(36) + Math.random().toString(36).slice(2, 6);

// Node's fetch keeps no cookies: each simulated browser gets a jar, and the client gets a
// fetch wrapper (customFetchImpl) that sends the jar, stores Set-Cookie (Max-Age=0 or a past
// Expires deletes) and adds Origin on non-GET requests as a browser would (a cookie-bearing
// POST without one is refused with 403 MISSING_OR_NULL_ORIGIN). Same approach as the reference
// scenario.
class CookieJar {
  constructor(cookies) { this.cookies = new Map(cookies ?? []); }
  header() { return [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; "); }
  store(response) {
    for (const line of response.headers.getSetCookie?.() ?? []) {
      const [pair, ...attrs] = line.split(";");
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      let expired = value === "";
      for (const a of attrs) {
        const [k, v] = a.trim().split("=");
        if (k.toLowerCase() === "max-age" && Number(v) <= 0) expired = true;
        if (k.toLowerCase() === "expires" && new Date(v).getTime() < Date.now()) expired = true;
      }
      if (expired) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
}

function makeFetch(jar) {
  return async function cookieFetch(input, init = {}) {
    const url = typeof input === "string" ? input : input.url ?? String(input);
    const method = (init.method || "GET").toUpperCase();
    const headers = new Headers(init.headers || {});
    const cookie = jar.header();
    if (cookie) headers.set("cookie", cookie);
    if (method !== "GET" && method !== "HEAD" && !headers.has("origin")) headers.set("origin", ORIGIN);
    const res = await fetch(url, { method, headers, body: init.body, redirect: init.redirect ?? "manual", signal: init.signal });
    jar.store(res);
    return res;
  };
}

// A new simulated browser: an official client with its own jar, optionally seeded with
// cookies (an iterable of [name, value], e.g. another jar's `cookies`). The client is a Proxy
// turning any property access into an endpoint call, so the jar lives in a WeakMap rather
// than on the client object: jarOf(client) finds it.
const jars = new WeakMap();
export function browser(cookies) {
  const jar = new CookieJar(cookies);
  const client = createAuthClient({ baseURL: BASE_URL, fetchOptions: { customFetchImpl: makeFetch(jar) } });
  jars.set(client, jar);
  return client;
}
export const jarOf = (client) => jars.get(client);

const passed = [];
const failed = {};
export async function step(name, fn) {
  try {
    await fn();
    passed.push(name);
    console.log(`PASS ${name}`);
  } catch (e) {
    failed[name] = String(e?.message ?? e);
    console.log(`FAIL ${name}: ${failed[name]}`);
  }
}
export function check(cond, msg) { if (!cond) throw new Error(msg); }
export const j = (x) => JSON.stringify(x);
export function ok(res, what) {
  check(res && !res.error, `${what}: expected success, got error ${j(res?.error)}`);
  return res.data;
}
export function err(res, status, code, what) {
  check(res && res.error, `${what}: expected error ${status} ${code}, got success ${j(res?.data)}`);
  check(res.error.status === status && res.error.code === code,
    `${what}: expected ${status} ${code}, got ${res.error.status} ${res.error.code} (${res.error.message})`);
}

// Prints the summary and the RESULT line, then exits: call once, after the last step.
export function finish() {
  const nFailed = Object.keys(failed).length;
  console.log(`${passed.length} passed, ${nFailed} failed`);
  console.log(`RESULT ${j({ passed, failed })}`);
  process.exit(nFailed === 0 ? 0 : 1);
}
