-- SQLite drops columns since 3.35.
ALTER TABLE rtchat_messages DROP COLUMN is_pinned;
--bun:split
ALTER TABLE rtchat_messages DROP COLUMN metadata;
--bun:split
ALTER TABLE rtchat_messages DROP COLUMN priority;
