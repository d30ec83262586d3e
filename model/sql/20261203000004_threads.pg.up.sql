-- A thread reply names its root (a message of the same room that is not
-- itself a reply of a thread); the root counts its replies and keeps the
-- time and seq of the latest, updated in the statement that stores a reply.
ALTER TABLE rtchat_messages ADD COLUMN thread_root_id VARCHAR(36),
	ADD COLUMN thread_reply_count BIGINT NOT NULL DEFAULT 0,
	ADD COLUMN thread_last_reply_at TIMESTAMPTZ,
	ADD COLUMN thread_last_reply_seq BIGINT NOT NULL DEFAULT 0;
-- A thread's replies by seq (room.messages with thread_root_id, unread
-- counts); only replies are indexed.
CREATE INDEX rtchat_messages_thread_idx ON rtchat_messages (thread_root_id, seq) WHERE thread_root_id IS NOT NULL;
-- A room's threads by latest reply (thread.list); only roots with replies.
CREATE INDEX rtchat_messages_threads_room_idx ON rtchat_messages (room_id, thread_last_reply_seq) WHERE thread_reply_count > 0;
-- Each member's read pointer per thread: the highest seq of the thread's
-- replies the member has read (message.read).
CREATE TABLE rtchat_thread_reads (
	root_id VARCHAR(36) NOT NULL,
	user_id BIGINT NOT NULL,
	room_id VARCHAR(36) NOT NULL,
	last_read_seq BIGINT NOT NULL DEFAULT 0,
	PRIMARY KEY (root_id, user_id),
	FOREIGN KEY (room_id) REFERENCES rtchat_rooms (id) ON DELETE CASCADE
);
CREATE INDEX rtchat_thread_reads_room_idx ON rtchat_thread_reads (room_id);
