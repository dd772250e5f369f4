// The ECB demo chat page. Plain JavaScript on the ecb-client browser bundle
// (the global `ECB`). Query parameters: ?user=alice signs in at once,
// ?transport=websocket uses the raw WebSocket transport, ?ecb=URL overrides
// where ECB is (by default /config.json says).
"use strict";

const USERS = [
  { userId: "alice", displayName: "Alice" },
  { userId: "bob", displayName: "Bob" },
  { userId: "carol", displayName: "Carol" },
  { userId: "dave", displayName: "Dave" },
];
const TYPING_IDLE_MS = 2500;
const TYPING_SHOWN_MS = 6000;
/** How many older messages one "Load older" click fetches. */
const OLDER_PAGE = 20;
const params = new URLSearchParams(location.search);
const $ = (id) => document.getElementById(id);

const app = {
  ecb: null,
  me: null,
  names: new Map(USERS.map((u) => [u.userId, u.displayName])),
  threads: new Map(), // threadId → thread
  unread: new Map(), // threadId → count
  current: null, // the open thread
  online: new Set(), // userIds online in the open thread
  typing: new Map(), // userId → timer, in the open thread
  typingSent: false,
  typingTimer: 0,
};

const nameOf = (userId) => app.names.get(userId) ?? userId;
const titleOf = (thread) => thread.data?.title ?? thread.threadId;

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  node.append(...children);
  return node;
}

function avatar(userId) {
  return el("span", { class: `avatar avatar-${userId}`, title: nameOf(userId) }, nameOf(userId)[0]);
}

// ---- signing in ------------------------------------------------------------

async function ecbUrl() {
  if (params.get("ecb")) return params.get("ecb");
  const config = await (await fetch("config.json")).json();
  if (!config.ecbUrl) throw new Error("config.json does not say where ECB is");
  return config.ecbUrl;
}

async function signIn(userId) {
  $("login-error").hidden = true;
  setState("connecting");
  try {
    app.ecb = await ECB.connect({
      url: await ecbUrl(),
      accessToken: userId, // the demo backend's rule: the accessToken is the user id
      transport: params.get("transport") === "websocket" ? "websocket" : "socket.io",
    });
  } catch (error) {
    setState("closed");
    $("login-error").textContent = `Could not connect: ${error.message}${error.code ? ` (${error.code})` : ""}`;
    $("login-error").hidden = false;
    return;
  }
  app.me = userId;
  setState(app.ecb.state);
  app.ecb.on("state", setState);
  app.ecb.on("message", onMessage);
  app.ecb.on("typing", onTyping);
  app.ecb.on("presence", onPresence);
  app.ecb.on("read", onRead);
  app.ecb.on("recovered", onRecovered);

  $("me-avatar").replaceWith(Object.assign(avatar(userId), { id: "me-avatar" }));
  $("me-name").textContent = nameOf(userId);
  $("me").hidden = false;
  $("login").hidden = true;
  $("chat").hidden = false;
  document.title = `${nameOf(userId)} · ECB demo chat`;

  const contacts = await app.ecb.getContacts();
  for (const user of contacts.items) app.names.set(user.userId, user.displayName ?? user.userId);
  await loadThreads();
}

function signOut() {
  app.ecb?.close();
  location.search = params.get("transport") ? `?transport=${params.get("transport")}` : "";
}

function setState(state) {
  const labels = { connecting: "connecting…", connected: "online", reconnecting: "reconnecting…", closed: "offline" };
  $("state").dataset.state = state;
  $("state").textContent = labels[state] ?? state;
}

// ---- threads ---------------------------------------------------------------

async function loadThreads() {
  const page = await app.ecb.getThreads({ pageSize: 50 });
  app.threads = new Map(page.items.map((t) => [t.threadId, t]));
  renderThreads();
}

function renderThreads() {
  const items = [...app.threads.values()].map((thread) => {
    const unread = app.unread.get(thread.threadId) ?? 0;
    const others = thread.memberIds.filter((m) => m !== app.me).map(nameOf).join(", ");
    return el(
      "li",
      {},
      el(
        "button",
        {
          type: "button",
          class: thread.threadId === app.current?.threadId ? "active" : "",
          "data-thread": thread.threadId,
          onclick: () => openThread(thread.threadId),
        },
        el("strong", {}, titleOf(thread)),
        el("small", {}, `with ${others}`),
        unread ? el("span", { class: "badge" }, String(unread)) : "",
      ),
    );
  });
  $("threads").replaceChildren(...items);
}

async function openThread(threadId) {
  const { thread, messages } = await app.ecb.getThread(app.threads.get(threadId).threadToken);
  const presence = await app.ecb.getPresence(thread.threadToken);
  stopTyping();
  app.threads.set(threadId, thread);
  app.current = thread;
  app.unread.delete(threadId);
  app.online = new Set(presence.userIds);
  app.typing.forEach(clearTimeout);
  app.typing.clear();

  $("empty").hidden = true;
  $("thread-head").hidden = false;
  $("composer").hidden = false;
  $("thread-title").textContent = titleOf(thread);
  $("messages").replaceChildren(...messages.map(messageItem));
  // getThread brings the recent messages; older ones are a click away.
  $("older").hidden = messages.length === 0;
  markRead(messages);
  renderMembers();
  renderTyping();
  renderThreads();
  scrollDown();
  $("text").focus();
}

function renderMembers() {
  const members = app.current.memberIds.map((userId) =>
    el(
      "li",
      { class: app.online.has(userId) ? "online" : "", title: app.online.has(userId) ? "online" : "offline" },
      avatar(userId),
      nameOf(userId),
    ),
  );
  $("members").replaceChildren(...members);
}

// ---- messages --------------------------------------------------------------

function messageItem(message) {
  const mine = message.senderId === app.me;
  const time = message.createdAt
    ? new Date(message.createdAt).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })
    : "";
  const item = el(
    "li",
    { class: `message ${mine ? "mine" : "theirs"}`, "data-client-id": message.clientMessageId ?? "" },
    mine ? "" : avatar(message.senderId),
    el(
      "div",
      { class: "bubble" },
      mine ? "" : el("span", { class: "sender" }, nameOf(message.senderId)),
      el("p", {}, String(message.data)),
      el("time", {}, time),
    ),
  );
  if (message.messageId) item.dataset.id = message.messageId;
  return item;
}

function scrollDown() {
  $("scroller").scrollTop = $("scroller").scrollHeight;
}

async function loadOlder() {
  const thread = app.current;
  const oldest = $("messages").querySelector("[data-id]")?.dataset.id;
  if (!thread || !oldest) return;
  const page = await app.ecb.getMessages(thread.threadToken, { before: oldest, pageSize: OLDER_PAGE });
  if (thread !== app.current) return;
  $("messages").prepend(...page.messages.map(messageItem));
  $("older").hidden = !page.hasMore;
}

/** Tells the others how far this user has read the open thread. */
function markRead(messages) {
  const last = [...messages].reverse().find((m) => m.messageId && m.senderId !== app.me);
  if (!last || !app.current) return;
  app.ecb.markRead(app.current.threadToken, last.messageId).catch(() => {});
}

/** "Seen by …" under the newest of my messages someone has read up to. */
function onRead({ threadId, userId, messageId }) {
  if (threadId !== app.current?.threadId || userId === app.me) return;
  const items = [...$("messages").querySelectorAll(".message[data-id]")];
  const upTo = items.findIndex((item) => item.dataset.id === messageId);
  const mine = items.slice(0, upTo + 1).filter((item) => item.classList.contains("mine")).pop();
  if (!mine) return;
  document.querySelectorAll(`.seen[data-reader="${CSS.escape(userId)}"]`).forEach((seen) => seen.remove());
  mine
    .querySelector(".bubble")
    .append(el("span", { class: "seen", "data-reader": userId }, `Seen by ${nameOf(userId)}`));
}

/** A gap after a reconnect that could not be closed: reload the thread rather than hide it. */
function onRecovered({ threadId, recovered }) {
  if (recovered) return;
  if (threadId === app.current?.threadId) {
    $("notice").textContent = "Could not recover the messages missed while offline; the thread was reloaded.";
    $("notice").hidden = false;
    openThread(threadId);
  } else {
    app.unread.set(threadId, app.unread.get(threadId) ?? 0);
  }
}

async function send(event) {
  event.preventDefault();
  const text = $("text").value.trim();
  if (!text || !app.current) return;
  $("text").value = "";
  stopTyping();
  const thread = app.current;
  // Shown at once, faded until ECB acks it (while offline it waits and is resent).
  const clientMessageId = crypto.getRandomValues(new Uint32Array(4)).join("-");
  const pending = messageItem({ senderId: app.me, data: text, clientMessageId });
  pending.classList.add("pending");
  $("messages").append(pending);
  scrollDown();
  try {
    const stored = await app.ecb.sendMessage(thread.threadToken, { type: "text", data: text, clientMessageId });
    pending.replaceWith(messageItem(stored));
  } catch (error) {
    pending.classList.add("failed");
    pending.title = `Not sent: ${error.message}`;
  }
}

function onMessage({ threadId, message }) {
  if (threadId !== app.current?.threadId) {
    app.unread.set(threadId, (app.unread.get(threadId) ?? 0) + 1);
    renderThreads();
    return;
  }
  if (message.messageId && document.querySelector(`[data-id="${CSS.escape(message.messageId)}"]`)) return;
  clearTyping(message.senderId);
  $("messages").append(messageItem(message));
  scrollDown();
  if (document.visibilityState === "visible") markRead([message]);
}

// ---- presence and typing ---------------------------------------------------

function onPresence({ threadId, userId, online }) {
  if (threadId !== app.current?.threadId) return;
  if (online) app.online.add(userId);
  else app.online.delete(userId);
  renderMembers();
}

function onTyping({ threadId, userId, typing }) {
  if (threadId !== app.current?.threadId || userId === app.me) return;
  clearTyping(userId);
  if (typing) app.typing.set(userId, setTimeout(() => clearTyping(userId), TYPING_SHOWN_MS));
  renderTyping();
}

function clearTyping(userId) {
  clearTimeout(app.typing.get(userId));
  if (app.typing.delete(userId)) renderTyping();
}

function renderTyping() {
  const names = [...app.typing.keys()].map(nameOf);
  $("typing").textContent =
    names.length === 0 ? "" : `${names.join(" and ")} ${names.length === 1 ? "is" : "are"} typing…`;
}

function onInput() {
  if (!app.current) return;
  if (!app.typingSent && $("text").value) {
    app.typingSent = true;
    app.ecb.setTyping(app.current.threadToken, true).catch(() => {});
  }
  clearTimeout(app.typingTimer);
  app.typingTimer = setTimeout(stopTyping, TYPING_IDLE_MS);
}

function stopTyping() {
  clearTimeout(app.typingTimer);
  if (!app.typingSent || !app.current) return;
  app.typingSent = false;
  app.ecb.setTyping(app.current.threadToken, false).catch(() => {});
}

// ---- start -----------------------------------------------------------------

$("users").append(
  ...USERS.map((user) =>
    el(
      "button",
      { type: "button", class: "user", "data-user": user.userId, onclick: () => signIn(user.userId) },
      avatar(user.userId),
      user.displayName,
    ),
  ),
);
$("composer").addEventListener("submit", send);
$("text").addEventListener("input", onInput);
$("logout").addEventListener("click", signOut);
$("older").addEventListener("click", loadOlder);
if (params.get("user")) signIn(params.get("user"));
