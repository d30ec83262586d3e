// The example chat page: signs in over the example API, then speaks rtchat's
// protocol (docs/protocol.md) through the JS client module. Everything that
// comes from the server or other users goes into the page as text
// (textContent, text nodes, attributes), never as markup.

import { Chat, ProtocolError, ConnectionError } from "/static/rtchat.js";

const $ = (id) => document.getElementById(id);

const ONE = "OneToOneChat";
const GROUP = "GroupChat";
const CHANNEL = "Channel";
const REACTIONS = ["👍", "❤️", "😂", "😮", "😢", "🎉"];
const PAGE = 50; // messages per history page
const TYPING_SHOWN_MS = 5000; // a typing line lasts this long without a new signal
const TYPING_SEND_MS = 2000; // at most one typing signal this often (the server's throttle)
const NARROW = window.matchMedia("(max-width: 640px)");

/** The page's state; the DOM is rendered from it. */
const state = {
  me: null, // {id, username}
  chat: null, // the Chat, while signed in
  everOnline: false,
  rooms: new Map(), // room id -> {id, type, name, peer, last, unread, activity}
  open: null, // the open room's id
  msgs: new Map(), // message id -> Message, of the open room
  hasOlder: false,
  loadingOlder: false,
  detail: null, // room.info of the open room, for the members panel
  replyTo: null, // message id
  editing: null, // message id
  forwarding: null, // message id
  picker: null, // message id whose reaction picker is open
  typers: new Map(), // username -> expiry timer, of the open room
  lastTyping: 0, // when this page last sent a typing signal
  presence: new Map(), // user id -> online
  contacts: new Set(), // ids of users known to share a room with me
  readSent: new Set(), // message ids message.read was sent for
  drafts: new Map(), // room id -> unsent text of the composer
  handlers: {}, // eventType -> handler of pushed frames and of the answers to our requests
  channelTimer: 0,
  returnFocus: null, // the element to focus again when a dialog closes
};

// ---- DOM helpers ----

/**
 * el builds an element. props: class, text (set as textContent), data
 * (dataset), on<event> listeners, other keys as attributes (false and null
 * left out). Children may be nodes or strings (added as text nodes).
 */
function el(tag, props = {}, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v == null || v === false) continue;
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else if (k === "data") Object.assign(e.dataset, v);
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? "" : String(v));
  }
  for (const kid of kids) if (kid != null && kid !== false) e.append(kid);
  return e;
}

function show(node, on) {
  node.hidden = !on;
}

function timeText(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  const sameDay = d.toDateString() === new Date().toDateString();
  return sameDay
    ? d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })
    : d.toLocaleString([], { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
}

const ts = (iso) => (iso ? Date.parse(iso) || 0 : 0);

function splitNames(s) {
  return [...new Set(s.split(",").map((n) => n.trim()).filter(Boolean))];
}

function listText(names) {
  if (names.length <= 1) return names.join("");
  return names.slice(0, -1).join(", ") + " and " + names[names.length - 1];
}

// ---- errors ----

/** errorText is what the page shows for a failed request. */
function errorText(err) {
  if (err instanceof ProtocolError) {
    const d = err.detail;
    if (typeof d === "string" && d) return d;
    if (d && typeof d === "object") {
      return Object.entries(d).map(([k, v]) => `${k}: ${[].concat(v).join(" ")}`).join("; ");
    }
    return `Error ${err.code}`;
  }
  if (err instanceof ConnectionError) return `Not sent: the connection dropped (${err.reason || "offline"}). Try again.`;
  return (err && err.message) || String(err);
}

/**
 * req sends a request and returns its answer frame, or null when it failed;
 * the failure is shown in errEl (#chat-error by default, none when null),
 * as custom(err) says when that returns a text, and errEl is cleared on
 * success.
 */
async function req(event, data, { errEl = $("chat-error"), custom } = {}) {
  const chat = state.chat;
  if (!chat) return null;
  try {
    const frame = await chat.request(event, data);
    if (chat !== state.chat) return null;
    if (errEl) errEl.textContent = "";
    // The client hands answers to our own requests only to their promise:
    // a broadcast's own copy (a reaction, an edit, a role change) is
    // handled here as the others' copies are.
    const handle = state.handlers[frame.eventType];
    if (handle) handle(frame.data, frame);
    return frame;
  } catch (err) {
    if (chat !== state.chat) return null; // signed out meanwhile
    if (errEl) errEl.textContent = (custom && custom(err)) || errorText(err);
    if (!(err instanceof ProtocolError) && !(err instanceof ConnectionError)) console.error(err);
    return null;
  }
}

/** shareText explains a 4004 on adding users to a group or channel. */
function shareText(names, users) {
  const strangers = names.filter((n, i) => !state.contacts.has(users[i].id));
  return `${listText(strangers.length ? strangers : names)} must share a chat with you first`;
}

// ---- HTTP API (the session is an HttpOnly cookie the WebSocket sends too) ----

async function api(method, path, body) {
  const opts = { method, headers: {}, credentials: "same-origin" };
  if (body !== undefined) {
    opts.headers["Content-Type"] = "application/json";
    opts.body = JSON.stringify(body);
  }
  const res = await fetch(path, opts);
  const data = res.status === 204 ? null : await res.json().catch(() => null);
  if (!res.ok) {
    const err = new Error((data && data.error) || res.statusText);
    err.status = res.status;
    throw err;
  }
  return data;
}

/** findUsers resolves usernames to users, or throws an Error naming the unknown one. */
async function findUsers(names) {
  const users = [];
  for (const name of names) {
    try {
      users.push(await api("GET", "/api/users?username=" + encodeURIComponent(name)));
    } catch (err) {
      throw new Error(err.status === 404 ? `There is no user named ${name}` : err.message);
    }
  }
  return users;
}

// ---- sign-in ----

async function signIn(path) {
  const errEl = $("auth-error");
  errEl.textContent = "";
  const username = $("username").value.trim();
  const password = $("password").value;
  if (!username || !password) {
    errEl.textContent = "Enter a username and a password.";
    return;
  }
  try {
    const u = await api("POST", path, { username, password });
    $("password").value = "";
    start({ id: u.id, username: u.username });
  } catch (err) {
    errEl.textContent = err.message;
  }
}

function showAuth() {
  show($("auth"), true);
  show($("chat"), false);
  show($("logout"), false);
  show($("rooms-toggle"), false);
  $("me").textContent = "";
  setStatus("offline");
  $("username").focus();
}

async function logout() {
  const chat = state.chat;
  state.chat = null;
  if (chat) chat.close();
  await api("POST", "/api/logout").catch(() => {});
  resetChat();
  showAuth();
}

function resetChat() {
  closeRoom();
  state.me = null;
  state.everOnline = false;
  state.rooms.clear();
  state.presence.clear();
  state.contacts.clear();
  state.readSent.clear();
  state.drafts.clear();
  renderRooms();
  $("chat-error").textContent = "";
}

function start(user) {
  state.me = user;
  $("me").textContent = user.username;
  show($("auth"), false);
  show($("chat"), true);
  show($("logout"), true);
  show($("rooms-toggle"), true);
  $("auth-error").textContent = "";
  setSidebar(true);

  const chat = new Chat({ url: document.body.dataset.wsPath || "/messaging/" });
  state.chat = chat;
  const on = (event, fn) =>
    chat.on(event, (data, frame) => {
      if (state.chat === chat) fn(data, frame);
    });
  on("state", onState);
  chat.onMessage((m) => {
    if (state.chat === chat) onMessage(m);
  });
  state.handlers = {
    "reaction.dispatch": (d) => d && d.message && updateMessage(d.message),
    "messagemodification.dispatch": onModification,
    "readreceipt.dispatch": (d) => [].concat(d || []).forEach(updateMessage),
    "messagetyping.dispatch": onTyping,
    "presence.dispatch": (d) => setPresence(d && d.users),
    "roomcreate.dispatch": (d) => onRoomJoined(d),
    "roomaddmembers.dispatch": (d) => d && d.room && onRoomJoined(d.room),
    "roomremovemembers.dispatch": (d) => d && d.room && onRoomDetail(d.room),
    "roomupdate.dispatch": (d) => onRoomDetail(d),
    "roomexit.dispatch": (d) => d && d.room && removeRoom(d.room.id, d.message),
    "roomdelete.dispatch": (d) => d && removeRoom(d.room_id, "This room was deleted."),
  };
  for (const [event, fn] of Object.entries(state.handlers)) on(event, fn);
  setStatus("connecting");
  chat.connect().catch((err) => {
    if (state.chat === chat) $("chat-error").textContent = errorText(err);
  });
}

// ---- connection state ----

const STATUS = { connecting: "connecting", online: "online", reconnecting: "reconnecting", closed: "offline" };

function setStatus(text) {
  const s = $("status");
  s.textContent = text;
  s.dataset.state = text;
}

function onState(st, info) {
  setStatus(STATUS[st] || "offline");
  if (state.me) setPresence([{ user_id: state.me.id, online: st === "online" }]);
  if (st === "online") {
    const again = state.everOnline;
    state.everOnline = true;
    loadRooms().then(() => again && refreshOpen());
  } else if (st === "closed" && state.chat) {
    const why = (info && (info.reason || (info.code && `code ${info.code}`))) || "closed";
    $("chat-error").textContent = `Disconnected (${why}). Reload the page to connect again.`;
  }
}

// ---- rooms ----

function roomName(r) {
  if (r.type === ONE) return "@" + ((r.peer && r.peer.username) || "?");
  return r.name || "(unnamed)";
}

/**
 * plainText is the text of sanitised content (the server keeps a few tags
 * and escapes the rest, "I&#39;ll"): parsed in an inert document, which runs
 * no script and loads nothing, and only its text is ever put on the page.
 */
function plainText(html) {
  if (!html) return "";
  if (!/[<&]/.test(html)) return html;
  return new DOMParser().parseFromString(html, "text/html").body.textContent;
}

function messageText(m) {
  if (!m) return "";
  if (m.content) return plainText(m.content);
  if (m.forwarded_from && m.forwarded_from.content) return plainText(m.forwarded_from.content);
  const a = m.attachments || (m.forwarded_from && m.forwarded_from.attachments) || [];
  return a.length ? `[${a.length} attachment${a.length > 1 ? "s" : ""}]` : "";
}

/** upsertRoom merges a room list item or a Room detail into state.rooms. */
function upsertRoom(item, activity = 0) {
  let r = state.rooms.get(item.id);
  if (!r) {
    r = { id: item.id, type: item.type, name: "", peer: null, last: null, unread: 0, activity: 0 };
    state.rooms.set(item.id, r);
  }
  r.type = item.type || r.type;
  if (r.type === ONE) {
    const peer = item.peer || (item.participants || []).find((u) => u.id !== state.me.id);
    if (peer) r.peer = peer;
  } else if (item.name != null) {
    r.name = item.name;
  }
  if (r.peer) state.contacts.add(r.peer.id);
  if ("last_message" in item) r.last = item.last_message;
  if ("unread_count" in item) r.unread = item.unread_count;
  r.activity = Math.max(r.activity, activity, ts(r.last && r.last.created_at), ts(item.created_at));
  return r;
}

async function loadRooms() {
  const f = await req("room.list", {});
  if (!f) return;
  const seen = new Set();
  for (const item of f.data || []) {
    seen.add(item.id);
    const r = upsertRoom(item);
    if (r.id === state.open && document.visibilityState === "visible") r.unread = 0;
  }
  for (const id of [...state.rooms.keys()]) if (!seen.has(id)) state.rooms.delete(id);
  if (state.open && !state.rooms.has(state.open)) closeRoom();
  renderRooms();
  queryPresence([...state.rooms.values()].filter((r) => r.peer).map((r) => r.peer.id));
  if (!$("channels").hidden) loadChannels();
}

function sortedRooms() {
  return [...state.rooms.values()].sort((a, b) => b.activity - a.activity || (a.id < b.id ? -1 : 1));
}

function presenceDot(userId) {
  const online = state.presence.get(userId) === true;
  return el("span", {
    class: "presence",
    data: { online: String(online), userId: String(userId) },
    role: "img",
    "aria-label": online ? "online" : "offline",
  });
}

function renderRooms() {
  const list = $("rooms");
  const focused = document.activeElement && document.activeElement.closest && document.activeElement.closest("li.room");
  const focusId = focused && list.contains(focused) ? focused.dataset.roomId : null;
  const items = sortedRooms().map((r) => {
    const active = r.id === state.open;
    const unread = r.unread > 0 ? String(r.unread) : "";
    const btn = el(
      "button",
      { type: "button", class: "room-btn", "aria-current": active ? "true" : null },
      r.type === ONE && r.peer ? presenceDot(r.peer.id) : null,
      el("span", { class: "room-name", text: roomName(r) }),
      el("span", { class: "room-unread", text: unread, "aria-label": unread ? `${unread} unread` : null }),
      el("span", { class: "room-last", text: messageText(r.last) }),
    );
    return el("li", { class: "room" + (active ? " active" : ""), data: { roomId: r.id, type: r.type } }, btn);
  });
  list.replaceChildren(...items);
  if (!items.length) list.append(el("li", { class: "empty", text: "No chats yet: start one with New chat." }));
  if (focusId) {
    const li = list.querySelector(`li.room[data-room-id="${CSS.escape(focusId)}"] button`);
    if (li) li.focus();
  }
  if (!$("forward-form").hidden) fillForwardRooms();
}

/** onRoomJoined handles a room this user is now in (created, joined or added). */
function onRoomJoined(detail) {
  if (!detail || !detail.id) return;
  const known = state.rooms.has(detail.id);
  upsertRoom(detail, known ? 0 : Date.now());
  for (const u of detail.participants || detail.subscribers || []) if (detail.type !== CHANNEL) state.contacts.add(u.id);
  renderRooms();
  if (detail.id === state.open) setDetail(detail);
  if (!known && detail.type !== CHANNEL) queryPresence((detail.participants || []).map((u) => u.id));
  if (!$("channels").hidden) renderChannelButtons();
}

/** onRoomDetail handles a changed room (settings, members, roles). */
function onRoomDetail(detail) {
  if (!detail || !detail.id || !state.rooms.has(detail.id)) return;
  upsertRoom(detail);
  renderRooms();
  if (detail.id === state.open) {
    $("room-title").textContent = roomName(state.rooms.get(detail.id));
    setDetail(detail);
  }
}

function removeRoom(id, message) {
  if (!state.rooms.delete(id)) return;
  if (state.open === id) {
    closeRoom();
    if (message) $("room-title").textContent = message;
  }
  renderRooms();
  if (!$("channels").hidden) renderChannelButtons();
}

// ---- the open room ----

function closeRoom() {
  if (state.open && !state.editing) state.drafts.set(state.open, $("content").value);
  state.open = null;
  state.msgs.clear();
  state.detail = null;
  state.hasOlder = false;
  cancelReply();
  cancelEdit();
  closeDialogs();
  clearTypers();
  $("content").value = "";
  $("messages").replaceChildren();
  $("room-title").textContent = "Pick or start a chat";
  show($("send"), false);
  show($("load-older"), false);
  show($("members-toggle"), false);
  show($("leave"), false);
  show($("members"), false);
  $("members-toggle").setAttribute("aria-expanded", "false");
}

async function openRoom(id) {
  const r = state.rooms.get(id);
  if (!r) return;
  if (NARROW.matches) setSidebar(false);
  if (state.open === id) return;
  closeRoom();
  state.open = id;
  $("room-title").textContent = roomName(r);
  show($("send"), true);
  show($("members-toggle"), true);
  show($("leave"), r.type !== ONE);
  $("content").value = state.drafts.get(id) || "";
  renderRooms();
  $("content").focus();
  const f = await req("room.messages", { room_id: id, limit: PAGE });
  if (state.open !== id || !f) return;
  const page = f.data || {};
  for (const m of (page.data && page.data.messages) || []) addMessage(m);
  state.hasOlder = !!page.has_more;
  show($("load-older"), state.hasOlder);
  scrollToBottom();
  markShownRead();
}

/** refreshOpen reads the open room's newest page again after a reconnect, for edits, reactions and deletes missed meanwhile. */
async function refreshOpen() {
  const id = state.open;
  if (!id) return;
  const f = await req("room.messages", { room_id: id, limit: PAGE });
  if (state.open !== id || !f) return;
  const fresh = (f.data && f.data.data && f.data.data.messages) || [];
  if (!fresh.length) return;
  const ids = new Set(fresh.map((m) => m.id));
  const seqs = fresh.map((m) => m.seq);
  const low = Math.min(...seqs);
  const high = Math.max(...seqs);
  // A message missing from the page within its range was deleted meanwhile;
  // one above it came after the page was read (the client hands it over
  // while the answer is on its way) and stays.
  for (const m of state.msgs.values()) if (m.seq >= low && m.seq <= high && !ids.has(m.id)) dropMessage(m.id);
  for (const m of fresh) if (!addMessage(m)) updateMessage(m);
  if (state.open === id && $("members").hidden === false) loadMembers();
}

function scrollToBottom() {
  const box = $("messages");
  box.scrollTop = box.scrollHeight;
}

function nearBottom() {
  const box = $("messages");
  return box.scrollHeight - box.scrollTop - box.clientHeight < 80;
}

async function loadOlder() {
  const id = state.open;
  if (!id || state.loadingOlder || !state.hasOlder) return;
  const seqs = [...state.msgs.values()].map((m) => m.seq);
  if (!seqs.length) return;
  state.loadingOlder = true;
  $("load-older").disabled = true;
  const f = await req("room.messages", { room_id: id, before_seq: Math.min(...seqs), limit: PAGE });
  state.loadingOlder = false;
  $("load-older").disabled = false;
  if (state.open !== id || !f) return;
  const box = $("messages");
  const height = box.scrollHeight;
  const top = box.scrollTop;
  for (const m of (f.data && f.data.data && f.data.data.messages) || []) addMessage(m);
  box.scrollTop = top + (box.scrollHeight - height); // keep what was on screen in place
  state.hasOlder = !!f.data.has_more;
  show($("load-older"), state.hasOlder);
}

// ---- messages ----

function onMessage(m) {
  const roomId = m.room && m.room.id;
  if (!roomId) return;
  let r = state.rooms.get(roomId);
  if (!r) {
    // A message of a room not listed yet: list the rooms again.
    r = upsertRoom({ id: roomId, type: GROUP, name: "" });
    loadRooms();
  }
  if (!r.last || m.seq >= (r.last.seq || 0)) r.last = m;
  r.activity = Math.max(r.activity, ts(m.created_at), Date.now());
  const mine = m.sender && m.sender.id === state.me.id;
  if (roomId === state.open) {
    const stick = mine || nearBottom();
    addMessage(m);
    if (stick) scrollToBottom();
    if (m.sender) stopTyper(m.sender.username);
    if (!mine) {
      if (document.visibilityState === "visible") markShownRead();
      else r.unread += 1;
    }
  } else if (!mine) {
    r.unread += 1;
  }
  renderRooms();
}

/** addMessage adds m to the open room's list in seq order; false when it is there already. */
function addMessage(m) {
  if (state.msgs.has(m.id)) return false;
  state.msgs.set(m.id, m);
  const li = renderMessage(m);
  const list = $("messages");
  let before = null;
  const last = list.lastElementChild;
  if (last && Number(last.dataset.seq) > m.seq) {
    for (const other of list.children) {
      if (Number(other.dataset.seq) > m.seq) {
        before = other;
        break;
      }
    }
  }
  list.insertBefore(li, before);
  return true;
}

/** updateMessage takes a newer copy of a message (reaction, edit, read receipt). */
function updateMessage(m) {
  if (!m || !m.id) return;
  const roomId = m.room && m.room.id;
  const r = state.rooms.get(roomId);
  if (r && r.last && r.last.id === m.id) {
    r.last = m;
    renderRooms();
  }
  if (roomId !== state.open || !state.msgs.has(m.id)) return;
  state.msgs.set(m.id, m);
  const old = messageEl(m.id);
  if (!old) return;
  const focused = old.contains(document.activeElement) ? focusKey(document.activeElement) : null;
  const li = renderMessage(m);
  old.replaceWith(li);
  if (focused) {
    const again = li.querySelector(focused);
    if (again) again.focus();
  }
}

function focusKey(node) {
  if (node.dataset.reaction) return `button.${node.classList[0]}[data-reaction="${CSS.escape(node.dataset.reaction)}"]`;
  return node.classList.length ? "." + node.classList[0] : null;
}

function messageEl(id) {
  return $("messages").querySelector(`li.message[data-id="${CSS.escape(id)}"]`);
}

function dropMessage(id) {
  state.msgs.delete(id);
  const li = messageEl(id);
  if (li) li.remove();
  if (state.replyTo === id) cancelReply();
  if (state.editing === id) cancelEdit();
  if (state.forwarding === id) closeDialogs();
}

function onModification(d) {
  if (!d) return;
  if (d.action === "update" && d.message) {
    updateMessage(d.message);
    return;
  }
  if (d.action !== "delete") return;
  const ids = new Set(d.message_ids || []);
  for (const id of ids) dropMessage(id);
  for (const r of state.rooms.values()) {
    if (r.last && ids.has(r.last.id)) {
      const rest = r.id === state.open ? [...state.msgs.values()].sort((a, b) => b.seq - a.seq) : [];
      r.last = rest[0] || null;
    }
  }
  renderRooms();
}

function readersOf(m) {
  const names = [];
  for (const rr of m.read_receipts || []) {
    const u = rr.reader;
    if (!u || u.id === state.me.id || (m.sender && u.id === m.sender.id)) continue;
    if (!names.includes(u.username)) names.push(u.username);
  }
  return names;
}

function safeURL(s) {
  try {
    const u = new URL(s);
    return u.protocol === "http:" || u.protocol === "https:" ? u.href : null;
  } catch {
    return null;
  }
}

function renderAttachments(list) {
  if (!list || !list.length) return null;
  return el(
    "ul",
    { class: "attachments", "aria-label": "Attachments" },
    ...list.map((a) => {
      const label = `${plainText(a.caption) || a.media_url} (${a.media_type || "file"})`;
      const href = safeURL(a.media_url);
      // A link only: the page never loads an attachment itself.
      return el("li", {}, href ? el("a", { href, rel: "noopener noreferrer nofollow", target: "_blank", text: label }) : label);
    }),
  );
}

function renderReactions(m) {
  const groups = new Map(); // reaction -> usernames
  for (const r of m.reactions || []) {
    const names = groups.get(r.reaction_content) || [];
    names.push((r.user && r.user.username) || "?");
    groups.set(r.reaction_content, names);
  }
  const mine = (m.reactions || []).find((r) => r.user && r.user.id === state.me.id);
  return el(
    "div",
    { class: "reactions" },
    ...[...groups].map(([emoji, names]) =>
      el("button", {
        type: "button",
        class: "reaction",
        data: { reaction: emoji },
        text: `${emoji} ${names.length}`,
        title: names.join(", "),
        "aria-pressed": String(!!mine && mine.reaction_content === emoji),
        "aria-label": `${emoji} ${names.length}: ${names.join(", ")}`,
        onclick: () => toggleReaction(m.id, emoji),
      }),
    ),
  );
}

function renderMessage(m) {
  const mine = !!(m.sender && m.sender.id === state.me.id);
  const sender = (m.sender && m.sender.username) || "?";
  const li = el("li", { class: "message" + (mine ? " mine" : ""), data: { id: m.id, seq: String(m.seq) } });
  li.append(
    el(
      "div",
      { class: "meta" },
      el("span", { class: "sender", text: sender }),
      el("time", { datetime: m.created_at, text: timeText(m.created_at) }),
      m.is_edited
        ? el("button", { type: "button", class: "edited", text: "edited", "aria-label": "edited: show earlier versions", onclick: () => showEdits(m.id) })
        : null,
    ),
  );
  const fwd = m.forwarded_from;
  if (m.is_forwarded || fwd) {
    const from = fwd && fwd.sender ? ` from ${fwd.sender.username}` : "";
    li.append(el("div", { class: "forwarded", text: `Forwarded${from}` }));
  }
  // .text comes before .quote in the DOM (CSS shows the quote first), so
  // the message's own .sender and .text are the first of their class.
  li.append(el("div", { class: "text", text: messageText(m) }));
  const p = m.parent_message;
  if (p) {
    li.append(
      el(
        "blockquote",
        { class: "quote", "aria-label": "In reply to" },
        el("span", { class: "sender", text: (p.sender && p.sender.username) || "?" }),
        el("span", { class: "text", text: messageText(p) }),
      ),
    );
  }
  li.append(renderAttachments(m.attachments || (fwd && fwd.attachments)) || "");
  li.append(renderReactions(m));
  const readers = readersOf(m);
  if (readers.length) li.append(el("div", { class: "seen", text: `seen by ${readers.join(", ")}` }));
  const act = (cls, text, label, fn, extra = {}) =>
    el("button", { type: "button", class: cls, text, "aria-label": `${label} (${sender}: ${messageText(m).slice(0, 40)})`, onclick: fn, ...extra });
  const actions = el(
    "div",
    { class: "actions" },
    act("act-reply", "Reply", "Reply", () => startReply(m.id)),
    act("act-react", "React", "React", () => togglePicker(m.id), { "aria-expanded": String(state.picker === m.id) }),
    act("act-forward", "Forward", "Forward", () => startForward(m.id)),
    mine ? act("act-edit", "Edit", "Edit", () => startEdit(m.id)) : null,
    mine ? act("act-delete", "Delete", "Delete", () => deleteMessage(m.id)) : null,
  );
  li.append(actions);
  if (state.picker === m.id) li.append(renderPicker(m.id));
  return li;
}

function renderPicker(id) {
  return el(
    "div",
    { class: "picker", role: "group", "aria-label": "Pick a reaction" },
    ...REACTIONS.map((emoji) =>
      el("button", {
        type: "button",
        class: "pick",
        data: { reaction: emoji },
        text: emoji,
        "aria-label": `React ${emoji}`,
        onclick: () => {
          state.picker = null;
          toggleReaction(id, emoji);
          rerender(id, ".act-react");
        },
      }),
    ),
  );
}

function rerender(id, focusSel) {
  const m = state.msgs.get(id);
  const old = m && messageEl(id);
  if (!old) return;
  const li = renderMessage(m);
  old.replaceWith(li);
  const f = focusSel && li.querySelector(focusSel);
  if (f) f.focus();
}

function togglePicker(id) {
  const prev = state.picker;
  state.picker = prev === id ? null : id;
  if (prev && prev !== id) rerender(prev);
  rerender(id, state.picker ? "button.pick" : ".act-react");
}

function toggleReaction(id, emoji) {
  const m = state.msgs.get(id);
  if (!m) return;
  const mine = (m.reactions || []).find((r) => r.user && r.user.id === state.me.id);
  if (mine && mine.reaction_content === emoji) req("message.react", { type: "remove", message_id: id });
  else req("message.react", { type: "add", message_id: id, reaction_content: emoji });
}

function deleteMessage(id) {
  req("message.modify", { action: "delete", message_id: id });
}

async function showEdits(id) {
  const f = await req("message.edits", { message_id: id });
  if (!f) return;
  const box = $("edit-history");
  const edits = (f.data && f.data.edits) || [];
  box.querySelector("ul").replaceChildren(
    ...edits.map((e) => el("li", {}, el("time", { datetime: e.edited_at, text: timeText(e.edited_at) }), el("span", { class: "text", text: plainText(e.content) }))),
  );
  openDialog(box, $("edit-history-close"));
}

// ---- read marks ----

/** markShownRead sends message.read for others' messages shown in the open room, while the tab is visible. */
function markShownRead() {
  const id = state.open;
  if (!id || document.visibilityState !== "visible") return;
  const ids = [];
  for (const m of state.msgs.values()) {
    if (!m.sender || m.sender.id === state.me.id || state.readSent.has(m.id)) continue;
    if ((m.read_receipts || []).some((rr) => rr.reader && rr.reader.id === state.me.id)) continue;
    ids.push(m.id);
  }
  const r = state.rooms.get(id);
  if (r && r.unread) {
    r.unread = 0;
    renderRooms();
  }
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    chunk.forEach((x) => state.readSent.add(x));
    req("message.read", { message_id: chunk }, { errEl: null }).then((f) => {
      if (!f) chunk.forEach((x) => state.readSent.delete(x));
    });
  }
}

// ---- typing ----

function onTyping(d) {
  if (!d || d.room_id !== state.open || d.user_id === state.me.id) return;
  if (d.typing === false) {
    stopTyper(d.username);
    return;
  }
  clearTimeout(state.typers.get(d.username));
  state.typers.set(d.username, setTimeout(() => stopTyper(d.username), TYPING_SHOWN_MS));
  renderTyping();
}

function stopTyper(name) {
  if (!state.typers.has(name)) return;
  clearTimeout(state.typers.get(name));
  state.typers.delete(name);
  renderTyping();
}

function clearTypers() {
  for (const t of state.typers.values()) clearTimeout(t);
  state.typers.clear();
  renderTyping();
}

function renderTyping() {
  const names = [...state.typers.keys()];
  $("typing").textContent = names.length ? `${listText(names)} ${names.length > 1 ? "are" : "is"} typing…` : "";
}

function sendTyping(typing) {
  if (!state.open) return;
  const now = Date.now();
  if (typing && now - state.lastTyping < TYPING_SEND_MS) return;
  if (!typing && !state.lastTyping) return;
  state.lastTyping = typing ? now : 0;
  req("message.typing", { room_id: state.open, typing }, { errEl: null });
}

// ---- presence ----

function setPresence(users) {
  for (const u of users || []) {
    state.presence.set(u.user_id, !!u.online);
    for (const dot of document.querySelectorAll(`.presence[data-user-id="${u.user_id}"]`)) {
      dot.dataset.online = String(!!u.online);
      dot.setAttribute("aria-label", u.online ? "online" : "offline");
    }
  }
}

async function queryPresence(ids) {
  const want = [...new Set(ids)].filter((id) => id > 0 && id !== state.me.id);
  for (let i = 0; i < want.length; i += 500) {
    const f = await req("presence.query", { user_ids: want.slice(i, i + 500) }, { errEl: null });
    if (f) setPresence(f.data && f.data.users);
  }
}

// ---- composer: send, reply, edit ----

async function submitComposer() {
  const box = $("content");
  const text = box.value;
  const room = state.open;
  if (!room || !text.trim()) return;
  if (state.editing) {
    const id = state.editing;
    const f = await req("message.modify", { action: "update", message_id: id, extra_fields: { content: text } });
    if (f && state.editing === id) {
      cancelEdit();
      box.value = "";
    }
    return;
  }
  const extra = state.replyTo ? { parent_message_id: state.replyTo } : undefined;
  box.value = "";
  cancelReply();
  sendTyping(false);
  try {
    await sendMessage(room, text, extra);
    $("chat-error").textContent = "";
  } catch (err) {
    const r = state.rooms.get(room);
    const channel = r && r.type === CHANNEL && err instanceof ProtocolError && err.code === 4002;
    $("chat-error").textContent = channel ? "Only the channel's moderators, and members they allow, can post here." : errorText(err);
    if (state.open === room && !box.value) box.value = text;
    else if (state.open !== room && !state.drafts.get(room)) state.drafts.set(room, text);
  }
}

/** sendMessage sends through the client, sending again when the rate limit (4029) refused it: a refused frame stored nothing. */
async function sendMessage(room, text, extra) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await state.chat.sendMessage(room, text, extra);
    } catch (err) {
      if (!(err instanceof ProtocolError) || err.code !== 4029 || attempt >= 5 || !state.chat) throw err;
      await new Promise((resolve) => setTimeout(resolve, Math.max(err.retryAfterMs || 0, 200)));
    }
  }
}

function startReply(id) {
  const m = state.msgs.get(id);
  if (!m) return;
  cancelEdit();
  state.replyTo = id;
  $("replying-text").textContent = `Replying to ${(m.sender && m.sender.username) || "?"}: ${messageText(m).slice(0, 80)}`;
  show($("replying"), true);
  $("content").focus();
}

function cancelReply() {
  state.replyTo = null;
  show($("replying"), false);
}

function startEdit(id) {
  const m = state.msgs.get(id);
  if (!m) return;
  cancelReply();
  state.editing = id;
  $("content").value = plainText(m.content);
  show($("editing"), true);
  $("send-button").textContent = "Save";
  $("content").focus();
}

function cancelEdit() {
  if (state.editing) $("content").value = "";
  state.editing = null;
  show($("editing"), false);
  $("send-button").textContent = "Send";
}

// ---- dialogs: forward, edit history ----

function openDialog(box, focus) {
  state.returnFocus = document.activeElement;
  show(box, true);
  focus.focus();
}

function closeDialogs() {
  const open = !$("forward-form").hidden || !$("edit-history").hidden;
  show($("forward-form"), false);
  show($("edit-history"), false);
  state.forwarding = null;
  if (open && state.returnFocus && document.contains(state.returnFocus)) state.returnFocus.focus();
  state.returnFocus = null;
  return open;
}

function fillForwardRooms() {
  const sel = $("forward-room");
  const keep = sel.value;
  sel.replaceChildren(...sortedRooms().map((r) => el("option", { value: r.id, text: roomName(r) })));
  if (keep && state.rooms.has(keep)) sel.value = keep;
}

function startForward(id) {
  state.forwarding = id;
  fillForwardRooms();
  openDialog($("forward-form"), $("forward-room"));
}

async function sendForward() {
  const id = state.forwarding;
  const room = $("forward-room").value;
  if (!id || !room) return;
  closeDialogs();
  try {
    await sendMessage(room, "", { forwarded_from_id: id });
    $("chat-error").textContent = "";
  } catch (err) {
    $("chat-error").textContent = errorText(err);
  }
}

// ---- new room ----

function updateNewForm() {
  const type = $("new-type").value;
  show($("new-name-row"), type !== ONE);
  show($("new-public-row"), type === CHANNEL);
  $("new-members-label").textContent = type === ONE ? "Username" : type === GROUP ? "Members" : "Subscribers";
  $("new-members-hint").textContent = type === ONE ? "One username" : "Usernames, comma separated (optional)";
}

function toggleNewForm(on = $("new-room-form").hidden) {
  show($("new-room-form"), on);
  $("new-room").setAttribute("aria-expanded", String(on));
  $("new-error").textContent = "";
  if (on) {
    updateNewForm();
    $("new-type").focus();
  }
}

async function createRoom() {
  const errEl = $("new-error");
  errEl.textContent = "";
  const type = $("new-type").value;
  const name = $("new-name").value.trim();
  const names = splitNames($("new-members").value);
  if (type === ONE && names.length !== 1) return void (errEl.textContent = "Enter one username.");
  if (type !== ONE && !name) return void (errEl.textContent = "Enter a name.");
  let users;
  try {
    users = await findUsers(names);
  } catch (err) {
    errEl.textContent = err.message;
    return;
  }
  if (type === ONE && users[0].id === state.me.id) return void (errEl.textContent = "That is you: pick someone else.");
  const ids = users.map((u) => u.id);
  const data = { type };
  if (type === ONE) data.participants = ids;
  else if (type === GROUP) Object.assign(data, { name, participants: ids });
  else Object.assign(data, { name, subscribers: ids, extra_fields: { is_public: $("new-public").checked } });
  let already = null;
  const f = await req("room.create", data, {
    errEl,
    custom: (err) => {
      if (!(err instanceof ProtocolError)) return null;
      if (err.code === 4004 && type !== ONE) return shareText(names, users);
      if (err.code === 4005 && type === ONE) {
        already = [...state.rooms.values()].find((r) => r.type === ONE && r.peer && r.peer.id === ids[0]);
        return already ? " " : null;
      }
      return null;
    },
  });
  if (already) {
    errEl.textContent = "";
    finishNewForm();
    openRoom(already.id);
    return;
  }
  if (!f || !f.data) return;
  onRoomJoined(f.data);
  finishNewForm();
  openRoom(f.data.id);
}

function finishNewForm() {
  $("new-name").value = "";
  $("new-members").value = "";
  $("new-public").checked = false;
  toggleNewForm(false);
}

// ---- public channels ----

let channels = [];

async function loadChannels() {
  const q = $("channel-search").value.trim();
  try {
    channels = await api("GET", "/api/channels" + (q ? "?q=" + encodeURIComponent(q) : ""));
  } catch (err) {
    $("chat-error").textContent = err.message;
    return;
  }
  const list = $("channel-list");
  list.replaceChildren(
    ...channels.map((c) =>
      el(
        "li",
        { class: "channel", data: { roomId: c.id } },
        el("span", { class: "channel-name", text: c.name }),
        el("span", { class: "channel-count", text: `${c.subscriber_count} subscriber${c.subscriber_count === 1 ? "" : "s"}` }),
        c.description ? el("span", { class: "channel-desc", text: c.description }) : null,
        el("button", { type: "button", class: "join", onclick: () => joinChannel(c.id) }),
      ),
    ),
  );
  if (!channels.length) list.append(el("li", { class: "empty", text: q ? "No channel matches." : "No public channels yet." }));
  renderChannelButtons();
}

function renderChannelButtons() {
  for (const li of $("channel-list").querySelectorAll("li.channel")) {
    const c = channels.find((x) => x.id === li.dataset.roomId);
    const btn = li.querySelector("button.join");
    const joined = state.rooms.has(li.dataset.roomId);
    btn.textContent = joined ? "Open" : "Join";
    btn.setAttribute("aria-label", `${joined ? "Open" : "Join"} ${c ? c.name : "channel"}`);
  }
}

function toggleChannels(on = $("channels").hidden) {
  show($("channels"), on);
  $("browse").setAttribute("aria-expanded", String(on));
  if (on) {
    loadChannels();
    $("channel-search").focus();
  }
}

async function joinChannel(id) {
  if (!state.rooms.has(id)) {
    const f = await req("room.join", { room_id: id });
    if (!f || !f.data || !f.data.room) return;
    onRoomJoined(f.data.room);
  }
  openRoom(id);
}

// ---- members ----

function toggleMembers(on = $("members").hidden) {
  show($("members"), on);
  $("members-toggle").setAttribute("aria-expanded", String(on));
  if (on) loadMembers();
}

async function loadMembers() {
  const id = state.open;
  if (!id) return;
  const f = await req("room.info", { room_id: id });
  if (f && state.open === id) setDetail(f.data);
}

function setDetail(detail) {
  state.detail = detail;
  const members = detail.participants || detail.subscribers || [];
  if (detail.type !== CHANNEL) members.forEach((u) => state.contacts.add(u.id));
  const unknown = members.filter((u) => !state.presence.has(u.id)).map((u) => u.id);
  if (!$("members").hidden && unknown.length && detail.type !== CHANNEL) queryPresence(unknown);
  renderMembers();
}

function renderMembers() {
  const d = state.detail;
  const list = $("member-list");
  if (!d || d.id !== state.open) {
    list.replaceChildren();
    return;
  }
  const members = d.participants || d.subscribers || [];
  const admins = new Set((d.admins || d.moderators || []).map((u) => u.id));
  const creator = d.creator ? d.creator.id : null;
  const adminRole = d.type === CHANNEL ? "moderator" : "admin";
  const iAdmin = d.type !== ONE && (creator === state.me.id || admins.has(state.me.id));
  list.replaceChildren(
    ...members.map((u) => {
      const role = d.type === ONE ? "" : u.id === creator ? "creator" : admins.has(u.id) ? adminRole : "";
      const li = el(
        "li",
        { class: "member", data: { userId: String(u.id) } },
        presenceDot(u.id),
        el("span", { class: "member-name", text: u.username }),
        u.id === state.me.id ? el("span", { class: "member-you", text: "(you)" }) : null,
        el("span", { class: "member-role", text: role }),
      );
      if (iAdmin && u.id !== state.me.id && role !== "creator") {
        const ids = [u.id];
        const modify = (action) => req("room.modify", { room_id: d.id, action, data: { users: ids } });
        const btns = el("span", { class: "member-actions" });
        if (role === "") {
          btns.append(el("button", { type: "button", class: "member-promote", text: `Make ${adminRole}`, "aria-label": `Make ${u.username} ${adminRole}`, onclick: () => modify(`add_${adminRole}`) }));
        } else {
          btns.append(el("button", { type: "button", class: "member-demote", text: `Remove ${adminRole}`, "aria-label": `Take ${adminRole} from ${u.username}`, onclick: () => modify(`remove_${adminRole}`) }));
        }
        btns.append(el("button", { type: "button", class: "member-remove", text: "Remove", "aria-label": `Remove ${u.username}`, onclick: () => req("room.remove_members", { room_id: d.id, members: ids }) }));
        li.append(btns);
      }
      return li;
    }),
  );
  const total = d.members_count || members.length;
  if (total > members.length) list.append(el("li", { class: "empty", text: `and ${total - members.length} more` }));
  show($("add-member"), iAdmin);
}

async function addMember() {
  const input = $("add-member-name");
  const name = input.value.trim();
  const id = state.open;
  if (!name || !id) return;
  let users;
  try {
    users = await findUsers([name]);
  } catch (err) {
    $("chat-error").textContent = err.message;
    return;
  }
  const f = await req("room.add_members", { room_id: id, members: [users[0].id] }, {
    custom: (err) => (err instanceof ProtocolError && err.code === 4004 ? shareText([name], users) : null),
  });
  if (f) input.value = "";
}

// ---- layout: the room list collapses into a toggle on narrow screens ----

function setSidebar(on) {
  $("chat").classList.toggle("rooms-open", on);
  $("rooms-toggle").setAttribute("aria-expanded", String(on));
}

// ---- wiring ----

function wire() {
  $("auth").addEventListener("submit", (ev) => {
    ev.preventDefault();
    signIn("/api/login");
  });
  $("register").addEventListener("click", () => signIn("/api/register"));
  $("logout").addEventListener("click", logout);
  $("rooms-toggle").addEventListener("click", () => setSidebar(!$("chat").classList.contains("rooms-open")));

  $("rooms").addEventListener("click", (ev) => {
    const li = ev.target.closest("li.room");
    if (li) openRoom(li.dataset.roomId);
  });
  $("rooms").addEventListener("keydown", (ev) => {
    const li = ev.target.closest("li.room");
    if (li && ev.key === "Enter" && ev.target === li) openRoom(li.dataset.roomId);
  });

  $("new-room").addEventListener("click", () => toggleNewForm());
  $("new-cancel").addEventListener("click", () => toggleNewForm(false));
  $("new-type").addEventListener("change", updateNewForm);
  $("new-room-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    createRoom();
  });

  $("browse").addEventListener("click", () => toggleChannels());
  $("channel-search").addEventListener("input", () => {
    clearTimeout(state.channelTimer);
    state.channelTimer = setTimeout(loadChannels, 250);
  });

  $("members-toggle").addEventListener("click", () => toggleMembers());
  // The answer, roomexit.dispatch, closes the room (state.handlers).
  $("leave").addEventListener("click", () => state.open && req("room.leave", { room_id: state.open }));
  $("add-member").addEventListener("submit", (ev) => {
    ev.preventDefault();
    addMember();
  });

  $("load-older").addEventListener("click", loadOlder);
  $("messages").addEventListener("scroll", () => {
    if ($("messages").scrollTop < 40) loadOlder();
  });

  const content = $("content");
  $("send").addEventListener("submit", (ev) => {
    ev.preventDefault();
    submitComposer();
  });
  content.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) {
      ev.preventDefault();
      submitComposer();
    }
  });
  content.addEventListener("input", () => {
    if (!state.editing) sendTyping(content.value !== "");
  });
  $("reply-cancel").addEventListener("click", () => {
    cancelReply();
    content.focus();
  });
  $("edit-cancel").addEventListener("click", () => {
    cancelEdit();
    content.focus();
  });

  $("forward-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    sendForward();
  });
  $("forward-cancel").addEventListener("click", closeDialogs);
  $("edit-history-close").addEventListener("click", closeDialogs);

  document.addEventListener("keydown", (ev) => {
    if (ev.key !== "Escape") return;
    if (closeDialogs()) return;
    if (state.picker) {
      togglePicker(state.picker);
      return;
    }
    if (state.editing || state.replyTo) {
      cancelEdit();
      cancelReply();
      content.focus();
      return;
    }
    if (!$("new-room-form").hidden) toggleNewForm(false);
    else if (!$("channels").hidden) toggleChannels(false);
    else if (NARROW.matches && $("chat").classList.contains("rooms-open") && state.open) setSidebar(false);
  });
  NARROW.addEventListener("change", () => setSidebar(!NARROW.matches || !state.open));
  // Leaving the page closes the connection cleanly, so that others see
  // this user go offline at once: a page kept in the back/forward cache may
  // otherwise hold its socket open. Coming back from that cache starts over.
  window.addEventListener("pagehide", () => {
    const chat = state.chat;
    state.chat = null;
    if (chat) chat.close();
  });
  window.addEventListener("pageshow", (ev) => {
    if (ev.persisted) location.reload();
  });
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") markShownRead();
  });
}

async function boot() {
  wire();
  try {
    const u = await api("GET", "/api/me");
    start({ id: u.id, username: u.username });
  } catch {
    showAuth();
  }
}

boot();
