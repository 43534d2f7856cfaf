// The single page: Better Auth's official client for accounts, fetch for the notes API.
import { createAuthClient } from "better-auth/client";

const auth = createAuthClient({ baseURL: window.location.origin }); // authkit at /api/auth
const $ = (id) => document.getElementById(id);

function showError(message) {
  $("error").textContent = message || "";
  $("error").hidden = !message;
}

async function api(path, options = {}) {
  // Same origin: the browser sends the session cookie; authkit answers 401 without one.
  const res = await fetch(path, { headers: { "Content-Type": "application/json" }, ...options });
  if (!res.ok) throw new Error(`${res.status} ${(await res.json()).message || ""}`.trim());
  return res.json();
}

// What the provider callback's ?error= codes mean to a visitor.
const OAUTH_ERRORS = {
  account_not_linked: "An account with this email already exists. Sign in with your " +
    "password, then link the provider below.",
  email_does_not_match: "That provider account uses another email address.",
  account_already_linked_to_different_user: "That provider account belongs to someone else here.",
  unable_to_link_account: "That provider account could not be linked (its email is not verified).",
  access_denied: "You cancelled the sign-in at the provider.",
};

function element(tag, props = {}, ...children) {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
}

let providers = [];  // [{id, name}] configured on the server
const providerName = (id) => (providers.find((p) => p.id === id) || { name: id }).name;

async function renderAccounts() {
  // The client's listAccounts: every sign-in method of this user ("credential" is the password).
  const { data, error } = await auth.listAccounts();
  if (error) throw new Error(error.message);
  $("accounts").replaceChildren(...data.map((account) => {
    const unlink = element("button", { type: "button", id: `unlink-${account.providerId}`,
                                       textContent: "Unlink" });
    unlink.addEventListener("click", async () => {
      // accountId here is the account's own id (the row listAccounts returned), not the
      // provider's user id.
      const { error } = await auth.unlinkAccount({ providerId: account.providerId,
                                                   accountId: account.id });
      showError(error && error.message);
      await render();
    });
    const name = account.providerId === "credential" ? "Password" : providerName(account.providerId);
    return element("tr", { id: `account-${account.providerId}` },
                   element("td", { textContent: name }),
                   element("td", { textContent: new Date(account.createdAt).toLocaleString() }),
                   element("td", {}, unlink));
  }));
  const linked = new Set(data.map((account) => account.providerId));
  $("link-buttons").replaceChildren(...providers.filter((p) => !linked.has(p.id)).map((p) => {
    const button = element("button", { type: "button", id: `link-${p.id}`,
                                       textContent: `Link ${p.name}` });
    // linkSocial: off to the provider, back here with the account added to this user.
    button.addEventListener("click", () => auth.linkSocial({
      provider: p.id, callbackURL: "/", errorCallbackURL: "/" }));
    return button;
  }));
}

async function render() {
  const { data } = await auth.getSession();
  $("signed-in").hidden = !data;
  $("signed-out").hidden = !!data;
  $("status").textContent = data ? "Your notes" : "Signed out";
  if (!data) return;
  $("who").textContent = data.user.email;
  const notes = await api("/api/notes");
  $("notes").replaceChildren(...notes.map((note) => element("li", { textContent: note.text })));
  await renderAccounts();
}

async function setUpProviders() {
  providers = await (await fetch("/api/providers")).json();
  $("social").hidden = providers.length === 0;
  $("social").replaceChildren(...providers.map((p) => {
    const button = element("button", { type: "button", id: `social-${p.id}`,
                                       textContent: `Sign in with ${p.name}` });
    // signIn.social asks authkit for the provider's URL and sends the browser there; the
    // provider returns to /api/auth/callback/<id>, which signs in and comes back to "/".
    button.addEventListener("click", async () => {
      const { error } = await auth.signIn.social({ provider: p.id, callbackURL: "/",
                                                   errorCallbackURL: "/" });
      if (error) showError(error.message);
    });
    return button;
  }));
}

function showCallbackError() {
  // A failed provider round trip comes back as /?error=<code>: say it, then tidy the address.
  const code = new URLSearchParams(window.location.search).get("error");
  if (!code) return;
  showError(OAUTH_ERRORS[code] || `Signing in with the provider failed (${code}).`);
  window.history.replaceState(null, "", window.location.pathname);
}

function fields(form) {
  return Object.fromEntries(new FormData(form).entries());
}

$("sign-up").addEventListener("submit", async (event) => {
  event.preventDefault();
  const { error } = await auth.signUp.email(fields(event.target));
  showError(error && error.message);
  await render();
});

$("sign-in").addEventListener("submit", async (event) => {
  event.preventDefault();
  const { error } = await auth.signIn.email(fields(event.target));
  showError(error && error.message);
  await render();
});

$("sign-out").addEventListener("click", async () => {
  await auth.signOut();
  showError("");
  await render();
});

$("add-note").addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    await api("/api/notes", { method: "POST", body: JSON.stringify(fields(event.target)) });
    event.target.reset();
    showError("");
  } catch (error) {
    showError(error.message);
  }
  await render();
});

showCallbackError();
setUpProviders().then(render).catch((error) => showError(error.message));
