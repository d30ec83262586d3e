-- Threads end: replies become plain messages of their room. The indexes go
-- first: SQLite drops no indexed column.
DROP TABLE rtchat_thread_reads;
DROP INDEX rtchat_messages_threads_room_idx;
DROP INDEX rtchat_messages_thread_idx;
ALTER TABLE rtchat_messages DROP COLUMN thread_last_reply_seq;
ALTER TABLE rtchat_messages DROP COLUMN thread_last_reply_at;
ALTER TABLE rtchat_messages DROP COLUMN thread_reply_count;
ALTER TABLE rtchat_messages DROP COLUMN thread_root_id;
