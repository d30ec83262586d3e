-- The app's message columns, on rtchat's messages table, one per statement
-- as SQLite adds them; metadata is JSON text. Rows sent before this
-- migration get the defaults of a message sent without them.
ALTER TABLE rtchat_messages ADD COLUMN priority TEXT NOT NULL DEFAULT 'normal';
--bun:split
ALTER TABLE rtchat_messages ADD COLUMN metadata TEXT NOT NULL DEFAULT '{}';
--bun:split
ALTER TABLE rtchat_messages ADD COLUMN is_pinned BOOLEAN NOT NULL DEFAULT 0;
