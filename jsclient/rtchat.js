// rtchat.js: the browser client of rtchat's WebSocket protocol (docs/protocol.md).
//
// A plain ES module with no dependency and no build step:
//
//   import { Chat, ProtocolError, ConnectionError } from "/static/rtchat.js";
//
// A Chat keeps one WebSocket open to an rtchat server. It answers each
// request() by its request_id, hands every message of the user's rooms to
// onMessage once and in seq order per room (across reconnects: it catches up
// by after_seq and fills gaps), reconnects with exponential backoff and full
// jitter, and sends a message again with the same client_msg_id when the
// connection dropped before the send was answered, so it is stored once.

/**
 * A user as the server shows it.
 * @typedef {object} User
 * @property {number} id the app's user id (0 is the system)
 * @property {string} username
 * @property {string} [email]
 * @property {string} [first_name]
 * @property {string} [last_name]
 */

/**
 * An attachment of a message.
 * @typedef {object} Attachment
 * @property {string} id
 * @property {string} media_url an http(s) URL
 * @property {"image"|"video"|"audio"|"file"} media_type
 * @property {string} mime_type
 * @property {number} file_size
 * @property {object} metadata plain data written by the sender: show it as text only
 * @property {string} caption
 */

/**
 * A reaction to a message.
 * @typedef {object} Reaction
 * @property {string} id
 * @property {User} user
 * @property {string} reaction_content
 * @property {string} created_at RFC 3339
 */

/**
 * A message (the Message shape of docs/protocol.md, section 4).
 * @typedef {object} Message
 * @property {string} id
 * @property {{id: string}} room
 * @property {User} sender
 * @property {string} content sanitised markup: insert it as text (textContent), never as HTML
 * @property {string} created_at RFC 3339
 * @property {string} updated_at RFC 3339
 * @property {boolean} is_edited
 * @property {boolean} is_deleted
 * @property {boolean} is_forwarded
 * @property {Message|null} forwarded_from one level deep
 * @property {Message|null} parent_message one level deep
 * @property {string[]} delivered_to usernames
 * @property {{reader: User, read_at: string}[]} read_receipts
 * @property {Reaction[]} reactions
 * @property {Attachment[]} attachments
 * @property {number} seq the message's number in its room: 1, 2, 3, ...
 * @property {string|null} client_msg_id the sender's idempotency key
 */

/**
 * A frame the server sent: an event, an answer, or an error.
 * @typedef {object} Frame
 * @property {string} [eventType] the event, as "roomlist.dispatch" (absent on error frames)
 * @property {*} [data] the event's payload
 * @property {string} [request_id] the request this frame answers, when it answers one
 * @property {{code: number, detail: (string|Object<string, string[]>), retry_after_ms?: number, unanswered?: number}} [error]
 *   set on error frames only
 * @property {string} [event_type] the request's event, on error frames only
 */

/**
 * Reconnect delays in milliseconds: attempt n waits a uniformly random time
 * between min and min(max, min * 2^(n+1)).
 * @typedef {object} Backoff
 * @property {number} [min=500]
 * @property {number} [max=15000]
 */

/**
 * Options of a Chat.
 * @typedef {object} ChatOptions
 * @property {string} [url="/messaging/"] the WebSocket endpoint: relative (resolved against
 *   location, http becomes ws and https wss) or absolute (ws://, wss://, http://, https://)
 * @property {string} [token] sent as the "token" query parameter; without it the browser's
 *   cookies authenticate the upgrade request
 * @property {Backoff} [backoff] reconnect delays
 * @property {number} [heartbeat=25000] ms between session.heartbeat requests while online;
 *   when one goes unanswered for requestTimeout ms and no other frame came meanwhile, the
 *   link is taken for dead: the connection is dropped (info code 4000) and another opened; 0 sends none
 * @property {number} [requestTimeout=15000] ms before request() rejects with ConnectionError "timeout"
 */

/**
 * What a "state" listener receives beside the state.
 * @typedef {object} StateInfo
 * @property {number} [code] the close code of the connection that ended
 * @property {string} [reason] the close reason
 * @property {number} [attempt] reconnect attempts since the last stable connection (1 first)
 * @property {number} [delay] ms before the next attempt
 */

/**
 * The connection's state: "connecting" until the first connection is online,
 * "online" while connected and caught up, "reconnecting" while waiting for
 * or opening the next connection, "closed" for good (after close(), or a
 * close code that forbids reconnecting).
 * @typedef {"connecting"|"online"|"reconnecting"|"closed"} State
 */

/**
 * The error a request() or sendMessage() promise rejects with when the
 * server answered with an error frame.
 */
export class ProtocolError extends Error {
  /**
   * @param {Frame} frame the error frame
   */
  constructor(frame) {
    const detail = frame.error ? frame.error.detail : undefined;
    super(typeof detail === "string" ? detail : JSON.stringify(detail));
    this.name = "ProtocolError";
    /** @type {number} the protocol's code: 4002 permission, 4003 invalid, 4004 not found, ... */
    this.code = frame.error ? frame.error.code : 0;
    /** @type {(string|Object<string, string[]>)} a text, or field name to messages */
    this.detail = detail;
    /** @type {string} the request's event */
    this.eventType = frame.event_type || "";
    /** @type {string|undefined} the request's request_id */
    this.requestId = frame.request_id;
    /** @type {number|undefined} for 4029: ms before the same request would pass */
    this.retryAfterMs = frame.error ? frame.error.retry_after_ms : undefined;
    /** @type {Frame} the frame as received */
    this.frame = frame;
  }
}

/**
 * The error a promise rejects with when no answer can come: the client is
 * not online, the connection dropped before the answer, the request timed
 * out, or the Chat was closed.
 */
export class ConnectionError extends Error {
  /**
   * @param {string} reason what happened: "not connected", "connection lost", "timeout", "closed", or a close reason
   * @param {number} [code] the close code, when a close caused it
   */
  constructor(reason, code) {
    super(reason);
    this.name = "ConnectionError";
    /** @type {string} */
    this.reason = reason;
    /** @type {number|undefined} */
    this.code = code;
  }
}

// Close codes after which the client does not reconnect: the server refused
// the connection for a reason that reconnecting would not change.
const FINAL_CODES = new Set([
  1008, // policy violation: kept sending over the rate limits
  1009, // a frame over the size limit
  4001, // not authenticated
  4002, // refused by the app's OnConnect
  4029, // too many connections
]);

// How often a send answered 4007 (the database did not answer) is sent
// again before its promise rejects.
const SEND_RETRIES = 3;

// The largest room.messages page.
const PAGE_LIMIT = 200;

// Close code the client uses when it gives up on a connection itself (an
// unanswered heartbeat, a failed catch-up); it then reconnects as after any
// drop.
const CLIENT_DROP = 4000;

let chats = 0;

/**
 * A connection to an rtchat server that resumes by itself.
 */
export class Chat {
  /**
   * Creates a Chat; nothing is opened until connect().
   * @param {ChatOptions} [options]
   */
  constructor(options = {}) {
    const backoff = options.backoff || {};
    this._opts = {
      url: options.url || "/messaging/",
      token: options.token,
      min: backoff.min ?? 500,
      max: backoff.max ?? 15000,
      heartbeat: options.heartbeat ?? 25000,
      requestTimeout: options.requestTimeout ?? 15000,
    };
    if (!(this._opts.min > 0) || !(this._opts.max >= this._opts.min)) {
      throw new RangeError("rtchat: backoff needs 0 < min <= max");
    }
    chats++;
    // request_ids: this prefix and a counter (the server allows 64 characters).
    this._prefix = `c${chats}.${Math.random().toString(36).slice(2, 8)}.`;
    this._counter = 0;
    /** @type {State} */
    this._state = "connecting";
    this._ws = null;
    this._gen = 0; // generation of the current connection; stale sockets' events are ignored
    this._online = false; // this generation is caught up
    this._closed = false;
    this._attempt = 0;
    this._timers = new Set();
    this._stableTimer = 0;
    this._heartbeatTimer = 0;
    this._reconnectTimer = 0;
    this._heard = 0; // the request counter when the last frame arrived
    /** @type {Map<string, {resolve: Function, reject: Function, timer: number, internal: boolean, send?: object}>} */
    this._pending = new Map();
    /** @type {Map<string, {data: object, resolve: Function, reject: Function, requestId?: string, retries: number}>} sends not yet answered, by client_msg_id */
    this._sends = new Map();
    /** @type {Map<string, number>} */
    this._last = new Map();
    /** @type {Map<string, Set<Function>>} */
    this._listeners = new Map();
    /** @type {Set<Function>} */
    this._messageListeners = new Set();
    // Message handling is serial: a gap fill or a catch-up finishes before
    // the next message frame is looked at, so messages stay in order.
    this._chain = Promise.resolve();
    this._connected = null;
    this._connectedResolve = null;
    this._connectedReject = null;
    // When the browser's network comes back, the next attempt need not
    // wait for its delay.
    this._onNetwork = () => {
      if (this._state === "reconnecting" && !this._ws) this._retryNow();
    };
  }

  /**
   * The current state.
   * @returns {State}
   */
  get state() {
    return this._state;
  }

  /**
   * Subscribes fn to the frames of one eventType that do not answer one of
   * the page's own request() or sendMessage() calls (those go to the
   * promise only): pushed events such as "messagetyping.dispatch",
   * "presence.dispatch", "reaction.dispatch", "messagemodification.dispatch",
   * "roomcreate.dispatch", "chat.notifications" or an app's own event names,
   * and "roomlist.dispatch" with the room list the client fetches itself at
   * each (re)connect, just before it goes online. Special names: "state"
   * receives (state, info) at every state change; "error" receives
   * (ProtocolError, frame) for an error frame that answers no pending
   * request; "message.dispatch" receives the same messages as onMessage, in
   * the same order, with their frame.
   * @param {string} eventType
   * @param {(data: *, frame: (Frame|StateInfo)) => void} fn
   * @returns {() => void} a function that unsubscribes fn
   */
  on(eventType, fn) {
    let set = this._listeners.get(eventType);
    if (!set) {
      set = new Set();
      this._listeners.set(eventType, set);
    }
    const entry = (...args) => fn(...args); // the same fn may be subscribed twice
    set.add(entry);
    return () => set.delete(entry);
  }

  /**
   * Subscribes fn to the messages of every room the user is in: each
   * (room, seq) once, in seq order per room, the user's own messages
   * included, across reconnects (messages stored while the client was away
   * come after the reconnect, before newer ones) and gaps (filled from
   * history first).
   * @param {(message: Message) => void} fn
   * @returns {() => void} a function that unsubscribes fn
   */
  onMessage(fn) {
    const entry = (m) => fn(m);
    this._messageListeners.add(entry);
    return () => this._messageListeners.delete(entry);
  }

  /**
   * Opens the connection. The promise resolves once the client is online the
   * first time (connected, rooms listed and tracked at their last_seq), and
   * rejects with ConnectionError if the Chat closes first (close(), or a close
   * code that forbids reconnecting). A refused or failed attempt is retried
   * with backoff meanwhile (state "reconnecting"); a browser cannot tell a
   * refused handshake (HTTP 401, 403) from a server that is down (both close
   * with 1006), so that is retried too. Calling it again returns the same
   * promise.
   * @returns {Promise<void>}
   */
  connect() {
    if (!this._connected) {
      this._connected = new Promise((resolve, reject) => {
        this._connectedResolve = resolve;
        this._connectedReject = reject;
      });
      if (this._closed) {
        this._connectedReject(new ConnectionError("closed"));
      } else {
        if (typeof globalThis.addEventListener === "function") globalThis.addEventListener("online", this._onNetwork);
        this._open();
      }
    }
    return this._connected;
  }

  /**
   * Sends an event and resolves with the frame that answers it by request_id:
   * its dispatch ("roomlist.dispatch", "roommessages.dispatch", the caller's
   * copy of a broadcast, ...) or "done.dispatch" for a request that produced
   * no frame. While the client is not online it rejects at once with
   * ConnectionError "not connected" (nothing is queued), except for
   * "message.send", which is queued and retried as sendMessage does (a
   * client_msg_id is added when data has none).
   * @param {string} eventType the event, as "room.list"
   * @param {object} [data] its payload
   * @returns {Promise<Frame>} rejects with ProtocolError for an error frame, or
   *   ConnectionError when the connection drops first, after requestTimeout ms,
   *   or on close()
   */
  request(eventType, data = {}) {
    if (typeof eventType !== "string" || eventType === "") {
      return Promise.reject(new TypeError("rtchat: request needs an event type"));
    }
    if (eventType === "message.send") {
      const d = { ...data };
      if (!d.client_msg_id) d.client_msg_id = uuid();
      return this._queueSend(d, true);
    }
    if (this._closed) return Promise.reject(new ConnectionError("closed"));
    if (!this._online) return Promise.reject(new ConnectionError("not connected"));
    return this._request(this._gen, eventType, data, false);
  }

  /**
   * Sends a message to a room and resolves with it as stored (with its seq).
   * A client_msg_id (a random UUID) is added; while the client is not online
   * the send waits, and a send the connection dropped before its answer is
   * sent again with the same client_msg_id after the reconnect and catch-up,
   * until the server answers: the message is stored once. The message also
   * reaches onMessage; when its answer comes live, onMessage has it before
   * this promise resolves.
   * @param {string} roomId
   * @param {string} content the text (may be "" for media or a forward)
   * @param {object} [extraFields] extra_fields: parent_message_id (a reply),
   *   forwarded_from_id (a forward), media, or the app's own message fields
   * @returns {Promise<Message>} rejects with ProtocolError when the server refuses
   *   the send, ConnectionError "timeout" when an attempt on an online connection is
   *   not answered within requestTimeout (the message may be stored), or
   *   ConnectionError when the Chat closes first
   */
  sendMessage(roomId, content, extraFields) {
    const data = { room_id: roomId, content, client_msg_id: uuid() };
    if (extraFields && Object.keys(extraFields).length > 0) data.extra_fields = extraFields;
    return this._queueSend(data, false);
  }

  /**
   * Tells the client that the page holds the room's messages up to seq (say,
   * after loading its history): onMessage then hands over only later ones,
   * and the next catch-up starts there. A lower seq than the room's lastSeq
   * changes nothing. Rooms are tracked by themselves from the room list at
   * each connect (at their last_seq, when new) and from roomcreate.dispatch
   * and roomaddmembers.dispatch.
   * @param {string} roomId
   * @param {number} seq
   * @returns {void}
   */
  track(roomId, seq) {
    if (typeof roomId !== "string" || typeof seq !== "number" || !(seq >= 0)) return;
    const last = this._last.get(roomId);
    if (last === undefined || seq > last) this._last.set(roomId, seq);
  }

  /**
   * The highest seq of the room handed to onMessage or tracked, or undefined
   * for a room the client does not track.
   * @param {string} roomId
   * @returns {number|undefined}
   */
  lastSeq(roomId) {
    return this._last.get(roomId);
  }

  /**
   * Closes the Chat for good: the connection is closed (1000), the state
   * becomes "closed", and every pending request and send rejects with
   * ConnectionError "closed". Calling it again does nothing.
   * @returns {void}
   */
  close() {
    if (this._closed) return;
    const ws = this._ws;
    this._detach();
    if (ws) {
      try {
        ws.close(1000, "client closed");
      } catch {
        // already closing
      }
    }
    this._finish(new ConnectionError("closed"), { code: 1000, reason: "client closed" });
  }

  // --- connection life ---

  _open() {
    const gen = ++this._gen;
    this._online = false;
    let ws;
    try {
      ws = new WebSocket(this._url());
    } catch (e) {
      // A bad URL cannot get better: end now.
      this._finish(new ConnectionError(String(e && e.message ? e.message : e)), { reason: String(e) });
      return;
    }
    this._ws = ws;
    ws.onopen = () => {
      if (gen === this._gen) this._enqueue(() => this._resync(gen));
    };
    ws.onmessage = (ev) => {
      if (gen === this._gen) this._frame(gen, ev.data);
    };
    ws.onclose = (ev) => {
      if (gen === this._gen) this._dropped(ev.code, ev.reason || "");
    };
    ws.onerror = () => {}; // a close event follows
  }

  _url() {
    const u = new URL(this._opts.url, globalThis.location ? globalThis.location.href : undefined);
    if (u.protocol === "http:") u.protocol = "ws:";
    else if (u.protocol === "https:") u.protocol = "wss:";
    if (this._opts.token !== undefined && this._opts.token !== null) {
      u.searchParams.set("token", this._opts.token);
    }
    return u.href;
  }

  // _resync runs first on every new connection: list the rooms, catch each
  // one up after its lastSeq, then go online and send what waits.
  async _resync(gen) {
    let list;
    try {
      list = await this._request(gen, "room.list", {}, true);
      for (const room of Array.isArray(list.data) ? list.data : []) {
        if (!room || typeof room.id !== "string") continue;
        const lastSeq = typeof room.last_seq === "number" ? room.last_seq : 0;
        const known = this._last.get(room.id);
        if (known === undefined) {
          // A room new to the client: its view starts now, as a live
          // connection's does when it joins.
          this._last.set(room.id, lastSeq);
          continue;
        }
        if (lastSeq > known) await this._fill(gen, room.id);
      }
    } catch (e) {
      if (gen === this._gen) this._drop(gen, "catch-up failed: " + (e && e.message));
      return;
    }
    if (gen !== this._gen) return;
    this._online = true;
    // What waited goes first, in the order it was sent.
    for (const send of this._sends.values()) {
      if (!send.requestId) this._attemptSend(send);
    }
    this._emit("roomlist.dispatch", list.data, list);
    this._setState("online", {});
    if (this._connectedResolve) {
      this._connectedResolve();
      this._connectedResolve = this._connectedReject = null;
    }
    this._startHeartbeat(gen);
    // The attempts count from the last connection that stayed up a while.
    clearTimeout(this._stableTimer);
    this._stableTimer = setTimeout(() => {
      if (gen === this._gen && this._online) this._attempt = 0;
    }, this._opts.max);
  }

  // _fill hands over the room's messages after its lastSeq, page by page.
  async _fill(gen, roomId) {
    for (;;) {
      let page;
      try {
        page = await this._request(gen, "room.messages", { room_id: roomId, after_seq: this._last.get(roomId) ?? 0, limit: PAGE_LIMIT }, true);
      } catch (e) {
        if (e instanceof ProtocolError && (e.code === 4002 || e.code === 4004)) {
          return; // left or deleted since: nothing to hand over
        }
        throw e;
      }
      const d = page.data || {};
      const messages = (d.data && Array.isArray(d.data.messages)) ? d.data.messages : [];
      for (const m of messages) {
        this._deliver(m, { eventType: "message.dispatch", data: m });
      }
      if (!d.has_more || messages.length === 0) return;
    }
  }

  // _drop gives up on the connection of gen as if it had closed.
  _drop(gen, reason) {
    if (gen !== this._gen) return;
    const ws = this._ws;
    this._detach();
    try {
      ws.close(CLIENT_DROP, reason.slice(0, 60));
    } catch {
      ws.close(); // a reason too long in UTF-8
    }
    this._dropped(CLIENT_DROP, reason);
  }

  _detach() {
    const ws = this._ws;
    if (!ws) return;
    ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
    this._ws = null;
  }

  // _dropped handles the end of the current connection.
  _dropped(code, reason) {
    this._gen++; // frames and timers of the old connection are ignored from now on
    this._ws = null;
    this._online = false;
    clearInterval(this._heartbeatTimer);
    clearTimeout(this._stableTimer);
    const err = new ConnectionError("connection lost", code);
    for (const [id, p] of this._pending) {
      clearTimeout(p.timer);
      this._pending.delete(id);
      if (p.send) p.send.requestId = undefined; // sent again after the reconnect
      else p.reject(err);
    }
    if (FINAL_CODES.has(code)) {
      this._finish(new ConnectionError(reason || "closed", code), { code, reason });
      return;
    }
    this._attempt++;
    const ceil = Math.min(this._opts.max, this._opts.min * 2 ** Math.min(this._attempt, 30));
    const delay = Math.round(this._opts.min + Math.random() * (ceil - this._opts.min));
    this._setState("reconnecting", { code, reason, attempt: this._attempt, delay });
    this._reconnectTimer = setTimeout(() => {
      this._reconnectTimer = 0;
      if (!this._closed) this._open();
    }, delay);
  }

  _retryNow() {
    if (!this._reconnectTimer) return;
    clearTimeout(this._reconnectTimer);
    this._reconnectTimer = 0;
    this._open();
  }

  // _finish ends the Chat: state "closed", everything pending rejected.
  _finish(err, info) {
    this._closed = true;
    this._online = false;
    this._gen++;
    this._ws = null;
    clearInterval(this._heartbeatTimer);
    clearTimeout(this._stableTimer);
    clearTimeout(this._reconnectTimer);
    this._reconnectTimer = 0;
    for (const t of this._timers) clearTimeout(t);
    this._timers.clear();
    if (typeof globalThis.removeEventListener === "function") globalThis.removeEventListener("online", this._onNetwork);
    for (const p of this._pending.values()) {
      clearTimeout(p.timer);
      if (!p.send) p.reject(err);
    }
    this._pending.clear();
    for (const s of this._sends.values()) s.reject(err);
    this._sends.clear();
    if (this._connectedReject) {
      this._connectedReject(err);
      this._connectedResolve = this._connectedReject = null;
    }
    this._setState("closed", info);
  }

  _startHeartbeat(gen) {
    clearInterval(this._heartbeatTimer);
    if (!(this._opts.heartbeat > 0)) return;
    this._heartbeatTimer = setInterval(() => {
      if (gen !== this._gen) return;
      const sent = this._counter;
      this._request(gen, "session.heartbeat", {}, true).catch((e) => {
        // Silence is what counts: a heartbeat refused by a rate limit
        // without an answer, while other frames come, is no sign of a
        // dead link.
        if (e instanceof ConnectionError && e.reason === "timeout" && this._heard <= sent) {
          this._drop(gen, "heartbeat unanswered");
        }
      });
    }, this._opts.heartbeat);
  }

  _setState(state, info) {
    if (this._state === state && state !== "reconnecting") return;
    this._state = state;
    this._emit("state", state, info);
  }

  // --- frames ---

  _nextId() {
    return this._prefix + ++this._counter;
  }

  // _request sends one request on the connection of gen.
  _request(gen, eventType, data, internal) {
    return new Promise((resolve, reject) => {
      if (gen !== this._gen || !this._ws || this._ws.readyState !== WebSocket.OPEN) {
        reject(new ConnectionError("not connected"));
        return;
      }
      const id = this._nextId();
      const timer = setTimeout(() => {
        if (this._pending.delete(id)) reject(new ConnectionError("timeout"));
      }, this._opts.requestTimeout);
      this._pending.set(id, { resolve, reject, timer, internal });
      this._ws.send(JSON.stringify({ event_type: eventType, data, request_id: id }));
    });
  }

  // _queueSend sends data (a message.send with its client_msg_id) now or
  // once online; the promise resolves with the answer frame (wantFrame) or
  // the message. A send of a client_msg_id already waiting shares its answer.
  _queueSend(data, wantFrame) {
    if (this._closed) return Promise.reject(new ConnectionError("closed"));
    return new Promise((resolve, reject) => {
      const waiter = { resolve: (f) => resolve(wantFrame ? f : f.data), reject };
      const waiting = this._sends.get(data.client_msg_id);
      if (waiting) {
        waiting.waiters.push(waiter);
        return;
      }
      const send = {
        data, waiters: [waiter], requestId: undefined, retries: 0,
        resolve: (f) => send.waiters.forEach((w) => w.resolve(f)),
        reject: (e) => send.waiters.forEach((w) => w.reject(e)),
      };
      this._sends.set(data.client_msg_id, send);
      if (this._online) this._attemptSend(send);
    });
  }

  // _attemptSend sends (again) a send on the current connection.
  _attemptSend(send) {
    const ws = this._ws;
    if (!this._online || !ws || ws.readyState !== WebSocket.OPEN) return;
    const id = this._nextId();
    send.requestId = id;
    const timer = setTimeout(() => {
      if (!this._pending.delete(id)) return;
      this._sends.delete(send.data.client_msg_id);
      send.reject(new ConnectionError("timeout"));
    }, this._opts.requestTimeout);
    this._pending.set(id, { timer, internal: false, send, resolve: null, reject: null });
    ws.send(JSON.stringify({ event_type: "message.send", data: send.data, request_id: id }));
  }

  _frame(gen, text) {
    this._heard = this._counter; // a frame came after every request sent so far
    let frame;
    try {
      frame = JSON.parse(text);
    } catch {
      return;
    }
    if (!frame || typeof frame !== "object") return;
    const id = typeof frame.request_id === "string" ? frame.request_id : undefined;
    const p = id !== undefined ? this._pending.get(id) : undefined;
    if (p) {
      this._pending.delete(id);
      clearTimeout(p.timer);
    }
    if (frame.error) {
      const err = new ProtocolError(frame);
      if (p && p.send && err.code === 4007 && p.send.retries < SEND_RETRIES) {
        this._retrySend(p.send);
      } else if (p && p.send) {
        this._sends.delete(p.send.data.client_msg_id);
        p.send.reject(err);
      } else if (p) {
        p.reject(err);
      } else {
        this._emit("error", err, frame);
      }
      return;
    }
    if (frame.eventType === "message.dispatch") {
      if (p && p.send) this._sends.delete(p.send.data.client_msg_id);
      this._enqueue(async () => {
        try {
          await this._live(gen, frame);
        } finally {
          if (p && p.send) p.send.resolve(frame);
          else if (p) p.resolve(frame);
        }
      });
      return;
    }
    this._observe(frame);
    if (p && p.send) {
      // done.dispatch: the message is stored and reached this connection
      // from the database before its answer; the same send again answers
      // with the stored message.
      this._attemptSend(p.send);
      return;
    }
    if (p) {
      p.resolve(frame);
      return;
    }
    this._emit(frame.eventType, frame.data, frame);
  }

  // _retrySend sends again, after a backoff delay, a send the server
  // answered 4007 (unavailable: safe to retry with the same client_msg_id).
  _retrySend(send) {
    send.requestId = undefined;
    const delay = this._opts.min * 2 ** send.retries;
    send.retries++;
    const t = setTimeout(() => {
      this._timers.delete(t);
      if (this._sends.get(send.data.client_msg_id) === send && send.requestId === undefined) this._attemptSend(send);
    }, delay);
    this._timers.add(t);
  }

  // _observe tracks the rooms the user enters and forgets deleted ones,
  // from pushed frames and answers alike. A room the user leaves stays
  // tracked: back in it, the messages missed meanwhile come as a gap fill.
  _observe(frame) {
    const data = frame.data;
    switch (frame.eventType) {
      case "roomcreate.dispatch":
        if (data && typeof data.id === "string" && !this._last.has(data.id)) {
          this._last.set(data.id, data.last_seq ?? 0);
        }
        break;
      case "roomaddmembers.dispatch":
        if (data && data.room && typeof data.room.id === "string" && !this._last.has(data.room.id)) {
          this._last.set(data.room.id, data.room.last_seq ?? 0);
        }
        break;
      case "roomdelete.dispatch":
        if (data) this._last.delete(data.room_id);
        break;
    }
  }

  // _live hands over one message.dispatch frame, filling a gap before it.
  async _live(gen, frame) {
    const m = frame.data;
    const roomId = m && m.room && m.room.id;
    if (typeof roomId !== "string" || typeof m.seq !== "number") {
      this._handOver(m, frame); // a message this client cannot order
      return;
    }
    let last = this._last.get(roomId);
    if (last === undefined) {
      // A room joined while connected: its messages start here.
      last = m.seq - 1;
      this._last.set(roomId, last);
    }
    if (m.seq > last + 1) {
      if (gen !== this._gen) return; // the next catch-up fills the gap and brings m
      try {
        await this._fill(gen, roomId);
      } catch (e) {
        this._drop(gen, "gap fill failed: " + (e && e.message));
        return;
      }
    }
    this._deliver(m, frame);
  }

  _deliver(m, frame) {
    const roomId = m && m.room && m.room.id;
    if (typeof roomId === "string" && typeof m.seq === "number") {
      const last = this._last.get(roomId) ?? 0;
      if (m.seq <= last) return;
      this._last.set(roomId, m.seq);
    }
    this._handOver(m, frame);
  }

  _handOver(m, frame) {
    for (const fn of [...this._messageListeners]) call(fn, m);
    this._emit("message.dispatch", m, frame);
  }

  _enqueue(step) {
    this._chain = this._chain.then(step).catch(report);
  }

  _emit(eventType, data, extra) {
    const set = this._listeners.get(eventType);
    if (!set) return;
    for (const fn of [...set]) call(fn, data, extra);
  }
}

// call runs a listener; its exception is reported, not thrown into the client.
function call(fn, ...args) {
  try {
    fn(...args);
  } catch (e) {
    report(e);
  }
}

function report(e) {
  if (typeof globalThis.reportError === "function") globalThis.reportError(e);
  else console.error(e);
}

// uuid returns a random v4 UUID; crypto.randomUUID exists only in secure
// contexts (https, localhost), getRandomValues everywhere.
function uuid() {
  if (globalThis.crypto && typeof globalThis.crypto.randomUUID === "function") {
    return globalThis.crypto.randomUUID();
  }
  const b = globalThis.crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
