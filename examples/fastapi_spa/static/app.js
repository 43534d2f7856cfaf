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

async function render() {
  const { data } = await auth.getSession();
  $("signed-in").hidden = !data;
  $("signed-out").hidden = !!data;
  $("status").textContent = data ? "Your notes" : "Signed out";
  if (!data) return;
  $("who").textContent = data.user.email;
  const notes = await api("/api/notes");
  $("notes").replaceChildren(...notes.map((note) => {
    const li = document.createElement("li");
    li.textContent = note.text;
    return li;
  }));
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

render().catch((error) => showError(error.message));
