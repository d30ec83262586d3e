-- Message search (issue 14). SQLite has no function that takes the text out
-- of HTML, so the store writes each message's plain text here when it
-- stores or edits the message (the migration fills it for the rows already
-- there). doc is an INTEGER PRIMARY KEY, which VACUUM keeps, unlike the
-- implicit rowid of rtchat_messages.
CREATE TABLE rtchat_message_search (doc INTEGER PRIMARY KEY, message_id varchar(36) NOT NULL UNIQUE, body TEXT NOT NULL);
-- The full-text index over body (external content: the text is stored once,
-- in rtchat_message_search), kept in step by the triggers below. Diacritics
-- are kept, as on Postgres. (A trigger is one line: the migration splits
-- statements at a semicolon that ends a line.)
CREATE VIRTUAL TABLE rtchat_messages_fts USING fts5(body, content='rtchat_message_search', content_rowid='doc', tokenize='unicode61 remove_diacritics 0');
CREATE TRIGGER rtchat_message_search_ai AFTER INSERT ON rtchat_message_search BEGIN INSERT INTO rtchat_messages_fts (rowid, body) VALUES (new.doc, new.body); END;
CREATE TRIGGER rtchat_message_search_ad AFTER DELETE ON rtchat_message_search BEGIN INSERT INTO rtchat_messages_fts (rtchat_messages_fts, rowid, body) VALUES ('delete', old.doc, old.body); END;
CREATE TRIGGER rtchat_message_search_au AFTER UPDATE ON rtchat_message_search BEGIN INSERT INTO rtchat_messages_fts (rtchat_messages_fts, rowid, body) VALUES ('delete', old.doc, old.body); INSERT INTO rtchat_messages_fts (rowid, body) VALUES (new.doc, new.body); END;
-- A message deleted, hard or soft, leaves the index, however it was deleted.
CREATE TRIGGER rtchat_messages_search_ad AFTER DELETE ON rtchat_messages BEGIN DELETE FROM rtchat_message_search WHERE message_id = old.id; END;
CREATE TRIGGER rtchat_messages_search_soft AFTER UPDATE OF is_deleted ON rtchat_messages WHEN new.is_deleted BEGIN DELETE FROM rtchat_message_search WHERE message_id = new.id; END;
