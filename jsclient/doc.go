// Package jsclient serves rtchat.js, the browser client of rtchat's
// WebSocket protocol: a plain ES module with no dependency and no build
// step, which an app serves next to its chat endpoint and any page imports:
//
//	import { Chat, ProtocolError, ConnectionError } from "/static/rtchat.js";
//
// A Chat answers each request by its request_id, hands every message of the
// user's rooms to onMessage once and in seq order, reconnects with backoff
// and full jitter after a drop, catches every room up by after_seq, and sends
// a message left unanswered again with the same client_msg_id. Its API is
// documented (JSDoc) in rtchat.js itself; the README's "A browser client"
// section has a snippet.
//
// Handler serves the file (with an ETag, so a new version is picked up);
// FS gives it as an fs.FS for an app that serves static files its own way.
package jsclient
